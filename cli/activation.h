/* Shared by `krait shell` and `krait run`: which environment a NAME or path
 * means, and the activation request for it. */
#ifndef KRAIT_CLI_ACTIVATION_H
#define KRAIT_CLI_ACTIVATION_H

#include <stdbool.h>

#include "krait/activate.h"
#include "krait/ctx.h"
#include "krait/err.h"

/* `name` (looked up in envs_dirs; "base" is the root prefix) or `path`
 * (exactly one of them non-NULL). Fills *prefix (absolute, no trailing '/')
 * and *env_name (the name, or the prefix for a path), both heap strings, or
 * fails naming what was not found. */
krait_code cli_resolve_env(const krait_ctx *ctx, const char *name, const char *path, char **prefix, char **env_name,
                           krait_err *err);
/* An argument of `krait activate`: a path when it holds a '/' or is "." or
 * "..", as conda decides; otherwise a name. */
bool cli_env_arg_is_path(const char *arg);
/* conda's changeps1, from CONDA_CHANGEPS1 (default true). */
bool cli_change_prompt(void);
/* The absolute path of the running krait binary (heap string). */
char *cli_self_exe(void);

/* What `krait run` runs: argv in the activated env `prefix` (`name` when
 * it was given by name, else NULL). */
typedef struct cli_run_request {
  const char *prefix;
  const char *name;
  char *const *argv;
  const char *cwd;
  bool clean_env; /* start from HOME, USER, LANG, ... and the system PATH only */
  bool quiet;     /* the command's stdout/stderr go to /dev/null (probes) */
} cli_run_request;

/* Runs the request and waits (krait/run.h); *status is the command's exit
 * status, 128+N for a signal, 127/126 when it could not start, 1 when krait
 * failed before (err filled whenever the return is non-zero). */
krait_code cli_run_activated(const cli_run_request *r, int *status, krait_err *err);

#endif
