/* krait env: a group of subcommands, one row each in env_commands[] (append
 * new ones there: `env list`, `env remove`, ...). Each row is an ordinary
 * cli_command, so options, --help and errors work as for top-level commands.
 *
 *   env export  environment.yml (or --explicit, --json) of an env
 *   env create  a new env from a file (its `name` when no -n/-p)
 *   env update  an existing env from a file (--prune: nothing else stays)
 *   env module  a modulefile activating an env (cmd_env_module.c, own options) */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/channel.h"
#include "krait/config.h"
#include "krait/env_file.h"
#include "krait/env_state.h"
#include "krait/fs.h"
#include "krait/platform.h"
#include "krait/prefix.h"
#include "krait/txn.h"

static int env_export(const cli_args *args);
static int env_create(const cli_args *args);
static int env_update(const cli_args *args);

static const cli_command env_commands[] = {
    {"env list", "[--json]", "List the environments (envs dirs, the root prefix and ~/.conda/environments.txt).", 0,
     cmd_env_list, NULL},
    {"env remove", "(-n NAME | -p PREFIX) [--dry-run] [-y] [--json]",
     "Remove an environment and unregister it (refuses the base and the active environment).",
     OPT_PREFIX | OPT_CONFIRM, cmd_env_remove, NULL},
    {"env export", "[-n NAME | -p PREFIX] [--no-builds | --from-history | --explicit [--md5]] [--json] [-f FILE]",
     "Write an environment as environment.yml (or an @EXPLICIT file) to stdout or FILE.",
     OPT_PREFIX | OPT_EXPORT | OPT_FILE_SHORT, env_export, NULL},
    {"env create", "[-f FILE] [-n NAME | -p PREFIX] [options]",
     "Create an environment from an environment.yml, @EXPLICIT or spec-list file (default ./environment.yml).",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_FORCE | OPT_FILE_SHORT, env_create, NULL},
    {"env update", "[-f FILE] [-n NAME | -p PREFIX] [--prune] [options]",
     "Install what a file asks for into an existing environment (--prune: remove everything else).",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_FILE_SHORT | OPT_ENV_PRUNE, env_update, NULL},
    {"env module", "(-n NAME | -p PREFIX) [--format lua|tcl] [-o FILE | --root DIR] [--name MODULE/VERSION] | --root DIR [--all]",
     "Write an Lmod / Environment Modules modulefile that activates an environment (--root: every env).", 0, NULL,
     cli_env_module},
};

static const cli_group env_group = {"krait env", env_commands, sizeof env_commands / sizeof *env_commands};

const cli_command *krait_env_subcommands(size_t *n) {
  *n = env_group.n;
  return env_commands;
}

int krait_cmd_env(krait_ctx *ctx, int argc, char **argv) {
  /* ctx serves the rows that parse their own options (run_raw); the others
   * build their context from their own options (-c, ...) */
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    /* the same text as `krait help env` and `man krait-env`: every row with its options */
    cli_print_command_help(cli_find_command("env"), argc < 2 ? stderr : stdout);
    return argc < 2;
  }
  const cli_command *cmd = cli_group_find(&env_group, argv[1]);
  if (!cmd)
    return cli_group_unknown(&env_group, argv[1]);
  return cli_group_run(cmd, env_group.path, ctx, argc - 1, argv + 1);
}

/* ---- env create / update ---- */

/* The one file of env create/update (default ./environment.yml), and the
 * target taken from the file's name/prefix when neither -n nor -p is given. */
static int run_from_file(const cli_args *args, const char *as_command) {
  krait_err err;
  krait_err_clear(&err);
  if (args->env_files.len > 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait %s takes one -f FILE (got %zu)", args->command,
                        args->env_files.len);
  cli_args eff = *args; /* shallow: strings stay owned by args */
  eff.command = as_command;
  krait_strv files = KRAIT_STRV_INIT;
  if (!args->env_files.len) {
    if (!krait_path_exists("environment.yml"))
      return cli_fail_msg(args, KRAIT_E_INVALID, "no -f FILE given and no environment.yml in this directory");
    krait_strv_push(&files, "environment.yml");
    eff.env_files = files;
  }
  int status = 1;
  if (!args->name && !args->prefix) {
    krait_ctx *ctx = cli_make_ctx(args, &err);
    krait_env_file f;
    memset(&f, 0, sizeof f);
    if (!ctx || krait_env_file_read(eff.env_files.items[0], ctx->platform, &f, &err)) {
      status = cli_fail(args, &err);
      krait_ctx_free(ctx);
      krait_strv_free(&files);
      return status;
    }
    if (f.name)
      eff.name = krait_strdup(f.name);
    else if (f.prefix)
      eff.prefix = krait_strdup(f.prefix);
    krait_env_file_free(&f);
    krait_ctx_free(ctx);
    /* update without a name anywhere: the active environment, as conda does */
    if (!eff.name && !eff.prefix && strcmp(as_command, "create") == 0) {
      krait_strv_free(&files);
      return cli_fail_msg(args, KRAIT_E_INVALID, "%s has no name: give -n NAME or -p PREFIX",
                          eff.env_files.items[0]);
    }
  }
  status = cli_run_transaction(&eff, KRAIT_REQ_INSTALL);
  if (eff.name != args->name)
    free(eff.name);
  if (eff.prefix != args->prefix)
    free(eff.prefix);
  krait_strv_free(&files);
  return status;
}

static int env_create(const cli_args *args) { return run_from_file(args, "create"); }
static int env_update(const cli_args *args) { return run_from_file(args, "install"); }

/* ---- env export ---- */

/* A record's channel URL without a trailing /<subdir> (records written by
 * conda carry it; krait's do not). Caller frees. */
static char *channel_base(const krait_record *r) {
  const char *c = r->channel ? r->channel : "";
  const char *slash = strrchr(c, '/');
  if (slash && krait_subdir_known(slash + 1) && strstr(c, "://") && slash > strstr(c, "://") + 2)
    return krait_strndup(c, (size_t)(slash - c));
  return krait_strdup(c);
}

/* Rank of a channel URL in the configured priority order (SIZE_MAX when it
 * is not configured: those follow, in order of first appearance). */
static size_t channel_rank(const krait_ctx *ctx, const krait_strv *configured, const char *url) {
  for (size_t i = 0; i < configured->len; i++) {
    krait_channel ch;
    if (krait_channel_parse(ctx, configured->items[i], &ch, NULL) != KRAIT_OK)
      continue;
    bool same = strcmp(ch.url, url) == 0;
    krait_channel_free(&ch);
    if (same)
      return i;
  }
  return (size_t)-1;
}

/* The channels the packages came from, in priority order, each as a name
 * when the channel alias reaches it and as its full URL otherwise (a
 * file:// channel stays a file:// URL: a bare last path component would
 * name some other channel on the machine that restores the file). */
static void export_channels(const krait_ctx *ctx, const krait_prefix_state *st, krait_strv *out) {
  krait_strv urls = KRAIT_STRV_INIT;
  for (size_t i = 0; i < st->len; i++) {
    char *base = channel_base(&st->records[i].rec);
    if (*base && !krait_strv_contains(&urls, base))
      krait_strv_push(&urls, base);
    free(base);
  }
  krait_strv configured = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &configured);
  size_t *rank = krait_calloc(urls.len + 1, sizeof *rank);
  for (size_t i = 0; i < urls.len; i++)
    rank[i] = channel_rank(ctx, &configured, urls.items[i]);
  /* stable selection by rank: few channels, no need for more */
  bool *done = krait_calloc(urls.len + 1, sizeof *done);
  for (size_t k = 0; k < urls.len; k++) {
    size_t best = urls.len;
    for (size_t i = 0; i < urls.len; i++)
      if (!done[i] && (best == urls.len || rank[i] < rank[best]))
        best = i;
    done[best] = true;
    krait_strv_push_owned(out, cli_channel_display(ctx, urls.items[best]));
  }
  free(done);
  free(rank);
  krait_strv_free(&configured);
  krait_strv_free(&urls);
}

static int by_name(const void *a, const void *b) {
  const krait_prefix_record *x = a, *y = b;
  return strcmp(x->rec.name, y->rec.name);
}

static void export_json(const krait_env_file *f, krait_buf *b) {
  krait_jw w;
  krait_jw_init(&w, b, 2);
  krait_jw_obj_begin(&w);
  if (f->name)
    krait_jw_kstr(&w, "name", f->name);
  krait_jw_kstrv(&w, "channels", &f->channels);
  krait_jw_key(&w, "dependencies");
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < f->specs.len; i++)
    krait_jw_str(&w, f->specs.items[i]);
  krait_jw_arr_end(&w);
  if (f->variables.names.len) {
    krait_jw_key(&w, "variables");
    krait_jw_obj_begin(&w);
    for (size_t i = 0; i < f->variables.names.len; i++)
      krait_jw_kstr(&w, f->variables.names.items[i], f->variables.values.items[i]);
    krait_jw_obj_end(&w);
  }
  krait_jw_kstr(&w, "prefix", f->prefix);
  krait_jw_obj_end(&w);
}

/* The environment's name for the file: its directory name, when that is a
 * valid name (CEP-24), else none. */
static char *export_name(const char *prefix) {
  const char *base = krait_path_basename(prefix);
  if (!*base || strpbrk(base, "/ :#") || strcmp(base, "base") == 0 || strcmp(base, "root") == 0)
    return NULL;
  return krait_strdup(base);
}

/* The text env export writes: @EXPLICIT, JSON or environment.yml. Caller frees. */
static char *export_text(const cli_args *args, cli_env *env, krait_err *err) {
  krait_prefix_state *st = &env->st;
  if (args->explicit_) {
    const krait_record **recs = krait_calloc(st->len + 1, sizeof *recs);
    for (size_t i = 0; i < st->len; i++)
      recs[i] = &st->records[i].rec;
    krait_records_dependency_order(recs, st->len);
    char *text = krait_explicit_render(recs, st->len, env->ctx->platform, args->md5);
    free(recs);
    return text;
  }
  krait_env_file f;
  memset(&f, 0, sizeof f);
  qsort(st->records, st->len, sizeof *st->records, by_name);
  f.name = export_name(env->prefix);
  f.prefix = krait_strdup(env->prefix);
  export_channels(env->ctx, st, &f.channels);
  if (args->from_history) {
    krait_strv_copy(&f.specs, &st->requested_specs);
  } else {
    for (size_t i = 0; i < st->len; i++) {
      const krait_record *r = &st->records[i].rec;
      krait_strv_push_owned(&f.specs, args->no_builds ? krait_asprintf("%s=%s", r->name, r->version)
                                                      : krait_asprintf("%s=%s=%s", r->name, r->version, r->build));
    }
  }
  char *text = NULL;
  if (krait_env_state_read(env->prefix, &f.variables, err)) {
    /* text stays NULL: err says why */
  } else if (args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    export_json(&f, &b);
    krait_buf_putc(&b, '\n');
    text = krait_buf_steal(&b);
  } else {
    text = krait_env_file_render_yaml(&f);
  }
  krait_env_file_free(&f);
  return text;
}

static krait_code export_env(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  (void)user;
  char *text = export_text(args, env, err);
  if (!text)
    return err->code;
  krait_code rc = KRAIT_OK;
  if (args->env_files.len)
    rc = krait_write_file_atomic(args->env_files.items[0], text, strlen(text), 0644, err);
  else
    fputs(text, stdout);
  free(text);
  return rc;
}

static int env_export(const cli_args *args) {
  int n_modes = args->no_builds + args->from_history + args->explicit_;
  if (n_modes > 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--no-builds, --from-history and --explicit exclude each other");
  if (args->md5 && !args->explicit_)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--md5 only goes with --explicit");
  if (args->explicit_ && args->json)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--explicit writes a text file; it has no --json form");
  if (args->env_files.len > 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "give at most one -f FILE to write");
  return cli_with_env(args, CLI_ENV_RECOVER | CLI_ENV_LOAD, export_env, NULL);
}
