/* Context construction: built-in defaults, then environment variables. */
#include "krait/ctx.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "krait/config.h"
#include "krait/fs.h"
#include "krait/platform.h"
#include "krait/rckeys.h"
#include "krait/secrets.h"

krait_ctx *krait_ctx_new(void) {
  krait_ctx *ctx = krait_calloc(1, sizeof *ctx);
  const char *root = getenv("KRAIT_ROOT_PREFIX");
  ctx->root_prefix = krait_path_absolute(root && *root ? root : "~/.krait");
  ctx->platform = krait_strdup(krait_native_subdir());
  /* the directories follow the root prefix; every other default is in krait/rckeys.h's table */
  krait_strv_push_owned(&ctx->pkgs_dirs, krait_path_join(ctx->root_prefix, "pkgs"));
  krait_strv_push_owned(&ctx->envs_dirs, krait_path_join(ctx->root_prefix, "envs"));
  krait_rc_apply_defaults(ctx);
  ctx->repodata_reachable_only = true;
  ctx->secrets = krait_secrets_new();
  /* Environment variables; an invalid value is ignored here (no way to
   * report it) and reported by krait_config_load(), which re-applies them. */
  krait_config_apply_env(ctx, NULL);
  return ctx;
}

void krait_ctx_free(krait_ctx *ctx) {
  if (!ctx)
    return;
  free(ctx->root_prefix);
  free(ctx->target_prefix);
  free(ctx->platform);
  free(ctx->channel_alias);
  free(ctx->repodata_cache_dir);
  krait_strv_free(&ctx->channels);
  krait_strv_free(&ctx->default_channels);
  krait_strv_free(&ctx->pkgs_dirs);
  krait_strv_free(&ctx->envs_dirs);
  krait_strv_free(&ctx->pinned_packages);
  krait_strv_free(&ctx->condarc_files);
  if (ctx->net && ctx->net_free)
    ctx->net_free(ctx->net);
  free(ctx->ssl_verify);
  free(ctx->client_ssl_cert);
  free(ctx->client_ssl_cert_key);
  krait_strv_free(&ctx->proxy_servers);
  krait_secrets_free(ctx->secrets);
  free(ctx);
}

void krait_ctx_event(const krait_ctx *ctx, krait_event_level level, const char *fmt, ...) {
  if (!ctx || !ctx->on_event)
    return;
  krait_buf b = KRAIT_BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  krait_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  ctx->on_event(ctx->user, level, krait_buf_str(&b));
  krait_buf_free(&b);
}

void krait_ctx_progress(const krait_ctx *ctx, const char *task, const char *item, double done, double total) {
  if (ctx && ctx->on_progress)
    ctx->on_progress(ctx->user, task, item, done, total);
}
