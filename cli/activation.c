/* Environment resolution for activation (cli/activation.h). */
#include "activation.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "krait/fs.h"

bool cli_env_arg_is_path(const char *arg) {
  return strchr(arg, '/') || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0;
}

static void strip_trailing_slashes(char *p) {
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
}

static bool is_env(const char *prefix) {
  char *meta = krait_path_join(prefix, "conda-meta");
  bool ok = krait_is_dir(meta);
  free(meta);
  return ok;
}

krait_code cli_resolve_env(const krait_ctx *ctx, const char *name, const char *path, char **prefix, char **env_name,
                           krait_err *err) {
  *prefix = *env_name = NULL;
  cli_args a;
  memset(&a, 0, sizeof a);
  a.prefix = (char *)path; /* borrowed: cli_target_prefix only reads them */
  a.name = (char *)name;
  char *p = cli_target_prefix(ctx, &a, false, err);
  if (!p)
    return err->code ? err->code : krait_err_set(err, KRAIT_E_INVALID, "no envs dirs configured to find \"%s\"", name);
  strip_trailing_slashes(p);
  if (!is_env(p)) {
    krait_code rc;
    if (name) {
      krait_buf dirs = KRAIT_BUF_INIT;
      for (size_t i = 0; i < ctx->envs_dirs.len; i++)
        krait_buf_printf(&dirs, "%s%s", i ? ", " : "", ctx->envs_dirs.items[i]);
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "no environment named \"%s\" (looked in envs dirs: %s)", name,
                         dirs.len ? krait_buf_str(&dirs) : "none configured");
      krait_buf_free(&dirs);
    } else {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (it has no conda-meta/ directory)", p);
    }
    free(p);
    return rc;
  }
  *prefix = p;
  *env_name = krait_strdup(name ? name : p);
  return KRAIT_OK;
}

bool cli_change_prompt(void) {
  const char *v = getenv("CONDA_CHANGEPS1");
  return !(v && (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0 ||
                 strcasecmp(v, "off") == 0));
}

char *cli_self_exe(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = '\0';
    return krait_strdup(buf);
  }
  return krait_strdup("krait"); /* no /proc: rely on PATH */
}
