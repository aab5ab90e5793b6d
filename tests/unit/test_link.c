/* Linking packages into prefixes and unlinking them: packages built here
 * (placeholders, shebangs, scripts, clobbering) and real ones from the shared
 * data (zlib with a binary placeholder, symlink edge cases, a noarch: python
 * package with entry points and a post-link script). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/ctx.h"
#include "krait/link.h"
#include "krait/meta.h"
#include "pkg_fixture.h"

/* ---- event capture ---- */

typedef struct events {
  krait_strv warnings;
  krait_strv infos;
  krait_strv notices; /* shown to the user by default (link-script messages) */
} events;

static void on_event(void *user, krait_event_level level, const char *msg) {
  events *ev = user;
  if (level == KRAIT_EV_WARNING)
    krait_strv_push(&ev->warnings, msg);
  else if (level == KRAIT_EV_INFO)
    krait_strv_push(&ev->infos, msg);
  else if (level == KRAIT_EV_NOTICE)
    krait_strv_push(&ev->notices, msg);
}

static size_t count_containing(const krait_strv *v, const char *a, const char *b) {
  size_t n = 0;
  for (size_t i = 0; i < v->len; i++)
    n += strstr(v->items[i], a) && (!b || strstr(v->items[i], b));
  return n;
}

/* ---- building packages ---- */

typedef struct fx_entry {
  const char *path;
  const char *data; /* NULL for links and directories */
  size_t len;       /* 0 = strlen(data) */
  mode_t mode;
  krait_path_type type;
  const char *link_target;
  const char *placeholder;
  bool binary;
  bool no_link;
} fx_entry;

/* Writes pkgs_dir/<name>-<version>-0/ with info/index.json and info/paths.json. */
static char *build_pkg(const char *pkgs_dir, const char *name, const char *noarch, const fx_entry *entries,
                       size_t n, const char *link_json) {
  char *dist = krait_asprintf("%s-1.0-0", name);
  char *dir = krait_path_join(pkgs_dir, dist);
  krait_buf idx = KRAIT_BUF_INIT, pj = KRAIT_BUF_INIT;
  krait_buf_printf(&idx,
                   "{\"name\":\"%s\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[],"
                   "\"subdir\":\"%s\"%s%s%s}",
                   name, noarch ? "noarch" : "linux-64", noarch ? ",\"noarch\":\"" : "", noarch ? noarch : "",
                   noarch ? "\"" : "");
  fx_write(dir, "info/index.json", idx.data, idx.len, 0644);
  krait_buf_puts(&pj, "{\"paths\":[");
  for (size_t i = 0; i < n; i++) {
    const fx_entry *e = &entries[i];
    size_t len = e->data ? (e->len ? e->len : strlen(e->data)) : 0;
    char *full = krait_path_join(dir, e->path);
    char hex[65] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    if (e->type == KRAIT_PATH_DIRECTORY) {
      krait_mkdir_p(full, 0755, NULL);
    } else if (e->type == KRAIT_PATH_SOFTLINK) {
      char *parent = krait_path_dirname(full);
      krait_mkdir_p(parent, 0755, NULL);
      CHECK(symlink(e->link_target, full) == 0, "symlink %s", full);
      free(parent);
    } else {
      fx_write(dir, e->path, e->data, len, e->mode ? e->mode : 0644);
      krait_digest_hex("sha256", e->data, len, hex, sizeof hex);
    }
    krait_buf_printf(&pj, "%s{\"_path\":\"%s\",\"path_type\":\"%s\",\"sha256\":\"%s\",\"size_in_bytes\":%zu",
                     i ? "," : "", e->path, krait_path_type_name(e->type), hex, len);
    if (e->placeholder)
      krait_buf_printf(&pj, ",\"prefix_placeholder\":\"%s\",\"file_mode\":\"%s\"", e->placeholder,
                       e->binary ? "binary" : "text");
    if (e->no_link)
      krait_buf_puts(&pj, ",\"no_link\":true");
    krait_buf_putc(&pj, '}');
    free(full);
  }
  krait_buf_puts(&pj, "],\"paths_version\":1}");
  fx_write(dir, "info/paths.json", pj.data, pj.len, 0644);
  if (link_json)
    fx_write_str(dir, "info/link.json", link_json, 0644);
  krait_buf_free(&idx);
  krait_buf_free(&pj);
  free(dist);
  return dir;
}

static const krait_path_entry *find(const krait_paths *p, const char *path) {
  for (size_t i = 0; i < p->len; i++)
    if (strcmp(p->items[i].path, path) == 0)
      return &p->items[i];
  return NULL;
}

static char *file_sha(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  char hex[65] = "";
  krait_file_digest(p, "sha256", hex, sizeof hex, NULL);
  free(p);
  return krait_strdup(hex);
}

/* True when dir has no entries other than those named in keep (NULL-terminated). */
static bool dir_only_has(const char *dir, const char *const *keep) {
  char *cmd = krait_asprintf("ls -A '%s'", dir);
  FILE *f = popen(cmd, "r");
  free(cmd);
  if (!f)
    return false;
  char line[4096];
  bool ok = true;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    bool kept = false;
    for (size_t i = 0; keep && keep[i]; i++)
      kept |= strcmp(keep[i], line) == 0;
    if (!kept) {
      fprintf(stderr, "  leftover in %s: %s\n", dir, line);
      ok = false;
    }
  }
  pclose(f);
  return ok;
}

/* Runs a command, returns its exit status and output. */
static int run(const char *cmd, krait_buf *out) {
  FILE *f = popen(cmd, "r");
  if (!f)
    return -1;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    krait_buf_append(out, chunk, n);
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *placeholder255(void) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "/opt/build/_h_env");
  while (b.len < 255)
    krait_buf_puts(&b, "_placehold");
  char *s = krait_strndup(b.data, 255);
  krait_buf_free(&b);
  return s;
}

static krait_ctx *ctx_with(events *ev) {
  krait_ctx *ctx = krait_ctx_new();
  ctx->on_event = on_event;
  ctx->user = ev;
  return ctx;
}

/* ---- rewriting (pure functions) ---- */

static void test_replace_text_table(void) {
  static const struct {
    const char *in, *ph, *prefix, *want;
  } cases[] = {
      {"a /PH/b /PH\n", "/PH", "/env", "a /env/b /env\n"},
      {"no placeholder", "/PH", "/env", "no placeholder"},
      {"#!/PH/bin/python -u\nx=/PH\n", "/PH", "/env", "#!/env/bin/python -u\nx=/env\n"},
      {"#!/PH/bin/python -u\n", "/PH", "/my env", "#!/usr/bin/env python -u\n"},
      {"#!/PH/bin/perl\n", "/PH", "/a/b", "#!/a/b/bin/perl\n"},
      {"#!/bin/sh\n/PH\n", "/PH", "/with space", "#!/bin/sh\n/with space\n"},
      {"#!/PH/bin/python", "/PH", "/p", "#!/p/bin/python"},
      {"", "/PH", "/p", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    krait_buf out = KRAIT_BUF_INIT;
    krait_replace_text(cases[i].in, strlen(cases[i].in), cases[i].ph, cases[i].prefix, &out);
    CHECK_STR(krait_buf_str(&out), cases[i].want);
    krait_buf_free(&out);
  }
  /* shebang limit: 127 bytes is fine, 128 is not */
  char prefix[200];
  size_t base = strlen("#!") + strlen("/bin/python");
  memset(prefix, 'p', sizeof prefix);
  prefix[0] = '/';
  prefix[127 - base] = '\0';
  krait_buf out = KRAIT_BUF_INIT;
  krait_replace_text("#!/PH/bin/python\n", 17, "/PH", prefix, &out);
  CHECK(strncmp(krait_buf_str(&out), "#!/ppp", 6) == 0 && out.len == 128, "127-byte shebang kept (%zu)", out.len);
  prefix[127 - base] = 'p';
  prefix[128 - base] = '\0';
  krait_replace_text("#!/PH/bin/python -E\n", 20, "/PH", prefix, &out);
  CHECK_STR(krait_buf_str(&out), "#!/usr/bin/env python -E\n");
  krait_buf_free(&out);
}

static void test_replace_binary_direct(void) {
  char data[] = "xx/PHPH/lib\0yy/PHPH\0/PH";
  size_t len = sizeof data - 1, count = 0;
  krait_err err = {0};
  CHECK(krait_replace_binary(data, len, "/PHPH", "/e", &count, &err) == 0, "%s", err.msg);
  static const char want[] = "xx/e/lib\0\0\0\0yy/e\0\0\0\0/PH";
  CHECK(count == 2 && memcmp(data, want, len) == 0, "binary rewrite, %zu strings", count);
  char two[] = "/PHPH:/PHPH\0";
  CHECK(krait_replace_binary(two, sizeof two - 1, "/PHPH", "/ab", &count, NULL) == 0 && count == 1 &&
            memcmp(two, "/ab:/ab\0\0\0\0\0", 12) == 0,
        "two placeholders in one string padded twice");
  char unterminated[] = "a/PHPH";
  CHECK(krait_replace_binary(unterminated, 6, "/PHPH", "/x", &count, NULL) == 0 && count == 0 &&
            memcmp(unterminated, "a/PHPH", 6) == 0,
        "placeholder without a terminating NUL left alone");
  char shortbuf[] = "/PH\0";
  CHECK(krait_replace_binary(shortbuf, 4, "/PH", "/long", &count, &err) == KRAIT_E_INVALID &&
            strstr(err.msg, "/long") && strstr(err.msg, "longer"),
        "too long: %s", err.msg);
}

static void test_noarch_paths(void) {
  static const struct {
    const char *in, *sp, *want;
  } cases[] = {
      {"site-packages/a/b.py", "lib/python3.11/site-packages", "lib/python3.11/site-packages/a/b.py"},
      {"site-packages/x", "lib/python3.13t/site-packages", "lib/python3.13t/site-packages/x"},
      {"python-scripts/tool", "lib/python3.11/site-packages", "bin/tool"},
      {"share/doc/x", "lib/python3.11/site-packages", "share/doc/x"},
      {"site-packagesX/y", "sp", "site-packagesX/y"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = krait_noarch_python_path(cases[i].in, cases[i].sp);
    CHECK_STR(got, cases[i].want);
    free(got);
  }
}

static void test_python_xy(void) {
  static const struct {
    const char *in, *want;
  } cases[] = {{"3.11.9", "3.11"}, {"3.13.0rc1", "3.13"}, {"2.7", "2.7"}, {"1!3.12.1", "3.12"},
               {"3", NULL},        {"abc", NULL},        {"3.x", NULL}, {"310.1000.2", "310.1000"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = krait_python_xy(cases[i].in);
    if (cases[i].want)
      CHECK_STR(got, cases[i].want);
    else
      CHECK(got == NULL, "%s -> %s", cases[i].in, got);
    free(got);
  }
}

static void test_entry_point_text(void) {
  char *cmd = NULL;
  krait_buf s = KRAIT_BUF_INIT;
  CHECK(krait_entry_point_script("my-tool = pkg.cli:main", "/env/bin/python3.11", &cmd, &s), "parse");
  CHECK_STR(cmd, "my-tool");
  CHECK(strncmp(krait_buf_str(&s), "#!/env/bin/python3.11\n", 22) == 0, "shebang: %s", krait_buf_str(&s));
  CHECK(strstr(krait_buf_str(&s), "from pkg.cli import main\n") && strstr(krait_buf_str(&s), "sys.exit(main())"),
        "body");
  free(cmd);
  cmd = NULL;
  CHECK(krait_entry_point_script("t=m:obj.method", "/a b/bin/python", &cmd, &s), "dotted func");
  CHECK(strncmp(krait_buf_str(&s), "#!/bin/sh\n'''exec' \"/a b/bin/python\" \"$0\" \"$@\" #'''\n", 50) == 0,
        "trampoline: %s", krait_buf_str(&s));
  CHECK(strstr(krait_buf_str(&s), "from m import obj\n") && strstr(krait_buf_str(&s), "sys.exit(obj.method())"),
        "dotted import");
  free(cmd);
  static const char *const bad[] = {"nocolon = mod", "= m:f", "x = m:", "../x = m:f", "x = m;rm:f", "x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cmd = NULL;
    CHECK(!krait_entry_point_script(bad[i], "/p/bin/python", &cmd, &s) && cmd == NULL, "rejects %s", bad[i]);
  }
  krait_buf_free(&s);
}

/* ---- a package built here: placeholders, links, modes ---- */

static void test_built_package(const char *tmp) {
  char *ph = placeholder255();
  char *pkgs = krait_path_join(tmp, "pkgs");
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
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);

  /* 1. a short prefix */
  char *prefix = krait_path_join(tmp, "env");
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
  free(prefix);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&rec);
  free(pkg);
  krait_buf_free(&script);
  krait_buf_free(&conf);
  krait_buf_free(&bin);
  free(pkgs);
  free(ph);
}

/* ---- copy fallback across filesystems ---- */

static void test_copy_fallback(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-fb");
  fx_entry e1[] = {{.path = "share/one.txt", .data = "one\n"}, {.path = "share/two.txt", .data = "two\n"}};
  fx_entry e2[] = {{.path = "share/three.txt", .data = "three\n", .mode = 0755}};
  char *p1 = build_pkg(pkgs, "fb-one", NULL, e1, 2, NULL);
  char *p2 = build_pkg(pkgs, "fb-two", NULL, e2, 1, NULL);
  krait_record r1, r2;
  fx_record(p1, "fb-one-1.0-0.conda", &r1);
  fx_record(p2, "fb-two-1.0-0.conda", &r2);
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  krait_err err = {0};
  krait_link_result res;

  /* always_copy: private copies, link.type 3 */
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.always_copy = true;
  char *prefix = krait_path_join(tmp, "env-copy");
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
    fprintf(stderr, "note: no second filesystem at /dev/shm: EXDEV fallback not exercised\n");
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
    CHECK(count_containing(&ev.warnings, "cannot hard-link", pkgs) == 1, "one report per (pkgs dir, prefix): %zu",
          count_containing(&ev.warnings, "cannot hard-link", NULL));
    CHECK(count_containing(&ev.warnings, "cannot hard-link", "cross-device") == 1 ||
              count_containing(&ev.warnings, "cannot hard-link", "Invalid cross-device") == 1,
          "the reason is named");
    krait_link_result_free(&res);
    krait_linker_free(l);
    krait_buf_free(&got);
    free(three);
    krait_rm_rf(shm, NULL);
    free(xprefix);
    free(shm);
  }
  free(prefix);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&r1);
  krait_record_free(&r2);
  free(p1);
  free(p2);
  free(pkgs);
}

/* ---- real packages ---- */

static void test_zlib_binary(const char *tmp) {
  char *arc = krait_test_shared("channels/conda-format-repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2");
  char *pkg = krait_path_join(tmp, "pkgs-real/zlib-1.2.11-h1de35cc_3");
  CHECK(fx_extract(arc, pkg), "extract");
  krait_record rec;
  CHECK(fx_record(pkg, "zlib-1.2.11-h1de35cc_3.tar.bz2", &rec), "record");
  char *prefix = krait_path_join(tmp, "zenv");
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
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
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&rec);
  free(prefix);
  free(pkg);
  free(arc);
}

static void test_symlink_edge_cases(const char *tmp) {
  char *arc = krait_test_shared("packages/edge-cases/cph_test_data-0.0.1-0.tar.bz2");
  char *pkg = krait_path_join(tmp, "pkgs-real/cph_test_data-0.0.1-0");
  CHECK(fx_extract(arc, pkg), "extract");
  krait_record rec;
  CHECK(fx_record(pkg, "cph_test_data-0.0.1-0.tar.bz2", &rec), "record");
  char *prefix = krait_path_join(tmp, "symenv");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  krait_record_free(&rec);
  free(prefix);
  free(pkg);
  free(arc);
}

/* An env whose python is Debian's python3.11; the pyvenv.cfg makes that
 * python use the env's lib/python3.11/site-packages, as a conda python would. */
static char *python_env(const char *tmp, const char *name) {
  char *prefix = krait_path_join(tmp, name);
  fx_write_str(prefix, "pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\n", 0644);
  char *bin = krait_path_join(prefix, "bin");
  krait_mkdir_p(bin, 0755, NULL);
  char *py = krait_path_join(bin, "python3.11"), *py2 = krait_path_join(bin, "python");
  CHECK(symlink("/usr/bin/python3", py) == 0 && symlink("python3.11", py2) == 0, "python links");
  free(py);
  free(py2);
  free(bin);
  return prefix;
}

static void test_noarch_python(const char *tmp) {
  if (access("/usr/bin/python3", X_OK) != 0) {
    fprintf(stderr, "note: /usr/bin/python3 missing: noarch python test skipped\n");
    return;
  }
  char *arc = krait_test_shared("packages/conda-build-test-archives/conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2");
  char *pkg = krait_path_join(tmp, "pkgs-real/conda-index-pkg-a-1.0-pyhed9eced_1");
  CHECK(fx_extract(arc, pkg), "extract");
  krait_record rec;
  CHECK(fx_record(pkg, "conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2", &rec), "record");
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
  free(arc);
}

/* ---- link scripts ---- */

static void test_scripts(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-scripts");
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
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  char *prefix = krait_path_join(tmp, "script-env");
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
  free(prefix);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&okr);
  krait_record_free(&badr);
  free(okp);
  free(badp);
  free(pkgs);
}

/* conda's own test packages: activation before post-link, a failing
 * post-link, two packages clobbering one file. */
static void test_conda_test_recipes(const char *tmp) {
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
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  char *prefix = krait_path_join(tmp, "recipes-env");
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
            count_containing(&ev.warnings, "clobber-b-1.0-0", "bin/clobber-test-file") == 1,
        "clobber reported");
  krait_buf a = KRAIT_BUF_INIT, b = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "bin/clobber-test-file", &a) && fx_read(dirs[3], "bin/clobber-test-file", &b) &&
            strcmp(krait_buf_str(&a), krait_buf_str(&b)) == 0,
        "the later package wins");
  krait_buf_free(&a);
  krait_buf_free(&b);
  krait_link_result_free(&res);
  krait_linker_free(l);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  for (size_t i = 0; i < 4; i++) {
    krait_record_free(&recs[i]);
    free(dirs[i]);
  }
  free(prefix);
}

/* rattler's link-scripts package: post-link creates a file, pre-unlink removes it. */
static void test_rattler_link_scripts(const char *tmp) {
  char *arc = krait_test_shared("packages/rattler-misc/link-scripts-0.1.0-h4616a5c_0.conda");
  char *pkg = krait_path_join(tmp, "pkgs-rattler/link-scripts-0.1.0-h4616a5c_0");
  krait_record rec;
  CHECK(fx_extract(arc, pkg) && fx_record(pkg, "link-scripts-0.1.0-h4616a5c_0.conda", &rec), "extract");
  char *prefix = krait_path_join(tmp, "rattler-scripts-env");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  krait_record_free(&rec);
  free(prefix);
  free(pkg);
  free(arc);
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

/* ---- clobbering ---- */

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
  char *pkgs = krait_path_join(tmp, "pkgs-clobber");
  fx_entry a[] = {{.path = "share/common.txt", .data = "from first\n"}};
  fx_entry b[] = {{.path = "share/common.txt", .data = "from second\n"}, {.path = "share/own.txt", .data = "x\n"}};
  char *pa = build_pkg(pkgs, "first", NULL, a, 1, NULL);
  char *pb = build_pkg(pkgs, "second", NULL, b, 2, NULL);
  krait_record ra, rb;
  fx_record(pa, "first-1.0-0.tar.bz2", &ra);
  fx_record(pb, "second-1.0-0.tar.bz2", &rb);
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  krait_err err = {0};
  krait_link_result res, res2;
  krait_buf got = KRAIT_BUF_INIT;

  /* default: warn naming both packages, overwrite */
  char *prefix = krait_path_join(tmp, "clob1");
  krait_link_opts o;
  krait_link_opts_init(&o);
  o.owner_of = owner_of;
  krait_linker *l = krait_linker_new(ctx, prefix, &o);
  CHECK(krait_linker_link(l, pa, &ra, &res, &err) == 0, "%s", err.msg);
  CHECK(res.clobbered.len == 0, "nothing clobbered first");
  CHECK(krait_linker_link(l, pb, &rb, &res2, &err) == 0, "%s", err.msg);
  CHECK(count_containing(&ev.warnings, "second-1.0-0", "first-1.0-0") == 1 &&
            count_containing(&ev.warnings, "share/common.txt", NULL) == 1,
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
  CHECK(count_containing(&ev.warnings, "share/own.txt", "not owned") == 1, "untracked reported");
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
  free(prefix);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&ra);
  krait_record_free(&rb);
  free(pa);
  free(pb);
  free(pkgs);
}

/* rattler's clobber-fd packages: a file where the next package needs a directory. */
static void test_rattler_clobber_fd(const char *tmp) {
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
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
  char *prefix = krait_path_join(tmp, "rclobber-env");
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
            count_containing(&ev.warnings, "clobber-fd-2", "needs a directory") == 1,
        "file replaced by the directory, reported");
  CHECK(krait_journal_rollback(jn, &err) == 0, "%s", err.msg);
  CHECK(krait_path_exists(file) && !krait_is_dir(file) && fx_ino(prefix, "clobber") == fx_ino(dirs[0], "clobber"),
        "the original file (same inode) is back");
  krait_link_result_free(&r2);
  krait_linker_free(l);
  krait_link_result_free(&r1);
  krait_strv_free(&ctl.seen);
  free(file);
  free(prefix);
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  for (size_t i = 0; i < 2; i++) {
    krait_record_free(&recs[i]);
    free(dirs[i]);
  }
}

/* ---- link -> meta -> read back -> unlink ---- */

static void test_roundtrip_meta(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-rt");
  fx_entry e[] = {{.path = "share/rt/a.txt", .data = "a\n"},
                  {.path = "share/rt/deep/b.txt", .data = "b /opt/anaconda1anaconda2anaconda3\n",
                   .placeholder = KRAIT_DEFAULT_PLACEHOLDER}};
  char *p = build_pkg(pkgs, "rt", NULL, e, 2, NULL);
  krait_record r;
  fx_record(p, "rt-1.0-0.tar.bz2", &r);
  char *prefix = krait_path_join(tmp, "rtenv");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  free(prefix);
  krait_record_free(&r);
  free(p);
  free(pkgs);
}

/* Old packages: info/files + info/has_prefix, no paths.json (no sha256 given). */
static void test_legacy(const char *tmp) {
  char *pkg = krait_path_join(tmp, "pkgs-legacy/old-1.0-0");
  fx_write_str(pkg, "info/index.json",
               "{\"name\":\"old\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[]}", 0644);
  fx_write_str(pkg, "info/files", "bin/old-config\nshare/old/readme\n", 0644);
  fx_write_str(pkg, "info/has_prefix", "bin/old-config\n", 0644);
  fx_write_str(pkg, "bin/old-config", "#!/bin/sh\necho /opt/anaconda1anaconda2anaconda3/lib\n", 0755);
  fx_write_str(pkg, "share/old/readme", "hi\n", 0644);
  krait_record rec;
  CHECK(fx_record(pkg, "old-1.0-0.tar.bz2", &rec), "record");
  char *prefix = krait_path_join(tmp, "legacy-env");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  krait_record_free(&rec);
  free(prefix);
  free(pkg);
}

/* ---- with the transaction journal: rollback restores the prefix ---- */

static void test_journal(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-journal");
  fx_entry b[] = {{.path = "share/common.txt", .data = "from pkg\n"},
                  {.path = "share/deep/er/own.txt", .data = "own\n"},
                  {.path = "bin/tool", .data = "#!/opt/anaconda1anaconda2anaconda3/bin/sh\n", .mode = 0755,
                   .placeholder = KRAIT_DEFAULT_PLACEHOLDER}};
  char *pkg = build_pkg(pkgs, "jpkg", NULL, b, 3, NULL);
  krait_record rec;
  fx_record(pkg, "jpkg-1.0-0.tar.bz2", &rec);
  char *prefix = krait_path_join(tmp, "jenv");
  fx_write_str(prefix, "share/common.txt", "untracked\n", 0644);
  fx_write_str(prefix, "conda-meta/history", "==> 2020-01-01 00:00:00 <==\n", 0644);
  events ev = {0};
  krait_ctx *ctx = ctx_with(&ev);
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
  krait_ctx_free(ctx);
  krait_strv_free(&ev.warnings);
  krait_strv_free(&ev.infos);
  krait_strv_free(&ev.notices);
  krait_record_free(&rec);
  free(prefix);
  free(pkg);
  free(pkgs);
}

/* Symlinked directories: fine inside the prefix, refused when they lead out. */
static void test_symlink_escape(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-escape");
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
  char *prefix = krait_path_join(tmp, "escape-env");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  krait_record_free(&gr);
  krait_record_free(&br);
  krait_record_free(&mr);
  free(prefix);
  free(gp);
  free(bp2);
  free(mp);
  free(outside);
  free(pkgs);
}

/* The linker remembers which directories it verified or created (to save a
 * stat per ancestor, a realpath and a destination lstat per file): what it
 * remembers must never let a later package write through a directory that
 * was replaced meanwhile, nor hide a duplicate path or a missing cache file. */
static void test_dir_cache(const char *tmp) {
  char *pkgs = krait_path_join(tmp, "pkgs-dircache");
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
  char *prefix = krait_path_join(tmp, "dircache-env");
  krait_ctx *ctx = krait_ctx_new();
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
  krait_ctx_free(ctx);
  krait_record_free(&ar);
  krait_record_free(&br);
  krait_record_free(&dr);
  krait_record_free(&gr);
  free(d);
  free(gone_file);
  free(prefix);
  free(ap);
  free(bp);
  free(dp);
  free(gp);
  free(outside);
  free(pkgs);
}

int main(void) {
  /* packages built here need nothing; the real ones need ../shared */
  char *probe = krait_test_shared("packages");
  bool shared = probe != NULL;
  free(probe);
  char *tmp = fx_tmpdir(NULL);
  test_replace_text_table();
  test_replace_binary_direct();
  test_noarch_paths();
  test_entry_point_text();
  test_python_xy();
  test_built_package(tmp);
  test_copy_fallback(tmp);
  test_scripts(tmp);
  test_clobber(tmp);
  test_roundtrip_meta(tmp);
  test_legacy(tmp);
  test_journal(tmp);
  test_symlink_escape(tmp);
  test_dir_cache(tmp);
  if (shared) {
    test_zlib_binary(tmp);
    test_symlink_edge_cases(tmp);
    test_noarch_python(tmp);
    test_conda_test_recipes(tmp);
    test_rattler_link_scripts(tmp);
    test_formats_agree(tmp);
    test_rattler_clobber_fd(tmp);
  } else {
    fprintf(stderr, "note: shared data not found (KRAIT_SHARED_DIR): real-package tests skipped\n");
  }
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("link");
}
