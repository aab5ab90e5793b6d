/* krait info: what krait would act with — version, platform, virtual
 * packages and where each came from, channels, directories, config files. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/channel.h"
#include "krait/config.h"
#include "krait/fs.h"

/* Virtual packages krait knows for a platform family, so that `info` can say
 * which ones are absent (and why) instead of silently omitting them. */
static const char *const linux_vps[] = {"__unix", "__linux", "__glibc", "__archspec", "__cuda", NULL};
static const char *const osx_vps[] = {"__unix", "__osx", "__archspec", "__cuda", NULL};
static const char *const win_vps[] = {"__win", "__archspec", "__cuda", NULL};

static const char *const *known_vps(const char *platform) {
  if (strncmp(platform, "osx-", 4) == 0)
    return osx_vps;
  if (strncmp(platform, "win-", 4) == 0)
    return win_vps;
  return linux_vps;
}

typedef struct vp_row {
  const char *name;
  const char *version; /* NULL when absent */
  const char *build;
  char *source; /* owned */
} vp_row;

static char *override_var(const char *name) {
  char *var = krait_asprintf("CONDA_OVERRIDE_%s", name + 2);
  for (char *p = var; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return var;
}

static size_t collect_vps(const krait_ctx *ctx, const krait_virtpkgs *vps, vp_row *rows, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < vps->len && n < cap; i++)
    rows[n++] = (vp_row){vps->items[i].name, vps->items[i].version, vps->items[i].build,
                         krait_strdup(vps->items[i].source ? vps->items[i].source : "detected")};
  for (const char *const *k = known_vps(ctx->platform); *k && n < cap; k++) {
    bool present = false;
    for (size_t i = 0; i < vps->len && !present; i++)
      present = strcmp(vps->items[i].name, *k) == 0;
    if (present)
      continue;
    char *var = override_var(*k);
    const char *val = getenv(var);
    char *why = val && !*val ? krait_asprintf("absent (%s is empty)", var) : krait_strdup("absent (not detected)");
    free(var);
    rows[n++] = (vp_row){*k, NULL, NULL, why};
  }
  return n;
}

/* The subdir URLs the channels resolve to, as micromamba lists them. */
static void channel_urls(const krait_ctx *ctx, krait_strv *out) {
  krait_strv names = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &names);
  for (size_t i = 0; i < names.len; i++) {
    krait_channel ch;
    memset(&ch, 0, sizeof ch);
    if (krait_channel_parse(ctx, names.items[i], &ch, NULL)) {
      krait_strv_push(out, names.items[i]);
      continue;
    }
    if (ch.subdirs.len) {
      for (size_t s = 0; s < ch.subdirs.len; s++)
        krait_strv_push_owned(out, krait_asprintf("%s/%s", ch.url, ch.subdirs.items[s]));
    } else {
      krait_strv_push_owned(out, krait_asprintf("%s/%s", ch.url, ctx->platform));
      krait_strv_push_owned(out, krait_asprintf("%s/noarch", ch.url));
    }
    krait_channel_free(&ch);
  }
  krait_strv_free(&names);
  for (size_t i = 0; i < out->len; i++) { /* a channel's token or password is never shown */
    char *shown = krait_text_redact(out->items[i]);
    free(out->items[i]);
    out->items[i] = shown;
  }
}

static void human_list(const char *label, const krait_strv *v) {
  printf("%24s : %s\n", label, v->len ? v->items[0] : "(none)");
  for (size_t i = 1; i < v->len; i++)
    printf("%24s   %s\n", "", v->items[i]);
}

static void print_human(const krait_ctx *ctx, const char *env, const vp_row *rows, size_t n,
                        const krait_strv *urls) {
  printf("%24s : %s\n", "krait version", KRAIT_VERSION_STRING);
  printf("%24s : %s\n", "platform", ctx->platform);
  for (size_t i = 0; i < n; i++) {
    char *spec = rows[i].version ? krait_asprintf("%s=%s=%s", rows[i].name, rows[i].version, rows[i].build)
                                 : krait_strdup(rows[i].name);
    printf("%24s %c %-28s %s\n", i ? "" : "virtual packages", i ? ' ' : ':', spec, rows[i].source);
    free(spec);
  }
  printf("%24s : %s\n", "root prefix", ctx->root_prefix);
  printf("%24s : %s\n", "env location", env ? env : "-");
  human_list("channels", urls);
  printf("%24s : %s\n", "channel priority", krait_config_priority_name(ctx->channel_priority));
  human_list("package cache", &ctx->pkgs_dirs);
  human_list("envs directories", &ctx->envs_dirs);
  human_list("populated config files", &ctx->condarc_files);
  printf("%24s : %s\n", "offline mode", ctx->offline ? "yes" : "no");
}

static void print_json(const krait_ctx *ctx, const char *env, const vp_row *rows, size_t n,
                       const krait_strv *urls) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_obj_begin(&w);
  /* micromamba's key names first, then krait's additions */
  krait_jw_kstr(&w, "base environment", ctx->root_prefix);
  krait_jw_kstr(&w, "channel priority", krait_config_priority_name(ctx->channel_priority));
  krait_jw_kstrv(&w, "channels", urls);
  krait_jw_kstr(&w, "env location", env ? env : "-");
  krait_jw_kstrv(&w, "envs directories", &ctx->envs_dirs);
  krait_jw_kstr(&w, "krait version", KRAIT_VERSION_STRING);
  krait_jw_kbool(&w, "offline", ctx->offline);
  krait_jw_kstrv(&w, "package cache", &ctx->pkgs_dirs);
  krait_jw_kstr(&w, "platform", ctx->platform);
  krait_jw_kstrv(&w, "populated config files", &ctx->condarc_files);
  krait_jw_kstr(&w, "root_prefix", ctx->root_prefix);
  krait_jw_key(&w, "virtual packages");
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].version)
      continue;
    char *spec = krait_asprintf("%s=%s=%s", rows[i].name, rows[i].version, rows[i].build);
    krait_jw_str(&w, spec);
    free(spec);
  }
  krait_jw_arr_end(&w);
  krait_jw_key(&w, "virtual packages detail");
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    krait_jw_obj_begin(&w);
    krait_jw_kstr(&w, "build", rows[i].build);
    krait_jw_kstr(&w, "name", rows[i].name);
    krait_jw_kstr(&w, "source", rows[i].source);
    krait_jw_kstr(&w, "version", rows[i].version);
    krait_jw_obj_end(&w);
  }
  krait_jw_arr_end(&w);
  krait_jw_obj_end(&w);
  cli_emit(&b);
  krait_buf_free(&b);
}

int cmd_info(const cli_args *args) {
  krait_err err;
  krait_err_clear(&err);
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  krait_virtpkgs vps;
  memset(&vps, 0, sizeof vps);
  if (krait_virtpkgs_detect(ctx, ctx->platform, &vps, &err)) {
    krait_ctx_free(ctx);
    return cli_fail(args, &err);
  }
  char *env = NULL;
  if (args->prefix || args->name) {
    if (!(env = cli_target_prefix(ctx, args, false, &err))) {
      krait_virtpkgs_free(&vps);
      krait_ctx_free(ctx);
      return cli_fail(args, &err);
    }
  } else if (getenv("CONDA_PREFIX") && *getenv("CONDA_PREFIX")) {
    env = krait_path_absolute(getenv("CONDA_PREFIX"));
  }
  vp_row rows[32];
  size_t n = collect_vps(ctx, &vps, rows, sizeof rows / sizeof *rows);
  krait_strv urls = KRAIT_STRV_INIT;
  channel_urls(ctx, &urls);
  if (args->json)
    print_json(ctx, env, rows, n, &urls);
  else
    print_human(ctx, env, rows, n, &urls);
  for (size_t i = 0; i < n; i++)
    free(rows[i].source);
  krait_strv_free(&urls);
  free(env);
  krait_virtpkgs_free(&vps);
  krait_ctx_free(ctx);
  return 0;
}
