/* From parsed arguments to a ready context: defaults < condarc < env < flags;
 * library events rendered on stderr; errors reported once. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "krait/config.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/platform.h"
#include "krait/prefix.h"
#include "krait/txn.h"

typedef struct event_sink {
  int verbose;
  bool quiet;
} event_sink;

static event_sink sink; /* the one front end of this process; read by the callback */

static void on_event(void *user, krait_event_level level, const char *message) {
  const event_sink *s = user;
  const char *tag = level == KRAIT_EV_WARNING && !s->quiet                  ? "warning: "
                    : level == KRAIT_EV_NOTICE && !s->quiet                  ? ""
                    : level == KRAIT_EV_INFO && s->verbose >= 1 && !s->quiet ? ""
                    : level == KRAIT_EV_DEBUG && s->verbose >= 2             ? "debug: "
                                                                               : NULL;
  if (!tag)
    return;
  cli_progress_clear(); /* a message goes above the live progress lines */
  fprintf(stderr, "krait: %s%s\n", tag, message);
}

krait_ctx *cli_make_ctx(const cli_args *args, krait_err *err) {
  krait_ctx *ctx = krait_ctx_new();
  sink.verbose = args->verbose;
  sink.quiet = args->quiet;
  ctx->on_event = on_event;
  ctx->user = &sink;
  cli_progress_attach(ctx, args->quiet, args->json);
  atexit(cli_progress_finish); /* the summary line after the last progress, on every way out */
  if (krait_config_load(ctx, err)) {
    krait_ctx_free(ctx);
    return NULL;
  }
  /* command-line flags: the highest precedence */
  if (args->override_channels) {
    if (!args->channels.len) {
      krait_err_set(err, KRAIT_E_INVALID, "--override-channels needs at least one -c CHANNEL");
      krait_ctx_free(ctx);
      return NULL;
    }
    krait_strv_free(&ctx->channels);
  }
  if (args->channels.len) {
    /* -c channels come first, then the configured ones (conda's order) */
    krait_strv merged = KRAIT_STRV_INIT;
    krait_strv_copy(&merged, &args->channels);
    for (size_t i = 0; i < ctx->channels.len; i++)
      if (!krait_strv_contains(&merged, ctx->channels.items[i]))
        krait_strv_push(&merged, ctx->channels.items[i]);
    krait_strv_free(&ctx->channels);
    ctx->channels = merged;
  }
  if (args->channel_priority && krait_config_parse_priority(args->channel_priority, &ctx->channel_priority, err)) {
    krait_ctx_free(ctx);
    return NULL;
  }
  if (args->strict_channel_priority)
    ctx->channel_priority = KRAIT_PRIORITY_STRICT;
  if (args->platform) {
    if (!krait_subdir_known(args->platform) || strcmp(args->platform, "noarch") == 0) {
      krait_err_set(err, KRAIT_E_INVALID, "unknown platform \"%s\" (expected e.g. linux-64, linux-aarch64, osx-arm64)",
                    args->platform);
      krait_ctx_free(ctx);
      return NULL;
    }
    free(ctx->platform);
    ctx->platform = krait_strdup(args->platform);
  }
  if (args->offline)
    ctx->offline = true;
  if (args->yes)
    ctx->always_yes = true;
  if (args->dry_run)
    ctx->dry_run = true;
  return ctx;
}

/* An environment called `name` in one of the envs dirs (the first one that
 * has it), else the path it would have in the first envs dir. */
static char *prefix_for_name(const krait_ctx *ctx, const char *name) {
  if (strcmp(name, "base") == 0)
    return krait_strdup(ctx->root_prefix);
  for (size_t i = 0; i < ctx->envs_dirs.len; i++) {
    char *p = krait_path_join(ctx->envs_dirs.items[i], name);
    bool found = krait_is_env(p);
    if (found)
      return p;
    free(p);
  }
  return ctx->envs_dirs.len ? krait_path_join(ctx->envs_dirs.items[0], name) : NULL;
}

char *cli_target_prefix(const krait_ctx *ctx, const cli_args *args, bool for_create, krait_err *err) {
  if (args->prefix && args->name) {
    krait_err_set(err, KRAIT_E_INVALID, "give either -n NAME or -p PREFIX, not both");
    return NULL;
  }
  if (args->prefix)
    return krait_path_absolute(args->prefix);
  if (args->name) {
    if (!*args->name || strchr(args->name, '/')) {
      krait_err_set(err, KRAIT_E_INVALID, "invalid environment name \"%s\" (use -p for a path)", args->name);
      return NULL;
    }
    if (for_create && strcmp(args->name, "base") == 0) {
      krait_err_set(err, KRAIT_E_INVALID, "cannot create the base environment with -n base");
      return NULL;
    }
    /* create: the first envs dir krait can write (an existing one elsewhere is
     * another env); a read-only group envs dir listed first is skipped, as conda does */
    if (for_create) {
      char *dir = krait_envs_dir_for_create(ctx, err);
      char *p = dir ? krait_path_join(dir, args->name) : NULL;
      free(dir);
      return p;
    }
    return prefix_for_name(ctx, args->name);
  }
  const char *active = getenv("CONDA_PREFIX");
  if (!for_create && active && *active)
    return krait_path_absolute(active);
  krait_err_set(err, KRAIT_E_INVALID, "no environment given: use -n NAME or -p PREFIX%s",
                for_create ? "" : " (or activate one)");
  return NULL;
}

int cli_with_env(const cli_args *args, unsigned how, cli_env_body body, void *user) {
  krait_err err;
  krait_err_clear(&err);
  cli_env env;
  memset(&env, 0, sizeof env);
  const char *recovered = NULL;
  krait_code rc = KRAIT_E_INVALID;
  if (!(env.ctx = cli_make_ctx(args, &err)) || !(env.prefix = cli_target_prefix(env.ctx, args, false, &err)))
    goto done;
  if ((how & CLI_ENV_RECOVER) && krait_is_dir(env.prefix) &&
      (rc = krait_txn_recover(env.ctx, env.prefix, &recovered, &err)))
    goto done;
  if ((how & CLI_ENV_LOAD) && (rc = krait_prefix_load(env.prefix, &env.st, &err)))
    goto done;
  if ((how & CLI_ENV_LOAD) ? !env.st.exists : !krait_is_env(env.prefix)) {
    rc = krait_err_set(&err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/)", env.prefix);
    goto done;
  }
  rc = body(args, &env, user, &err);
done:;
  int status = rc ? cli_fail(args, &err) : 0;
  krait_prefix_state_free(&env.st);
  free(env.prefix);
  krait_ctx_free(env.ctx);
  return status;
}

int cli_fail(const cli_args *args, const krait_err *err) {
  cli_progress_clear();
  fprintf(stderr, "krait: error: %s\n", err->msg);
  if (args && args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    cli_json_error(&b, err);
    cli_emit(&b);
    krait_buf_free(&b);
  }
  return 1;
}

int cli_fail_msg(const cli_args *args, krait_code code, const char *fmt, ...) {
  krait_err err;
  err.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err.msg, sizeof err.msg, fmt, ap);
  va_end(ap);
  return cli_fail(args, &err);
}
