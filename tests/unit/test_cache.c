/* krait/cache.h: lookup across pkgs dirs, fetch (file:// and a downloader
 * callback) + verify + extract, repodata_record.json, refusal of bad
 * digests/hostile packages without leftovers, locks, crash leftovers. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "harness.h"
#include "archive_fixtures.h"

#include <string.h>

#include "krait/cache.h"
#include "krait/extract.h"
#include "krait/json.h"
#include "krait/lock.h"

static char *g_tmp, *g_chan;

/* A package source tree; built with `cph create` when available (real
 * conda-package-handling archives), else with libarchive's writers. */
static void build_package(const char *name, const char *version, const char *build, const char *ext,
                          const char *index_extra) {
  char *src = krait_asprintf("%s/src-%s", g_tmp, name);
  char *p = krait_asprintf("%s/info/index.json", src);
  char *index = krait_asprintf("{\"name\": \"%s\", \"version\": \"%s\", \"build\": \"%s\", \"build_number\": 0, "
                               "\"depends\": [\"from-index\"], \"license\": \"MIT\", \"subdir\": \"noarch\"%s}",
                               name, version, build, index_extra);
  ax_write_file(p, index, 0644);
  free(p);
  p = krait_asprintf("%s/info/paths.json", src);
  ax_write_file(p, "{\"paths\": [], \"paths_version\": 1}", 0644);
  free(p);
  p = krait_asprintf("%s/bin/%s", src, name);
  ax_write_file(p, "#!/bin/sh\necho ok\n", 0755);
  free(p);
  p = krait_asprintf("%s/lib/lib%s.so.1", src, name);
  ax_write_file(p, "library", 0644);
  free(p);
  p = krait_asprintf("%s/lib/lib%s.so", src, name);
  char *t = krait_asprintf("lib%s.so.1", name);
  symlink(t, p);
  free(t);
  free(p);
  char *fn = krait_asprintf("%s-%s-%s%s", name, version, build, ext);
  bool built = false;
  if (krait_test_need_tool("cph")) { /* else the libarchive fallback below, but CI must have cph */
    char *cmd = krait_asprintf("cd '%s' && cph create '%s' '%s' --out-folder '%s' >/dev/null 2>&1", g_tmp, src, fn,
                               g_chan);
    built = ax_run(cmd) == 0;
    free(cmd);
  }
  if (!built) {
    char *out = krait_path_join(g_chan, fn);
    char *binp = krait_asprintf("bin/%s", name), *libp = krait_asprintf("lib/lib%s.so.1", name);
    char *lnk = krait_asprintf("lib/lib%s.so", name), *tgt = krait_asprintf("lib%s.so.1", name);
    ax_entry info[] = {{"info/index.json", 'f', index, 0, 0}, {"info/paths.json", 'f', "{}", 0, 0}};
    ax_entry pkg[] = {{binp, 'f', "#!/bin/sh\necho ok\n", 0755, 0}, {libp, 'f', "library", 0, 0},
                      {lnk, 'l', tgt, 0, 0}};
    char *dist = krait_asprintf("%s-%s-%s", name, version, build);
    if (strcmp(ext, ".conda") == 0) {
      ax_make_conda(out, dist, NULL, info, 2, pkg, 3);
    } else {
      ax_entry all[] = {info[0], info[1], pkg[0], pkg[1], pkg[2]};
      ax_make_tarbz2(out, all, 5);
    }
    free(dist);
    free(binp);
    free(libp);
    free(lnk);
    free(tgt);
    free(out);
  }
  free(fn);
  free(index);
  free(src);
}

/* A repodata-style record for an archive in the test channel. */
static void make_record(krait_record *r, const char *name, const char *version, const char *build, const char *ext) {
  krait_record_init(r);
  r->name = krait_strdup(name);
  r->version = krait_strdup(version);
  r->build = krait_strdup(build);
  r->build_number = 0;
  r->fn = krait_asprintf("%s-%s-%s%s", name, version, build, ext);
  char *path = krait_path_join(g_chan, r->fn);
  r->url = krait_asprintf("file://%s", path);
  r->channel = krait_asprintf("file://%s", g_tmp);
  r->subdir = krait_strdup("noarch");
  char hex[65];
  if (krait_file_digest(path, "sha256", hex, sizeof hex, NULL) == KRAIT_OK)
    r->sha256 = krait_strdup(hex);
  if (krait_file_digest(path, "md5", hex, sizeof hex, NULL) == KRAIT_OK)
    r->md5 = krait_strdup(hex);
  struct stat sb;
  r->size = stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
  krait_strv_push(&r->depends, "from-repodata >=1");
  free(path);
}

static krait_ctx *new_ctx(const char *const *dirs, size_t n) {
  krait_ctx *ctx = krait_ctx_new();
  krait_strv_free(&ctx->pkgs_dirs);
  for (size_t i = 0; i < n; i++)
    krait_strv_push(&ctx->pkgs_dirs, dirs[i]);
  ctx->extract_threads = 2;
  ctx->lock_timeout_seconds = 5;
  ctx->use_lockfiles = true;
  ctx->offline = false;
  return ctx;
}

static int count_lines(const char *path) {
  krait_buf b = KRAIT_BUF_INIT;
  int n = 0;
  if (krait_read_file(path, &b, NULL) == KRAIT_OK)
    for (size_t i = 0; i < b.len; i++)
      n += b.data[i] == '\n';
  krait_buf_free(&b);
  return n;
}

static void test_prepare_and_record(void) {
  char *pkgs = krait_asprintf("%s/pkgs1", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  krait_record recs[2];
  make_record(&recs[0], "alpha", "1.0", "0", ".conda");
  make_record(&recs[1], "beta", "2.0", "1", ".tar.bz2");
  char *out[2];
  krait_err err = {0};
  krait_code rc = krait_cache_prepare(ctx, recs, 2, NULL, out, &err);
  CHECK(rc == KRAIT_OK, "prepare: %s", err.msg);
  if (rc) {
    krait_ctx_free(ctx);
    return;
  }
  char *want0 = krait_asprintf("%s/alpha-1.0-0", pkgs);
  CHECK_STR(out[0], want0);
  free(want0);
  /* the extracted tree and its repodata_record.json */
  char *p = krait_asprintf("%s/bin/alpha", out[0]);
  struct stat sb;
  CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0111), "bin/alpha missing or not executable");
  free(p);
  p = krait_asprintf("%s/info/repodata_record.json", out[0]);
  krait_json *rr = krait_json_parse_file(p, &err);
  CHECK(rr != NULL, "repodata_record.json: %s", err.msg);
  free(p);
  if (rr) {
    CHECK_STR(krait_json_get_str(rr, "sha256"), recs[0].sha256);
    CHECK_STR(krait_json_get_str(rr, "md5"), recs[0].md5);
    CHECK_STR(krait_json_get_str(rr, "url"), recs[0].url);
    CHECK_STR(krait_json_get_str(rr, "fn"), recs[0].fn);
    /* conda writes the channel with its subdir; no package_type for a plain package */
    char *chan_subdir = krait_asprintf("%s/%s", recs[0].channel, recs[0].subdir);
    CHECK_STR(krait_json_get_str(rr, "channel"), chan_subdir);
    free(chan_subdir);
    CHECK(!krait_json_get(rr, "package_type"), "package_type only for noarch packages");
    CHECK_STR(krait_json_get_str(rr, "license"), "MIT"); /* from index.json */
    int64_t size = 0;
    CHECK(krait_json_get_int(rr, "size", &size) && size == recs[0].size, "size %lld", (long long)size);
    const krait_json *deps = krait_json_get_array(rr, "depends");
    CHECK(deps && deps->len == 1 && strcmp(deps->child->string, "from-repodata >=1") == 0,
          "repodata depends must win over index.json");
    krait_json_free(rr);
  }
  /* the archives and urls.txt */
  for (int i = 0; i < 2; i++) {
    char *a = krait_path_join(pkgs, recs[i].fn);
    CHECK(krait_path_exists(a), "archive %s not in the cache", recs[i].fn);
    free(a);
  }
  char *urls = krait_path_join(pkgs, "urls.txt");
  CHECK(count_lines(urls) == 2, "urls.txt lines %d", count_lines(urls));
  /* entry locks do not pile up in the cache */
  CHECK(ax_count_named(pkgs, ".lock") == 0, "lock files left in the cache");

  /* find: extracted */
  krait_cache_hit hit;
  CHECK(krait_cache_find(ctx, &recs[1], &hit, &err) == KRAIT_OK && hit.state == KRAIT_CACHE_EXTRACTED,
        "find after prepare: state %d", hit.state);
  krait_cache_hit_free(&hit);

  /* reuse: no archive needed, repodata_record.json untouched, no new URL */
  char *rrp = krait_asprintf("%s/info/repodata_record.json", out[0]);
  struct stat before, after;
  stat(rrp, &before);
  for (int i = 0; i < 2; i++) {
    char *a = krait_path_join(pkgs, recs[i].fn);
    unlink(a);
    free(a);
    free(out[i]);
  }
  rc = krait_cache_prepare(ctx, recs, 2, NULL, out, &err);
  CHECK(rc == KRAIT_OK, "second prepare: %s", err.msg);
  stat(rrp, &after);
  CHECK(before.st_ino == after.st_ino && before.st_mtime == after.st_mtime, "entry was rewritten");
  CHECK(count_lines(urls) == 2, "reuse fetched again");
  for (int i = 0; i < 2; i++)
    free(out[i]);

  /* an entry whose repodata_record.json names another sha256 is not reused */
  krait_record other;
  krait_record_copy(&other, &recs[0]);
  free(other.sha256);
  other.sha256 = krait_strdup("00000000000000000000000000000000000000000000000000000000000000ff");
  CHECK(!krait_cache_entry_valid(pkgs, &other), "entry matched a different sha256");
  krait_record_free(&other);

  free(rrp);
  free(urls);
  krait_record_free(&recs[0]);
  krait_record_free(&recs[1]);
  krait_ctx_free(ctx);
  free(pkgs);
}

static void test_checksum_refusal(void) {
  char *pkgs = krait_asprintf("%s/pkgs-bad", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  const char *bad_sha = "1111111111111111111111111111111111111111111111111111111111111111";
  for (int variant = 0; variant < 3; variant++) {
    krait_record r;
    make_record(&r, "alpha", "1.0", "0", ".conda");
    if (variant == 0) {
      free(r.sha256);
      r.sha256 = krait_strdup(bad_sha);
    } else if (variant == 1) {
      r.size += 1;
    } else {
      free(r.sha256);
      r.sha256 = NULL;
      free(r.md5);
      r.md5 = krait_strdup("22222222222222222222222222222222");
    }
    char *out = NULL;
    krait_err err = {0};
    krait_code rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
    CHECK(rc == KRAIT_E_CHECKSUM && out == NULL, "variant %d: %s %s", variant, krait_code_name(rc), err.msg);
    CHECK(strstr(err.msg, "alpha-1.0-0.conda") != NULL, "error does not name the package: %s", err.msg);
    if (variant == 0)
      CHECK(strstr(err.msg, bad_sha) && strstr(err.msg, "expected") && strstr(err.msg, "got"),
            "error lacks digests: %s", err.msg);
    CHECK(ax_count_named(pkgs, "alpha") == 0, "variant %d: something left in the cache", variant);
    CHECK(ax_count_named(pkgs, ".krait-partial-") == 0, "variant %d: temp file left", variant);
    krait_record_free(&r);
  }
  /* a corrupt archive already in the cache is replaced by a fresh fetch */
  krait_record r;
  make_record(&r, "alpha", "1.0", "0", ".conda");
  char *stale = krait_path_join(pkgs, r.fn);
  ax_write_file(stale, "garbage", 0644);
  char *out = NULL;
  krait_err err = {0};
  int warnings = 0;
  krait_code rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
  CHECK(rc == KRAIT_OK && out, "refetch over corrupt archive: %s", err.msg);
  CHECK(krait_cache_verify_archive(stale, &r, &err) == KRAIT_OK, "cached archive still bad: %s", err.msg);
  (void)warnings;
  free(out);
  free(stale);
  krait_record_free(&r);
  krait_ctx_free(ctx);
  free(pkgs);
}

static void test_hostile_package(void) {
  char *pkgs = krait_asprintf("%s/pkgs-hostile", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  char *fn = krait_path_join(g_chan, "evil-1-0.conda");
  ax_entry info[] = {{"info/index.json", 'f', "{\"name\":\"evil\",\"version\":\"1\",\"build\":\"0\"}", 0, 0}};
  ax_entry pkg[] = {{"lib/x", 'l', "../../../../etc/shadow", 0, 0}};
  ax_make_conda(fn, "evil-1-0", NULL, info, 1, pkg, 1);
  krait_record r;
  make_record(&r, "evil", "1", "0", ".conda");
  char *out = NULL;
  krait_err err = {0};
  krait_code rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
  CHECK(rc == KRAIT_E_UNSAFE && strstr(err.msg, "evil-1-0.conda") && strstr(err.msg, "lib/x"), "hostile: %s %s",
        krait_code_name(rc), err.msg);
  char *entry = krait_path_join(pkgs, "evil-1-0");
  CHECK(!krait_path_exists(entry), "hostile entry left");
  CHECK(ax_count_named(pkgs, ".krait-partial-") == 0, "partial left");
  free(entry);
  krait_record_free(&r);
  free(fn);
  krait_ctx_free(ctx);
  free(pkgs);
}

static void test_multiple_dirs(void) {
  /* dir A holds extracted entries; the first pkgs dir cannot be created (its
   * parent is a file), so B is the first writable one */
  char *blocker = krait_asprintf("%s/not-a-dir", g_tmp);
  ax_write_file(blocker, "x", 0644);
  char *x = krait_asprintf("%s/pkgs", blocker);
  char *a = krait_asprintf("%s/pkgsA", g_tmp), *b = krait_asprintf("%s/pkgsB", g_tmp);
  krait_record ra, rb;
  make_record(&ra, "alpha", "1.0", "0", ".conda");
  make_record(&rb, "beta", "2.0", "1", ".tar.bz2");
  krait_err err = {0};
  {
    const char *dirs[] = {a};
    krait_ctx *ctx = new_ctx(dirs, 1);
    char *out = NULL;
    CHECK(krait_cache_prepare(ctx, &ra, 1, NULL, &out, &err) == KRAIT_OK, "fill A: %s", err.msg);
    free(out);
    krait_ctx_free(ctx);
  }
  char *w = NULL;
  /* As a normal user, A itself is made read-only and listed first: it must
   * be skipped for writing (root ignores mode bits, so there the uncreatable
   * dir stands in). */
  bool as_user = geteuid() != 0;
  if (as_user)
    chmod(a, 0555);
  const char *dirs_root[] = {x, b, a}, *dirs_user[] = {a, x, b};
  krait_ctx *ctx = new_ctx(as_user ? dirs_user : dirs_root, 3);
  CHECK(krait_cache_writable_dir(ctx, &w, &err) == KRAIT_OK && w && strcmp(w, b) == 0, "writable dir %s",
        w ? w : err.msg);
  free(w);
  krait_strv before = KRAIT_STRV_INIT, after = KRAIT_STRV_INIT;
  ax_manifest(a, &before);
  krait_record both[2];
  krait_record_copy(&both[0], &ra);
  krait_record_copy(&both[1], &rb);
  char *out[2];
  CHECK(krait_cache_prepare(ctx, both, 2, NULL, out, &err) == KRAIT_OK, "multi-dir prepare: %s", err.msg);
  char *wa = krait_path_join(a, "alpha-1.0-0"), *wb = krait_path_join(b, "beta-2.0-1");
  CHECK_STR(out[0], wa); /* reused from A */
  CHECK_STR(out[1], wb); /* new entry in B */
  ax_manifest(a, &after);
  CHECK(ax_manifest_diff(&before, &after) < 0, "dir A was modified");
  CHECK(ax_count_named(b, "alpha") == 0, "alpha duplicated into B");
  /* an archive-only hit in A is extracted into B, not into A */
  char *ea = krait_path_join(a, "alpha-1.0-0");
  if (as_user)
    chmod(a, 0755);
  krait_rm_rf(ea, NULL);
  if (as_user)
    chmod(a, 0555);
  krait_cache_hit hit;
  CHECK(krait_cache_find(ctx, &ra, &hit, &err) == KRAIT_OK && hit.state == KRAIT_CACHE_ARCHIVE && hit.pkgs_dir &&
            strcmp(hit.pkgs_dir, a) == 0,
        "find archive in A: state %d", hit.state);
  krait_cache_hit_free(&hit);
  free(out[0]);
  free(out[1]);
  CHECK(krait_cache_prepare(ctx, both, 2, NULL, out, &err) == KRAIT_OK, "prepare from A's archive: %s", err.msg);
  char *wba = krait_path_join(b, "alpha-1.0-0");
  CHECK_STR(out[0], wba);
  CHECK(!krait_path_exists(ea), "A written");
  char *burls = krait_path_join(b, "urls.txt");
  CHECK(count_lines(burls) == 1, "A's archive should not be fetched again");
  free(burls);
  free(out[0]);
  free(out[1]);
  /* nothing writable at all */
  const char *none[] = {x};
  krait_ctx *ctx2 = new_ctx(none, 1);
  krait_record_free(&both[0]);
  krait_record_copy(&both[0], &ra);
  free(both[0].version);
  both[0].version = krait_strdup("9.9"); /* not cached anywhere */
  krait_code rc = krait_cache_prepare(ctx2, both, 1, NULL, out, &err);
  CHECK(rc == KRAIT_E_IO && strstr(err.msg, "no writable package cache"), "no writable dir: %s", err.msg);
  krait_ctx_free(ctx2);
  if (as_user)
    chmod(a, 0755);
  free(wba);
  free(ea);
  free(wa);
  free(wb);
  krait_strv_free(&before);
  krait_strv_free(&after);
  krait_record_free(&both[0]);
  krait_record_free(&both[1]);
  krait_record_free(&ra);
  krait_record_free(&rb);
  krait_ctx_free(ctx);
  free(a);
  free(b);
  free(x);
  free(blocker);
}

typedef struct fake_dl {
  int calls;
  const char *dir; /* serves <dir>/<basename of url> */
} fake_dl;

static krait_code fake_download(void *user, const krait_ctx *ctx, const char *url, const char *dest,
                                krait_err *err) {
  (void)ctx;
  fake_dl *f = user;
  __atomic_add_fetch(&f->calls, 1, __ATOMIC_SEQ_CST);
  char *src = krait_path_join(f->dir, krait_path_basename(url));
  krait_buf b = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(src, &b, NULL);
  if (rc)
    rc = krait_err_set(err, KRAIT_E_NET, "%s: 404", url);
  else
    rc = krait_write_file_atomic(dest, b.data, b.len, 0644, err);
  krait_buf_free(&b);
  free(src);
  return rc;
}

static void test_downloader_and_offline(void) {
  char *pkgs = krait_asprintf("%s/pkgs-http", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  krait_record r;
  make_record(&r, "alpha", "1.0", "0", ".conda");
  free(r.url);
  r.url = krait_strdup("https://example.invalid/noarch/alpha-1.0-0.conda");
  fake_dl f = {0, g_chan};
  krait_cache_fetcher fetcher = {fake_download, &f, NULL};
  char *out = NULL;
  krait_err err = {0};
  CHECK(krait_cache_prepare(ctx, &r, 1, NULL, &out, &err) == KRAIT_E_UNSUPPORTED, "no downloader: %s", err.msg);
  ctx->offline = true;
  CHECK(krait_cache_prepare(ctx, &r, 1, &fetcher, &out, &err) == KRAIT_E_NET && f.calls == 0, "offline: %s",
        err.msg);
  ctx->offline = false;
  free(r.url);
  r.url = krait_strdup("https://user:secret@example.invalid/t/tk-123/noarch/alpha-1.0-0.conda");
  CHECK(krait_cache_prepare(ctx, &r, 1, &fetcher, &out, &err) == KRAIT_OK && f.calls == 1, "download: %s", err.msg);
  free(out);
  char *urls = krait_path_join(pkgs, "urls.txt");
  krait_buf ub = KRAIT_BUF_INIT;
  krait_read_file(urls, &ub, NULL);
  CHECK_STR(krait_buf_str(&ub), "https://example.invalid/noarch/alpha-1.0-0.conda\n");
  krait_buf_free(&ub);
  free(urls);
  /* a download that fails leaves nothing */
  krait_record missing;
  make_record(&missing, "beta", "2.0", "1", ".tar.bz2");
  free(missing.url);
  missing.url = krait_strdup("https://example.invalid/noarch/nothere-1-0.tar.bz2");
  CHECK(krait_cache_prepare(ctx, &missing, 1, &fetcher, &out, &err) == KRAIT_E_NET && strstr(err.msg, "404"),
        "failed download: %s", err.msg);
  CHECK(ax_count_named(pkgs, ".krait-partial-") == 0 && ax_count_named(pkgs, "beta") == 0,
        "failed download left files");
  krait_record_free(&missing);
  krait_record_free(&r);
  krait_ctx_free(ctx);
  free(pkgs);
}

/* file:// fetches: always a copy (never a hard link, even on the same
 * filesystem: the cache must not share an inode with the channel), and
 * across filesystems (/dev/shm is tmpfs when present). */
static void test_file_url_link_and_copy(void) {
  krait_record r;
  make_record(&r, "beta", "2.0", "1", ".tar.bz2");
  char *pkgs = krait_asprintf("%s/pkgs-link", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  char *out = NULL;
  krait_err err = {0};
  CHECK(krait_cache_prepare(ctx, &r, 1, NULL, &out, &err) == KRAIT_OK, "link fetch: %s", err.msg);
  free(out);
  char *cached = krait_path_join(pkgs, r.fn), *orig = krait_path_join(g_chan, r.fn);
  struct stat a, b;
  CHECK(stat(cached, &a) == 0 && stat(orig, &b) == 0 && a.st_ino != b.st_ino && b.st_nlink == 1,
        "same-fs file:// must be copied, not hard-linked (nlink %lu)", (unsigned long)b.st_nlink);
  /* writing the cached archive leaves the channel's file as it was */
  char *orig_sha = NULL, sha[65];
  if (krait_file_digest(orig, "sha256", sha, sizeof sha, NULL) == 0)
    orig_sha = krait_strdup(sha);
  chmod(cached, 0644);
  FILE *f = fopen(cached, "ab");
  if (f) {
    fputs("tampered", f);
    fclose(f);
  }
  CHECK(orig_sha && krait_file_digest(orig, "sha256", sha, sizeof sha, NULL) == 0 && strcmp(sha, orig_sha) == 0,
        "a change to the cached archive changed the channel's file");
  free(orig_sha);
  free(orig);
  free(cached);
  krait_ctx_free(ctx);
  free(pkgs);

  char *shm = krait_strdup("/dev/shm/krait-test-cache-XXXXXX");
  if (krait_is_dir("/dev/shm") && mkdtemp(shm)) {
    char *src = krait_path_join(g_chan, r.fn), *dst = krait_path_join(shm, r.fn);
    krait_buf data = KRAIT_BUF_INIT;
    krait_read_file(src, &data, NULL);
    krait_write_file_atomic(dst, data.data, data.len, 0644, NULL);
    free(r.url);
    r.url = krait_asprintf("file://%s", dst);
    pkgs = krait_asprintf("%s/pkgs-copy", g_tmp);
    const char *dirs2[] = {pkgs};
    ctx = new_ctx(dirs2, 1);
    CHECK(krait_cache_prepare(ctx, &r, 1, NULL, &out, &err) == KRAIT_OK, "copy fetch: %s", err.msg);
    free(out);
    cached = krait_path_join(pkgs, r.fn);
    CHECK(krait_cache_verify_archive(cached, &r, &err) == KRAIT_OK, "copied archive: %s", err.msg);
    CHECK(stat(cached, &a) == 0 && stat(dst, &b) == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino),
          "cross-fs fetch should copy");
    free(cached);
    krait_ctx_free(ctx);
    free(pkgs);
    krait_buf_free(&data);
    krait_rm_rf(shm, NULL);
    free(src);
    free(dst);
  }
  free(shm);
  krait_record_free(&r);
}

static void test_locking(void) {
  char *pkgs = krait_asprintf("%s/pkgs-lock", g_tmp);
  krait_mkdir_p(pkgs, 0755, NULL);
  /* the cache lock is per entry: <pkgs>/<name>-<version>-<build>.lock */
  char *lock = krait_asprintf("%s/alpha-1.0-0.lock", pkgs);
  int pipefd[2];
  CHECK(pipe(pipefd) == 0, "pipe");
  pid_t child = fork();
  if (child == 0) { /* another process writing alpha into the cache */
    krait_lock *held = NULL;
    krait_err e;
    if (krait_lock_acquire(NULL, lock, 5, &held, &e) != KRAIT_OK)
      _exit(2);
    char c = 'L';
    if (write(pipefd[1], &c, 1) != 1)
      _exit(3);
    pause();
    _exit(0);
  }
  char c = 0;
  CHECK(read(pipefd[0], &c, 1) == 1 && c == 'L', "child did not take the lock");
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  ctx->lock_timeout_seconds = 1;
  krait_record r, other;
  make_record(&r, "alpha", "1.0", "0", ".conda");
  make_record(&other, "beta", "2.0", "1", ".tar.bz2");
  char *out = NULL;
  krait_err err = {0};
  /* krait_lock_try: no wait and no warning while another process holds it */
  krait_lock *tried = NULL;
  krait_err terr = {0};
  krait_code trc = krait_lock_try(ctx, lock, &tried, &terr);
  CHECK(trc == KRAIT_E_LOCKED && !tried && strstr(terr.msg, "alpha-1.0-0.lock"), "try while held: %s %s",
        krait_code_name(trc), terr.msg);
  /* an unrelated package does not wait for alpha's writer */
  krait_code rc = krait_cache_prepare(ctx, &other, 1, NULL, &out, &err);
  CHECK(rc == KRAIT_OK, "beta while alpha is locked: %s", err.msg);
  free(out);
  out = NULL;
  rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
  CHECK(rc == KRAIT_E_LOCKED && strstr(err.msg, "alpha-1.0-0.lock") && strstr(err.msg, "held by process"),
        "locked: %s %s", krait_code_name(rc), err.msg);
  ctx->use_lockfiles = false;
  rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
  CHECK(rc == KRAIT_OK, "use_lockfiles=false: %s", err.msg);
  free(out);
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);
  close(pipefd[0]);
  close(pipefd[1]);
  /* the lock is free again */
  ctx->use_lockfiles = true;
  krait_lock *again = NULL;
  CHECK(krait_lock_acquire(ctx, lock, 1, &again, &err) == KRAIT_OK && again, "relock: %s", err.msg);
  krait_lock_release(again);
  CHECK(krait_lock_try(ctx, lock, &tried, &terr) == KRAIT_OK && tried, "try when free: %s", terr.msg);
  krait_lock_release(tried);
  krait_record_free(&r);
  krait_record_free(&other);
  krait_ctx_free(ctx);
  free(lock);
  free(pkgs);
}

static void test_crash_leftovers(void) {
  char *pkgs = krait_asprintf("%s/pkgs-crash", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  krait_record r;
  make_record(&r, "alpha", "1.0", "0", ".conda");
  /* a crashed krait: a partial tree and a partial download; a crashed other
   * tool: an entry without repodata_record.json */
  char *p1 = krait_asprintf("%s/alpha-1.0-0.krait-partial-AbC123/info/index.json", pkgs);
  char *p2 = krait_asprintf("%s/alpha-1.0-0.conda.krait-partial-XyZ789", pkgs);
  char *p3 = krait_asprintf("%s/alpha-1.0-0/bin/alpha", pkgs);
  ax_write_file(p1, "{}", 0644);
  ax_write_file(p2, "half a download", 0644);
  ax_write_file(p3, "half", 0644);
  krait_cache_hit hit;
  krait_err err = {0};
  CHECK(krait_cache_find(ctx, &r, &hit, &err) == KRAIT_OK && hit.state == KRAIT_CACHE_MISSING,
        "half entry taken as valid: state %d", hit.state);
  krait_cache_hit_free(&hit);
  char *out = NULL;
  CHECK(krait_cache_prepare(ctx, &r, 1, NULL, &out, &err) == KRAIT_OK, "prepare over leftovers: %s", err.msg);
  CHECK(ax_count_named(pkgs, ".krait-partial-") == 0, "leftover partials not cleaned");
  CHECK(krait_cache_entry_valid(pkgs, &r), "entry not repaired");
  krait_buf b = KRAIT_BUF_INIT;
  krait_read_file(p3, &b, NULL);
  CHECK_STR(krait_buf_str(&b), "#!/bin/sh\necho ok\n");
  krait_buf_free(&b);
  free(out);
  free(p1);
  free(p2);
  free(p3);
  krait_record_free(&r);
  krait_ctx_free(ctx);
  free(pkgs);
}

/* The real archives of a shared file:// channel, with their repodata records. */
static void test_shared_channel(void) {
  char *repodata = krait_test_shared("channels/conda-format-repo/linux-64/repodata.json");
  if (!repodata)
    return;
  krait_err err = {0};
  krait_json *root = krait_json_parse_file(repodata, &err);
  CHECK(root != NULL, "%s", err.msg);
  char *subdir_dir = krait_path_dirname(repodata);
  krait_record recs[8];
  size_t n = 0;
  const char *keys[] = {"packages", "packages.conda"};
  for (int k = 0; k < 2; k++)
    krait_json_foreach(it, krait_json_get_object(root, keys[k])) {
      if (n == 8)
        break;
      char *path = krait_path_join(subdir_dir, it->key);
      if (!krait_path_exists(path) || krait_record_from_json(&recs[n], it, it->key, &err) != KRAIT_OK) {
        free(path); /* repodata may list archives the fixture does not ship */
        continue;
      }
      recs[n].url = krait_asprintf("file://%s", path);
      free(path);
      n++;
    }
  char *pkgs = krait_asprintf("%s/pkgs-shared", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  CHECK(n >= 2, "shared channel: %zu records", n);
  size_t refused = 0;
  for (size_t i = 0; i < n; i++) {
    char *out = NULL;
    krait_code rc = krait_cache_prepare(ctx, &recs[i], 1, NULL, &out, &err);
    /* the .conda of zlib-1.2.11-h7b6447c_3 holds symlinks with an empty
     * target: refused (as conda refuses it), never half-extracted */
    if (strcmp(recs[i].fn, "zlib-1.2.11-h7b6447c_3.conda") == 0) {
      refused++;
      CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "empty target") && out == NULL, "%s: rc %d: %s", recs[i].fn, rc,
            err.msg);
      continue;
    }
    CHECK(rc == KRAIT_OK, "%s: %s", recs[i].fn, err.msg);
    char *paths = out ? krait_asprintf("%s/info/paths.json", out) : NULL;
    CHECK(paths && krait_path_exists(paths), "%s: no info/paths.json", recs[i].fn);
    free(paths);
    free(out);
  }
  CHECK(refused == 1, "the zlib .conda was not among the records");
  CHECK(ax_count_named(pkgs, ".krait-partial-") == 0, "a refused archive left a partial entry");
  for (size_t i = 0; i < n; i++)
    krait_record_free(&recs[i]);
  krait_ctx_free(ctx);
  free(pkgs);
  free(subdir_dir);
  krait_json_free(root);
  free(repodata);
}

/* name/version/build/fn that would leave pkgs/ (or hide in it) are refused
 * before anything is written, naming the record and its channel. */
static void test_unsafe_names(void) {
  char *pkgs = krait_asprintf("%s/pkgs-names", g_tmp);
  const char *dirs[] = {pkgs};
  krait_ctx *ctx = new_ctx(dirs, 1);
  struct {
    const char *field, *value;
  } cases[] = {{"version", "1.0/../../../escaped"}, {"build", ".."},          {"name", "a/b"},
               {"fn", "../beta-2.0-1.tar.bz2"},       {"version", "1.0\\..\\x"}, {"build", ""}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    krait_record r;
    make_record(&r, "beta", "2.0", "1", ".tar.bz2");
    char **slot = strcmp(cases[i].field, "version") == 0 ? &r.version
                  : strcmp(cases[i].field, "build") == 0 ? &r.build
                  : strcmp(cases[i].field, "name") == 0  ? &r.name
                                                          : &r.fn;
    free(*slot);
    *slot = krait_strdup(cases[i].value);
    char *out = NULL;
    krait_err err = {0};
    krait_code rc = krait_cache_prepare(ctx, &r, 1, NULL, &out, &err);
    CHECK(rc == KRAIT_E_UNSAFE && out == NULL, "%s='%s' accepted (rc %d)", cases[i].field, cases[i].value, rc);
    CHECK(strstr(err.msg, cases[i].field) && strstr(err.msg, r.channel) && strstr(err.msg, "cannot name a file"),
          "error should name the field and the channel: %s", err.msg);
    krait_cache_hit hit;
    CHECK(krait_cache_find(ctx, &r, &hit, &err) == KRAIT_E_UNSAFE, "find %s='%s'", cases[i].field, cases[i].value);
    krait_cache_hit_free(&hit);
    CHECK(!krait_cache_entry_valid(pkgs, &r), "entry_valid %s", cases[i].field);
    krait_record_free(&r);
  }
  char *escaped = krait_asprintf("%s/escaped", g_tmp);
  CHECK(!krait_path_exists(escaped) && !krait_path_exists(pkgs), "something was written");
  free(escaped);
  krait_ctx_free(ctx);
  free(pkgs);
}

int main(void) {
  g_tmp = ax_tmpdir("cache");
  g_chan = krait_asprintf("%s/channel/noarch", g_tmp);
  krait_mkdir_p(g_chan, 0755, NULL);
  build_package("alpha", "1.0", "0", ".conda", ", \"schema_version\": 2");
  build_package("beta", "2.0", "1", ".tar.bz2", "");
  test_prepare_and_record();
  test_checksum_refusal();
  test_hostile_package();
  test_multiple_dirs();
  test_downloader_and_offline();
  test_file_url_link_and_copy();
  test_locking();
  test_crash_leftovers();
  test_shared_channel();
  test_unsafe_names();
  krait_rm_rf(g_tmp, NULL);
  free(g_chan);
  free(g_tmp);
  return krait_test_finish("cache");
}
