/* Helpers shared by the tests/unit/test_link_*.c files (split by topic):
 * event capture, packages built in a pkgs dir, small file checks. Header-only
 * (static inline): each test file is its own executable. */
#ifndef KRAIT_TEST_LINK_FIXTURE_H
#define KRAIT_TEST_LINK_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "krait/ctx.h"
#include "krait/link.h"
#include "pkg_fixture.h"

/* ---- event capture ---- */

typedef struct events {
  krait_strv warnings;
  krait_strv infos;
  krait_strv notices; /* shown to the user by default (link-script messages) */
} events;

static inline void on_event(void *user, krait_event_level level, const char *msg) {
  events *ev = user;
  if (level == KRAIT_EV_WARNING)
    krait_strv_push(&ev->warnings, msg);
  else if (level == KRAIT_EV_INFO)
    krait_strv_push(&ev->infos, msg);
  else if (level == KRAIT_EV_NOTICE)
    krait_strv_push(&ev->notices, msg);
}

static inline size_t count_containing(const krait_strv *v, const char *a, const char *b) {
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
static inline char *build_pkg(const char *pkgs_dir, const char *name, const char *noarch, const fx_entry *entries,
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

static inline const krait_path_entry *find(const krait_paths *p, const char *path) {
  for (size_t i = 0; i < p->len; i++)
    if (strcmp(p->items[i].path, path) == 0)
      return &p->items[i];
  return NULL;
}

static inline char *file_sha(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  char hex[65] = "";
  krait_file_digest(p, "sha256", hex, sizeof hex, NULL);
  free(p);
  return krait_strdup(hex);
}

/* True when dir has no entries other than those named in keep (NULL-terminated). */
static inline bool dir_only_has(const char *dir, const char *const *keep) {
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
static inline int run(const char *cmd, krait_buf *out) {
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

static inline char *placeholder255(void) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "/opt/build/_h_env");
  while (b.len < 255)
    krait_buf_puts(&b, "_placehold");
  char *s = krait_strndup(b.data, 255);
  krait_buf_free(&b);
  return s;
}

static inline krait_ctx *ctx_with(events *ev) {
  krait_ctx *ctx = krait_ctx_new();
  ctx->on_event = on_event;
  ctx->user = ev;
  return ctx;
}

/* A real package of the shared data (REL under it, a .conda or .tar.bz2)
 * extracted into <tmp>/<dir>/<its dist>, with its record. Caller frees. */
static inline char *real_pkg(const char *tmp, const char *dir, const char *rel, krait_record *rec) {
  char *arc = krait_test_shared(rel);
  const char *fn = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
  size_t ext = strlen(fn) > 8 && strcmp(fn + strlen(fn) - 8, ".tar.bz2") == 0 ? 8 : 6; /* else ".conda" */
  char *pkg = krait_asprintf("%s/%s/%.*s", tmp, dir, (int)(strlen(fn) - ext), fn);
  CHECK(arc && fx_extract(arc, pkg) && fx_record(pkg, fn, rec), "extract %s", rel);
  free(arc);
  return pkg;
}

/* ---- the setup and teardown most link tests share ---- */

/* A context whose events are captured in ev, and a package dir and a prefix
 * (not created) under the test's temp dir. */
typedef struct link_fx {
  events ev;
  krait_ctx *ctx;
  char *pkgs;   /* NULL when the test reads real packages instead */
  char *prefix;
} link_fx;

/* pkgs_name may be NULL. Release with link_fx_close(). */
static inline void link_fx_open(link_fx *fx, const char *tmp, const char *pkgs_name, const char *prefix_name) {
  memset(fx, 0, sizeof *fx);
  fx->ctx = ctx_with(&fx->ev);
  fx->pkgs = pkgs_name ? krait_path_join(tmp, pkgs_name) : NULL;
  fx->prefix = krait_path_join(tmp, prefix_name);
}

static inline void link_fx_close(link_fx *fx) {
  krait_ctx_free(fx->ctx);
  krait_strv_free(&fx->ev.warnings);
  krait_strv_free(&fx->ev.infos);
  krait_strv_free(&fx->ev.notices);
  free(fx->pkgs);
  free(fx->prefix);
}


/* An env whose python is Debian's python3.11; the pyvenv.cfg makes that
 * python use the env's lib/python3.11/site-packages, as a conda python would. */
static inline char *python_env(const char *tmp, const char *name) {
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

#endif
