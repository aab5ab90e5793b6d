/* Modulefiles for environments (krait/modulefile.h). */
#include "krait/modulefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krait/activate.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/history.h"
#include "krait/prefix.h"
#include "modulefile_capture.h"

/* On the second line of every file krait writes: regenerating (--all) only
 * replaces or deletes files carrying it. */
#define MARKER "written by krait env module"

krait_code krait_module_format_parse(const char *s, krait_module_format *out, krait_err *err) {
  if (s && strcmp(s, "lua") == 0)
    *out = KRAIT_MODULE_LUA;
  else if (s && strcmp(s, "tcl") == 0)
    *out = KRAIT_MODULE_TCL;
  else
    return krait_err_set(err, KRAIT_E_INVALID, "unknown module format \"%s\" (expected lua or tcl)", s ? s : "");
  return KRAIT_OK;
}

const char *krait_module_file_ext(krait_module_format fmt) { return fmt == KRAIT_MODULE_LUA ? ".lua" : ""; }

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '+' || c == '-';
}

bool krait_module_name_valid(const char *name) {
  if (!name || !*name)
    return false;
  bool component_start = true;
  for (const char *p = name; *p; p++) {
    if (*p == '/') {
      if (component_start) /* leading '/' or "//" */
        return false;
      component_start = true;
      continue;
    }
    if (!name_char(*p))
      return false;
    if (component_start && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      return false; /* ".", "..", hidden files, options */
    component_start = false;
  }
  return !component_start; /* no trailing '/' */
}

krait_code krait_module_version(const char *prefix, char **out, krait_err *err) {
  krait_history h;
  if (krait_history_read(prefix, &h, err))
    return KRAIT_E_PARSE;
  const char *date = h.len ? h.revs[h.len - 1].date : NULL;
  /* "2024-01-31 12:00:00": the day is enough, and a version has no space. */
  *out = date && strlen(date) >= 10 ? krait_strndup(date, 10) : krait_strdup("0");
  if (!krait_module_name_valid(*out)) {
    free(*out);
    *out = krait_strdup("0");
  }
  krait_history_free(&h);
  return KRAIT_OK;
}

/* ---- quoting ---- */

static void lua_quote(const char *s, krait_buf *out) {
  krait_buf_putc(out, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      krait_buf_printf(out, "\\%c", *p);
    else if (*p == '\n')
      krait_buf_puts(out, "\\n");
    else if (*p < 0x20 || *p == 0x7f)
      krait_buf_printf(out, "\\%03u", *p);
    else
      krait_buf_putc(out, (char)*p);
  }
  krait_buf_putc(out, '"');
}

/* The code point of the 2- or 3-byte UTF-8 sequence at p (its length in
 * *len), or -1 for anything else (ASCII, 4-byte, invalid). */
static long utf8_bmp(const unsigned char *p, int *len) {
  if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80 && p[0] >= 0xc2) {
    *len = 2;
    return ((long)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
  }
  if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
    long cp = ((long)(p[0] & 0x0f) << 12) | ((long)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    *len = 3;
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? cp : -1;
  }
  return -1;
}

/* A double-quoted Tcl word with nothing substituted: $, [ and \ escaped.
 * Non-ASCII text is written as \uXXXX: Lmod's Tcl reader takes the file's
 * bytes as Latin-1, and an escape means the same whatever the encoding. */
static void tcl_quote(const char *s, krait_buf *out) {
  krait_buf_putc(out, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    int len = 0;
    long cp = *p >= 0x80 ? utf8_bmp(p, &len) : -1;
    if (cp >= 0) {
      krait_buf_printf(out, "\\u%04lx", cp);
      p += len - 1;
    } else if (strchr("\"\\$[]{}", *p))
      krait_buf_printf(out, "\\%c", *p);
    else if (*p == '\n')
      krait_buf_puts(out, "\\n");
    else if (*p < 0x20 || *p == 0x7f)
      krait_buf_printf(out, "\\%03o", *p);
    else
      krait_buf_putc(out, (char)*p);
  }
  krait_buf_putc(out, '"');
}

/* ---- what the module sets ---- */

typedef struct module_facts {
  char *bin;
  const char *default_env;
  krait_env_vars vars;   /* env_vars.d + conda-meta/state */
  krait_strv specs;      /* requested specs from conda-meta/history */
  krait_strv scripts;    /* activate.d/<name>.sh */
} module_facts;

static void facts_free(module_facts *f) {
  free(f->bin);
  krait_env_vars_free(&f->vars);
  krait_strv_free(&f->specs);
  krait_strv_free(&f->scripts);
}

static krait_code facts_load(const krait_module_request *req, module_facts *f, krait_err *err) {
  memset(f, 0, sizeof *f);
  if (!krait_is_env(req->prefix))
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/)", req->prefix);
  f->bin = krait_path_join(req->prefix, "bin");
  f->default_env = req->env_name ? req->env_name : req->prefix;
  if (krait_act_env_vars(req->prefix, &f->vars, err))
    return KRAIT_E_PARSE;
  krait_prefix_state st;
  if (krait_prefix_load(req->prefix, &st, err))
    return KRAIT_E_PARSE;
  krait_strv_copy(&f->specs, &st.requested_specs);
  krait_prefix_state_free(&st);
  krait_act_list_scripts(req->prefix, "activate.d", ".sh", false, &f->scripts);
  return KRAIT_OK;
}

static void help_text(const krait_module_request *req, const module_facts *f, krait_buf *out) {
  krait_buf_printf(out, "%s: the conda environment %s (as `krait activate` sets it up).\n", req->module_name,
                   req->prefix);
  if (f->specs.len) {
    krait_buf_puts(out, "Requested packages:\n");
    for (size_t i = 0; i < f->specs.len; i++)
      krait_buf_printf(out, "  %s\n", f->specs.items[i]);
  }
}

static void specs_line(const module_facts *f, krait_buf *out) {
  krait_buf_puts(out, "Packages: ");
  for (size_t i = 0; i < f->specs.len; i++)
    krait_buf_printf(out, "%s%s", i ? ", " : "", f->specs.items[i]);
  if (!f->specs.len)
    krait_buf_puts(out, "(none requested)");
}

static void render_lua(const krait_module_request *req, const module_facts *f, krait_buf *out) {
  krait_buf s = KRAIT_BUF_INIT;
  krait_buf_printf(out, "-- %s\n-- " MARKER " for %s\n", req->module_name, req->prefix);
  help_text(req, f, &s);
  krait_buf_puts(out, "help(");
  lua_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, ")\nwhatis(");
  krait_buf_clear(&s);
  krait_buf_printf(&s, "Name: %s", req->module_name);
  lua_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, ")\nwhatis(");
  krait_buf_clear(&s);
  krait_buf_printf(&s, "Description: conda environment %s", req->prefix);
  lua_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, ")\nwhatis(");
  krait_buf_clear(&s);
  specs_line(f, &s);
  lua_quote(krait_buf_str(&s), out);
  krait_buf_free(&s);
  /* One environment at a time, as with activate: loading another swaps. */
  krait_buf_puts(out, ")\nfamily(\"conda_env\")\nprepend_path(\"PATH\", ");
  lua_quote(f->bin, out);
  krait_buf_puts(out, ")\npushenv(\"CONDA_PREFIX\", ");
  lua_quote(req->prefix, out);
  krait_buf_puts(out, ")\npushenv(\"CONDA_DEFAULT_ENV\", ");
  lua_quote(f->default_env, out);
  krait_buf_puts(out, ")\n");
  for (size_t i = 0; i < f->vars.names.len; i++) {
    krait_buf_puts(out, "pushenv(");
    lua_quote(f->vars.names.items[i], out);
    krait_buf_puts(out, ", ");
    lua_quote(f->vars.values.items[i], out);
    krait_buf_puts(out, ")\n");
  }
  /* source_sh records what the script changed at load time and undoes exactly that on unload. */
  for (size_t i = 0; i < f->scripts.len; i++) {
    krait_buf_puts(out, "source_sh(\"bash\", ");
    lua_quote(f->scripts.items[i], out);
    krait_buf_puts(out, ")\n");
  }
}

/* The Tcl command that sets a variable: pushenv, or setenv under Lmod (render_tcl). */
#define SETENV "$krait_setenv"

static void tcl_cmd(krait_buf *out, const char *indent, const char *cmd, const char *a, const char *b) {
  krait_buf_printf(out, "%s%s ", indent, cmd);
  tcl_quote(a, out);
  if (b) {
    krait_buf_putc(out, ' ');
    tcl_quote(b, out);
  }
  krait_buf_putc(out, '\n');
}

/* The scripts' effect as recorded now, for Lmod's Tcl reader (no source-sh):
 * PATH-like additions become prepend-path/append-path, other values pushenv,
 * removals unsetenv with the old value (restored on unload). */
static krait_code tcl_recorded_effect(const krait_module_request *req, const module_facts *f, krait_buf *out,
                                      krait_err *err) {
  krait_envmap env = KRAIT_ENVMAP_INIT, before = KRAIT_ENVMAP_INIT, after = KRAIT_ENVMAP_INIT;
  krait_envmap_from_environ(&env, NULL);
  const char *path = krait_envmap_get(&env, "PATH");
  char *new_path = path && *path ? krait_asprintf("%s:%s", f->bin, path) : krait_strdup(f->bin);
  krait_envmap_set(&env, "PATH", new_path);
  free(new_path);
  krait_envmap_set(&env, "CONDA_PREFIX", req->prefix);
  krait_envmap_set(&env, "CONDA_DEFAULT_ENV", f->default_env);
  for (size_t i = 0; i < f->vars.names.len; i++)
    krait_envmap_set(&env, f->vars.names.items[i], f->vars.values.items[i]);
  krait_code rc = krait_module_capture(&env, &f->scripts, &before, &after, err);
  for (size_t i = 0; rc == KRAIT_OK && i < after.len; i++) {
    const char *name = after.items[i].name, *now = after.items[i].value;
    const char *was = krait_envmap_get(&before, name);
    if (was && strcmp(was, now) == 0)
      continue;
    size_t nw = was ? strlen(was) : 0, nn = strlen(now);
    if (nw && nn > nw + 1 && strcmp(now + nn - nw, was) == 0 && now[nn - nw - 1] == ':') {
      char *added = krait_strndup(now, nn - nw - 1);
      tcl_cmd(out, "  ", "prepend-path", name, added);
      free(added);
    } else if (nw && nn > nw + 1 && strncmp(now, was, nw) == 0 && now[nw] == ':') {
      tcl_cmd(out, "  ", "append-path", name, now + nw + 1);
    } else {
      tcl_cmd(out, "  ", SETENV, name, now);
    }
  }
  for (size_t i = 0; rc == KRAIT_OK && i < before.len; i++)
    if (!krait_envmap_get(&after, before.items[i].name))
      tcl_cmd(out, "  ", "unsetenv", before.items[i].name, before.items[i].value);
  krait_envmap_free(&env);
  krait_envmap_free(&before);
  krait_envmap_free(&after);
  return rc;
}

static krait_code render_tcl(const krait_module_request *req, const module_facts *f, krait_buf *out,
                             krait_err *err) {
  krait_buf s = KRAIT_BUF_INIT;
  krait_buf_printf(out, "#%%Module1.0\n## " MARKER " for %s\n", req->prefix);
  help_text(req, f, &s);
  krait_buf_puts(out, "proc ModulesHelp {} {\n  puts stderr ");
  tcl_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, "\n}\nmodule-whatis ");
  krait_buf_clear(&s);
  krait_buf_printf(&s, "Name: %s", req->module_name);
  tcl_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, "\nmodule-whatis ");
  krait_buf_clear(&s);
  krait_buf_printf(&s, "Description: conda environment %s", req->prefix);
  tcl_quote(krait_buf_str(&s), out);
  krait_buf_puts(out, "\nmodule-whatis ");
  krait_buf_clear(&s);
  specs_line(f, &s);
  tcl_quote(krait_buf_str(&s), out);
  krait_buf_free(&s);
  krait_buf_puts(out, "\nif {[info commands family] ne \"\"} {\n  family conda_env\n}\n");
  /* Lmod's Tcl reader (8.6) sets a pushenv variable before Lmod saves its
   * old value, so unload would leave it set: there setenv (unset on unload). */
  krait_buf_puts(out, "if {[info exists ::env(LMOD_VERSION)]} {\n  set krait_setenv setenv\n} else {\n"
                      "  set krait_setenv pushenv\n}\n");
  tcl_cmd(out, "", "prepend-path", "PATH", f->bin);
  tcl_cmd(out, "", SETENV, "CONDA_PREFIX", req->prefix);
  tcl_cmd(out, "", SETENV, "CONDA_DEFAULT_ENV", f->default_env);
  for (size_t i = 0; i < f->vars.names.len; i++)
    tcl_cmd(out, "", SETENV, f->vars.names.items[i], f->vars.values.items[i]);
  if (!f->scripts.len)
    return KRAIT_OK;
  /* Environment Modules 5 (and newer Lmod) record and undo the scripts at
   * load time; otherwise apply what they changed when this file was written. */
  krait_buf_puts(out, "if {[info commands source-sh] ne \"\"} {\n");
  for (size_t i = 0; i < f->scripts.len; i++)
    tcl_cmd(out, "  ", "source-sh", "bash", f->scripts.items[i]);
  krait_buf_puts(out, "} else {\n");
  krait_code rc = tcl_recorded_effect(req, f, out, err);
  krait_buf_puts(out, "}\n");
  return rc;
}

krait_code krait_module_render(const krait_module_request *req, krait_buf *out, krait_err *err) {
  module_facts f;
  krait_code rc = facts_load(req, &f, err);
  if (rc == KRAIT_OK) {
    if (req->format == KRAIT_MODULE_LUA)
      render_lua(req, &f, out);
    else
      rc = render_tcl(req, &f, out, err);
  }
  facts_free(&f);
  return rc;
}

bool krait_module_file_is_ours(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp)
    return false;
  char line[4096];
  bool ours = false;
  for (int i = 0; i < 2 && !ours && fgets(line, sizeof line, fp); i++)
    ours = strstr(line, MARKER) != NULL;
  fclose(fp);
  return ours;
}
