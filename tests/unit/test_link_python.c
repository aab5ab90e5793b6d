/* noarch: python packages: site-packages, entry points, generated .pyc, removal. */
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

static void test_noarch_python(const char *tmp) {
  if (access("/usr/bin/python3", X_OK) != 0) {
    krait_test_missing("/usr/bin/python3 (noarch python linking)");
    return;
  }
  krait_record rec;
  char *pkg = real_pkg(tmp, "pkgs-real", "packages/conda-build-test-archives/conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2",
                       &rec);
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  krait_err err = {0};
  krait_link_result res;

  /* without a python version it cannot be linked */
  char *nopy = krait_path_join(tmp, "nopy");
  krait_linker *l = krait_linker_new(ctx, nopy, NULL);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == KRAIT_E_INVALID && strstr(err.msg, "python"), "%s",
        err.msg);
  krait_linker_free(l);

  char *prefix = python_env(tmp, "pyenv");
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.python_version = "3.11";
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  const char *sp = "lib/python3.11/site-packages";
  char *init = krait_asprintf("%s/conda_index_pkg_a/__init__.py", sp);
  char *pyc = krait_asprintf("%s/conda_index_pkg_a/__pycache__/__init__.cpython-311.pyc", sp);
  CHECK(fx_exists(prefix, init) && find(&res.paths, init), "site-packages mapped");
  CHECK(fx_ino(prefix, init) == fx_ino(pkg, "site-packages/conda_index_pkg_a/__init__.py"), "hard linked");
  CHECK(fx_exists(prefix, pyc), ".pyc compiled");
  const krait_path_entry *pe = find(&res.paths, pyc);
  CHECK(pe && pe->type == KRAIT_PATH_PYC_FILE, ".pyc recorded as pyc_file");
  CHECK(!fx_exists(prefix, "site-packages"), "nothing at the package-relative path");
  static const char *const eps[] = {"bin/conda-index-pkg-a", "bin/conda-index-pkg-a-helper"};
  for (size_t i = 0; i < 2; i++) {
    const krait_path_entry *e = find(&res.paths, eps[i]);
    CHECK(e && e->type == KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT && e->sha256_in_prefix, "%s recorded", eps[i]);
    krait_buf sc = KRAIT_BUF_INIT;
    char *want = krait_asprintf("#!%s/bin/python3.11\n", prefix);
    CHECK(fx_read(prefix, eps[i], &sc) && strncmp(krait_buf_str(&sc), want, strlen(want)) == 0, "%s shebang",
          eps[i]);
    krait_buf_free(&sc);
    free(want);
  }
  krait_buf out = KRAIT_BUF_INIT;
  char *cmd = krait_asprintf("KRAIT_EP_PROBE=yes '%s/bin/conda-index-pkg-a' 2>&1", prefix);
  CHECK(run(cmd, &out) == 0 && strstr(krait_buf_str(&out), "\"KRAIT_EP_PROBE\": \"yes\""), "entry point runs: %s",
        krait_buf_str(&out));
  free(cmd);
  /* the post-link script (python-scripts/ -> bin/) ran with conda's variables */
  CHECK(fx_exists(prefix, "bin/.conda-index-pkg-a-post-link.sh"), "script linked to bin/");
  CHECK(res.messages.len == 1, "%zu messages", res.messages.len);
  if (res.messages.len) {
    const char *m = res.messages.items[0];
    char *pfx = krait_asprintf("\"PREFIX\": \"%s\"", prefix);
    CHECK(strstr(m, pfx) && strstr(m, "\"PKG_NAME\": \"conda-index-pkg-a\"") &&
              strstr(m, "\"PKG_VERSION\": \"1.0\"") && strstr(m, "\"PKG_BUILDNUM\": \"1\""),
          "script variables: %s", m);
    free(pfx);
  }
  CHECK(count_containing(&ev.notices, "PKG_NAME", NULL) == 1, "message forwarded as a notice (shown by default)");
  CHECK(!fx_exists(prefix, ".messages.txt"), ".messages.txt consumed");

  /* bytecode python wrote later (python -O) is not recorded but goes with its module */
  char *opt = krait_asprintf("%s/conda_index_pkg_a/__pycache__/__init__.cpython-311.opt-1.pyc", sp);
  CHECK(fx_write_str(prefix, opt, "x", 0644), "opt pyc");
  free(opt);
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0, "%s", err.msg);
  static const char *const keep[] = {"bin", "pyvenv.cfg", NULL};
  CHECK(dir_only_has(prefix, keep), "only the env's own bin/ left");
  char *bin = krait_path_join(prefix, "bin");
  static const char *const keep_py[] = {"python", "python3.11", NULL};
  CHECK(dir_only_has(bin, keep_py), "entry points and scripts removed");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* a long prefix with spaces: entry points use the /bin/sh trampoline and still run */
  krait_buf lp = KRAIT_BUF_INIT;
  krait_buf_printf(&lp, "%s/py env", tmp);
  while (lp.len < 140)
    krait_buf_puts(&lp, "/deeper");
  krait_buf_puts(&lp, "/e");
  char *rel = krait_strdup(lp.data + strlen(tmp) + 1);
  char *lprefix = python_env(tmp, rel);
  o.compile_pyc = false;
  o.run_scripts = false; /* the package's script does not quote $PREFIX: it breaks on spaces (in conda too) */
  o.python_site_packages_path = "lib/python3.11/site-packages"; /* CEP-17 field from the python record */
  l = krait_linker_new(ctx, lprefix, &o);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  krait_buf sc = KRAIT_BUF_INIT;
  CHECK(fx_read(lprefix, "bin/conda-index-pkg-a-helper", &sc) && strncmp(krait_buf_str(&sc), "#!/bin/sh\n", 10) == 0,
        "trampoline");
  krait_buf_clear(&out);
  cmd = krait_asprintf("KRAIT_EP_PROBE=long '%s/bin/conda-index-pkg-a-helper' 2>&1", lprefix);
  CHECK(run(cmd, &out) == 0 && strstr(krait_buf_str(&out), "\"KRAIT_EP_PROBE\": \"long\""),
        "trampolined entry point runs: %s", krait_buf_str(&out));
  CHECK(!fx_exists(lprefix, pyc), "compile_pyc=false");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* CEP-17: python_site_packages_path decides where site-packages go */
  char *tprefix = python_env(tmp, "pyenv-t");
  o.python_site_packages_path = "lib/python3.11t/site-packages";
  l = krait_linker_new(ctx, tprefix, &o);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  CHECK(fx_exists(tprefix, "lib/python3.11t/site-packages/conda_index_pkg_a/__init__.py") &&
            !fx_exists(tprefix, "lib/python3.11"),
        "python_site_packages_path honoured");
  krait_link_result_free(&res);
  krait_linker_free(l);

  free(tprefix);
  free(cmd);
  krait_buf_free(&sc);
  free(lprefix);
  free(rel);
  krait_buf_free(&lp);
  free(bin);
  krait_buf_free(&out);
  free(init);
  free(pyc);
  free(prefix);
  free(nopy);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&rec);
  free(pkg);
}

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  /* real packages from ../shared (each absence is counted by krait_test_shared) */
  char *probe = krait_test_shared("packages");
  if (probe) {
    test_noarch_python(tmp);
  }
  free(probe);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link_python");
}
