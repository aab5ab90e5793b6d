/* krait/extract.h: real archives compared with bsdtar/cph extraction, hostile
 * archives refused without leaving anything, tolerance cases, atomicity and
 * the parallel entry point. */
#include <sys/sysmacros.h>

#include "harness.h"
#include "archive_fixtures.h"

#include <string.h>

#include "krait/extract.h"

static char *g_tmp;

/* Reference extraction with stock tools: bsdtar for .tar.bz2; for .conda
 * bsdtar unpacks the zip, then each inner tar.zst. */
static bool reference_extract(const char *archive, const char *dest) {
  char *cmd;
  krait_mkdir_p(dest, 0755, NULL);
  if (krait_archive_kind_of(archive) == KRAIT_ARCHIVE_TAR_BZ2) {
    cmd = krait_asprintf("bsdtar -xpf '%s' -C '%s' 2>/dev/null", archive, dest);
  } else {
    cmd = krait_asprintf("z=$(mktemp -d) && bsdtar -xf '%s' -C \"$z\" && "
                         "for t in $(find \"$z\" -name '*.tar.zst'); do bsdtar -xpf \"$t\" -C '%s' || exit 1; done;"
                         " rc=$?; rm -rf \"$z\"; exit $rc",
                         archive, dest);
  }
  bool ok = ax_run(cmd) == 0;
  free(cmd);
  return ok;
}

static void compare_with_reference(const char *archive) {
  const char *base = krait_path_basename(archive);
  char *mine = krait_asprintf("%s/mine/%s", g_tmp, base);
  char *ref = krait_asprintf("%s/ref/%s", g_tmp, base);
  krait_err err;
  krait_code rc = krait_extract(NULL, archive, mine, &err);
  CHECK(rc == KRAIT_OK, "%s: %s", base, err.msg);
  if (rc == KRAIT_OK && reference_extract(archive, ref)) {
    krait_strv a = KRAIT_STRV_INIT, b = KRAIT_STRV_INIT;
    ax_manifest(mine, &a);
    ax_manifest(ref, &b);
    long d = ax_manifest_diff(&a, &b);
    CHECK(d < 0 && a.len > 0, "%s: trees differ at line %ld: krait '%s' vs bsdtar '%s'", base, d,
          d >= 0 && (size_t)d < a.len ? a.items[d] : "(end)", d >= 0 && (size_t)d < b.len ? b.items[d] : "(end)");
    krait_strv_free(&a);
    krait_strv_free(&b);
  }
  free(mine);
  free(ref);
}

static const char *const real_archives[] = {
    "packages/real/mock-2.0.0-py37_1000.conda",
    "packages/real/mock-2.0.0-py37_1000.tar.bz2",
    "packages/real/xtensor-io-0.10.3-hb585cf6_0.tar.bz2",
    "packages/real/conda-forge-repodata-patches-20180828-0.tar.bz2",
    "packages/edge-cases/cph_test_data-0.0.1-0.tar.bz2",
    "packages/edge-cases/pkg_with_unicode.conda",
    "packages/edge-cases/pkg_with_unicode.tar.bz2",
    "packages/edge-cases/ca-certificates-2024.7.4-hbcca054_0.conda",
    "packages/edge-cases/rattler-sparse/dotslash-test-1.0.0-0.conda",
    "packages/edge-cases/rattler-sparse/info-only-1.0.0-0.conda",
    "packages/edge-cases/rattler-sparse/sparse-test-1.0.0-0.conda",
    "packages/edge-cases/rattler-sparse/symlink-test-1.0.0-0.conda",
    "packages/edge-cases/rattler-sparse/zip64-test-1.0.0-0.conda",
    "packages/conda-build-test-archives/conda-index-pkg-a-1.0-py27h5e241af_0.conda",
    "packages/conda-build-test-archives/nano-2.4.1-0.tar.bz2",
    "packages/rattler-clobber/clobber-with-symlink-a-0.1.0-h4616a5c_0.conda",
    "channels/conda-format-repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2",
    "channels/conda-format-repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2",
};

static void test_real_archives(void) {
  size_t found = 0;
  for (size_t i = 0; i < sizeof real_archives / sizeof *real_archives; i++) {
    char *p = krait_test_shared(real_archives[i]);
    if (!p)
      continue;
    found++;
    compare_with_reference(p);
    free(p);
  }
  CHECK(found > 0, "no shared archives found");
}

static void test_specific_real_layouts(void) {
  krait_err err;
  /* members under Users/.../ in the zip; ssl/cert.pem -> cacert.pem kept as a symlink */
  char *ca = krait_test_shared("packages/edge-cases/ca-certificates-2024.7.4-hbcca054_0.conda");
  if (ca) {
    char *d = krait_asprintf("%s/ca", g_tmp);
    CHECK(krait_extract(NULL, ca, d, &err) == KRAIT_OK, "%s", err.msg);
    char *link = krait_asprintf("%s/ssl/cert.pem", d), t[64] = "";
    ssize_t n = readlink(link, t, sizeof t - 1);
    t[n > 0 ? n : 0] = 0;
    CHECK_STR(t, "cacert.pem");
    char *idx = krait_asprintf("%s/info/index.json", d);
    CHECK(krait_path_exists(idx), "info/index.json missing");
    free(idx);
    free(link);
    free(d);
    free(ca);
  }
  /* symlinks with an empty target (Anaconda's zlib .conda): never dropped
   * silently; the archive is refused naming the entry, and nothing is left */
  const char *zlibs[] = {"channels/conda-format-repo/linux-64/zlib-1.2.11-h7b6447c_3.conda",
                         "channels/conda-format-repo/osx-64/zlib-1.2.11-h1de35cc_3.conda"};
  for (size_t i = 0; i < sizeof zlibs / sizeof *zlibs; i++) {
    char *z = krait_test_shared(zlibs[i]);
    if (!z)
      continue;
    char *d = krait_asprintf("%s/zlib%zu", g_tmp, i);
    krait_code rc = krait_extract(NULL, z, d, &err);
    CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "symlink with an empty target") && strstr(err.msg, "lib/libz"),
          "%s: rc %d: %s", zlibs[i], rc, err.msg);
    CHECK(!krait_path_exists(d), "a refused archive left %s", d);
    free(d);
    free(z);
  }
  /* info-only */
  char *io = krait_test_shared("packages/edge-cases/rattler-sparse/info-only-1.0.0-0.conda");
  if (io) {
    char *d = krait_asprintf("%s/info-only", g_tmp);
    CHECK(krait_extract(NULL, io, d, &err) == KRAIT_OK, "%s", err.msg);
    krait_strv m = KRAIT_STRV_INIT;
    ax_manifest(d, &m);
    CHECK(m.len >= 2 && strncmp(m.items[0], "info d", 6) == 0, "info-only tree: %zu entries", m.len);
    krait_strv_free(&m);
    free(d);
    free(io);
  }
  /* a sparse file keeps its full size and contents */
  char *sp = krait_test_shared("packages/edge-cases/rattler-sparse/sparse-test-1.0.0-0.conda");
  if (sp) {
    char *d = krait_asprintf("%s/sparse", g_tmp);
    CHECK(krait_extract(NULL, sp, d, &err) == KRAIT_OK, "%s", err.msg);
    char *blob = krait_asprintf("%s/lib/blob.bin", d);
    struct stat sb;
    CHECK(stat(blob, &sb) == 0 && sb.st_size == 150000, "blob.bin size %lld", (long long)sb.st_size);
    free(blob);
    free(d);
    free(sp);
  }
}

typedef struct bad_case {
  const char *what;
  ax_entry entries[3];
  size_t n;
  krait_code want;
  const char *msg_part;   /* must appear in the error */
  const char *escape_rel; /* a path relative to the archive's parent that must not appear */
} bad_case;

static const bad_case bad_cases[] = {
    {"dotdot file", {{"../evil.txt", 'f', "x", 0, 0}}, 1, KRAIT_E_UNSAFE, "'../evil.txt'", "evil.txt"},
    {"nested dotdot", {{"a/../../evil2.txt", 'f', "x", 0, 0}}, 1, KRAIT_E_UNSAFE, "escapes", "evil2.txt"},
    {"absolute path", {{"/tmp/krait-evil-abs.txt", 'f', "x", 0, 0}}, 1, KRAIT_E_UNSAFE, "krait-evil-abs.txt", NULL},
    {"escaping symlink", {{"lnk", 'l', "../outside", 0, 0}}, 1, KRAIT_E_UNSAFE, "'lnk'", NULL},
    {"absolute symlink", {{"etc/pw", 'l', "/etc/passwd", 0, 0}}, 1, KRAIT_E_UNSAFE, "'etc/pw'", NULL},
    {"symlink escaping through another symlink",
     {{"sub/evil", 'l', "d/../..", 0, 0}, {"sub/d", 'l', "..", 0, 0}, {"sub/f", 'f', "x", 0, 0}},
     3,
     KRAIT_E_UNSAFE,
     "sub/evil",
     NULL},
    {"hard link outside", {{"h", 'h', "../../etc/passwd", 0, 0}}, 1, KRAIT_E_UNSAFE, "'h'", NULL},
    {"hard link through a symlink",
     {{"d", 'l', ".", 0, 0}, {"f", 'f', "x", 0, 0}, {"h", 'h', "d/f", 0, 0}},
     3,
     KRAIT_E_UNSAFE,
     "'h'",
     NULL},
    {"write through an in-tree symlink",
     {{"sub/keep", 'f', "k", 0, 0}, {"d", 'l', "sub", 0, 0}, {"d/x", 'f', "x", 0, 0}},
     3,
     KRAIT_E_UNSAFE,
     "through the symlink 'd'",
     NULL},
    {"write through a symlink to the parent",
     {{"sub/up", 'l', "..", 0, 0}, {"sub/up/sub/up/z", 'f', "x", 0, 0}},
     2,
     KRAIT_E_UNSAFE,
     "sub/up",
     NULL},
    {"read-only directory, then an escape",
     {{"ro", 'd', NULL, 0555, 0}, {"ro/f", 'f', "x", 0, 0}, {"../evil3.txt", 'f', "x", 0, 0}},
     3,
     KRAIT_E_UNSAFE,
     "evil3.txt",
     "evil3.txt"},
    {"char device", {{"dev/null", 'c', NULL, 0, 0}}, 1, KRAIT_E_UNSAFE, "device", NULL},
    {"fifo", {{"fifo", 'p', NULL, 0, 0}}, 1, KRAIT_E_UNSAFE, "FIFO", NULL},
};

static void check_nothing_left(const char *parent, const char *dest_name, const char *what) {
  char *mark = krait_asprintf("%s.krait-partial-", dest_name);
  CHECK(ax_count_named(parent, mark) == 0, "%s: partial dir left behind", what);
  free(mark);
  char *dest = krait_path_join(parent, dest_name);
  CHECK(!krait_path_exists(dest), "%s: destination created", what);
  free(dest);
}

static void test_hostile(void) {
  char *info_dir = krait_asprintf("%s/hostile", g_tmp);
  krait_mkdir_p(info_dir, 0755, NULL);
  static const ax_entry info[] = {{"info/index.json", 'f', "{\"name\":\"x\",\"version\":\"1\",\"build\":\"0\"}", 0, 0}};
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const bad_case *c = &bad_cases[i];
    for (int fmt = 0; fmt < 2; fmt++) {
      char *case_dir = krait_asprintf("%s/c%zu-%d", info_dir, i, fmt);
      char *inner = krait_asprintf("%s/x", case_dir); /* escapes from x/ land in case_dir */
      krait_mkdir_p(case_dir, 0755, NULL);
      char *archive = krait_asprintf("%s/x-1-0.%s", case_dir, fmt ? "conda" : "tar.bz2");
      if (fmt)
        ax_make_conda(archive, "x-1-0", NULL, info, 1, c->entries, c->n);
      else
        ax_make_tarbz2(archive, c->entries, c->n);
      krait_err err = {0};
      krait_code rc = krait_extract(NULL, archive, inner, &err);
      CHECK(rc == c->want, "%s (%s): got %s: %s", c->what, fmt ? "conda" : "tar.bz2", krait_code_name(rc), err.msg);
      CHECK(strstr(err.msg, c->msg_part) && strstr(err.msg, "x-1-0."), "%s: message '%s' lacks '%s'", c->what,
            err.msg, c->msg_part);
      check_nothing_left(case_dir, "x", c->what);
      if (c->escape_rel) {
        char *esc = krait_path_join(case_dir, c->escape_rel);
        CHECK(!krait_path_exists(esc), "%s: %s was written", c->what, esc);
        free(esc);
      }
      free(archive);
      free(inner);
      free(case_dir);
    }
  }
  CHECK(!krait_path_exists("/tmp/krait-evil-abs.txt"), "absolute path written");
  free(info_dir);
}

static void test_bomb_cap(void) {
  char *dir = krait_asprintf("%s/bomb", g_tmp);
  krait_mkdir_p(dir, 0755, NULL);
  char *archive = krait_asprintf("%s/bomb-1-0.tar.bz2", dir);
  ax_entry es[] = {{"info/index.json", 'f', "{}", 0, 0}, {"big.bin", 'f', NULL, 0, 8 << 20}};
  ax_make_tarbz2(archive, es, 2);
  char *dest = krait_asprintf("%s/out", dir);
  krait_extract_opts opts = {.max_bytes = 1 << 20, .no_sync = true};
  krait_err err = {0};
  krait_code rc = krait_extract_ex(NULL, archive, dest, &opts, &err);
  CHECK(rc == KRAIT_E_UNSAFE && strstr(err.msg, "big.bin") && strstr(err.msg, "limit"), "bomb: %s %s",
        krait_code_name(rc), err.msg);
  check_nothing_left(dir, "out", "bomb");
  opts.max_bytes = 0; /* default limit: fine */
  rc = krait_extract_ex(NULL, archive, dest, &opts, &err);
  CHECK(rc == KRAIT_OK, "bomb under default cap: %s", err.msg);
  opts.max_entries = 1;
  char *dest2 = krait_asprintf("%s/out2", dir);
  rc = krait_extract_ex(NULL, archive, dest2, &opts, &err);
  CHECK(rc == KRAIT_E_UNSAFE && strstr(err.msg, "entries"), "entry cap: %s", err.msg);
  free(dest2);
  free(dest);
  free(archive);
  free(dir);
}

static void test_tolerance_and_metadata(void) {
  char *dir = krait_asprintf("%s/tol", g_tmp);
  krait_mkdir_p(dir, 0755, NULL);
  static const ax_entry info[] = {{"./info/index.json", 'f', "{\"name\":\"t\"}", 0, 0}};
  static const ax_entry pkg[] = {
      {"./bin/tool", 'f', "#!/bin/sh\necho hi\n", 0755, 0},
      {"./lib/libt.so.1", 'f', "ELF", 0644, 0},
      {"./lib/libt.so", 'l', "libt.so.1", 0, 0},
      {"./lib/libt.so.hard", 'h', "./lib/libt.so.1", 0, 0},
      {"./share/dangling", 'l', "nothere", 0, 0},
      {"./share/up", 'l', "../lib", 0, 0},
      {"./share/λ-ünïcode", 'f', "u", 0, 0},
      {"./bin/setuid", 'f', "s", 04755, 0},
      {"./share/swap", 'l', "../lib", 0, 0},
      {"./share/swap", 'd', NULL, 0755, 0}, /* a later entry replaces a symlink */
      {"./share/swap/inner.txt", 'f', "in", 0, 0},
  };
  for (int sub = 0; sub < 2; sub++) {
    char *archive = krait_asprintf("%s/t-1-%d.conda", dir, sub);
    ax_make_conda(archive, "t-1-0", sub ? "some/sub dir" : NULL, info, 1, pkg, sizeof pkg / sizeof *pkg);
    char *dest = krait_asprintf("%s/t%d", dir, sub);
    krait_err err = {0};
    CHECK(krait_extract(NULL, archive, dest, &err) == KRAIT_OK, "tolerance (sub=%d): %s", sub, err.msg);
    struct stat sb;
    char *p = krait_asprintf("%s/bin/tool", dest);
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0755 && sb.st_mtime == 1234567890, "bin/tool mode %o mtime %lld",
          (unsigned)sb.st_mode, (long long)sb.st_mtime);
    free(p);
    p = krait_asprintf("%s/bin/setuid", dest);
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0755, "setuid bit must be dropped: %o", (unsigned)sb.st_mode);
    free(p);
    p = krait_asprintf("%s/lib/libt.so", dest);
    char t[64] = "";
    ssize_t n = readlink(p, t, sizeof t - 1);
    t[n > 0 ? n : 0] = 0;
    CHECK_STR(t, "libt.so.1");
    free(p);
    struct stat a, b;
    char *p1 = krait_asprintf("%s/lib/libt.so.1", dest), *p2 = krait_asprintf("%s/lib/libt.so.hard", dest);
    CHECK(stat(p1, &a) == 0 && stat(p2, &b) == 0 && a.st_ino == b.st_ino, "hard link not preserved");
    free(p1);
    free(p2);
    p = krait_asprintf("%s/share/λ-ünïcode", dest);
    CHECK(krait_path_exists(p), "unicode name missing");
    free(p);
    p = krait_asprintf("%s/share/swap/inner.txt", dest);
    char *through = krait_asprintf("%s/lib/inner.txt", dest);
    CHECK(krait_path_exists(p) && !krait_path_exists(through), "replaced symlink was written through");
    free(through);
    free(p);
    p = krait_asprintf("%s/share/dangling", dest);
    CHECK(krait_path_exists(p), "dangling in-tree symlink should be kept");
    free(p);
    free(dest);
    free(archive);
  }
  /* an empty symlink target is never dropped silently, in either format */
  static const ax_entry empty_link[] = {{"./share/ok.txt", 'f', "ok", 0644, 0}, {"./share/empty", 'l', "", 0, 0}};
  for (int fmt = 0; fmt < 2; fmt++) {
    char *archive = krait_asprintf("%s/e-1-0%s", dir, fmt ? ".tar.bz2" : ".conda");
    if (fmt) {
      ax_entry all[] = {info[0], empty_link[0], empty_link[1]};
      ax_make_tarbz2(archive, all, 3);
    } else {
      ax_make_conda(archive, "e-1-0", NULL, info, 1, empty_link, 2);
    }
    char *dest = krait_asprintf("%s/e%d", dir, fmt);
    krait_err err = {0};
    krait_code rc = krait_extract(NULL, archive, dest, &err);
    CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "'share/empty'") && strstr(err.msg, "empty target"),
          "empty symlink target (%s): rc %d: %s", fmt ? "tar.bz2" : "conda", rc, err.msg);
    CHECK(!krait_path_exists(dest), "a refused archive left %s", dest);
    free(dest);
    free(archive);
  }
  free(dir);
}

static void test_atomicity(void) {
  char *src = krait_test_shared("packages/real/mock-2.0.0-py37_1000.tar.bz2");
  char *dir = krait_asprintf("%s/atomic", g_tmp);
  krait_mkdir_p(dir, 0755, NULL);
  char *archive = src ? src : krait_asprintf("%s/a-1-0.tar.bz2", dir);
  if (!src) {
    ax_entry es[] = {{"info/index.json", 'f', "{}", 0, 0}, {"f", 'f', "data", 0, 0}};
    ax_make_tarbz2(archive, es, 2);
  }
  /* a partial dir from a "crashed" run is ignored and does not block */
  char *dest = krait_asprintf("%s/pkg", dir);
  char *stale = krait_asprintf("%s/pkg.krait-partial-CRASH1", dir);
  krait_mkdir_p(stale, 0755, NULL);
  char *junk = krait_asprintf("%s/half-written", stale);
  ax_write_file(junk, "x", 0644);
  krait_err err = {0};
  CHECK(krait_extract(NULL, archive, dest, &err) == KRAIT_OK, "extract beside stale partial: %s", err.msg);
  char *info = krait_asprintf("%s/info", dest);
  CHECK(krait_is_dir(info), "extracted tree incomplete");
  char *half = krait_asprintf("%s/half-written", dest);
  CHECK(!krait_path_exists(half), "stale partial content leaked into the entry");
  /* existing non-empty dest: refused without replace, swapped with it */
  krait_code rc = krait_extract(NULL, archive, dest, &err);
  CHECK(rc == KRAIT_E_INVALID && strstr(err.msg, "not empty"), "existing dest: %s", err.msg);
  char *marker = krait_asprintf("%s/marker", dest);
  ax_write_file(marker, "m", 0644);
  krait_extract_opts opts = {.replace = true};
  CHECK(krait_extract_ex(NULL, archive, dest, &opts, &err) == KRAIT_OK, "replace: %s", err.msg);
  CHECK(!krait_path_exists(marker) && krait_is_dir(info), "replace did not swap the tree");
  /* only the stale partial (cleaned by the cache, see test_cache) remains beside */
  CHECK(ax_count_named(dir, ".krait-partial-") == 1, "unexpected partial dirs");
  CHECK(ax_count_named(dir, ".krait-old-") == 0, "old tree left behind");
  /* an empty existing directory is filled */
  char *empty = krait_asprintf("%s/empty", dir);
  krait_mkdir_p(empty, 0755, NULL);
  CHECK(krait_extract(NULL, archive, empty, &err) == KRAIT_OK, "empty dest: %s", err.msg);
  /* a truncated archive fails and leaves nothing */
  char *trunc = krait_asprintf("%s/trunc-1-0.tar.bz2", dir);
  krait_buf b = KRAIT_BUF_INIT;
  krait_read_file(archive, &b, NULL);
  krait_write_file_atomic(trunc, b.data, b.len / 2, 0644, NULL);
  krait_buf_free(&b);
  char *tr = krait_path_join(dir, "tr");
  rc = krait_extract(NULL, trunc, tr, &err);
  free(tr);
  CHECK(rc != KRAIT_OK && strstr(err.msg, "trunc-1-0.tar.bz2"), "truncated archive: %s %s", krait_code_name(rc),
        err.msg);
  CHECK(ax_count_named(dir, "tr.krait-partial-") == 0, "truncated: partial left");
  rc = krait_extract(NULL, "/nonexistent/x-1-0.conda", dest, &err);
  CHECK(rc == KRAIT_E_NOTFOUND, "missing archive: %s", krait_code_name(rc));
  rc = krait_extract(NULL, archive, "", &err);
  CHECK(rc != KRAIT_OK, "empty dest accepted");
  rc = krait_extract(NULL, "/etc/passwd", dest, &err);
  CHECK(rc == KRAIT_E_INVALID, "not a package: %s", krait_code_name(rc));
  free(trunc);
  free(empty);
  free(marker);
  free(half);
  free(info);
  free(junk);
  free(stale);
  free(dest);
  free(archive);
  free(dir);
}

static int g_progress_calls;
static void on_progress(void *user, const char *task, const char *item, double done, double total) {
  (void)user;
  (void)item;
  (void)done;
  if (strcmp(task, "extract") == 0 && total > 0)
    __atomic_add_fetch(&g_progress_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_many(void) {
  char *dir = krait_asprintf("%s/many", g_tmp);
  krait_mkdir_p(dir, 0755, NULL);
  enum { N = 12 };
  krait_extract_job jobs[N];
  char *archives[N], *dests[N];
  for (int i = 0; i < N; i++) {
    archives[i] = krait_asprintf("%s/p%d-1-0.%s", dir, i, i % 2 ? "conda" : "tar.bz2");
    char content[32];
    snprintf(content, sizeof content, "payload %d", i);
    ax_entry info[] = {{"info/index.json", 'f', "{}", 0, 0}};
    ax_entry pkg[] = {{"share/file.txt", 'f', content, 0, 0}};
    if (i == 7)
      pkg[0].path = "../escape.txt"; /* one bad job must not stop the others */
    if (i % 2)
      ax_make_conda(archives[i], "p-1-0", NULL, info, 1, pkg, 1);
    else {
      ax_entry all[] = {info[0], pkg[0]};
      ax_make_tarbz2(archives[i], all, 2);
    }
    dests[i] = krait_asprintf("%s/out/p%d", dir, i);
    jobs[i] = (krait_extract_job){.archive_path = archives[i], .dest_dir = dests[i]};
  }
  krait_ctx *ctx = krait_ctx_new();
  ctx->extract_threads = 3;
  ctx->on_progress = on_progress;
  krait_err err = {0};
  krait_code rc = krait_extract_many(ctx, jobs, N, NULL, &err);
  CHECK(rc == KRAIT_E_UNSAFE && strstr(err.msg, "p7-1-0.conda"), "many: %s %s", krait_code_name(rc), err.msg);
  CHECK(g_progress_calls == N, "progress calls %d", g_progress_calls);
  for (int i = 0; i < N; i++) {
    char *f = krait_asprintf("%s/share/file.txt", dests[i]);
    krait_buf b = KRAIT_BUF_INIT;
    if (i == 7) {
      CHECK(jobs[i].code == KRAIT_E_UNSAFE, "job 7 should fail");
    } else {
      CHECK(jobs[i].code == KRAIT_OK && krait_read_file(f, &b, NULL) == KRAIT_OK, "job %d: %s", i, jobs[i].err.msg);
      char want[32];
      snprintf(want, sizeof want, "payload %d", i);
      CHECK_STR(krait_buf_str(&b), want);
    }
    krait_buf_free(&b);
    free(f);
    free(archives[i]);
    free(dests[i]);
  }
  krait_ctx_free(ctx);
  free(dir);
}

static void test_cph_created(void) {
  if (!krait_test_need_tool("cph"))
    return;
  char *dir = krait_asprintf("%s/cph", g_tmp);
  char *src = krait_asprintf("%s/src", dir);
  char *p = krait_asprintf("%s/info/index.json", src);
  ax_write_file(p, "{\"name\": \"made\", \"version\": \"1.0\", \"build\": \"0\", \"build_number\": 0}", 0644);
  free(p);
  p = krait_asprintf("%s/bin/run.sh", src);
  ax_write_file(p, "#!/bin/sh\nexit 0\n", 0755);
  free(p);
  p = krait_asprintf("%s/lib/libm.so.2", src);
  ax_write_file(p, "lib", 0644);
  free(p);
  p = krait_asprintf("%s/lib/libm.so", src);
  CHECK(symlink("libm.so.2", p) == 0, "symlink");
  free(p);
  const char *exts[] = {".conda", ".tar.bz2"};
  for (int i = 0; i < 2; i++) {
    char *cmd = krait_asprintf("cd '%s' && cph create src made-1.0-0%s >/dev/null 2>&1", dir, exts[i]);
    CHECK(ax_run(cmd) == 0, "cph create %s", exts[i]);
    free(cmd);
    char *archive = krait_asprintf("%s/made-1.0-0%s", dir, exts[i]);
    char *mine = krait_asprintf("%s/mine%d", dir, i), *theirs = krait_asprintf("%s/theirs%d", dir, i);
    krait_err err = {0};
    CHECK(krait_extract(NULL, archive, mine, &err) == KRAIT_OK, "%s", err.msg);
    cmd = krait_asprintf("cph x --dest '%s' '%s' >/dev/null 2>&1", theirs, archive);
    CHECK(ax_run(cmd) == 0, "cph x %s", exts[i]);
    free(cmd);
    krait_strv a = KRAIT_STRV_INIT, b = KRAIT_STRV_INIT, s = KRAIT_STRV_INIT;
    ax_manifest(mine, &a);
    ax_manifest(theirs, &b);
    ax_manifest(src, &s);
    long d = ax_manifest_diff(&a, &b);
    CHECK(d < 0, "cph %s: krait '%s' vs cph '%s'", exts[i], d >= 0 && (size_t)d < a.len ? a.items[d] : "-",
          d >= 0 && (size_t)d < b.len ? b.items[d] : "-");
    d = ax_manifest_diff(&a, &s);
    CHECK(d < 0, "cph %s: krait '%s' vs source '%s'", exts[i], d >= 0 && (size_t)d < a.len ? a.items[d] : "-",
          d >= 0 && (size_t)d < s.len ? s.items[d] : "-");
    krait_strv_free(&a);
    krait_strv_free(&b);
    krait_strv_free(&s);
    free(mine);
    free(theirs);
    free(archive);
  }
  free(src);
  free(dir);
}

int main(void) {
  g_tmp = ax_tmpdir("extract");
  CHECK(krait_archive_kind_of("a-1-0.conda") == KRAIT_ARCHIVE_CONDA, "kind conda");
  CHECK(krait_archive_kind_of("a-1-0.tar.bz2") == KRAIT_ARCHIVE_TAR_BZ2, "kind tar.bz2");
  CHECK(krait_archive_kind_of("a.zip") == KRAIT_ARCHIVE_UNKNOWN, "kind other");
  CHECK(krait_thread_count(3) == 3 && krait_thread_count(0) >= 1, "thread count");
  test_hostile();
  test_bomb_cap();
  test_tolerance_and_metadata();
  test_atomicity();
  test_many();
  test_cph_created();
  char *shared = krait_test_shared("packages");
  if (shared) {
    free(shared);
    test_real_archives();
    test_specific_real_layouts();
  } else {
    krait_test_missing("shared data (KRAIT_SHARED_DIR/data/packages) absent: real-archive comparisons");
  }
  krait_rm_rf(g_tmp, NULL);
  free(g_tmp);
  return krait_test_finish("extract");
}
