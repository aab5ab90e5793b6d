/* Linking files into a prefix: a package built here (placeholders, links, modes), the
 * copy fallback across filesystems, symlinks that escape, the per-package directory
 * cache; real packages (zlib's binary placeholder, symlink edge cases) from the shared data. */
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

static void test_built_package(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs", "env");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  char *ph = placeholder255();
  const char *text_ph = KRAIT_DEFAULT_PLACEHOLDER;
  krait_buf script = KRAIT_BUF_INIT, conf = KRAIT_BUF_INIT, bin = KRAIT_BUF_INIT;
  krait_buf_printf(&script, "#!%s/bin/python -u\nprint('%s/share')\n", text_ph, text_ph);
  krait_buf_printf(&conf, "root=%s\nlib=%s/lib:%s/lib64\n", text_ph, text_ph, text_ph);
  krait_buf_append(&bin, "\x7f" "ELF\0", 5);
  krait_buf_puts(&bin, ph);
  krait_buf_append(&bin, "/lib/python3.11\0XYZ", 19);
  krait_buf_puts(&bin, ph);
  krait_buf_append(&bin, "\0mid:", 5);
  krait_buf_printf(&bin, "%s:%s/bin", ph, ph);
  krait_buf_append(&bin, "\0end", 4);
  krait_buf_puts(&bin, ph); /* no NUL after it: must stay as is */
  fx_entry entries[] = {
      {.path = "bin/tool", .data = script.data, .mode = 0755, .placeholder = text_ph},
      {.path = "etc/conf.txt", .data = conf.data, .placeholder = text_ph},
      {.path = "share/data.txt", .data = "plain data\n", .mode = 0640},
      {.path = "share/nolink.txt", .data = "copy me\n", .no_link = true},
      {.path = "lib/libx.so", .data = bin.data, .len = bin.len, .mode = 0755, .placeholder = ph, .binary = true},
      {.path = "lib/libx.so.1", .type = KRAIT_PATH_SOFTLINK, .link_target = "libx.so"},
      {.path = "share/empty", .type = KRAIT_PATH_DIRECTORY},
  };
  char *pkg = build_pkg(pkgs, "built", NULL, entries, sizeof entries / sizeof entries[0], NULL);
  krait_record rec;
  CHECK(fx_record(pkg, "built-1.0-0.tar.bz2", &rec), "record");

  /* 1. a short prefix */
  krait_err err = {0};
  CHECK(krait_link_check_prefix(pkg, prefix, &err) == 0, "%s", err.msg);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  CHECK(res.paths.len == 7 && res.link_type == KRAIT_LINK_HARDLINK, "%zu paths, type %d", res.paths.len,
        res.link_type);

  krait_buf got = KRAIT_BUF_INIT, want = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "bin/tool", &got), "tool");
  krait_buf_printf(&want, "#!%s/bin/python -u\nprint('%s/share')\n", prefix, prefix);
  CHECK_STR(krait_buf_str(&got), krait_buf_str(&want));
  struct stat st;
  char *tool = krait_path_join(prefix, "bin/tool");
  CHECK(stat(tool, &st) == 0 && (st.st_mode & 07777) == 0755, "tool mode %o", st.st_mode & 07777);
  CHECK(fx_ino(prefix, "bin/tool") != fx_ino(pkg, "bin/tool"), "replaced file is a private copy");
  const krait_path_entry *te = find(&res.paths, "bin/tool");
  char *sha = file_sha(prefix, "bin/tool");
  char *pkg_sha = file_sha(pkg, "bin/tool");
  CHECK(te && te->sha256_in_prefix && strcmp(te->sha256_in_prefix, sha) == 0, "sha256_in_prefix of rewrite");
  CHECK(te && te->sha256 && strcmp(te->sha256, pkg_sha) == 0, "sha256 of the package file");
  CHECK(te && te->prefix_placeholder && strcmp(te->prefix_placeholder, text_ph) == 0 &&
            te->file_mode == KRAIT_FILE_MODE_TEXT && te->size == (int64_t)script.len,
        "placeholder recorded");
  free(sha);
  free(pkg_sha);

  krait_buf_clear(&want);
  krait_buf_printf(&want, "root=%s\nlib=%s/lib:%s/lib64\n", prefix, prefix, prefix);
  CHECK(fx_read(prefix, "etc/conf.txt", &got) && strcmp(krait_buf_str(&got), krait_buf_str(&want)) == 0,
        "every occurrence replaced: %s", krait_buf_str(&got));

  CHECK(fx_ino(prefix, "share/data.txt") == fx_ino(pkg, "share/data.txt"), "hard link shares the inode");
  char *data = krait_path_join(prefix, "share/data.txt");
  CHECK(stat(data, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept");
  CHECK(fx_ino(prefix, "share/nolink.txt") != fx_ino(pkg, "share/nolink.txt") &&
            fx_read(prefix, "share/nolink.txt", &got) && strcmp(krait_buf_str(&got), "copy me\n") == 0,
        "no_link copied");
  const krait_path_entry *nl = find(&res.paths, "share/nolink.txt");
  CHECK(nl && nl->no_link, "no_link recorded");

  /* binary: same length, strings rewritten and NUL-padded, the unterminated tail untouched */
  size_t pad = strlen(ph) - strlen(prefix);
  krait_buf_clear(&want);
  krait_buf_append(&want, "\x7f" "ELF\0", 5);
  krait_buf_printf(&want, "%s/lib/python3.11", prefix);
  for (size_t i = 0; i < pad; i++)
    krait_buf_putc(&want, '\0');
  krait_buf_append(&want, "\0XYZ", 4);
  krait_buf_puts(&want, prefix);
  for (size_t i = 0; i < pad; i++)
    krait_buf_putc(&want, '\0');
  krait_buf_append(&want, "\0mid:", 5);
  krait_buf_printf(&want, "%s:%s/bin", prefix, prefix);
  for (size_t i = 0; i < 2 * pad; i++)
    krait_buf_putc(&want, '\0');
  krait_buf_append(&want, "\0end", 4);
  krait_buf_puts(&want, ph);
  CHECK(fx_read(prefix, "lib/libx.so", &got), "libx");
  CHECK(got.len == bin.len && want.len == bin.len, "length kept: %zu vs %zu (want %zu)", got.len, bin.len,
        want.len);
  CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0, "binary content");
  const krait_path_entry *be = find(&res.paths, "lib/libx.so");
  CHECK(be && be->file_mode == KRAIT_FILE_MODE_BINARY && be->size == (int64_t)bin.len, "binary recorded");

  char target[256] = "";
  char *so1 = krait_path_join(prefix, "lib/libx.so.1");
  ssize_t tn = readlink(so1, target, sizeof target - 1);
  CHECK(tn == 7 && memcmp(target, "libx.so", 7) == 0, "symlink recreated");
  const krait_path_entry *se = find(&res.paths, "lib/libx.so.1");
  CHECK(se && se->type == KRAIT_PATH_SOFTLINK, "softlink recorded");
  char *empty = krait_path_join(prefix, "share/empty");
  CHECK(krait_is_dir(empty), "directory created");

  /* unlink removes everything, empty directories too */
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0, "%s", err.msg);
  CHECK(dir_only_has(prefix, NULL), "prefix empty after unlink");
  CHECK(fx_exists(pkg, "share/data.txt"), "cache untouched");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* 2. a long prefix with spaces: shebang goes through /usr/bin/env */
  krait_buf longp = KRAIT_BUF_INIT;
  krait_buf_printf(&longp, "%s/env with spaces/", tmp);
  while (longp.len < 150)
    krait_buf_puts(&longp, "deep/");
  krait_buf_puts(&longp, "p");
  l = krait_linker_new(ctx, longp.data, NULL);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  CHECK(fx_read(longp.data, "bin/tool", &got), "tool (long)");
  krait_buf_clear(&want);
  krait_buf_printf(&want, "#!/usr/bin/env python -u\nprint('%s/share')\n", longp.data);
  CHECK_STR(krait_buf_str(&got), krait_buf_str(&want));
  CHECK(fx_read(longp.data, "lib/libx.so", &got) && got.len == bin.len &&
            memmem(got.data, got.len, longp.data, longp.len),
        "binary with a long prefix");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* 3. a prefix longer than the binary placeholder: refused before anything is written */
  krait_buf toolong = KRAIT_BUF_INIT;
  krait_buf_printf(&toolong, "%s/long", tmp);
  while (toolong.len <= 260)
    krait_buf_puts(&toolong, "/xxxxxxxxx");
  CHECK(krait_link_check_prefix(pkg, toolong.data, &err) == KRAIT_E_INVALID && strstr(err.msg, "lib/libx.so") &&
            strstr(err.msg, "255"),
        "check: %s", err.msg);
  l = krait_linker_new(ctx, toolong.data, NULL);
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == KRAIT_E_INVALID && res.paths.len == 0, "link refuses: %s",
        err.msg);
  CHECK(!krait_path_exists(toolong.data), "nothing written for a too-long prefix");
  krait_linker_free(l);

  krait_buf_free(&toolong);
  krait_buf_free(&longp);
  free(empty);
  free(so1);
  free(data);
  free(tool);
  krait_buf_free(&got);
  krait_buf_free(&want);
  krait_record_free(&rec);
  free(pkg);
  krait_buf_free(&script);
  krait_buf_free(&conf);
  krait_buf_free(&bin);
  free(ph);
  link_fx_close(&fx);
}

static void test_copy_fallback(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-fb", "env-copy");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  fx_entry e1[] = {{.path = "share/one.txt", .data = "one\n"}, {.path = "share/two.txt", .data = "two\n"}};
  fx_entry e2[] = {{.path = "share/three.txt", .data = "three\n", .mode = 0755}};
  char *p1 = build_pkg(pkgs, "fb-one", NULL, e1, 2, NULL);
  char *p2 = build_pkg(pkgs, "fb-two", NULL, e2, 1, NULL);
  krait_record r1, r2;
  fx_record(p1, "fb-one-1.0-0.conda", &r1);
  fx_record(p2, "fb-two-1.0-0.conda", &r2);
  krait_err err = {0};
  krait_link_result res;

  /* always_copy: private copies, link.type 3 */
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.always_copy = true;
  krait_linker *l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, p1, &r1, &res, &err) == 0, "%s", err.msg);
  CHECK(res.link_type == KRAIT_LINK_COPY, "type %d", res.link_type);
  CHECK(fx_ino(prefix, "share/one.txt") != fx_ino(p1, "share/one.txt"), "copied");
  krait_link_result_free(&res);
  krait_linker_free(l);

  /* another filesystem: link() fails with EXDEV, files are copied, reported once */
  struct stat a, b;
  char *shm = (stat("/dev/shm", &a) == 0 && stat(tmp, &b) == 0 && a.st_dev != b.st_dev) ? fx_tmpdir("/dev/shm")
                                                                                        : NULL;
  if (!shm) {
    krait_test_missing("no second filesystem at /dev/shm: the EXDEV copy fallback");
  } else {
    char *xprefix = krait_path_join(shm, "env");
    l = krait_linker_new(ctx, xprefix, NULL);
    CHECK(krait_linker_link(l, p1, &r1, &res, &err) == 0, "%s", err.msg);
    CHECK(res.link_type == KRAIT_LINK_COPY, "fallback type %d", res.link_type);
    krait_buf got = KRAIT_BUF_INIT;
    CHECK(fx_read(xprefix, "share/two.txt", &got) && strcmp(krait_buf_str(&got), "two\n") == 0, "copied content");
    krait_link_result_free(&res);
    CHECK(krait_linker_link(l, p2, &r2, &res, &err) == 0, "%s", err.msg);
    char *three = krait_path_join(xprefix, "share/three.txt");
    struct stat st;
    CHECK(stat(three, &st) == 0 && (st.st_mode & 07777) == 0755, "mode kept on copy");
    CHECK(count_containing(&fx.ev.warnings, "cannot hard-link", pkgs) == 1, "one report per (pkgs dir, prefix): %zu",
          count_containing(&fx.ev.warnings, "cannot hard-link", NULL));
    CHECK(count_containing(&fx.ev.warnings, "cannot hard-link", "cross-device") == 1 ||
              count_containing(&fx.ev.warnings, "cannot hard-link", "Invalid cross-device") == 1,
          "the reason is named");
    krait_link_result_free(&res);
    krait_linker_free(l);
    krait_buf_free(&got);
    free(three);
    krait_rm_rf(shm, NULL);
    free(xprefix);
    free(shm);
  }
  krait_record_free(&r1);
  krait_record_free(&r2);
  free(p1);
  free(p2);
  link_fx_close(&fx);
}

/* Symlinked directories: fine inside the prefix, refused when they lead out. */
static void test_symlink_escape(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-escape", "escape-env");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  char *outside = krait_path_join(tmp, "outside");
  krait_mkdir_p(outside, 0755, NULL);
  fx_entry good[] = {{.path = "lib/real.txt", .data = "r\n"},
                     {.path = "lib64", .type = KRAIT_PATH_SOFTLINK, .link_target = "lib"},
                     {.path = "lib64/inside.txt", .data = "i\n"}};
  fx_entry bad[] = {{.path = "share/evil", .type = KRAIT_PATH_SOFTLINK, .link_target = outside},
                    {.path = "share/evil/pwned.txt", .data = "original\n"}};
  fx_entry meta[] = {{.path = "conda-meta/fake-1-0.json", .data = "{}"}};
  char *gp = build_pkg(pkgs, "good", NULL, good, 3, NULL);
  /* the cache's share/evil is the same link, so outside/pwned.txt is the
   * "package file": linking it through the prefix's link would first delete
   * it as a clobbered path */
  char *bp2 = build_pkg(pkgs, "bad", NULL, bad, 2, NULL);
  char *mp = build_pkg(pkgs, "meta", NULL, meta, 1, NULL);
  krait_record gr, br, mr;
  fx_record(gp, "good-1.0-0.tar.bz2", &gr);
  fx_record(bp2, "bad-1.0-0.tar.bz2", &br);
  fx_record(mp, "meta-1.0-0.tar.bz2", &mr);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, gp, &gr, &res, &err) == 0, "in-prefix dir link: %s", err.msg);
  CHECK(fx_exists(prefix, "lib/inside.txt"), "written through lib64 -> lib");
  krait_link_result_free(&res);
  CHECK(krait_linker_link(l, bp2, &br, &res, &err) == KRAIT_E_UNSAFE && strstr(err.msg, "outside the prefix"), "%s",
        err.msg);
  krait_buf got = KRAIT_BUF_INIT;
  CHECK(fx_read(outside, "pwned.txt", &got) && strcmp(krait_buf_str(&got), "original\n") == 0 &&
            !fx_exists(prefix, "share"),
        "nothing touched outside, rolled back");
  krait_buf_free(&got);
  CHECK(krait_linker_link(l, mp, &mr, &res, &err) == KRAIT_E_UNSAFE && strstr(err.msg, "conda-meta"), "%s",
        err.msg);
  CHECK(!fx_exists(prefix, "conda-meta/fake-1-0.json"), "conda-meta untouched");
  krait_linker_free(l);
  krait_record_free(&gr);
  krait_record_free(&br);
  krait_record_free(&mr);
  free(gp);
  free(bp2);
  free(mp);
  free(outside);
  link_fx_close(&fx);
}

/* The linker remembers which directories it verified or created (to save a
 * stat per ancestor, a realpath and a destination lstat per file): what it
 * remembers must never let a later package write through a directory that
 * was replaced meanwhile, nor hide a duplicate path or a missing cache file. */
static void test_dir_cache(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, "pkgs-dircache", "dircache-env");
  krait_ctx *ctx = fx.ctx;
  const char *pkgs = fx.pkgs, *prefix = fx.prefix;
  char *outside = krait_path_join(tmp, "outside-dircache");
  krait_mkdir_p(outside, 0755, NULL);
  fx_entry a[] = {{.path = "lib/d/one.txt", .data = "1\n"}, {.path = "lib/d/sub/two.txt", .data = "2\n"}};
  fx_entry b[] = {{.path = "lib/d/three.txt", .data = "3\n"}};
  /* the same path twice below a directory the package creates itself */
  fx_entry dup[] = {{.path = "share/dup/x.txt", .data = "x\n"}, {.path = "share/dup/x.txt", .data = "x\n"}};
  fx_entry gone[] = {{.path = "share/gone/y.txt", .data = "y\n"}};
  char *ap = build_pkg(pkgs, "dca", NULL, a, 2, NULL);
  char *bp = build_pkg(pkgs, "dcb", NULL, b, 1, NULL);
  char *dp = build_pkg(pkgs, "dcdup", NULL, dup, 2, NULL);
  char *gp = build_pkg(pkgs, "dcgone", NULL, gone, 1, NULL);
  char *gone_file = krait_path_join(gp, "share/gone/y.txt");
  unlink(gone_file);
  krait_record ar, br, dr, gr;
  fx_record(ap, "dca-1.0-0.tar.bz2", &ar);
  fx_record(bp, "dcb-1.0-0.tar.bz2", &br);
  fx_record(dp, "dcdup-1.0-0.tar.bz2", &dr);
  fx_record(gp, "dcgone-1.0-0.tar.bz2", &gr);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, ap, &ar, &res, &err) == 0 && res.paths.len == 2, "first package: %s", err.msg);
  krait_link_result_free(&res);
  /* lib/d is swapped for a link leading out of the prefix between packages */
  char *d = krait_path_join(prefix, "lib/d");
  CHECK(krait_rm_rf(d, NULL) == 0 && symlink(outside, d) == 0, "lib/d replaced by a link to %s", outside);
  CHECK(krait_linker_link(l, bp, &br, &res, &err) == KRAIT_E_UNSAFE && strstr(err.msg, "outside the prefix"),
        "the replaced directory is checked again: %s", err.msg);
  CHECK(!fx_exists(outside, "three.txt"), "nothing written outside");
  CHECK(krait_linker_link(l, dp, &dr, &res, &err) == 0, "duplicate path: %s", err.msg);
  CHECK(res.clobbered.len == 1 && strcmp(res.clobbered.items[0], "share/dup/x.txt") == 0,
        "the second copy clobbers the first (%zu)", res.clobbered.len);
  krait_buf got = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "share/dup/x.txt", &got) && strcmp(krait_buf_str(&got), "x\n") == 0, "duplicate linked");
  krait_buf_free(&got);
  krait_link_result_free(&res);
  CHECK(krait_linker_link(l, gp, &gr, &res, &err) == KRAIT_E_IO && strstr(err.msg, "missing") &&
            strstr(err.msg, "y.txt"),
        "a missing cache file is named: %s", err.msg);
  CHECK(!fx_exists(prefix, "share/gone"), "the failed package left no directory");
  krait_linker_free(l);
  /* journaled: a run of files announced at once, the middle one missing */
  fx_entry runs[] = {{.path = "share/run/a.txt", .data = "a\n"},
                     {.path = "share/run/b.txt", .data = "b\n"},
                     {.path = "share/run/c.txt", .data = "c\n"}};
  char *rp = build_pkg(pkgs, "dcrun", NULL, runs, 3, NULL);
  char *b_file = krait_path_join(rp, "share/run/b.txt");
  unlink(b_file);
  krait_record rr;
  fx_record(rp, "dcrun-1.0-0.tar.bz2", &rr);
  char *jprefix = krait_path_join(tmp, "dircache-journal-env");
  krait_mkdir_p(jprefix, 0755, NULL);
  krait_journal *jr = NULL;
  CHECK(krait_journal_begin(jprefix, true, &jr, &err) == KRAIT_OK, "%s", err.msg);
  krait_link_opts jo;
  krait_link_opts_init(&jo);
  jo.journal = jr;
  krait_ctx *jctx = krait_ctx_new();
  l = krait_linker_new(jctx, jprefix, &jo);
  CHECK(krait_linker_link(l, rp, &rr, &res, &err) == KRAIT_E_IO && strstr(err.msg, "b.txt"), "run stops at b: %s",
        err.msg);
  krait_err undo = {0};
  CHECK(jr && krait_journal_rollback(jr, &undo) == KRAIT_OK, "rollback: %s", undo.msg);
  CHECK(!krait_path_exists(jprefix), "rolled back to nothing");
  krait_linker_free(l);
  krait_ctx_free(jctx);
  krait_record_free(&rr);
  free(jprefix);
  free(b_file);
  free(rp);
  krait_record_free(&ar);
  krait_record_free(&br);
  krait_record_free(&dr);
  krait_record_free(&gr);
  free(d);
  free(gone_file);
  free(ap);
  free(bp);
  free(dp);
  free(gp);
  free(outside);
  link_fx_close(&fx);
}

static void test_zlib_binary(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "zenv");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  krait_record rec;
  char *pkg = real_pkg(tmp, "pkgs-real", "channels/conda-format-repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2", &rec);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  krait_buf got = KRAIT_BUF_INIT, orig = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "lib/libz.1.2.11.dylib", &got) && fx_read(pkg, "lib/libz.1.2.11.dylib", &orig), "read");
  CHECK(got.len == 100996 && got.len == orig.len, "length kept %zu", got.len);
  CHECK(!memmem(got.data, got.len, "_h_env_placehold", 16), "placeholder gone");
  /* the one placeholder string in the library is "<placeholder>/lib" (an rpath) */
  char *needle = krait_asprintf("%s/lib", prefix);
  char *hit = memmem(got.data, got.len, needle, strlen(needle) + 1);
  CHECK(hit != NULL, "rpath rewritten to the prefix");
  if (hit) {
    /* the rewritten string is NUL-padded up to where the old one ended */
    const char *old = memmem(orig.data, orig.len, "/opt/concourse", 14);
    size_t old_len = old ? strlen(old) : 0;
    size_t off = (size_t)(hit - got.data);
    CHECK(old && (size_t)(old - orig.data) == off, "same offset");
    bool pads = true;
    for (size_t i = off + strlen(needle); i <= off + old_len && i < got.len; i++)
      pads &= got.data[i] == '\0';
    CHECK(pads, "NUL padding");
  }
  const krait_path_entry *e = find(&res.paths, "lib/libz.1.2.11.dylib");
  char *sha = file_sha(prefix, "lib/libz.1.2.11.dylib");
  CHECK(e && e->sha256 && strcmp(e->sha256, "ba0ba7b406dd17acf750f4a4ed9a131c93bf3b843c66186bf7981fc9301cc122") == 0 &&
            e->sha256_in_prefix && strcmp(e->sha256_in_prefix, sha) == 0 && strcmp(sha, e->sha256) != 0,
        "sha256 vs sha256_in_prefix");
  CHECK(fx_read(prefix, "lib/pkgconfig/zlib.pc", &got) && strstr(krait_buf_str(&got), prefix) &&
            !strstr(krait_buf_str(&got), "anaconda1anaconda2"),
        "zlib.pc text replacement");
  CHECK(fx_ino(prefix, "include/zlib.h") == fx_ino(pkg, "include/zlib.h"), "plain file hard linked");
  char *toolong = krait_asprintf("%s/%0300d", tmp, 0);
  CHECK(krait_link_check_prefix(pkg, toolong, &err) == KRAIT_E_INVALID && strstr(err.msg, "libz.1.2.11.dylib"),
        "%s", err.msg);
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0 && dir_only_has(prefix, NULL), "unlinked");
  free(toolong);
  free(sha);
  free(needle);
  krait_buf_free(&got);
  krait_buf_free(&orig);
  krait_link_result_free(&res);
  krait_linker_free(l);
  krait_record_free(&rec);
  free(pkg);
  link_fx_close(&fx);
}

static void test_symlink_edge_cases(const char *tmp) {
  link_fx fx;
  link_fx_open(&fx, tmp, NULL, "symenv");
  krait_ctx *ctx = fx.ctx;
  const char *prefix = fx.prefix;
  krait_record rec;
  char *pkg = real_pkg(tmp, "pkgs-real", "packages/edge-cases/cph_test_data-0.0.1-0.tar.bz2", &rec);
  krait_linker *l = krait_linker_new(ctx, prefix, NULL);
  krait_link_result res;
  krait_err err = {0};
  CHECK(krait_linker_link(l, pkg, &rec, &res, &err) == 0, "%s", err.msg);
  static const char *const links[] = {"bin/hello", "lib/alib", "lib/libdangle.lib", "lib/python3.1",
                                      "lib/terminfo", "libexec/greetings", "share/termcap"};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    char a[512] = "", b[512] = "";
    char *pa = krait_path_join(prefix, links[i]), *pb = krait_path_join(pkg, links[i]);
    ssize_t na = readlink(pa, a, sizeof a - 1), nb = readlink(pb, b, sizeof b - 1);
    CHECK(na > 0 && na == nb && memcmp(a, b, (size_t)na) == 0, "%s -> same target", links[i]);
    const krait_path_entry *e = find(&res.paths, links[i]);
    CHECK(e && e->type == KRAIT_PATH_SOFTLINK, "%s recorded softlink", links[i]);
    free(pa);
    free(pb);
  }
  char *dangle = krait_path_join(prefix, "lib/libdangle.lib");
  CHECK(krait_path_exists(dangle) && !krait_is_dir(dangle), "dangling link kept");
  char *dirlink = krait_path_join(prefix, "lib/alib");
  CHECK(krait_is_dir(dirlink), "directory link resolves");
  krait_buf out = KRAIT_BUF_INIT;
  char *cmd = krait_asprintf("'%s/libexec/greetings'", prefix);
  CHECK(run(cmd, &out) == 0 && strstr(krait_buf_str(&out), "hello world"), "relative link chain runs: %s",
        krait_buf_str(&out));
  CHECK(krait_linker_unlink(l, &rec, &res.paths, &err) == 0, "%s", err.msg);
  CHECK(dir_only_has(prefix, NULL), "everything removed, links (not their targets) included");
  CHECK(fx_exists(pkg, "lib/alibrary/alib.lib"), "cache intact");
  free(cmd);
  krait_buf_free(&out);
  free(dangle);
  free(dirlink);
  krait_link_result_free(&res);
  krait_linker_free(l);
  krait_record_free(&rec);
  free(pkg);
  link_fx_close(&fx);
}

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  test_built_package(tmp);
  test_copy_fallback(tmp);
  test_symlink_escape(tmp);
  test_dir_cache(tmp);
  /* real packages from ../shared (each absence is counted by krait_test_shared) */
  char *probe = krait_test_shared("packages");
  if (probe) {
    test_zlib_binary(tmp);
    test_symlink_edge_cases(tmp);
  }
  free(probe);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link_files");
}
