/* Clobbering: a path another package owns, as the transaction layer decides (replace,
 * skip); rattler's clobber fixtures. */
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

typedef struct clobber_ctl {
  krait_clobber_action action;
  krait_strv seen; /* "path|owner|pkg" */
} clobber_ctl;

static const char *owner_of(void *user, const char *rel) {
  (void)user;
  return strcmp(rel, "share/common.txt") == 0 ? "first-1.0-0" : NULL;
}

static krait_clobber_action decide(void *user, const char *rel, const char *owner, const char *pkg) {
  clobber_ctl *c = user;
  krait_strv_push_owned(&c->seen, krait_asprintf("%s|%s|%s", rel, owner ? owner : "-", pkg));
  return c->action;
}

static void test_clobber(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-clobber", "clob1");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  fx_entry a[] = {{.path = "share/common.txt", .data = "from first\n"}};
  fx_entry b[] = {{.path = "share/common.txt", .data = "from second\n"}, {.path = "share/own.txt", .data = "x\n"}};
  char *pa = build_pkg(pkgs, "first", NULL, a, 1, NULL);
  char *pb = build_pkg(pkgs, "second", NULL, b, 2, NULL);
  krait_record ra, rb;
  fx_record(pa, "first-1.0-0.tar.bz2", &ra);
  fx_record(pb, "second-1.0-0.tar.bz2", &rb);
  krait_err err = {0};
  krait_link_result res, res2;
  krait_buf got = KRAIT_BUF_INIT;

  /* default: warn naming both packages, overwrite */
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.owner_of = owner_of;
  krait_linker *l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, pa, &ra, &res, &err) == 0, "%s", err.msg);
  CHECK(res.clobbered.len == 0, "nothing clobbered first");
  CHECK(krait_linker_link(l, pb, &rb, &res2, &err) == 0, "%s", err.msg);
  CHECK(count_containing(&fx.ev.warnings, "second-1.0-0", "first-1.0-0") == 1 &&
            count_containing(&fx.ev.warnings, "share/common.txt", NULL) == 1,
        "warning names both packages");
  CHECK(res2.clobbered.len == 1 && strcmp(res2.clobbered.items[0], "share/common.txt") == 0, "clobbered list");
  CHECK(fx_read(prefix, "share/common.txt", &got) && strcmp(krait_buf_str(&got), "from second\n") == 0,
        "overwritten");
  krait_link_result_free(&res);
  krait_link_result_free(&res2);
  krait_linker_free(l);

  /* an untracked file */
  char *p2 = krait_path_join(tmp, "clob2");
  fx_write_str(p2, "share/own.txt", "mine\n", 0644);
  l = krait_linker_new(ctx, p2, NULL);
  CHECK(krait_linker_link(l, pb, &rb, &res, &err) == 0, "%s", err.msg);
  CHECK(count_containing(&fx.ev.warnings, "share/own.txt", "not owned") == 1, "untracked reported");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* the transaction layer decides: skip keeps the old file and leaves it out of the record */
  clobber_ctl ctl = {.action = KRAIT_CLOBBER_SKIP};
  char *p3 = krait_path_join(tmp, "clob3");
  fx_write_str(p3, "share/common.txt", "keep\n", 0644);
  o.on_clobber = decide;
  o.user = &ctl;
  l = krait_linker_new(ctx, p3, &o);
  CHECK(krait_linker_link(l, pb, &rb, &res, &err) == 0, "%s", err.msg);
  CHECK(ctl.seen.len == 1 && strcmp(ctl.seen.items[0], "share/common.txt|first-1.0-0|second-1.0-0") == 0,
        "callback got path, owner, package: %s", ctl.seen.len ? ctl.seen.items[0] : "");
  CHECK(fx_read(p3, "share/common.txt", &got) && strcmp(krait_buf_str(&got), "keep\n") == 0, "kept");
  CHECK(!find(&res.paths, "share/common.txt") && find(&res.paths, "share/own.txt"), "skipped path not recorded");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* fail aborts and removes what was written */
  ctl.action = KRAIT_CLOBBER_FAIL;
  char *p4 = krait_path_join(tmp, "clob4");
  fx_write_str(p4, "share/common.txt", "keep\n", 0644);
  l = krait_linker_new(ctx, p4, &o);
  CHECK(krait_linker_link(l, pb, &rb, &res, &err) == KRAIT_E_INVALID && strstr(err.msg, "share/common.txt") &&
            strstr(err.msg, "first-1.0-0"),
        "%s", err.msg);
  CHECK(fx_read(p4, "share/common.txt", &got) && strcmp(krait_buf_str(&got), "keep\n") == 0 &&
            !fx_exists(p4, "share/own.txt"),
        "left as it was");
  krait_linker_free(l);

  free(p2);
  free(p3);
  free(p4);
  krait_strv_free(&ctl.seen);
  krait_buf_free(&got);
  krait_record_free(&ra);
  krait_record_free(&rb);
  free(pa);
  free(pb);
  link_fx_close(&fx);
}

/* rattler's clobber-fd packages: a file where the next package needs a directory. */
static void test_rattler_clobber_fd(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "rclobber-env");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  static const char *const names[] = {"clobber-fd-1-0.1.0-h4616a5c_0", "clobber-fd-2-0.1.0-h4616a5c_0"};
  char *dirs[2];
  krait_record recs[2];
  for (size_t i = 0; i < 2; i++) {
    char *rel = krait_asprintf("packages/rattler-clobber/%s.conda", names[i]);
    char *arc = krait_test_shared(rel);
    char *fn = krait_asprintf("%s.conda", names[i]);
    dirs[i] = krait_asprintf("%s/pkgs-rclobber/%s", tmp, names[i]);
    CHECK(fx_extract(arc, dirs[i]) && fx_record(dirs[i], fn, &recs[i]), "extract %s", names[i]);
    free(fn);
    free(arc);
    free(rel);
  }
  krait_link_result r1, r2;
  krait_err err = {0};
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  CHECK(krait_linker_link(l, dirs[0], &recs[0], &r1, &err) == 0, "%s", err.msg);
  krait_linker_free(l);

  /* the transaction says no: nothing changes */
  clobber_ctl ctl = {.action = KRAIT_CLOBBER_FAIL};
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.on_clobber = decide;
  o.user = &ctl;
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, dirs[1], &recs[1], &r2, &err) == KRAIT_E_INVALID && strstr(err.msg, "directory"), "%s",
        err.msg);
  CHECK(ctl.seen.len == 1 && strstr(ctl.seen.items[0], "clobber|-|clobber-fd-2"), "asked about the file: %s",
        ctl.seen.len ? ctl.seen.items[0] : "");
  char *file = krait_path_join(prefix, "clobber");
  CHECK(krait_path_exists(file) && !krait_is_dir(file), "file kept");
  krait_linker_free(l);

  /* default, journaled, then rolled back: the file comes back */
  krait_journal *jn = NULL;
  CHECK(krait_journal_begin(prefix, false, &jn, &err) == 0, "%s", err.msg);
  krait_link_opts_init(&o);
  o.journal = jn;
  l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, dirs[1], &recs[1], &r2, &err) == 0, "%s", err.msg);
  CHECK(fx_exists(prefix, "clobber/clobber-fd-2.txt") && r2.clobbered.len == 1 &&
            count_containing(&fx.ev.warnings, "clobber-fd-2", "needs a directory") == 1,
        "file replaced by the directory, reported");
  CHECK(krait_journal_rollback(jn, &err) == 0, "%s", err.msg);
  CHECK(krait_path_exists(file) && !krait_is_dir(file) && fx_ino(prefix, "clobber") == fx_ino(dirs[0], "clobber"),
        "the original file (same inode) is back");
  krait_link_result_free(&r2);
  krait_linker_free(l);
  krait_link_result_free(&r1);
  krait_strv_free(&ctl.seen);
  free(file);
  for (size_t i = 0; i < 2; i++) {
    krait_record_free(&recs[i]);
    free(dirs[i]);
  }
  link_fx_close(&fx);
}

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  test_clobber(tmp);
  /* real packages from ../shared (each absence is counted by krait_test_shared) */
  char *probe = krait_test_shared("packages");
  if (probe) {
    test_rattler_clobber_fd(tmp);
  }
  free(probe);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link_clobber");
}
