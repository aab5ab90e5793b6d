/* Context construction: built-in defaults, then environment variables. */
#include "krait/ctx.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/platform.h"

static bool env_bool(const char *name, bool dflt) {
  const char *v = getenv(name);
  if (!v || !*v)
    return dflt;
  return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
           strcasecmp(v, "off") == 0);
}

/* Splits a PATH-like list (',' or ':' separated, as conda accepts both for CONDA_PKGS_DIRS). */
static void split_list(krait_strv *out, const char *s) {
  while (*s) {
    const char *e = s;
    while (*e && *e != ',' && *e != ':')
      e++;
    if (e > s) {
      char *item = krait_strndup(s, (size_t)(e - s));
      krait_strv_push_owned(out, krait_path_absolute(item));
      free(item);
    }
    s = *e ? e + 1 : e;
  }
}

krait_ctx *krait_ctx_new(void) {
  krait_ctx *ctx = krait_calloc(1, sizeof *ctx);
  const char *root = getenv("KRAIT_ROOT_PREFIX");
  ctx->root_prefix = krait_path_absolute(root && *root ? root : "~/.krait");
  const char *subdir = getenv("CONDA_SUBDIR");
  ctx->platform = krait_strdup(subdir && *subdir ? subdir : krait_native_subdir());
  ctx->channel_alias = krait_strdup("https://conda.anaconda.org");
  krait_strv_push(&ctx->default_channels, "https://repo.anaconda.com/pkgs/main");
  krait_strv_push(&ctx->default_channels, "https://repo.anaconda.com/pkgs/r");
  const char *pkgs = getenv("CONDA_PKGS_DIRS");
  if (pkgs && *pkgs)
    split_list(&ctx->pkgs_dirs, pkgs);
  else
    krait_strv_push_owned(&ctx->pkgs_dirs, krait_path_join(ctx->root_prefix, "pkgs"));
  const char *envs = getenv("CONDA_ENVS_DIRS");
  if (envs && *envs)
    split_list(&ctx->envs_dirs, envs);
  else
    krait_strv_push_owned(&ctx->envs_dirs, krait_path_join(ctx->root_prefix, "envs"));
  ctx->repodata_cache_dir = krait_path_join(ctx->pkgs_dirs.items[0], "cache");
  ctx->channel_priority = KRAIT_PRIORITY_FLEXIBLE;
  const char *prio = getenv("CONDA_CHANNEL_PRIORITY");
  if (prio && strcmp(prio, "strict") == 0)
    ctx->channel_priority = KRAIT_PRIORITY_STRICT;
  else if (prio && strcmp(prio, "disabled") == 0)
    ctx->channel_priority = KRAIT_PRIORITY_DISABLED;
  ctx->add_pip_as_python_dependency = env_bool("CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY", true);
  ctx->offline = env_bool("CONDA_OFFLINE", false);
  ctx->always_yes = env_bool("CONDA_ALWAYS_YES", false);
  ctx->use_lockfiles = env_bool("CONDA_USE_LOCKFILES", true);
  const char *threads = getenv("CONDA_EXTRACT_THREADS");
  ctx->extract_threads = threads ? atoi(threads) : 0;
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
