/* What a solve loads of its channels (repodata/src/reachable.c,
 * name_index.c): only the records of the names its roots reach through
 * depends, across subdirs; the name index cache beside the .solv, used on a
 * warm start, rebuilt when stale or damaged; and a file rewritten in place
 * under an unchanged stamp, which is an error naming it, never wrong
 * records. (That a reachable load of every name is the full load, record for
 * record, is checked over shared/data by test_repodata_loader; that solves
 * agree either way, by test_solver_cases.) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/repodata.h"
#include "name_index.h"
#include "repodata_int.h"

static char *g_tmp;

/* One record of `name` in a packages object. */
static void rec(krait_buf *b, const char *name, const char *version, const char *depends, const char *extra) {
  krait_buf_printf(b, "%s\"%s-%s-0.tar.bz2\":{\"name\":\"%s\",\"version\":\"%s\",\"build\":\"0\",\"build_number\":0,"
                      "\"depends\":[%s]%s}",
                   b->len && b->data[b->len - 1] != '{' ? "," : "", name, version, name, version, depends,
                   extra ? extra : "");
}

static char *write_repodata(const char *subdir, const krait_buf *records) {
  char *dir = krait_asprintf("%s/%s", g_tmp, subdir);
  krait_err err;
  CHECK(krait_mkdir_p(dir, 0755, &err) == KRAIT_OK, "mkdir %s", dir);
  char *path = krait_asprintf("%s/repodata.json", dir);
  char *text = krait_asprintf("{\"info\":{\"subdir\":\"%s\"},\"packages\":{%s}}", subdir, krait_buf_str(records));
  CHECK(krait_write_file_atomic(path, text, strlen(text), 0644, &err) == KRAIT_OK, "write %s", path);
  free(text);
  free(dir);
  return path;
}

static krait_ctx *test_ctx(bool cache, bool pip) {
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = cache ? krait_asprintf("%s/cache", g_tmp) : NULL;
  ctx->add_pip_as_python_dependency = pip;
  return ctx;
}

/* Loads the files as a solve would from `roots` (comma-separated) and
 * returns the sorted "name-version" list of what is in the pool, or the
 * error message. *cached: whether every index came from the cache. */
static char *load_reachable(krait_ctx *ctx, const char *const *paths, size_t n, const char *roots, bool *cached) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  krait_strv rv = KRAIT_STRV_INIT;
  for (const char *r = roots; *r;) {
    size_t len = strcspn(r, ",");
    krait_strv_push_owned(&rv, krait_strndup(r, len));
    r += len + (r[len] == ',');
  }
  krait_repodata_opts opts = {.names_only = true};
  krait_err err = {0};
  krait_code rc = KRAIT_OK;
  bool all_cached = true;
  for (size_t i = 0; i < n && rc == KRAIT_OK; i++) {
    Repo *repo;
    rc = krait_repodata_load_file(ctx, pool, paths[i], NULL, &opts, &repo, &err);
    all_cached &= rc == KRAIT_OK && krait_repo_info(repo)->from_index_cache;
  }
  if (rc == KRAIT_OK)
    rc = krait_repodata_fill_reachable(ctx, pool, &rv, &err);
  krait_strv got = KRAIT_STRV_INIT;
  Id p;
  FOR_POOL_SOLVABLES(p) {
    Solvable *s = pool_id2solvable(pool, p);
    krait_strv_push_owned(&got, krait_asprintf("%s-%s", pool_id2str(pool, s->name), pool_id2str(pool, s->evr)));
  }
  krait_strv_sort(&got);
  krait_buf joined = KRAIT_BUF_INIT;
  for (size_t i = 0; i < got.len; i++)
    krait_buf_printf(&joined, "%s%s", i ? " " : "", got.items[i]);
  char *out = rc ? krait_strdup(err.msg) : krait_strdup(krait_buf_str(&joined));
  krait_buf_free(&joined);
  if (cached)
    *cached = all_cached;
  krait_strv_free(&got);
  krait_strv_free(&rv);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  return out;
}

static void expect_loaded(krait_ctx *ctx, const char *const *paths, size_t n, const char *roots, const char *want) {
  char *got = load_reachable(ctx, paths, n, roots, NULL);
  CHECK(strcmp(got, want) == 0, "roots %s: got \"%s\", want \"%s\"", roots, got, want);
  free(got);
}

static void walks(void) {
  krait_buf l = KRAIT_BUF_INIT, n = KRAIT_BUF_INIT;
  rec(&l, "a", "1", "\"b >=1\",\"conda-forge::c\",\"__glibc >=2.17\"", NULL);
  rec(&l, "m", "1", "\"chan:n\",\"o; extra == 'x'\",\"p >=1 ::q\"", NULL); /* libsolv: after the last ':' */
  rec(&l, "n", "1", "", NULL);
  rec(&l, "o", "1", "", NULL);
  rec(&l, "q", "1", "", NULL);
  rec(&l, "b", "1", "\"D\"", NULL);                                   /* followed lower-cased too */
  rec(&l, "c", "1", "", ",\"constrains\":[\"e <2\"]");                /* constrains are not followed */
  rec(&l, "d", "1", "", NULL);
  rec(&l, "e", "1", "", NULL);
  rec(&l, "f", "1", "\"a\"", NULL);                                   /* depends on a root: not reached */
  rec(&l, "g", "1", "\"h[version='>=1']\",\"noarch-only\"", NULL);
  rec(&l, "h", "1", "", NULL);
  rec(&l, "python", "3.9.0", "", NULL);
  rec(&l, "pip", "23", "\"python\"", NULL);
  rec(&l, "i", "1", "\"ghost\"", NULL);                                /* a name no file has */
  rec(&l, "k", "1", "\"d\"", ",\"depends\":[\"e\"],\"name\":\"twice\""); /* the last name; both depends */
  rec(&n, "noarch-only", "1", "\"j\"", NULL);                          /* j is only in linux-64 */
  rec(&l, "j", "1", "", NULL);
  char *paths[2] = {write_repodata("linux-64", &l), write_repodata("noarch", &n)};
  const char *const *pp = (const char *const *)paths;
  krait_ctx *ctx = test_ctx(false, false);
  expect_loaded(ctx, pp, 2, "a", "a-1 b-1 c-1 d-1");
  expect_loaded(ctx, pp, 2, "g", "g-1 h-1 j-1 noarch-only-1");
  expect_loaded(ctx, pp, 2, "python", "python-3.9.0");
  expect_loaded(ctx, pp, 2, "i,f", "a-1 b-1 c-1 d-1 f-1 i-1");
  expect_loaded(ctx, pp, 2, "F", "a-1 b-1 c-1 d-1 f-1"); /* a root spelled in capitals */
  expect_loaded(ctx, pp, 2, "nothing", "");
  expect_loaded(ctx, pp, 2, "twice", "d-1 e-1 twice-1");
  expect_loaded(ctx, pp, 2, "m", "m-1 n-1 o-1 q-1");
  expect_loaded(ctx, pp, 2, "k", "");
  expect_loaded(ctx, pp, 2, "py*", /* a glob reaches names only a full list can tell */
                "a-1 b-1 c-1 d-1 e-1 f-1 g-1 h-1 i-1 j-1 m-1 n-1 noarch-only-1 o-1 pip-23 python-3.9.0 q-1 twice-1");
  krait_ctx_free(ctx);
  ctx = test_ctx(false, true); /* add_pip_as_python_dependency: the solver makes python need pip */
  expect_loaded(ctx, pp, 2, "python", "pip-23 python-3.9.0");
  krait_ctx_free(ctx);
  free(paths[0]);
  free(paths[1]);
  krait_buf_free(&l);
  krait_buf_free(&n);
}

static void set_old_mtime(const char *path) {
  struct timespec ts[2] = {{1700000000, 0}, {1700000000, 0}};
  CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0, "utimensat %s", path);
}

/* <cache>/<key>.names of a local file, as repodata.c names it. */
static char *index_file_of(krait_ctx *ctx, const char *path) {
  char key[9];
  krait_cache_key(path, key);
  return krait_asprintf("%s/%s.names", ctx->repodata_cache_dir, key);
}

static void overwrite(const char *path, long at, const char *bytes, size_t len) {
  int fd = open(path, O_WRONLY);
  CHECK(fd >= 0 && pwrite(fd, bytes, len, at) == (ssize_t)len, "pwrite %s", path);
  if (fd >= 0)
    close(fd);
}

static void cache(void) {
  krait_buf l = KRAIT_BUF_INIT;
  rec(&l, "a", "1", "\"b\"", NULL);
  rec(&l, "b", "2", "", NULL);
  rec(&l, "zz", "1", "", NULL);
  char *path = write_repodata("cached-64", &l);
  set_old_mtime(path); /* not "racy": the stamp alone binds the index to the file */
  const char *paths[1] = {path};
  krait_ctx *ctx = test_ctx(true, false);
  char *idx_path = index_file_of(ctx, path);
  bool cached = true;
  char *got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 b-2") == 0 && !cached, "cold: %s (cached %d)", got, cached);
  CHECK(krait_path_exists(idx_path), "%s written", idx_path);
  free(got);
  got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 b-2") == 0 && cached, "warm: %s (cached %d)", got, cached);
  free(got);

  /* a damaged index (its blob overwritten) is rebuilt, never trusted */
  struct stat sb;
  CHECK(stat(idx_path, &sb) == 0, "stat %s", idx_path);
  char junk[64];
  memset(junk, 0xff, sizeof junk);
  overwrite(idx_path, (long)sb.st_size - 8, junk, 8); /* the names' bytes: in bounds, only the checksum tells */
  got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 b-2") == 0 && !cached, "damaged names: %s (cached %d)", got, cached);
  free(got);
  overwrite(idx_path, (long)sb.st_size / 2, junk, sizeof junk);
  got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 b-2") == 0 && !cached, "damaged index: %s (cached %d)", got, cached);
  free(got);
  CHECK(truncate(idx_path, 40) == 0, "truncate %s", idx_path);
  got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 b-2") == 0 && !cached, "truncated index: %s (cached %d)", got, cached);
  free(got);

  /* a new file (new stamp) is indexed again */
  krait_buf_clear(&l);
  rec(&l, "a", "1", "\"zz\"", NULL);
  rec(&l, "zz", "3", "", NULL);
  free(write_repodata("cached-64", &l));
  set_old_mtime(path);
  got = load_reachable(ctx, paths, 1, "a", &cached);
  CHECK(strcmp(got, "a-1 zz-3") == 0 && !cached, "changed file: %s (cached %d)", got, cached);
  free(got);

  /* rewritten in place under the same size and mtime: the index no longer
   * matches the bytes: one line naming the file, and the index is dropped */
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(path, &text, &err) == KRAIT_OK, "read %s", path);
  char *at = strstr(text.data, "\"name\":\"a\"");
  CHECK(at != NULL, "record a in %s", path);
  if (at) {
    overwrite(path, (long)(at - text.data), "\"name\":\"q\"", 10); /* same length */
    set_old_mtime(path);
    got = load_reachable(ctx, paths, 1, "a", &cached);
    CHECK(strstr(got, path) && strstr(got, "changed while krait was reading it") && !strchr(got, '\n'),
          "rewritten in place: %s", got);
    CHECK(!krait_path_exists(idx_path), "%s dropped", idx_path);
    free(got);
    got = load_reachable(ctx, paths, 1, "a", &cached);
    CHECK(strcmp(got, "") == 0 && !cached, "after the rewrite: \"%s\"", got); /* no record is named a now */
    free(got);
  }
  krait_buf_free(&text);
  free(idx_path);
  krait_ctx_free(ctx);
  free(path);
  krait_buf_free(&l);
}

int main(void) {
  char tmpl[] = "/tmp/krait-reachable-XXXXXX";
  g_tmp = mkdtemp(tmpl);
  CHECK(g_tmp != NULL, "mkdtemp");
  if (g_tmp) {
    walks();
    cache();
    krait_rm_rf(g_tmp, NULL);
  }
  return krait_test_finish("repodata_reachable");
}
