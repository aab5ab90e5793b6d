/* krait env list / krait env remove (rows of the `env` group in cmd_env.c). */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/lock.h"
#include "krait/txn.h"
#include "krait/prefix.h"

/* Shared with `krait info --envs`: conda's "# conda environments:" table. */
static void print_envs_human(const krait_env_set *set) {
  const char *active = getenv("CONDA_PREFIX");
  char *active_abs = active && *active ? krait_path_absolute(active) : NULL;
  size_t width = 4;
  for (size_t i = 0; i < set->len; i++)
    if (set->items[i].name && strlen(set->items[i].name) > width)
      width = strlen(set->items[i].name);
  printf("# krait environments:\n#\n");
  for (size_t i = 0; i < set->len; i++) {
    bool is_active = active_abs && strcmp(active_abs, set->items[i].prefix) == 0;
    printf("%-*s  %c  %s\n", (int)width, set->items[i].name ? set->items[i].name : "", is_active ? '*' : ' ',
           set->items[i].prefix);
  }
  free(active_abs);
}

int cli_env_list_output(const cli_args *args, krait_ctx *ctx) {
  krait_err err;
  krait_env_set set;
  if (krait_env_list(ctx, NULL, &set, &err))
    return cli_fail(args, &err);
  if (args->json) {
    cli_json j;
    cli_json_open(&j);
    krait_jw_obj_begin(&j.w);
    krait_jw_key(&j.w, "envs");
    krait_jw_arr_begin(&j.w);
    for (size_t i = 0; i < set.len; i++)
      krait_jw_str(&j.w, set.items[i].prefix);
    krait_jw_arr_end(&j.w);
    krait_jw_obj_end(&j.w);
    cli_json_emit(&j);
  } else {
    print_envs_human(&set);
  }
  krait_env_set_free(&set);
  return 0;
}

int cmd_env_list(const cli_args *args) {
  krait_err err;
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  int status = cli_env_list_output(args, ctx);
  krait_ctx_free(ctx);
  return status;
}

/* Refuses the base and the active environment. */
static krait_code check_removable(const krait_ctx *ctx, const char *prefix, krait_err *err) {
  char *root = krait_path_absolute(ctx->root_prefix);
  const char *active = getenv("CONDA_PREFIX");
  char *active_abs = active && *active ? krait_path_absolute(active) : NULL;
  krait_code rc = KRAIT_OK;
  if (strcmp(prefix, root) == 0)
    rc = krait_err_set(err, KRAIT_E_INVALID, "cannot remove the base environment %s", prefix);
  else if (active_abs && strcmp(active_abs, prefix) == 0)
    rc = krait_err_set(err, KRAIT_E_INVALID, "cannot remove the active environment %s: deactivate it first", prefix);
  free(root);
  free(active_abs);
  return rc;
}

/* Under the prefix lock (never delete an env another krait/conda is changing):
 * unregistered first, so a half-removed env does not stay listed as usable. */
static krait_code remove_env(krait_ctx *ctx, const char *prefix, krait_err *err) {
  krait_lock *lock = NULL;
  krait_code rc = krait_txn_lock_acquire(ctx, prefix, &lock, err);
  if (rc)
    return rc;
  rc = krait_env_unregister(NULL, prefix, err);
  if (rc == KRAIT_OK)
    rc = krait_rm_rf(prefix, err);
  krait_lock_release(lock);
  return rc;
}

static krait_code env_remove(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  (void)user;
  const krait_prefix_state *st = &env->st;
  krait_code rc = check_removable(env->ctx, env->prefix, err);
  if (rc)
    return rc;
  if (!args->json && !args->quiet)
    printf("Remove environment %s (%zu package%s)%s\n", env->prefix, st->len, st->len == 1 ? "" : "s",
           args->dry_run ? " [dry run: nothing removed]" : "");
  if (!args->dry_run) {
    if (!env->ctx->always_yes && !cli_confirm("Remove this environment?", err))
      return err->code;
    if ((rc = remove_env(env->ctx, env->prefix, err)))
      return rc;
  }
  if (args->json) {
    cli_json j;
    cli_json_open(&j);
    krait_jw_obj_begin(&j.w);
    krait_jw_kbool(&j.w, "dry_run", args->dry_run);
    krait_jw_key(&j.w, "packages");
    krait_jw_arr_begin(&j.w);
    for (size_t i = 0; i < st->len; i++)
      krait_jw_str(&j.w, st->records[i].rec.name);
    krait_jw_arr_end(&j.w);
    krait_jw_kstr(&j.w, "prefix", env->prefix);
    krait_jw_kbool(&j.w, "success", true);
    krait_jw_obj_end(&j.w);
    cli_json_emit(&j);
  }
  return KRAIT_OK;
}

int cmd_env_remove(const cli_args *args) {
  if (!args->name && !args->prefix)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait env remove needs -n NAME or -p PREFIX");
  return cli_with_env(args, CLI_ENV_LOAD, env_remove, NULL);
}
