/* Running child processes for linking: link scripts and python's compileall.
 * Output is captured (scripts must not write to our stdout). */
#include "link_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* environ with `set` (NAME=value strings) replacing same-named entries. */
static char **make_env(const krait_strv *set) {
  size_t n = 0;
  while (environ && environ[n])
    n++;
  char **envp = krait_calloc(n + set->len + 1, sizeof *envp);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    bool replaced = false;
    for (size_t j = 0; j < set->len && !replaced; j++)
      replaced = strncmp(set->items[j], environ[i], nl) == 0 && set->items[j][nl] == '=';
    if (!replaced)
      envp[k++] = environ[i];
  }
  for (size_t j = 0; j < set->len; j++)
    envp[k++] = set->items[j];
  envp[k] = NULL;
  return envp;
}

krait_code krait_run_capture(char *const argv[], const krait_strv *env_set, krait_buf *output, int *status,
                             krait_err *err) {
  char **envp = make_env(env_set);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    free(envp);
    return krait_err_errno(err, KRAIT_E_IO, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    free(envp);
    close(fds[0]);
    close(fds[1]);
    return krait_err_errno(err, KRAIT_E_IO, "fork");
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execve(argv[0], argv, envp);
    _exit(127);
  }
  free(envp);
  close(fds[1]);
  char chunk[4096];
  for (;;) {
    ssize_t r = read(fds[0], chunk, sizeof chunk);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    if (output)
      krait_buf_append(output, chunk, (size_t)r);
  }
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR)
      return krait_err_errno(err, KRAIT_E_IO, "waitpid %s", argv[0]);
  }
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return KRAIT_OK;
}
