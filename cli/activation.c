/* Environment resolution for activation (cli/activation.h). */
#include "activation.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "krait/run.h"
#include "krait/envreg.h"
#include "krait/fs.h"

bool cli_env_arg_is_path(const char *arg) {
  return strchr(arg, '/') || strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0;
}

static void strip_trailing_slashes(char *p) {
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
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
  if (!krait_is_env(p)) {
    krait_code rc;
    if (name && strcmp(name, "base") == 0) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "the base environment %s (the root prefix) does not exist", p);
    } else if (name) {
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

static bool kept_by_clean_env(const char *name) {
  static const char *const keep[] = {"HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "TZ", "TMPDIR", NULL};
  for (const char *const *k = keep; *k; k++)
    if (strcmp(name, *k) == 0)
      return true;
  return strncmp(name, "LC_", 3) == 0;
}

static void clean_environment(krait_envmap *env) {
  krait_envmap clean = KRAIT_ENVMAP_INIT;
  for (size_t i = 0; i < env->len; i++)
    if (kept_by_clean_env(env->items[i].name))
      krait_envmap_set(&clean, env->items[i].name, env->items[i].value);
  size_t n = confstr(_CS_PATH, NULL, 0);
  char *path = krait_malloc(n ? n : 1);
  if (!n || !confstr(_CS_PATH, path, n))
    path[0] = '\0';
  krait_envmap_set(&clean, "PATH", *path ? path : "/usr/bin:/bin");
  free(path);
  krait_envmap_free(env);
  *env = clean;
}

krait_code cli_run_activated(const cli_run_request *r, int *status, krait_err *err) {
  *status = 1;
  krait_envmap env = KRAIT_ENVMAP_INIT;
  krait_envmap_from_environ(&env, NULL);
  if (r->clean_env)
    clean_environment(&env);
  /* replaces an active env, as `krait activate` does */
  krait_act_request req = {.kind = KRAIT_ACT_ACTIVATE, .prefix = r->prefix, .env_name = r->name ? r->name : r->prefix,
                           .script_ext = ".sh"};
  krait_act_plan plan;
  krait_code rc = krait_act_plan_build(&req, &env, &plan, err);
  if (rc) {
    krait_envmap_free(&env);
    return rc;
  }
  krait_run_opts ro = {.argv = r->argv, .cwd = r->cwd, .scripts = &plan.activate_scripts};
  krait_buf prelude = KRAIT_BUF_INIT;
  if (r->quiet) /* a probe: only the exit status matters */
    krait_buf_puts(&prelude, "exec >/dev/null 2>&1\n");
  char *exe = NULL;
  if (krait_act_needs_two_phases(&plan)) {
    /* the active env's deactivate.d scripts may edit PATH: the child shell
     * sources them in the unchanged environment, then evaluates the
     * activation krait computes after them (with its activate.d scripts) */
    exe = cli_self_exe();
    const char *again[] = {exe, "shell", "activate", "--after-scripts", "-s", "posix", r->name ? r->name : r->prefix,
                           NULL};
    krait_act_render_first_phase(&plan, KRAIT_SHELL_POSIX, again, &prelude);
    ro.scripts = NULL;
  } else {
    krait_act_plan_apply(&plan, &env);
  }
  if (prelude.len)
    ro.prelude = krait_buf_str(&prelude);
  char **envp = krait_envmap_to_environ(&env);
  ro.envp = envp;
  rc = krait_run_process(&ro, status, err);
  krait_environ_free(envp);
  krait_buf_free(&prelude);
  free(exe);
  krait_act_plan_free(&plan);
  krait_envmap_free(&env);
  return rc;
}
