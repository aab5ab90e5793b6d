/* Link scripts (pre-unlink, post-link): packages built here and real ones from conda's
 * test recipes and rattler; both archive formats link to the same files. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/ctx.h"
#include "krait/link.h"
#include "krait/meta.h"
#include "link_fixture.h"
#include "pkg_fixture.h"

static void test_scripts(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-scripts", "script-env");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  fx_entry ok[] = {
      {.path = "share/ok/data", .data = "d\n"},
      {.path = "bin/.okpkg-post-link.sh", .mode = 0755,
       .data = "echo \"post $PKG_NAME $PKG_VERSION $PKG_BUILDNUM $PREFIX $SOURCE_DIR\" >> \"$PREFIX/.messages.txt\"\n"
               "test -f \"$PREFIX/share/ok/data\" || exit 9\n"
               "echo 'noise on stdout'\n"},
      {.path = "bin/.okpkg-pre-link.sh", .mode = 0755, .data = "echo pre > \"$PREFIX/pre-link-ran\"\n"},
      {.path = "bin/.okpkg-pre-unlink.sh", .mode = 0755, .data = "echo bye > \"$PREFIX/pre-unlink-ran\"\n"},
  };
  fx_entry bad[] = {
      {.path = "share/bad/data", .data = "d\n"},
      {.path = "bin/.badpkg-post-link.sh", .mode = 0755, .data = "echo 'something broke' >&2\nexit 3\n"},
  };
  char *okp = build_pkg(pkgs, "okpkg", NULL, ok, 4, NULL);
  char *badp = build_pkg(pkgs, "badpkg", NULL, bad, 2, NULL);
  krait_record okr, badr;
  fx_record(okp, "okpkg-1.0-0.tar.bz2", &okr);
  fx_record(badp, "badpkg-1.0-0.tar.bz2", &badr);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, okp, &okr, &res, &err) == 0, "%s", err.msg);
  char *want = krait_asprintf("post okpkg 1.0 0 %s %s\n", prefix, prefix);
  CHECK(res.messages.len == 1 && strcmp(res.messages.items[0], want) == 0, "post-link message: %s",
        res.messages.len ? res.messages.items[0] : "(none)");
  CHECK(fx_exists(prefix, "pre-link-ran"), "pre-link ran");
  CHECK(krait_linker_unlink(l, &okr, &res.paths, &err) == 0, "%s", err.msg);
  CHECK(fx_exists(prefix, "pre-unlink-ran") && !fx_exists(prefix, "share/ok/data") && !fx_exists(prefix, "bin"),
        "pre-unlink ran, files gone");
  krait_link_result_free(&res);

  CHECK(krait_linker_link(l, badp, &badr, &res, &err) == KRAIT_E_SCRIPT, "failing post-link: %s", err.msg);
  CHECK(strstr(err.msg, "badpkg") && strstr(err.msg, "post-link") && strstr(err.msg, "status 3") &&
            strstr(err.msg, "something broke"),
        "error names package, status and output: %s", err.msg);
  CHECK(!fx_exists(prefix, "share/bad/data") && !fx_exists(prefix, "bin/.badpkg-post-link.sh") &&
            !fx_exists(prefix, "share"),
        "failed link rolled back");
  CHECK(res.paths.len == 0, "no result on failure");

  /* run_scripts=false skips them */
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.run_scripts = false;
  krait_linker *quiet = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(quiet, badp, &badr, &res, &err) == 0, "%s", err.msg);
  krait_link_result_free(&res);
  krait_linker_free(quiet);
  free(want);
  krait_linker_free(l);
  krait_record_free(&okr);
  krait_record_free(&badr);
  free(okp);
  free(badp);
  link_fx_close(&fx);
}

/* conda's own test packages: activation before post-link, a failing
 * post-link, two packages clobbering one file. */
static void test_conda_test_recipes(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "recipes-env");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  static const char *const names[] = {"post_link_run_in_env_package-1.0-0", "failing_post_link-1.0-0",
                                      "clobber-a-1.0-0", "clobber-b-1.0-0"};
  char *dirs[4];
  krait_record recs[4];
  for (size_t i = 0; i < 4; i++) {
    char *rel = krait_asprintf("channels/conda-test-recipes/noarch/%s.conda", names[i]);
    char *arc = krait_test_shared(rel);
    dirs[i] = krait_asprintf("%s/pkgs-recipes/%s", tmp, names[i]);
    char *fn = krait_asprintf("%s.conda", names[i]);
    CHECK(fx_extract(arc, dirs[i]) && fx_record(dirs[i], fn, &recs[i]), "extract %s", names[i]);
    free(fn);
    free(arc);
    free(rel);
  }
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  /* its post-link checks TEST_VAR, which only its own activate.d script sets */
  CHECK(krait_linker_link(l, dirs[0], &recs[0], &res, &err) == 0, "%s", err.msg);
  CHECK(res.messages.len == 1 && strstr(res.messages.items[0], "Success: TEST_VAR is set correctly"),
        "ran activated: %s", res.messages.len ? res.messages.items[0] : "(no message)");
  krait_link_result_free(&res);
  CHECK(krait_linker_link(l, dirs[1], &recs[1], &res, &err) == KRAIT_E_SCRIPT &&
            strstr(err.msg, "failing_post_link") && strstr(err.msg, "status 1"),
        "%s", err.msg);
  CHECK(!fx_exists(prefix, "bin/.failing_post_link-post-link.sh"), "rolled back");
  CHECK(krait_linker_link(l, dirs[2], &recs[2], &res, &err) == 0, "%s", err.msg);
  krait_link_result_free(&res);
  CHECK(krait_linker_link(l, dirs[3], &recs[3], &res, &err) == 0, "%s", err.msg);
  CHECK(res.clobbered.len == 1 && strcmp(res.clobbered.items[0], "bin/clobber-test-file") == 0 &&
            count_containing(&fx.ev.warnings, "clobber-b-1.0-0", "bin/clobber-test-file") == 1,
        "clobber reported");
  krait_buf a = KRAIT_BUF_INIT, b = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "bin/clobber-test-file", &a) && fx_read(dirs[3], "bin/clobber-test-file", &b) &&
            strcmp(krait_buf_str(&a), krait_buf_str(&b)) == 0,
        "the later package wins");
  krait_buf_free(&a);
  krait_buf_free(&b);
  krait_link_result_free(&res);
  krait_linker_free(l);
  for (size_t i = 0; i < 4; i++) {
    krait_record_free(&recs[i]);
    free(dirs[i]);
  }
  link_fx_close(&fx);
}

/* rattler's link-scripts package: post-link creates a file, pre-unlink removes it. */
static void test_rattler_link_scripts(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "rattler-scripts-env");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  krait_record rec;
  char *pkg = real_pkg(tmp, "pkgs-rattler", "packages/rattler-misc/link-scripts-0.1.0-h4616a5c_0.conda", &rec);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  CHECK(fx_exists(prefix, "i-was-post-linked"), "post-link ran");
  CHECK(res.messages.len == 1 && strstr(res.messages.items[0], "post-link script that just ran"), "message");
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0, "%s", err.msg);
  CHECK(dir_only_has(prefix, NULL), "pre-unlink removed its file, unlink the rest");
  krait_link_result_free(&res);
  krait_linker_free(l);
  krait_record_free(&rec);
  free(pkg);
  link_fx_close(&fx);
}

/* The .conda and .tar.bz2 of one package link to the same prefix contents. */
static void test_formats_agree(const char *tmp) {
  static const char *const fmts[] = {"conda", "tar.bz2"};
  krait_link_result res[2];
  krait_ctx *ctx = krait_ctx_new();
  krait_err err = {0};
  for (size_t i = 0; i < 2; i++) {
    char *rel = krait_asprintf("packages/real/mock-2.0.0-py37_1000.%s", fmts[i]);
    char *arc = krait_test_shared(rel);
    char *pkg = krait_asprintf("%s/pkgs-%s/mock-2.0.0-py37_1000", tmp, fmts[i]);
    char *fn = krait_asprintf("mock-2.0.0-py37_1000.%s", fmts[i]);
    char *prefix = krait_asprintf("%s/mock-%s", tmp, fmts[i]);
    krait_record rec;
    CHECK(fx_extract(arc, pkg) && fx_record(pkg, fn, &rec), "extract %s", arc);
    krait_linker *l = krait_linker_new(ctx, prefix, NULL);
    CHECK(krait_linker_link(l, pkg, &rec, &res[i], &err) == 0, "%s", err.msg);
    krait_linker_free(l);
    krait_record_free(&rec);
    free(prefix);
    free(fn);
    free(pkg);
    free(arc);
    free(rel);
  }
  CHECK(res[0].paths.len > 10 && res[0].paths.len == res[1].paths.len, "%zu vs %zu paths", res[0].paths.len,
        res[1].paths.len);
  size_t same = 0;
  for (size_t i = 0; i < res[0].paths.len && i < res[1].paths.len; i++) {
    const krait_path_entry *a = &res[0].paths.items[i], *b = &res[1].paths.items[i];
    same += strcmp(a->path, b->path) == 0 && a->type == b->type && a->sha256_in_prefix && b->sha256_in_prefix &&
            strcmp(a->sha256_in_prefix, b->sha256_in_prefix) == 0;
  }
  CHECK(same == res[0].paths.len, "%zu of %zu entries identical", same, res[0].paths.len);
  krait_link_result_free(&res[0]);
  krait_link_result_free(&res[1]);
  krait_ctx_free(ctx);
}

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  test_scripts(tmp);
  /* real packages from ../shared (each absence is counted by krait_test_shared) */
  char *probe = krait_test_shared("packages");
  if (probe) {
    test_conda_test_recipes(tmp);
    test_rattler_link_scripts(tmp);
    test_formats_agree(tmp);
  }
  free(probe);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link_scripts");
}
