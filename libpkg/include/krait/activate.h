/* Activation of an environment, independent of any shell: what `krait
 * activate`, `krait deactivate`, `krait run` and later Lmod modulefiles or
 * Jupyter kernels change in a process environment.
 *
 * The model (conda's, with exact restoration):
 *   - every activation pushes a level: CONDA_SHLVL+1, the previous
 *     CONDA_PREFIX saved as CONDA_PREFIX_<old level>; without --stack the
 *     previous env is suspended first (its deactivate.d scripts run, its
 *     variables and bin dir removed), with --stack it stays on PATH;
 *   - the level remembers, in the exported variable _KRAIT_ACT_<level>, the
 *     value every variable had before (or that it was unset), the PATH entries
 *     it inserted and the ones it removed, so deactivation restores the
 *     environment byte for byte, even in a child shell;
 *   - activation prepends <prefix>/bin to PATH, sets CONDA_PREFIX,
 *     CONDA_DEFAULT_ENV, CONDA_PROMPT_MODIFIER, the env's state variables
 *     (krait/env_state.h), then sources etc/conda/activate.d/<name><ext> in
 *     code-point order; deactivation sources deactivate.d/<name><ext> in reverse
 *     order first, while the environment is still active.
 *
 * Ownership: a krait_envmap owns its strings (krait_envmap_free); a
 * krait_act_plan owns everything in it (krait_act_plan_free). */
#ifndef KRAIT_ACTIVATE_H
#define KRAIT_ACTIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/buf.h"
#include "krait/env_state.h"
#include "krait/err.h"

/* ---- a process environment as an ordered map ---- */
typedef struct krait_env_var {
  char *name;
  char *value; /* in a plan's changes: NULL = unset */
} krait_env_var;

typedef struct krait_envmap {
  krait_env_var *items;
  size_t len;
  size_t cap;
} krait_envmap;

#define KRAIT_ENVMAP_INIT {NULL, 0, 0}

/* Copies a NULL-terminated "NAME=VALUE" array (the process's environ when
 * envp is NULL); entries without '=' are skipped. */
KRAIT_API void krait_envmap_from_environ(krait_envmap *m, char *const *envp);
KRAIT_API const char *krait_envmap_get(const krait_envmap *m, const char *name);
/* value NULL removes the variable. A new variable goes to the end. */
KRAIT_API void krait_envmap_set(krait_envmap *m, const char *name, const char *value);
/* A NULL-terminated "NAME=VALUE" array for execve; free with krait_environ_free. */
KRAIT_API char **krait_envmap_to_environ(const krait_envmap *m);
KRAIT_API void krait_environ_free(char **envp);
KRAIT_API void krait_envmap_free(krait_envmap *m);

/* ---- shells ---- */
typedef enum krait_shell {
  KRAIT_SHELL_POSIX,
  KRAIT_SHELL_BASH,
  KRAIT_SHELL_ZSH,
  KRAIT_SHELL_FISH,
  KRAIT_SHELL_TCSH,
} krait_shell;

/* "bash", "zsh", "fish", "tcsh" (also "csh"), "posix" (also "sh", "dash"). */
KRAIT_API krait_code krait_shell_parse(const char *name, krait_shell *out, krait_err *err);
KRAIT_API const char *krait_shell_name(krait_shell shell);
/* The extension of the activate.d scripts the shell sources: ".sh", ".fish", ".csh". */
KRAIT_API const char *krait_shell_script_ext(krait_shell shell);

/* ---- plans ---- */
typedef enum krait_act_kind {
  KRAIT_ACT_ACTIVATE,   /* push `prefix` */
  KRAIT_ACT_DEACTIVATE, /* pop the top level (nothing when none is active) */
  KRAIT_ACT_REACTIVATE, /* rerun the top env's deactivate.d then activate.d scripts */
} krait_act_kind;

typedef struct krait_act_request {
  krait_act_kind kind;
  const char *prefix;     /* ACTIVATE: absolute path of an environment (has conda-meta/) */
  const char *env_name;   /* ACTIVATE: CONDA_DEFAULT_ENV (name of a named env); NULL = the prefix */
  bool stack;             /* ACTIVATE: keep the active env on PATH */
  const char *script_ext; /* ".sh", ".fish", ".csh"; NULL = list no scripts */
  bool change_prompt;     /* emit the prompt operations (conda's changeps1) */
  /* Second phase: the deactivate.d scripts were already sourced (they may
   * have changed PATH), so list none and compute from the environment as the
   * scripts left it. See krait_act_needs_two_phases. */
  bool deactivate_scripts_ran;
} krait_act_request;

typedef struct krait_act_plan {
  /* In this order: */
  krait_strv deactivate_scripts; /* 1. sourced while the old env is still set */
  int prompt_save_level;         /* 2. save the shell's prompt for this level (0 = none) */
  int prompt_restore_level;      /* 3. restore the prompt saved for this level (0 = none) */
  krait_env_var *changes;        /* 4. set (value) or unset (NULL), in order */
  size_t n_changes;
  char *prompt_prefix;           /* 5. prepend to the prompt (NULL = none) */
  krait_strv activate_scripts;   /* 6. sourced with the new environment set */
} krait_act_plan;

/* Computes what `req` changes in environment `env` (not modified). Errors
 * name the prefix or variable at fault: a prefix that is not an environment,
 * a malformed state file, a corrupt _KRAIT_ACT_<n>. */
KRAIT_API krait_code krait_act_plan_build(const krait_act_request *req, const krait_envmap *env,
                                          krait_act_plan *out, krait_err *err);
/* Applies the variable changes (not the scripts, not the prompt) to env. */
KRAIT_API void krait_act_plan_apply(const krait_act_plan *plan, krait_envmap *env);
KRAIT_API void krait_act_plan_free(krait_act_plan *plan);

/* The variables activating `prefix` sets, in conda's order: every
 * etc/conda/env_vars.d/<name>.json (sorted by name), then conda-meta/state;
 * a later value of a name replaces an earlier one in place. Errors name the
 * file. The caller frees out with krait_env_vars_free. */
KRAIT_API krait_code krait_act_env_vars(const char *prefix, krait_env_vars *out, krait_err *err);

/* Scripts <prefix>/etc/conda/<dir>/<name><ext> (dir "activate.d" or
 * "deactivate.d"), regular files only, in code-point order (reversed when
 * `reverse`), appended to out as absolute paths. */
KRAIT_API void krait_act_list_scripts(const char *prefix, const char *dir, const char *ext, bool reverse,
                                      krait_strv *out);

/* Appends the plan as commands for `shell` (sourced by the hook's function).
 * Fails (naming the variable) only for a value the shell cannot be given,
 * e.g. a newline in a tcsh variable. */
KRAIT_API krait_code krait_act_render(const krait_act_plan *plan, krait_shell shell, krait_buf *out,
                                      krait_err *err);

/* True when the plan sources deactivate.d scripts and also changes
 * variables: those scripts may edit PATH or other variables, so a shell
 * should source them first and then ask for the changes again
 * (deactivate_scripts_ran), instead of applying values computed before the
 * scripts ran. */
KRAIT_API bool krait_act_needs_two_phases(const krait_act_plan *plan);
/* Appends the first phase: source the plan's deactivate.d scripts, then
 * evaluate the output of the command `argv` (NULL-terminated), which prints
 * the second phase. */
KRAIT_API void krait_act_render_first_phase(const krait_act_plan *plan, krait_shell shell, const char *const *argv,
                                            krait_buf *out);

/* Appends `s` quoted for `shell` as one word. */
KRAIT_API void krait_shell_quote(krait_shell shell, const char *s, krait_buf *out);

#endif
