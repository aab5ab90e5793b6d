/* The extraction memory budget (krait/extract_budget.h): the need read from
 * real archives written here (zstd frames with long windows through libzstd's
 * ZSTD_c_windowLog, bzip2 through libarchive), the available memory read from
 * meminfo and cgroup files written here (v2 and v1 layouts), and the shared
 * budget itself, also under concurrent takers. */
#define ZSTD_STATIC_LINKING_ONLY
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <zstd.h>

#include "archive_fixtures.h"
#include "harness.h"
#include "krait/extract.h"
#include "krait/extract_budget.h"

#define MiB ((uint64_t)1 << 20)

/* A tar of one file `share/data.bin` of `size` bytes (a repeating pattern). */
static void tar_of(size_t size, char **out, size_t *len) {
  char *body = krait_malloc(size + 1);
  for (size_t i = 0; i < size; i++)
    body[i] = (char)('a' + (i * 7 + i / 4096) % 26);
  body[size] = 0;
  ax_entry es[] = {{"share/data.bin", 'f', body, 0644, 0}};
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  size_t cap = size + (1 << 20), used = 0;
  char *buf = krait_malloc(cap);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open_memory(a, buf, cap, &used);
  ax_add_entries(a, es, 1);
  archive_write_close(a);
  archive_write_free(a);
  free(body);
  *out = buf;
  *len = used;
}

/* zstd with window log `wlog`. known_size: the frame header records the
 * content size (and the compressor may shrink the window to it); otherwise the
 * input is streamed as a pipe would be, so the full window stays. */
static char *zstd_with_window(const char *src, size_t n, int wlog, bool known_size, size_t *out_len) {
  ZSTD_CCtx *c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
  ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1);
  if (known_size)
    ZSTD_CCtx_setPledgedSrcSize(c, n);
  size_t cap = ZSTD_compressBound(n) + 1024;
  char *dst = krait_malloc(cap);
  ZSTD_outBuffer out = {dst, cap, 0};
  ZSTD_inBuffer in = {src, known_size ? n : n / 2, 0};
  if (!known_size) /* a first chunk without the end: the size stays unknown */
    while (in.pos < in.size)
      ZSTD_compressStream2(c, &out, &in, ZSTD_e_continue);
  in = (ZSTD_inBuffer){src, n, in.pos};
  size_t left;
  do
    left = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
  while (left && !ZSTD_isError(left));
  CHECK(!ZSTD_isError(left), "zstd: %s", ZSTD_getErrorName(left));
  ZSTD_freeCCtx(c);
  *out_len = out.pos;
  return dst;
}

/* A .conda whose pkg- member holds `size` bytes compressed with window log
 * `wlog`; info- is a small ordinary frame. */
static void make_conda(const char *path, size_t size, int wlog, bool known_size) {
  char *tar, *zst, *info_zst;
  size_t tar_len, zst_len, info_len;
  tar_of(size, &tar, &tar_len);
  zst = zstd_with_window(tar, tar_len, wlog, known_size, &zst_len);
  ax_entry info[] = {{"info/index.json", 'f', "{\"name\":\"big\",\"version\":\"1\",\"build\":\"0\"}", 0644, 0}};
  ax_make_tarzst(info, 1, &info_zst, &info_len);
  struct archive *z = archive_write_new();
  archive_write_set_format_zip(z);
  archive_write_set_option(z, "zip", "compression", "store");
  CHECK(archive_write_open_filename(z, path) == ARCHIVE_OK, "open %s", path);
  ax_zip_add(z, "metadata.json", "{\"conda_pkg_format_version\": 2}", 31);
  ax_zip_add(z, "pkg-big-1-0.tar.zst", zst, zst_len);
  ax_zip_add(z, "info-big-1-0.tar.zst", info_zst, info_len);
  archive_write_close(z);
  archive_write_free(z);
  free(tar);
  free(zst);
  free(info_zst);
}

static void test_needs(const char *dir) {
  /* 2 MiB streamed with a 2^27 window: the decoder holds the whole window */
  char *long_win = krait_asprintf("%s/big-1-0.conda", dir);
  make_conda(long_win, 2 << 20, 27, false);
  uint64_t need = krait_extract_memory_need(long_win);
  CHECK(need >= ((uint64_t)1 << 27) + KRAIT_EXTRACT_BASE_MEMORY && need < ((uint64_t)1 << 27) + 4 * MiB,
        "long window: need %llu", (unsigned long long)need);

  /* the same window, but the header records 2 MiB of content: the buffer is capped by it */
  char *known = krait_asprintf("%s/known/big-1-0.conda", dir);
  char *known_dir = krait_path_dirname(known);
  krait_mkdir_p(known_dir, 0755, NULL);
  make_conda(known, 2 << 20, 27, true);
  need = krait_extract_memory_need(known);
  CHECK(need > 2 * MiB && need < 4 * MiB + KRAIT_EXTRACT_BASE_MEMORY, "content-capped: need %llu",
        (unsigned long long)need);

  /* a 1 MiB window on 4 MiB of content */
  char *small_dir = krait_asprintf("%s/small", dir);
  krait_mkdir_p(small_dir, 0755, NULL);
  char *small = krait_asprintf("%s/big-1-0.conda", small_dir);
  make_conda(small, 4 << 20, 20, false);
  need = krait_extract_memory_need(small);
  CHECK(need > MiB + KRAIT_EXTRACT_BASE_MEMORY && need < 3 * MiB + KRAIT_EXTRACT_BASE_MEMORY,
        "1 MiB window: need %llu", (unsigned long long)need);

  /* bzip2 -9 (libarchive's default): 100 kB + 4 x 900 kB */
  char *bz2 = krait_asprintf("%s/small-1-0.tar.bz2", dir);
  ax_entry es[] = {{"info/index.json", 'f', "{}", 0644, 0}, {"share/x", 'f', "x", 0644, 0}};
  ax_make_tarbz2(bz2, es, 2);
  CHECK(krait_extract_memory_need(bz2) == 3700000 + KRAIT_EXTRACT_BASE_MEMORY, "bz2 need %llu",
        (unsigned long long)krait_extract_memory_need(bz2));

  /* unreadable headers: the conservative figure */
  char *junk = krait_asprintf("%s/junk-1-0.conda", dir);
  ax_write_file(junk, "not a zip file at all", 0644);
  CHECK(krait_extract_memory_need(junk) == KRAIT_EXTRACT_UNKNOWN_MEMORY + KRAIT_EXTRACT_BASE_MEMORY, "junk need");

  /* the long-window archive extracts, through a budget far smaller than its need
   * (one extraction always runs), and gives everything back */
  krait_extract_budget b;
  krait_extract_budget_init_limit(&b, MiB);
  krait_extract_opts opts = {.no_sync = true, .no_verify = true, .budget = &b};
  char *dest = krait_asprintf("%s/out", dir);
  krait_err err;
  krait_code rc = krait_extract_ex(NULL, long_win, dest, &opts, &err);
  CHECK(rc == KRAIT_OK, "extract: %s", err.msg);
  char *data = krait_path_join(dest, "share/data.bin");
  struct stat sb;
  CHECK(stat(data, &sb) == 0 && sb.st_size == 2 << 20, "extracted size");
  CHECK(b.in_use == 0 && b.running == 0, "budget given back (%llu in use, %u running)",
        (unsigned long long)b.in_use, b.running);
  krait_extract_budget_destroy(&b);
  free(data);
  free(dest);
  free(junk);
  free(bz2);
  free(small);
  free(small_dir);
  free(known_dir);
  free(known);
  free(long_win);
}

static char *write_in(const char *dir, const char *rel, const char *text) {
  char *p = krait_path_join(dir, rel);
  ax_write_file(p, text, 0644);
  return p;
}

/* A cgroup directory's limit and usage files (NULL = leave that file alone). */
static void write_cgroup(const char *root, const char *dir, const char *limit_file, const char *limit,
                         const char *usage_file, const char *usage) {
  char *base = krait_path_join(root, dir);
  if (limit)
    free(write_in(base, limit_file, limit));
  if (usage)
    free(write_in(base, usage_file, usage));
  free(base);
}

#define V2(root, dir, max, current) write_cgroup(root, dir, "memory.max", max, "memory.current", current)
#define V1(root, dir, limit, usage) \
  write_cgroup(root, dir, "memory.limit_in_bytes", limit, "memory.usage_in_bytes", usage)

static void expect_available(const krait_mem_sources *src, uint64_t want, const char *what) {
  uint64_t got = krait_memory_available(src);
  CHECK(got == want, "%s: got %llu, want %llu", what, (unsigned long long)got, (unsigned long long)want);
}

static void test_available(const char *dir) {
  char *meminfo = write_in(dir, "proc/meminfo",
                           "MemTotal:       24683520 kB\nMemFree:        22958080 kB\n"
                           "MemAvailable:    2000000 kB\nBuffers:           12345 kB\n");
  char *root = krait_path_join(dir, "cg2");
  /* cgroup v2: the job's limit (an ancestor) is tighter than the step's "max" */
  char *self = write_in(dir, "proc/self-v2", "0::/job/step\n");
  V2(root, "job", "500000000\n", "100000000\n");
  V2(root, "job/step", "max\n", "90000000\n");
  krait_mem_sources src = {meminfo, self, root};
  expect_available(&src, 400000000, "v2 ancestor limit");

  /* inactive page cache is counted as free (it is reclaimed before the limit bites) */
  free(write_in(root, "job/memory.stat", "anon 60000000\nfile 40000000\ninactive_file 30000000\nactive_file 10000000\n"));
  expect_available(&src, 430000000, "v2 minus inactive file pages");

  /* no cgroup limit: MemAvailable */
  V2(root, "job", "max\n", NULL);
  expect_available(&src, 2000000ull * 1024, "MemAvailable");

  /* a limit already exceeded leaves (almost) nothing, never "unknown" */
  V2(root, "job/step", "80000000\n", NULL);
  expect_available(&src, 1, "exhausted");

  /* cgroup v1 (Slurm's layout): memory.limit_in_bytes under the memory hierarchy */
  char *root1 = krait_path_join(dir, "cg1");
  char *self1 = write_in(dir, "proc/self-v1", "5:cpuacct,cpu:/slurm\n4:memory:/slurm/uid_1/job_2\n0::/\n");
  V1(root1, "memory", "9223372036854771712\n", NULL);
  V1(root1, "memory/slurm/uid_1/job_2", "300000000\n", "50000000\n");
  krait_mem_sources src1 = {meminfo, self1, root1};
  expect_available(&src1, 250000000, "v1 job limit");

  /* v1 in a container: the process's path does not exist below the mount, its limit is at the top */
  char *self_c = write_in(dir, "proc/self-container", "4:memory:/docker/abcdef\n");
  V1(root1, "memory", "1000000000\n", "400000000\n");
  krait_mem_sources srcc = {meminfo, self_c, root1};
  expect_available(&srcc, 600000000, "v1 container");

  /* nothing readable: unknown, and the budget is then unlimited */
  char *none = krait_path_join(dir, "does-not-exist");
  krait_mem_sources nothing = {none, none, none};
  expect_available(&nothing, 0, "nothing readable");
  krait_extract_budget b;
  krait_extract_budget_init(&b, NULL, &nothing);
  CHECK(!b.limited, "unknown memory: unlimited");
  krait_extract_budget_destroy(&b);

  /* automatic mode: half of what is available; a configured thread count: no budget */
  krait_extract_budget_init(&b, NULL, &src1);
  CHECK(b.limited && b.limit == 125000000, "auto limit %llu", (unsigned long long)b.limit);
  krait_extract_budget_destroy(&b);
  krait_ctx *ctx = krait_ctx_new();
  ctx->extract_threads = 4;
  krait_extract_budget_init(&b, ctx, &src1);
  CHECK(!b.limited, "extract_threads set: unlimited");
  krait_extract_budget_destroy(&b);
  krait_ctx_free(ctx);

  free(none);
  free(self_c);
  free(self1);
  free(root1);
  free(self);
  free(root);
  free(meminfo);
}

static void test_budget(void) {
  krait_extract_budget b;
  krait_extract_budget_init_limit(&b, 100);
  CHECK(krait_extract_budget_try_take(&b, 60), "first fits");
  CHECK(!krait_extract_budget_try_take(&b, 60), "second does not");
  CHECK(krait_extract_budget_try_take(&b, 40), "what is left fits");
  krait_extract_budget_give(&b, 60);
  CHECK(krait_extract_budget_try_take(&b, 60), "fits again once given back");
  krait_extract_budget_give(&b, 60);
  krait_extract_budget_give(&b, 40);
  CHECK(krait_extract_budget_try_take(&b, 1000), "alone, a need beyond the limit still runs");
  CHECK(!krait_extract_budget_try_take(&b, 1), "but nothing beside it");
  krait_extract_budget_give(&b, 1000);
  CHECK(b.in_use == 0 && b.running == 0, "all given back");
  krait_extract_budget_destroy(&b);

  krait_extract_budget_init_limit(&b, 0);
  CHECK(krait_extract_budget_try_take(&b, UINT64_MAX / 4) && krait_extract_budget_try_take(&b, UINT64_MAX / 4),
        "unlimited");
  krait_extract_budget_destroy(&b);
}

/* Eight threads taking 40 bytes of a 100-byte budget: never more than two at once. */
typedef struct race {
  krait_extract_budget b;
  atomic_int now, most;
} race;

static void *taker(void *arg) {
  race *r = arg;
  for (int k = 0; k < 200; k++) {
    krait_extract_budget_take(&r->b, 40);
    int n = atomic_fetch_add(&r->now, 1) + 1;
    for (int m = atomic_load(&r->most); n > m && !atomic_compare_exchange_weak(&r->most, &m, n);)
      ;
    atomic_fetch_sub(&r->now, 1);
    krait_extract_budget_give(&r->b, 40);
  }
  return NULL;
}

static void test_concurrent(void) {
  race r;
  krait_extract_budget_init_limit(&r.b, 100);
  atomic_init(&r.now, 0);
  atomic_init(&r.most, 0);
  pthread_t t[8];
  for (int i = 0; i < 8; i++)
    pthread_create(&t[i], NULL, taker, &r);
  for (int i = 0; i < 8; i++)
    pthread_join(t[i], NULL);
  CHECK(atomic_load(&r.most) >= 1 && atomic_load(&r.most) <= 2, "at most 2 at once, saw %d", atomic_load(&r.most));
  CHECK(r.b.in_use == 0 && r.b.running == 0, "all given back");
  krait_extract_budget_destroy(&r.b);
}

int main(void) {
  char *dir = ax_tmpdir("budget");
  test_needs(dir);
  test_available(dir);
  test_budget();
  test_concurrent();
  krait_rm_rf(dir, NULL);
  free(dir);
  return krait_test_finish("extract_budget");
}
