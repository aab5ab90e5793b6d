/* `krait env module`: modulefiles that activate environments, for Lmod and
 * Environment Modules (the text is krait/modulefile.h's). This file decides
 * which envs, which module names and where the files go:
 *
 *   -p|-n ENV                 the env's module on stdout (-o FILE: into FILE)
 *   -p|-n ENV --root DIR      DIR/<module name>[.lua]
 *   --root DIR                one module per env in envs_dirs, DIR/<env>/<date>
 *   --root DIR --all          the same, and krait's earlier modules under DIR
 *                             that no longer match an env are deleted
 *
 * Everything is rendered and checked before the first file is written, and
 * each file is written atomically, so an error leaves no partial file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "cli.h"
#include "cmds.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/modulefile.h"

static int usage(FILE *f) {
  fputs("usage: krait env module (-p PREFIX | -n ENV) [--format lua|tcl] [-o FILE | --root DIR]\n"
        "                        [--name MODULE/VERSION]\n"
        "       krait env module --root DIR [--all] [--format lua|tcl]\n\n"
        "Writes a modulefile that does what `krait activate` does: prepends the env's bin/, sets\n"
        "CONDA_PREFIX, CONDA_DEFAULT_ENV and the env's variables (conda-meta/state, env_vars.d) and\n"
        "sources etc/conda/activate.d/*.sh through Lmod's source_sh / Environment Modules' source-sh,\n"
        "so that `module unload` undoes everything. help and whatis list the env's requested packages.\n\n"
        "  -p, --prefix PREFIX  the environment at PREFIX\n"
        "  -n ENV               the environment named ENV (envs_dirs; base is the root prefix)\n"
        "  --format lua|tcl     Lua (Lmod; default) or Tcl (Environment Modules 5, Lmod)\n"
        "  -o, --output FILE    write FILE instead of stdout\n"
        "  --root DIR           write DIR/MODULE/VERSION (.lua for Lua); without -p/-n, one module per\n"
        "                       env in envs_dirs, named <env>/<date of its last revision>\n"
        "  --all                with --root: also delete the modules krait wrote earlier under DIR that\n"
        "                       are not current (older versions, removed envs); run after installs\n"
        "  --name MODULE/VERSION  the module's name (default <env>/<date of its last revision>);\n"
        "                       note: here --name names the module, -n names the environment\n",
        f);
  return f == stdout ? 0 : 2;
}

typedef struct module_opts {
  const char *env_prefix, *env_name, *format, *output, *root, *module_name;
  bool all;
} module_opts;

/* Returns 0, 1 with err filled, or 100 after printing --help. */
static int parse(int argc, char **argv, module_opts *o, krait_err *err) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
      return usage(stdout) + 100;
    else if (strcmp(a, "-p") == 0 || strcmp(a, "--prefix") == 0)
      slot = &o->env_prefix;
    else if (strcmp(a, "-n") == 0)
      slot = &o->env_name;
    else if (strcmp(a, "--format") == 0)
      slot = &o->format;
    else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
      slot = &o->output;
    else if (strcmp(a, "--root") == 0)
      slot = &o->root;
    else if (strcmp(a, "--name") == 0)
      slot = &o->module_name;
    else if (strcmp(a, "--all") == 0)
      o->all = true;
    else if (a[0] == '-')
      return krait_err_set(err, KRAIT_E_INVALID, "unknown option %s for krait env module (see --help)", a), 1;
    else
      return krait_err_set(err, KRAIT_E_INVALID, "krait env module: unexpected argument \"%s\"", a), 1;
    if (slot) {
      if (i + 1 >= argc)
        return krait_err_set(err, KRAIT_E_INVALID, "option %s needs a value", a), 1;
      *slot = argv[++i];
    }
  }
  if (o->root) { /* "DIR/" and "DIR" must give the same paths: --all compares them */
    char *end = (char *)o->root + strlen(o->root);
    while (end - o->root > 1 && end[-1] == '/')
      *--end = '\0';
  }
  bool one_env = o->env_prefix || o->env_name;
  if (o->env_prefix && o->env_name)
    return krait_err_set(err, KRAIT_E_INVALID, "give either -p PREFIX or -n ENV, not both"), 1;
  if (!one_env && !o->root)
    return krait_err_set(err, KRAIT_E_INVALID, "krait env module needs -p PREFIX or -n ENV (or --root DIR for every env)"), 1;
  if (o->output && o->root)
    return krait_err_set(err, KRAIT_E_INVALID, "give either -o FILE or --root DIR, not both"), 1;
  if (o->all && (!o->root || one_env))
    return krait_err_set(err, KRAIT_E_INVALID, "--all regenerates every env's module: it needs --root DIR and no -p/-n"), 1;
  if (o->module_name && !one_env)
    return krait_err_set(err, KRAIT_E_INVALID, "--name names one env's module: it needs -p PREFIX or -n ENV"), 1;
  if (o->module_name && !krait_module_name_valid(o->module_name))
    return krait_err_set(err, KRAIT_E_INVALID,
                         "invalid module name \"%s\": use NAME or NAME/VERSION made of letters, digits, '.', '_', "
                         "'+', '-' (each part starting with a letter or digit)",
                         o->module_name), 1;
  return 0;
}

/* One module to write: where, and its text. */
typedef struct module_out {
  char *path; /* NULL = stdout */
  krait_buf text;
} module_out;

typedef struct module_set {
  module_out *items;
  size_t len;
} module_set;

static void set_free(module_set *s) {
  for (size_t i = 0; i < s->len; i++) {
    free(s->items[i].path);
    krait_buf_free(&s->items[i].text);
  }
  free(s->items);
}

/* Renders env `prefix` (known as env_name, NULL for a path) as module
 * `module_name` (NULL: <label>/<version>) into a new entry of set. */
static krait_code add_module(const module_opts *o, krait_module_format fmt, const char *prefix, const char *env_name,
                             const char *label, module_set *set, krait_err *err) {
  char *version = NULL, *name = NULL;
  if (!o->module_name) {
    if (krait_module_version(prefix, &version, err))
      return err->code;
    name = krait_asprintf("%s/%s", label, version);
    free(version);
    if (!krait_module_name_valid(name)) {
      krait_err_set(err, KRAIT_E_INVALID,
                    "the environment %s has no valid module name (\"%s\"): give one with --name MODULE/VERSION",
                    prefix, name);
      free(name);
      return KRAIT_E_INVALID;
    }
  } else {
    name = krait_strdup(o->module_name);
  }
  set->items = krait_realloc(set->items, (set->len + 1) * sizeof *set->items);
  module_out *m = &set->items[set->len++];
  memset(m, 0, sizeof *m);
  if (o->root)
    m->path = krait_asprintf("%s/%s%s", o->root, name, krait_module_file_ext(fmt));
  else if (o->output)
    m->path = krait_strdup(o->output);
  krait_module_request req = {.prefix = prefix, .env_name = env_name, .module_name = name, .format = fmt};
  krait_code rc = krait_module_render(&req, &m->text, err);
  free(name);
  return rc;
}

/* Every env in envs_dirs (by name; not the root prefix, not path-only envs). */
static krait_code add_every_env(krait_ctx *ctx, const module_opts *o, krait_module_format fmt, module_set *set,
                                krait_err *err) {
  krait_env_set envs;
  if (krait_env_list(ctx, NULL, &envs, err))
    return err->code;
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < envs.len && rc == KRAIT_OK; i++) {
    const krait_env_entry *e = &envs.items[i];
    if (!e->name || strcmp(e->prefix, ctx->root_prefix) == 0)
      continue;
    rc = add_module(o, fmt, e->prefix, e->name, e->name, set, err);
  }
  krait_env_set_free(&envs);
  return rc;
}

static bool written_now(const module_set *set, const char *path) {
  for (size_t i = 0; i < set->len; i++)
    if (strcmp(set->items[i].path, path) == 0)
      return true;
  return false;
}

/* --all: deletes DIR/<x>/<y> files krait wrote that this run did not
 * write (an env's older versions, envs that are gone), then empty <x>/. */
static void prune_stale(const char *root, const module_set *set) {
  DIR *d = opendir(root);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *sub = krait_path_join(root, de->d_name);
    DIR *sd = krait_is_dir(sub) ? opendir(sub) : NULL;
    struct dirent *fe;
    while (sd && (fe = readdir(sd))) {
      if (fe->d_name[0] == '.')
        continue;
      char *file = krait_path_join(sub, fe->d_name);
      if (!written_now(set, file) && krait_module_file_is_ours(file) && unlink(file) == 0)
        printf("removed %s\n", file);
      free(file);
    }
    if (sd) {
      closedir(sd);
      rmdir(sub); /* only succeeds when nothing else is left */
    }
    free(sub);
  }
  closedir(d);
}

static krait_code write_all(const module_opts *o, const module_set *set, krait_err *err) {
  for (size_t i = 0; i < set->len; i++) {
    const module_out *m = &set->items[i];
    if (!m->path) {
      fwrite(m->text.data, 1, m->text.len, stdout);
      continue;
    }
    char *dir = krait_path_dirname(m->path);
    krait_code rc = KRAIT_OK;
    if (o->root && krait_mkdir_p(dir, 0755, err))
      rc = err->code;
    else if (!krait_is_dir(dir))
      rc = krait_err_set(err, KRAIT_E_IO, "%s is not an existing directory", dir);
    else if (access(dir, W_OK) != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "directory %s", dir);
    free(dir);
    if (rc == KRAIT_OK)
      rc = krait_write_file_atomic_nosync(m->path, m->text.data, m->text.len, 0644, err);
    if (rc)
      return krait_err_prefix(err, "cannot write the modulefile %s: ", m->path);
    printf("wrote %s\n", m->path);
  }
  if (o->all)
    prune_stale(o->root, set);
  return KRAIT_OK;
}

static krait_code run(krait_ctx *ctx, const module_opts *o, krait_err *err) {
  krait_module_format fmt = KRAIT_MODULE_LUA;
  if (o->format && krait_module_format_parse(o->format, &fmt, err))
    return err->code;
  module_set set = {NULL, 0};
  krait_code rc;
  if (o->env_prefix || o->env_name) {
    char *prefix = NULL, *label = NULL;
    rc = cli_resolve_env(ctx, o->env_name, o->env_prefix, &prefix, &label, err);
    if (rc == KRAIT_OK)
      rc = add_module(o, fmt, prefix, o->env_name, o->env_name ? o->env_name : krait_path_basename(prefix), &set, err);
    free(prefix);
    free(label);
  } else {
    rc = add_every_env(ctx, o, fmt, &set, err);
  }
  if (rc == KRAIT_OK)
    rc = write_all(o, &set, err);
  set_free(&set);
  return rc;
}

int cli_env_module(krait_ctx *ctx, int argc, char **argv) {
  krait_err err;
  krait_err_clear(&err);
  module_opts o;
  int st = parse(argc, argv, &o, &err);
  if (st >= 100)
    return 0;
  if (!st && run(ctx, &o, &err))
    st = 1;
  if (st) {
    cli_args a;
    memset(&a, 0, sizeof a);
    a.command = "env module";
    cli_fail(&a, &err);
  }
  return st;
}
