/* Link -> conda-meta -> read back -> unlink round trips, legacy metadata (info/files),
 * and linking inside the transaction journal (rollback restores the prefix). */
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

static void test_roundtrip_meta(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-rt", "rtenv");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  fx_entry e[] = {{.path = "share/rt/a.txt", .data = "a\n"},
                  {.path = "share/rt/deep/b.txt", .data = "b /opt/anaconda1anaconda2anaconda3\n",
                   .placeholder = KRAIT_DEFAULT_PLACEHOLDER}};
  char *p = build_pkg(pkgs, "rt", NULL, e, 2, NULL);
  krait_record r;
  fx_record(p, "rt-1.0-0.tar.bz2", &r);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, p, &r, &res, &err) == 0, "%s", err.msg);
  krait_meta_info m = {.rec = &r, .paths = &res.paths, .link_type = res.link_type, .extracted_package_dir = p};
  CHECK(krait_meta_write(prefix, &m, NULL, &err) == 0, "%s", err.msg);
  char *mp = krait_path_join(prefix, "conda-meta/rt-1.0-0.json");
  krait_paths back = KRAIT_PATHS_INIT;
  CHECK(krait_meta_read_paths(mp, &back, &err) == 0 && back.len == 2, "%s", err.msg);
  CHECK(krait_linker_unlink(l, &r, &back, &err) == 0 && krait_meta_remove(prefix, &r, NULL, &err) == 0, "%s", err.msg);
  static const char *const keep[] = {"conda-meta", NULL};
  CHECK(dir_only_has(prefix, keep), "unlinked from the conda-meta record");
  char *cm = krait_path_join(prefix, "conda-meta");
  CHECK(dir_only_has(cm, NULL), "record removed");
  free(cm);
  krait_paths_free(&back);
  free(mp);
  krait_link_result_free(&res);
  krait_linker_free(l);
  krait_record_free(&r);
  free(p);
  link_fx_close(&fx);
}

/* Old packages: info/files + info/has_prefix, no paths.json (no sha256 given). */
static void test_legacy(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "legacy-env");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  char *pkg = krait_path_join(tmp, "pkgs-legacy/old-1.0-0");
  fx_write_str(pkg, "info/index.json",
               "{\"name\":\"old\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[]}", 0644);
  fx_write_str(pkg, "info/files", "bin/old-config\nshare/old/readme\n", 0644);
  fx_write_str(pkg, "info/has_prefix", "bin/old-config\n", 0644);
  fx_write_str(pkg, "bin/old-config", "#!/bin/sh\necho /opt/anaconda1anaconda2anaconda3/lib\n", 0755);
  fx_write_str(pkg, "share/old/readme", "hi\n", 0644);
  krait_record rec;
  CHECK(fx_record(pkg, "old-1.0-0.tar.bz2", &rec), "record");
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  krait_buf got = KRAIT_BUF_INIT;
  char *want = krait_asprintf("#!/bin/sh\necho %s/lib\n", prefix);
  CHECK(fx_read(prefix, "bin/old-config", &got) && strcmp(krait_buf_str(&got), want) == 0, "default placeholder");
  const krait_path_entry *e = find(&res.paths, "bin/old-config");
  char *pkg_sha = file_sha(pkg, "bin/old-config"), *pre_sha = file_sha(prefix, "bin/old-config");
  CHECK(e && e->sha256 && strcmp(e->sha256, pkg_sha) == 0, "sha256 of the cache file");
  CHECK(e && e->sha256_in_prefix && strcmp(e->sha256_in_prefix, pre_sha) == 0, "sha256_in_prefix");
  const krait_path_entry *r = find(&res.paths, "share/old/readme");
  char *rd_sha = file_sha(pkg, "share/old/readme");
  CHECK(r && r->sha256 && strcmp(r->sha256, rd_sha) == 0 && r->size == 3, "plain legacy file digested");
  CHECK(fx_ino(prefix, "share/old/readme") == fx_ino(pkg, "share/old/readme"), "hard linked");
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0 && dir_only_has(prefix, NULL), "unlinked");
  krait_link_result_free(&res);
  free(rd_sha);
  free(pkg_sha);
  free(pre_sha);
  free(want);
  krait_buf_free(&got);

  /* a real old package whose payload was stripped: a clear error, nothing left */
  char *arc = krait_test_shared("packages/conda-build-test-archives/nano-2.4.1-0.tar.bz2");
  char *nano = krait_path_join(tmp, "pkgs-legacy/nano-2.4.1-0");
  if (arc) {
    CHECK(fx_extract(arc, nano), "extract nano");
    krait_record nr;
    CHECK(fx_record(nano, "nano-2.4.1-0.tar.bz2", &nr), "nano record");
    CHECK(krait_linker_link(l, nano, &nr, &res, &err) == KRAIT_E_IO && strstr(err.msg, "nano-2.4.1-0") &&
              strstr(err.msg, "bin/nano"),
          "missing payload: %s", err.msg);
    CHECK(dir_only_has(prefix, NULL), "nothing left behind");
    krait_record_free(&nr);
  }
  free(nano);
  free(arc);
  krait_linker_free(l);
  krait_record_free(&rec);
  free(pkg);
  link_fx_close(&fx);
}

static void test_journal(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-journal", "jenv");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  fx_entry b[] = {{.path = "share/common.txt", .data = "from pkg\n"},
                  {.path = "share/deep/er/own.txt", .data = "own\n"},
                  {.path = "bin/tool", .data = "#!/opt/anaconda1anaconda2anaconda3/bin/sh\n", .mode = 0755,
                   .placeholder = KRAIT_DEFAULT_PLACEHOLDER}};
  char *pkg = build_pkg(pkgs, "jpkg", NULL, b, 3, NULL);
  krait_record rec;
  fx_record(pkg, "jpkg-1.0-0.tar.bz2", &rec);
  fx_write_str(prefix, "share/common.txt", "untracked\n", 0644);
  fx_write_str(prefix, "conda-meta/history", "==> 2020-01-01 00:00:00 <==\n", 0644);
  krait_err err = {0};
  krait_link_result res;
  krait_buf got = KRAIT_BUF_INIT;
  const krait_record *linked[] = {&rec};
  krait_history_entry h = {.cmd = "krait install jpkg", .tool_version = "0.1", .linked = linked, .n_linked = 1};

  /* 1. link + record + history, then roll back: exactly the old prefix */
  krait_journal *jn = NULL;
  CHECK(krait_journal_begin(prefix, false, &jn, &err) == 0, "%s", err.msg);
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.journal = jn;
  krait_linker *l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  krait_meta_info m = {.rec = &rec, .paths = &res.paths, .link_type = res.link_type, .extracted_package_dir = pkg};
  CHECK(krait_meta_write(prefix, &m, jn, &err) == 0 && krait_history_append(prefix, &h, jn, &err) == 0, "%s",
        err.msg);
  CHECK(fx_exists(prefix, "share/deep/er/own.txt") && fx_exists(prefix, "conda-meta/jpkg-1.0-0.json"), "linked");
  CHECK(krait_journal_rollback(jn, &err) == 0, "%s", err.msg);
  krait_linker_free(l);
  krait_link_result_free(&res);
  CHECK(fx_read(prefix, "share/common.txt", &got) && strcmp(krait_buf_str(&got), "untracked\n") == 0,
        "clobbered file restored: %s", krait_buf_str(&got));
  CHECK(!fx_exists(prefix, "share/deep") && !fx_exists(prefix, "bin") &&
            !fx_exists(prefix, "conda-meta/jpkg-1.0-0.json"),
        "created paths and directories gone");
  CHECK(fx_read(prefix, "conda-meta/history", &got) &&
            strcmp(krait_buf_str(&got), "==> 2020-01-01 00:00:00 <==\n") == 0,
        "history truncated back");

  /* 2. link and commit */
  CHECK(krait_journal_begin(prefix, false, &jn, &err) == 0, "%s", err.msg);
  o.journal = jn;
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  m.paths = &res.paths;
  CHECK(krait_meta_write(prefix, &m, jn, &err) == 0, "%s", err.msg);
  CHECK(krait_journal_commit(jn, &err) == 0 && !krait_journal_pending(prefix), "%s", err.msg);
  krait_linker_free(l);
  CHECK(fx_read(prefix, "share/common.txt", &got) && strcmp(krait_buf_str(&got), "from pkg\n") == 0, "committed");

  /* 3. unlink + remove the record, roll back: all back */
  CHECK(krait_journal_begin(prefix, false, &jn, &err) == 0, "%s", err.msg);
  o.journal = jn;
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0 && krait_meta_remove(prefix, &rec, jn, &err) == 0, "%s",
        err.msg);
  CHECK(!fx_exists(prefix, "share/deep") && !fx_exists(prefix, "conda-meta/jpkg-1.0-0.json"), "unlinked");
  CHECK(krait_journal_rollback(jn, &err) == 0, "%s", err.msg);
  krait_linker_free(l);
  CHECK(fx_read(prefix, "share/deep/er/own.txt", &got) && strcmp(krait_buf_str(&got), "own\n") == 0 &&
            fx_exists(prefix, "conda-meta/jpkg-1.0-0.json") && fx_exists(prefix, "bin/tool"),
        "unlink undone");

  /* 4. unlink and commit: gone for good */
  CHECK(krait_journal_begin(prefix, false, &jn, &err) == 0, "%s", err.msg);
  o.journal = jn;
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0 && krait_meta_remove(prefix, &rec, jn, &err) == 0 &&
            krait_journal_commit(jn, &err) == 0,
        "%s", err.msg);
  krait_linker_free(l);
  static const char *const keep[] = {"conda-meta", NULL};
  CHECK(dir_only_has(prefix, keep), "only conda-meta left");
  krait_link_result_free(&res);

  /* 5. noarch: python with generated .pyc and entry points, rolled back */
  char *arc = krait_test_shared("packages/conda-build-test-archives/conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2");
  char *npkg = krait_path_join(tmp, "pkgs-journal/conda-index-pkg-a-1.0-pyhed9eced_1");
  krait_record nrec;
  if (arc && access("/usr/bin/python3", X_OK) != 0)
    krait_test_missing("/usr/bin/python3 (noarch python in a journaled transaction)");
  if (arc && access("/usr/bin/python3", X_OK) == 0 && fx_extract(arc, npkg) &&
      fx_record(npkg, "conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2", &nrec)) {
    char *pyprefix = python_env(tmp, "jpyenv");
    CHECK(krait_journal_begin(pyprefix, false, &jn, &err) == 0, "%s", err.msg);
    o.journal = jn;
    o.python_version = "3.11";
    l = krait_linker_new(ctx, pyprefix, &o);
    CHECK(krait_linker_link(l, npkg, &nrec, &res, &err) == 0, "%s", err.msg);
    CHECK(fx_exists(pyprefix, "lib/python3.11/site-packages/conda_index_pkg_a/__pycache__"), "pyc made");
    CHECK(krait_journal_rollback(jn, &err) == 0, "%s", err.msg);
    static const char *const keep_py[] = {"bin", "pyvenv.cfg", "conda-meta", NULL};
    CHECK(dir_only_has(pyprefix, keep_py) && !fx_exists(pyprefix, "bin/conda-index-pkg-a"),
          "generated files rolled back too");
    krait_linker_free(l);
    krait_link_result_free(&res);
    krait_record_free(&nrec);
    free(pyprefix);
  }
  free(npkg);
  free(arc);
  krait_buf_free(&got);
  krait_record_free(&rec);
  free(pkg);
  link_fx_close(&fx);
}

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  test_roundtrip_meta(tmp);
  test_legacy(tmp);
  test_journal(tmp);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link_meta");
}
