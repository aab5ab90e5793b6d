/* Running a command in an activated environment without a shell hook
 * (`krait run`, Jupyter kernels): the child gets the activated environment,
 * sources the env's activate.d scripts through /bin/sh when there are any,
 * and inherits stdin/stdout/stderr. The caller waits for it, forwarding the
 * signals a batch scheduler or a user sends to the caller. */
#ifndef KRAIT_RUN_H
#define KRAIT_RUN_H

#include "krait/buf.h"
#include "krait/err.h"

typedef struct krait_run_opts {
  char *const *argv;           /* the command and its arguments (argv[0] searched in envp's PATH) */
  char *const *envp;           /* the child's whole environment */
  const char *cwd;             /* directory to run in, or NULL */
  const char *prelude;         /* POSIX sh code run before the scripts, or NULL */
  const krait_strv *scripts;   /* POSIX scripts to source before the command, or NULL */
} krait_run_opts;

/* Starts the command and waits for it. *status is its exit status, or 128+N
 * when signal N ended it; when it could not start, 127 (not found), 126
 * (found, not executable) or 1 (anything else) with err filled. While it runs, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2 and SIGINT sent to this process by another process are passed on to
 * the child (a SIGINT from the terminal already reaches the child, so it is
 * not sent twice). Errors (the command or cwd does not exist, fork fails)
 * name the command or directory; err->code is KRAIT_E_NOTFOUND for a command
 * not found. Installs and restores signal handlers: not thread-safe. */
KRAIT_API krait_code krait_run_process(const krait_run_opts *opts, int *status, krait_err *err);

/* The file `cmd` resolves to in `path` (a ':'-list): cmd itself when it
 * holds a '/', else the first executable regular file. Heap string or NULL. */
KRAIT_API char *krait_run_which(const char *cmd, const char *path);

#endif
