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
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 2);
    krait_jw_obj_begin(&w);
    krait_jw_key(&w, "envs");
    krait_jw_arr_begin(&w);
    for (size_t i = 0; i < set.len; i++)
      krait_jw_str(&w, set.items[i].prefix);
    krait_jw_arr_end(&w);
    krait_jw_obj_end(&w);
    cli_emit(&b);
    krait_buf_free(&b);
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

int cmd_env_remove(const cli_args *args) {
  if (!args->name && !args->prefix)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait env remove needs -n NAME or -p PREFIX");
  krait_err err;
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  int status = 1;
  krait_prefix_state st;
  memset(&st, 0, sizeof st);
  char *prefix = cli_target_prefix(ctx, args, false, &err);
  char *root = krait_path_absolute(ctx->root_prefix);
  const char *active = getenv("CONDA_PREFIX");
  char *active_abs = active && *active ? krait_path_absolute(active) : NULL;
  if (!prefix)
    goto fail;
  char *meta = krait_path_join(prefix, "conda-meta");
  bool is_env = krait_is_dir(meta);
  free(meta);
  if (!is_env) {
    /* never rm -rf a directory that is not an environment */
    krait_err_set(&err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/ in it); nothing removed", prefix);
    goto fail;
  }
  if (strcmp(prefix, root) == 0) {
    krait_err_set(&err, KRAIT_E_INVALID, "cannot remove the base environment %s", prefix);
    goto fail;
  }
  if (active_abs && strcmp(active_abs, prefix) == 0) {
    krait_err_set(&err, KRAIT_E_INVALID, "cannot remove the active environment %s: deactivate it first", prefix);
    goto fail;
  }
  if (krait_prefix_load(prefix, &st, &err))
    goto fail;
  if (!args->json && !args->quiet)
    printf("Remove environment %s (%zu package%s)%s\n", prefix, st.len, st.len == 1 ? "" : "s",
           args->dry_run ? " [dry run: nothing removed]" : "");
  if (!args->dry_run) {
    if (!ctx->always_yes && !cli_confirm("Remove this environment?", &err))
      goto fail;
    /* the prefix lock: never delete an env another krait/conda is changing */
    char *lock_path = krait_txn_lock_path(prefix);
    krait_lock *lock = NULL;
    krait_code rc = krait_lock_acquire(ctx, lock_path, ctx->lock_timeout_seconds, &lock, &err);
    free(lock_path);
    if (rc)
      goto fail;
    /* unregister first: a half-removed env must not stay listed as usable */
    rc = krait_env_unregister(NULL, prefix, &err);
    if (rc == KRAIT_OK)
      rc = krait_rm_rf(prefix, &err);
    krait_lock_release(lock);
    if (rc)
      goto fail;
  }
  if (args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 2);
    krait_jw_obj_begin(&w);
    krait_jw_kbool(&w, "dry_run", args->dry_run);
    krait_jw_key(&w, "packages");
    krait_jw_arr_begin(&w);
    for (size_t i = 0; i < st.len; i++)
      krait_jw_str(&w, st.records[i].rec.name);
    krait_jw_arr_end(&w);
    krait_jw_kstr(&w, "prefix", prefix);
    krait_jw_kbool(&w, "success", true);
    krait_jw_obj_end(&w);
    cli_emit(&b);
    krait_buf_free(&b);
  }
  status = 0;
  goto done;
fail:
  status = cli_fail(args, &err);
done:
  krait_prefix_state_free(&st);
  free(prefix);
  free(root);
  free(active_abs);
  krait_ctx_free(ctx);
  return status;
}
