/* The memory budget of concurrent extractions; see krait/extract_budget.h. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader, ZSTD_decodingBufferSize_min */
#include "krait/extract_budget.h"

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "krait/buf.h"
#include "krait/extract.h"
#include "krait/fs.h"

/* ---- what one archive needs ---- */

/* Decompressor memory for a zstd frame starting with head[0..n), or
 * KRAIT_EXTRACT_UNKNOWN_MEMORY. The frame buffer is what ZSTD_decompressStream
 * allocates (window, capped by a recorded content size), plus its context and
 * one input block. */
static uint64_t zstd_need(const unsigned char *head, size_t n) {
  ZSTD_frameHeader h;
  if (ZSTD_getFrameHeader(&h, head, n) != 0 || h.frameType != ZSTD_frame)
    return KRAIT_EXTRACT_UNKNOWN_MEMORY;
  size_t buf = ZSTD_decodingBufferSize_min(h.windowSize, h.frameContentSize);
  if (ZSTD_isError(buf))
    return KRAIT_EXTRACT_UNKNOWN_MEMORY;
  return (uint64_t)buf + ZSTD_estimateDCtxSize() + ZSTD_BLOCKSIZE_MAX;
}

static bool is_zstd_member(const char *name) {
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  size_t n = strlen(base);
  return n > 8 && strcmp(base + n - 8, ".tar.zst") == 0 &&
         (strncmp(base, "info-", 5) == 0 || strncmp(base, "pkg-", 4) == 0);
}

/* Members are extracted one after the other: the largest need counts. */
static uint64_t conda_need(const char *path) {
  struct archive *zip = archive_read_new();
  if (!zip)
    krait_oom();
  archive_read_support_format_zip_seekable(zip);
  uint64_t need = 0;
  bool any = false;
  if (archive_read_open_filename(zip, path, 64 * 1024) == ARCHIVE_OK) {
    struct archive_entry *e;
    while (archive_read_next_header(zip, &e) == ARCHIVE_OK) {
      const char *name = archive_entry_pathname(e);
      if (!name || !is_zstd_member(name))
        continue;
      unsigned char head[ZSTD_FRAMEHEADERSIZE_MAX];
      la_ssize_t got = archive_read_data(zip, head, sizeof head);
      uint64_t m = zstd_need(head, got > 0 ? (size_t)got : 0);
      need = m > need ? m : need;
      any = true;
    }
  }
  archive_read_free(zip);
  return any ? need : KRAIT_EXTRACT_UNKNOWN_MEMORY;
}

/* bzip2 ("BZh1".."BZh9"): 100 kB + 4 bytes per byte of block (libbz2's
 * normal, not small, decompression mode). */
static uint64_t bz2_need(const char *path) {
  unsigned char head[4] = {0};
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(head, 1, sizeof head, f) : 0;
  if (f)
    fclose(f);
  if (got == 4 && memcmp(head, "BZh", 3) == 0 && head[3] >= '1' && head[3] <= '9')
    return 100000 + (uint64_t)(head[3] - '0') * 400000;
  return KRAIT_EXTRACT_UNKNOWN_MEMORY;
}

uint64_t krait_extract_memory_need(const char *archive_path) {
  uint64_t dec = KRAIT_EXTRACT_UNKNOWN_MEMORY;
  switch (krait_archive_kind_of(archive_path)) {
  case KRAIT_ARCHIVE_CONDA:
    dec = conda_need(archive_path);
    break;
  case KRAIT_ARCHIVE_TAR_BZ2:
    dec = bz2_need(archive_path);
    break;
  case KRAIT_ARCHIVE_UNKNOWN:
    break;
  }
  return dec + KRAIT_EXTRACT_BASE_MEMORY;
}

/* ---- what the machine has ---- */

/* The first line of `path` as an unsigned number; "max" (cgroup v2's "no
 * limit") and anything unreadable give UINT64_MAX. */
static uint64_t read_number(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return UINT64_MAX;
  char line[64] = "";
  char *ok = fgets(line, sizeof line, f);
  fclose(f);
  char *end = NULL;
  unsigned long long v = ok ? strtoull(line, &end, 10) : 0;
  return ok && end != line && (*end == '\n' || *end == 0) ? (uint64_t)v : UINT64_MAX;
}

static uint64_t meminfo_available(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return UINT64_MAX;
  char line[256];
  uint64_t kb = UINT64_MAX;
  unsigned long long v;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &v) == 1) {
      kb = v;
      break;
    }
  fclose(f);
  return kb == UINT64_MAX ? kb : kb * 1024;
}

/* The value of `key` in a memory.stat file, or 0. */
static uint64_t stat_value(const char *dir, const char *key) {
  char *path = krait_path_join(dir, "memory.stat");
  FILE *f = fopen(path, "r");
  free(path);
  if (!f)
    return 0;
  char line[256];
  uint64_t v = 0;
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      v = strtoull(line + klen + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

/* Headroom of the tightest limit along dir and its ancestors up to root
 * (inclusive). Usage counts the page cache, of which the inactive file pages
 * are reclaimed before the limit bites (the kubelet's "working set" rule).
 * v1 reports "no limit" as a huge page-aligned number. */
static uint64_t cgroup_headroom(const char *root, const char *rel, const char *limit_file, const char *usage_file,
                                const char *inactive_key) {
  uint64_t best = UINT64_MAX;
  char *dir = krait_path_join(root, *rel == '/' ? rel + 1 : rel);
  size_t root_len = strlen(root);
  for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
    dir[n - 1] = 0;
  for (;;) {
    char *lim_path = krait_path_join(dir, limit_file), *use_path = krait_path_join(dir, usage_file);
    uint64_t limit = read_number(lim_path), usage = read_number(use_path);
    free(lim_path);
    free(use_path);
    if (limit < ((uint64_t)1 << 60)) {
      uint64_t inactive = usage == UINT64_MAX ? 0 : stat_value(dir, inactive_key);
      usage = inactive < usage ? usage - inactive : usage;
      uint64_t room = usage == UINT64_MAX ? limit : usage < limit ? limit - usage : 0;
      best = room < best ? room : best;
    }
    char *slash = strrchr(dir, '/');
    if (strlen(dir) <= root_len || !slash || (size_t)(slash - dir) < root_len)
      break;
    *slash = 0;
  }
  free(dir);
  return best;
}

/* True when the comma-separated controller list has "memory". */
static bool lists_memory(const char *controllers, size_t n) {
  for (const char *p = controllers, *end = controllers + n; p < end;) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
    if (len == 6 && strncmp(p, "memory", 6) == 0)
      return true;
    p += len + 1;
  }
  return false;
}

static uint64_t cgroups_headroom(const char *self_cgroup, const char *root) {
  FILE *f = fopen(self_cgroup, "r");
  if (!f)
    return UINT64_MAX;
  uint64_t best = UINT64_MAX;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    /* hierarchy-ID:controller-list:cgroup-path */
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    uint64_t room = UINT64_MAX;
    if (c2 == c1 + 1 && strncmp(line, "0:", 2) == 0) { /* v2 */
      char *v2root = krait_path_join(root, "unified"); /* hybrid layout: v2 mounted under unified/ */
      const char *base = krait_path_exists(v2root) ? v2root : root;
      room = cgroup_headroom(base, c2 + 1, "memory.max", "memory.current", "inactive_file");
      free(v2root);
    } else if (lists_memory(c1 + 1, (size_t)(c2 - c1 - 1))) { /* v1 */
      char *mroot = krait_path_join(root, "memory");
      const char *rel = c2[1] == '/' ? c2 + 2 : c2 + 1;
      char *own = krait_path_join(mroot, rel);
      /* in a container the hierarchy is often mounted at the process's own
       * cgroup, so its path does not exist below the mount point */
      room = cgroup_headroom(mroot, krait_path_exists(own) ? rel : "", "memory.limit_in_bytes",
                             "memory.usage_in_bytes", "total_inactive_file");
      free(own);
      free(mroot);
    }
    best = room < best ? room : best;
  }
  fclose(f);
  return best;
}

uint64_t krait_memory_available(const krait_mem_sources *src) {
  krait_mem_sources dflt = {0};
  if (!src)
    src = &dflt;
  uint64_t avail = meminfo_available(src->meminfo ? src->meminfo : "/proc/meminfo");
  uint64_t room = cgroups_headroom(src->self_cgroup ? src->self_cgroup : "/proc/self/cgroup",
                                   src->cgroup_root ? src->cgroup_root : "/sys/fs/cgroup");
  uint64_t best = room < avail ? room : avail;
  if (best == UINT64_MAX)
    return 0;
  return best ? best : 1; /* an exhausted limit is not "unknown" */
}

/* ---- the shared budget ---- */

void krait_extract_budget_init_limit(krait_extract_budget *b, uint64_t limit) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  b->limited = limit > 0;
  b->limit = limit;
}

void krait_extract_budget_init(krait_extract_budget *b, const krait_ctx *ctx, const krait_mem_sources *src) {
  if (ctx && ctx->extract_threads > 0) {
    krait_extract_budget_init_limit(b, 0);
    krait_debug(ctx, "extraction: %d threads as configured (extract_threads), no memory budget", ctx->extract_threads);
    return;
  }
  uint64_t avail = krait_memory_available(src);
  krait_extract_budget_init_limit(b, avail > 1 ? avail / 2 : avail);
  if (avail)
    krait_debug(ctx, "extraction: memory budget %" PRIu64 " MiB (half of the %" PRIu64 " MiB available)",
                (avail / 2) >> 20, avail >> 20);
  else
    krait_debug(ctx, "extraction: available memory unknown, no memory budget");
}

void krait_extract_budget_destroy(krait_extract_budget *b) {
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
}

static bool fits(const krait_extract_budget *b, uint64_t need) {
  return !b->limited || b->running == 0 || (need <= b->limit && b->in_use <= b->limit - need);
}

static void take_locked(krait_extract_budget *b, uint64_t need) {
  b->in_use += need;
  b->running++;
}

bool krait_extract_budget_try_take(krait_extract_budget *b, uint64_t need) {
  pthread_mutex_lock(&b->mu);
  bool ok = fits(b, need);
  if (ok)
    take_locked(b, need);
  pthread_mutex_unlock(&b->mu);
  return ok;
}

void krait_extract_budget_take(krait_extract_budget *b, uint64_t need) {
  pthread_mutex_lock(&b->mu);
  while (!fits(b, need))
    pthread_cond_wait(&b->cv, &b->mu);
  take_locked(b, need);
  pthread_mutex_unlock(&b->mu);
}

void krait_extract_budget_give(krait_extract_budget *b, uint64_t need) {
  pthread_mutex_lock(&b->mu);
  b->in_use -= need;
  b->running--;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}
