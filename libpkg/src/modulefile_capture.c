/* Running activate.d scripts in bash to see what they change (modulefile_capture.h). */
#include "modulefile_capture.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "krait/run.h"

/* Prints the environment, an empty entry as separator, then the environment
 * after sourcing "$@". The scripts' own output goes to stderr so it cannot
 * corrupt the listing; `command -p` finds env(1) in the system PATH, not a
 * copy the scripts may have put first. */
static const char capture_script[] = "command -p env -0; printf '\\0'\n"
                                     "for krait_script do . \"$krait_script\"; done >&2 </dev/null\n"
                                     "command -p env -0\n";

static bool ignored(const char *name) {
  return strcmp(name, "_") == 0 || strcmp(name, "PWD") == 0 || strcmp(name, "OLDPWD") == 0 ||
         strcmp(name, "SHLVL") == 0;
}

/* Splits "A=1\0B=2\0\0C=3\0" into the two maps. */
static void parse_listing(const krait_buf *out, krait_envmap *before, krait_envmap *after) {
  krait_envmap *cur = before;
  const char *p = out->data, *end = out->data + out->len;
  while (p < end) {
    size_t n = strnlen(p, (size_t)(end - p));
    if (n == 0) {
      cur = after;
    } else {
      const char *eq = memchr(p, '=', n);
      if (eq) {
        char *name = krait_strndup(p, (size_t)(eq - p));
        char *value = krait_strndup(eq + 1, n - (size_t)(eq - p) - 1);
        if (!ignored(name))
          krait_envmap_set(cur, name, value);
        free(name);
        free(value);
      }
    }
    p += n + 1;
  }
}

krait_code krait_module_capture(const krait_envmap *env, const krait_strv *scripts, krait_envmap *before,
                                krait_envmap *after, krait_err *err) {
  char *bash = krait_run_which("bash", krait_envmap_get(env, "PATH"));
  if (!bash)
    bash = krait_run_which("bash", "/usr/bin:/bin");
  if (!bash)
    return krait_err_set(err, KRAIT_E_NOTFOUND, "bash not found: needed to record what the activate.d scripts change");
  size_t argc = scripts->len + 5; /* bash -c script arg0 scripts... NULL */
  char **argv = krait_calloc(argc, sizeof *argv);
  static char dash_c[] = "-c", arg0[] = "bash";
  argv[0] = bash;
  argv[1] = dash_c;
  argv[2] = (char *)capture_script;
  argv[3] = arg0;
  for (size_t i = 0; i < scripts->len; i++)
    argv[4 + i] = scripts->items[i];
  char **envp = krait_envmap_to_environ(env);
  krait_code rc = KRAIT_OK;
  int fds[2];
  if (pipe(fds) != 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "pipe for bash");
    goto done;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    rc = krait_err_errno(err, KRAIT_E_IO, "fork for bash");
    goto done;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execve(bash, argv, envp);
    _exit(127);
  }
  close(fds[1]);
  krait_buf out = KRAIT_BUF_INIT;
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    krait_buf_append(&out, chunk, (size_t)n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    rc = krait_err_set(err, KRAIT_E_SCRIPT, "sourcing %s in %s failed (status %d)",
                       scripts->len ? scripts->items[0] : "nothing", bash,
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  else
    parse_listing(&out, before, after);
  krait_buf_free(&out);
done:
  krait_environ_free(envp);
  free(argv);
  free(bash);
  return rc;
}
