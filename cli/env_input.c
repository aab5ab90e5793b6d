/* create/install with --file, --clone or package URLs as specs, and the file
 * side of `env create/update`: the files are read into specs and channels for
 * the solver, or into exact package records installed without solving
 * (@EXPLICIT files, URLs, --clone); after the transaction the files'
 * `variables` go to conda-meta/state and their `pip:` list to the env's pip. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "krait/cache.h"
#include "krait/env_file.h"
#include "krait/env_pip.h"
#include "krait/env_state.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/matchspec.h"
#include "krait/prefix.h"
#include "krait/txn.h"

/* Everything the inputs say, merged in the order given. */
typedef struct env_input {
  cli_args args;            /* the caller's args with specs/channels replaced (shallow copy) */
  krait_strv specs;         /* owned: args.specs points here */
  krait_strv channels;      /* owned: args.channels */
  krait_record *packages;   /* exact packages (explicit files, URLs, --clone), install order */
  size_t n_packages;
  bool from_clone;
  krait_env_vars variables;
  krait_strv pip;
  char *pip_dir;            /* directory of the first file with a pip: list */
} env_input;

bool cli_env_input_wanted(const cli_args *args) {
  /* only create and install take files and URLs (update/remove: a URL is a bad spec) */
  if (strcmp(args->command, "create") != 0 && strcmp(args->command, "install") != 0)
    return false;
  if (args->env_files.len || args->clone)
    return true;
  for (size_t i = 0; i < args->specs.len; i++)
    if (krait_is_package_url(args->specs.items[i]))
      return true;
  return false;
}

static void env_input_free(env_input *in) {
  krait_strv_free(&in->specs);
  krait_strv_free(&in->channels);
  for (size_t i = 0; i < in->n_packages; i++)
    krait_record_free(&in->packages[i]);
  free(in->packages);
  krait_env_vars_free(&in->variables);
  krait_strv_free(&in->pip);
  free(in->pip_dir);
}

static void add_package(env_input *in, krait_record *moved) {
  in->packages = krait_realloc(in->packages, (in->n_packages + 1) * sizeof *in->packages);
  in->packages[in->n_packages++] = *moved;
}

static krait_code add_file(env_input *in, const krait_ctx *ctx, const char *path, krait_err *err) {
  krait_env_file f;
  krait_code rc = krait_env_file_read(path, ctx->platform, &f, err);
  if (rc)
    return rc;
  if (!in->args.quiet)
    for (size_t i = 0; i < f.warnings.len; i++)
      fprintf(stderr, "krait: warning: %s\n", f.warnings.items[i]);
  if (f.kind == KRAIT_ENV_FILE_EXPLICIT && f.platform && strcmp(f.platform, ctx->platform) != 0 &&
      strcmp(f.platform, "noarch") != 0) {
    rc = krait_err_set(err, KRAIT_E_INVALID, "%s: the file is for platform %s, the target platform is %s", path,
                       f.platform, ctx->platform);
    krait_env_file_free(&f);
    return rc;
  }
  for (size_t i = 0; i < f.specs.len; i++)
    krait_strv_push(&in->specs, f.specs.items[i]);
  for (size_t i = 0; i < f.channels.len; i++)
    if (!krait_strv_contains(&in->channels, f.channels.items[i]))
      krait_strv_push(&in->channels, f.channels.items[i]);
  /* CEP-24: nodefaults = only the file's (and -c) channels */
  if (f.nodefaults && in->channels.len)
    in->args.override_channels = true;
  for (size_t i = 0; i < f.variables.names.len; i++)
    krait_env_vars_set(&in->variables, f.variables.names.items[i], f.variables.values.items[i]);
  if (f.pip.len && !in->pip_dir) {
    char *abs = krait_path_absolute(path);
    in->pip_dir = krait_path_dirname(abs);
    free(abs);
  }
  for (size_t i = 0; i < f.pip.len; i++)
    krait_strv_push(&in->pip, f.pip.items[i]);
  for (size_t i = 0; i < f.n_packages; i++) {
    add_package(in, &f.packages[i]);
    krait_record_init(&f.packages[i]); /* moved out */
  }
  krait_env_file_free(&f);
  return KRAIT_OK;
}

/* --clone SRC: the packages of SRC exactly, from the package cache (or their
 * URLs), the specs SRC's history asked for, and its variables. */
static krait_code add_clone(env_input *in, const krait_ctx *ctx, krait_err *err) {
  cli_args src_args;
  memset(&src_args, 0, sizeof src_args);
  if (strchr(in->args.clone, '/'))
    src_args.prefix = in->args.clone;
  else
    src_args.name = in->args.clone;
  char *src = cli_target_prefix(ctx, &src_args, false, err);
  if (!src)
    return err->code;
  krait_prefix_state st;
  krait_code rc = krait_prefix_load(src, &st, err);
  if (!rc && !st.exists)
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "cannot clone %s: not an environment (no conda-meta/)", src);
  if (!rc) {
    const krait_record **order = krait_calloc(st.len + 1, sizeof *order);
    for (size_t i = 0; i < st.len; i++)
      order[i] = &st.records[i].rec;
    krait_records_dependency_order(order, st.len);
    for (size_t i = 0; i < st.len; i++) {
      krait_record copy;
      krait_record_copy(&copy, order[i]);
      add_package(in, &copy);
    }
    free(order);
    for (size_t i = 0; i < st.requested_specs.len; i++)
      krait_strv_push(&in->specs, st.requested_specs.items[i]);
    in->from_clone = true;
    krait_env_vars vars;
    if (!(rc = krait_env_state_read(src, &vars, err))) {
      for (size_t i = 0; i < vars.names.len; i++)
        krait_env_vars_set(&in->variables, vars.names.items[i], vars.values.items[i]);
      krait_env_vars_free(&vars);
    }
  }
  krait_prefix_state_free(&st);
  free(src);
  return rc;
}

static krait_code load_inputs(env_input *in, const cli_args *args, const krait_ctx *ctx, krait_err *err) {
  memset(in, 0, sizeof *in);
  in->args = *args;
  krait_strv_copy(&in->channels, &args->channels);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; !rc && i < args->specs.len; i++) {
    const char *s = args->specs.items[i];
    if (!krait_is_package_url(s)) {
      krait_strv_push(&in->specs, s);
      continue;
    }
    krait_record r;
    if ((rc = krait_explicit_record(s, &r, err)) == KRAIT_OK)
      add_package(in, &r);
  }
  for (size_t i = 0; !rc && i < args->env_files.len; i++)
    rc = add_file(in, ctx, args->env_files.items[i], err);
  if (!rc && args->clone) {
    if (in->specs.len || in->n_packages)
      return krait_err_set(err, KRAIT_E_INVALID, "--clone copies an environment as it is: give no SPEC or --file");
    rc = add_clone(in, ctx, err);
  }
  if (rc)
    return rc;
  if (in->n_packages && in->specs.len && !in->from_clone)
    return krait_err_set(err, KRAIT_E_INVALID,
                         "package URLs (@EXPLICIT) are installed exactly as listed and cannot be mixed with specs "
                         "such as \"%s\"",
                         in->specs.items[0]);
  /* what history records as asked for: the listed packages, by name */
  for (size_t i = 0; !in->from_clone && i < in->n_packages; i++)
    krait_strv_push(&in->specs, in->packages[i].name);
  in->args.specs = in->specs;
  in->args.channels = in->channels;
  in->args.env_files = (krait_strv)KRAIT_STRV_INIT;
  in->args.clone = NULL;
  return KRAIT_OK;
}

/* Fails before anything changes when a pip: list cannot be installed. */
static krait_code check_pip_possible(const env_input *in, const krait_ctx *ctx, const char *prefix,
                                     krait_err *err) {
  if (!in->pip.len || krait_prefix_has_pip(prefix))
    return KRAIT_OK;
  for (size_t i = 0; i < in->specs.len; i++) {
    krait_matchspec *ms = NULL;
    if (krait_matchspec_parse(in->specs.items[i], &ms, NULL) != KRAIT_OK)
      continue;
    bool brings_pip = ms->name && (strcmp(ms->name, "pip") == 0 ||
                                   (strcmp(ms->name, "python") == 0 && ctx->add_pip_as_python_dependency));
    krait_matchspec_free(ms);
    if (brings_pip)
      return KRAIT_OK;
  }
  for (size_t i = 0; i < in->n_packages; i++)
    if (strcmp(in->packages[i].name, "pip") == 0)
      return KRAIT_OK;
  return krait_err_set(err, KRAIT_E_INVALID,
                       "the environment file has a pip: section but %s will have no pip: add pip (or python) to "
                       "its dependencies",
                       prefix);
}

/* Explicit packages: no solver, no repodata; the cache verifies each archive
 * against the URL's checksum. */
static int run_explicit(krait_ctx *ctx, env_input *in, const char *prefix, krait_request_kind kind,
                        krait_err *err) {
  const cli_args *args = &in->args;
  bool create = strcmp(args->command, "create") == 0;
  if (create && cli_check_create_target(prefix, args, err))
    return cli_fail(args, err);
  if (!create) {
    bool is_env = krait_is_env(prefix);
    if (!is_env) {
      krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/); create it with krait create",
                    prefix);
      return cli_fail(args, err);
    }
  }
  /* As for a solved transaction: the prefix lock is taken before the prefix
   * is read (the installed records decide what is replaced) and held to the
   * end; taking it also finishes or undoes a killed run's transaction. */
  cli_held_lock held = {NULL, false, false};
  if (!args->dry_run && krait_txn_lock_prefix(ctx, prefix, &held.lock, &held.prefix_was_new, err))
    return cli_fail(args, err);
  if (create && !args->dry_run && !held.prefix_was_new && !args->yes && !args->force) {
    krait_lock_release(held.lock);
    krait_err_set(err, KRAIT_E_INVALID, "%s was created by another process meanwhile; use -y or --force to replace it",
                  prefix);
    return cli_fail(args, err);
  }
  krait_solution sol;
  memset(&sol, 0, sizeof sol);
  sol.link = krait_calloc(in->n_packages + 1, sizeof *sol.link);
  for (size_t i = 0; i < in->n_packages; i++)
    krait_record_copy(&sol.link[sol.n_link++], &in->packages[i]);
  /* install: a listed package replaces the installed one of the same name */
  krait_prefix_state st;
  memset(&st, 0, sizeof st);
  if (!create && krait_prefix_load(prefix, &st, err)) {
    krait_solution_free(&sol);
    krait_lock_release(held.lock);
    return cli_fail(args, err);
  }
  sol.unlink = krait_calloc(st.len + 1, sizeof *sol.unlink);
  for (size_t j = 0; j < st.len; j++)
    for (size_t i = 0; i < sol.n_link; i++)
      if (strcmp(st.records[j].rec.name, sol.link[i].name) == 0) {
        krait_record_copy(&sol.unlink[sol.n_unlink++], &st.records[j].rec);
        break;
      }
  krait_prefix_state_free(&st);
  int status;
  if (cli_fill_fetch(ctx, &sol, err))
    status = cli_fail(args, err);
  else
    status = cli_finish_transaction(ctx, args, prefix, &sol, kind, &held, err);
  /* made only to hold the lock: a create that did not happen leaves no prefix */
  if (held.lock && held.prefix_was_new && (!held.executed || status != 0))
    krait_txn_abandon_new_prefix(prefix);
  krait_lock_release(held.lock);
  krait_solution_free(&sol);
  return status;
}

/* The files' variables and pip: list, once the conda packages are in. */
static int after_transaction(const env_input *in, const char *prefix, krait_err *err) {
  const cli_args *args = &in->args;
  if (in->variables.names.len) {
    krait_env_vars vars;
    if (krait_env_state_read(prefix, &vars, err))
      return cli_fail(args, err);
    for (size_t i = 0; i < in->variables.names.len; i++)
      krait_env_vars_set(&vars, in->variables.names.items[i], in->variables.values.items[i]);
    krait_code rc = krait_env_state_write(prefix, &vars, err);
    krait_env_vars_free(&vars);
    if (rc)
      return cli_fail(args, err);
  }
  if (in->pip.len) {
    if (!args->quiet)
      fprintf(stderr, "krait: installing the pip: section with %s/bin/python -m pip\n", prefix);
    fflush(stdout);
    if (krait_pip_install(prefix, &in->pip, in->pip_dir, args->json ? STDERR_FILENO : STDOUT_FILENO, err))
      return cli_fail(args, err);
  }
  return 0;
}

int cli_run_with_env_input(const cli_args *args, krait_request_kind kind) {
  krait_err err;
  krait_err_clear(&err);
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  env_input in;
  int status = 1;
  char *prefix = NULL;
  bool create = strcmp(args->command, "create") == 0;
  if (load_inputs(&in, args, ctx, &err))
    goto fail;
  if (!(prefix = cli_target_prefix(ctx, &in.args, create, &err)))
    goto fail;
  if (check_pip_possible(&in, ctx, prefix, &err))
    goto fail;
  if (in.n_packages)
    status = run_explicit(ctx, &in, prefix, kind, &err);
  else
    status = cli_run_transaction(&in.args, kind); /* no file left in in.args: solves */
  if (status == 0 && !args->dry_run)
    status = after_transaction(&in, prefix, &err);
  goto done;
fail:
  status = cli_fail(args, &err);
done:
  free(prefix);
  env_input_free(&in);
  krait_ctx_free(ctx);
  return status;
}
