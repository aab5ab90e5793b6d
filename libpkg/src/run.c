/* Running a command in an activated environment (krait/run.h). */
#include "krait/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "krait/activate.h"

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof forwarded / sizeof *forwarded)

static volatile sig_atomic_t child_pid; /* read by the handler */

static void forward(int sig, siginfo_t *info, void *uctx) {
  (void)uctx;
  /* si_code > 0: sent by the kernel (the terminal), which also signalled the
   * child in the same process group */
  if (child_pid > 0 && (!info || info->si_code <= 0))
    kill((pid_t)child_pid, sig);
}

char *krait_run_which(const char *cmd, const char *path) {
  if (!*cmd)
    return NULL;
  if (strchr(cmd, '/'))
    return krait_strdup(cmd);
  if (!path)
    return NULL;
  for (const char *p = path;;) {
    size_t n = strcspn(p, ":");
    char *full = n ? krait_asprintf("%.*s/%s", (int)n, p, cmd) : krait_asprintf("./%s", cmd);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
      return full;
    free(full);
    if (!p[n])
      return NULL;
    p += n + 1;
  }
}

static const char *env_path(char *const *envp) {
  for (; envp && *envp; envp++)
    if (strncmp(*envp, "PATH=", 5) == 0)
      return *envp + 5;
  return NULL;
}

/* argv for the child: the command, or /bin/sh sourcing the scripts first.
 * The array is the caller's to free; its strings belong to o, `resolved`
 * and `script`. */
static char **child_argv(const krait_run_opts *o, const char *resolved, krait_buf *script) {
  size_t n = 0;
  while (o->argv[n])
    n++;
  char **argv = krait_calloc(n + 5, sizeof *argv);
  if (!o->prelude && (!o->scripts || !o->scripts->len)) {
    argv[0] = (char *)resolved;
    for (size_t i = 1; i < n; i++)
      argv[i] = o->argv[i];
    return argv;
  }
  if (o->prelude)
    krait_buf_puts(script, o->prelude);
  for (size_t i = 0; o->scripts && i < o->scripts->len; i++) {
    krait_buf_puts(script, ". ");
    krait_shell_quote(KRAIT_SHELL_POSIX, o->scripts->items[i], script);
    krait_buf_puts(script, "\n");
  }
  krait_buf_puts(script, "exec \"$@\"\n");
  static char sh[] = "/bin/sh", dash_c[] = "-c", name[] = "krait-run";
  argv[0] = sh;
  argv[1] = dash_c;
  argv[2] = script->data;
  argv[3] = name;
  for (size_t i = 0; i < n; i++)
    argv[4 + i] = o->argv[i];
  return argv;
}

/* In the child: never returns. Reports a failure to exec through `fd`. */
static _Noreturn void exec_child(const krait_run_opts *o, char **argv, const sigset_t *old_mask, int fd) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &dfl, NULL);
  sigprocmask(SIG_SETMASK, old_mask, NULL);
  int e = 0;
  if (o->cwd && chdir(o->cwd) != 0)
    e = errno;
  else {
    execve(argv[0], argv, o->envp);
    e = errno;
  }
  ssize_t w = write(fd, &e, sizeof e);
  (void)w;
  _exit(127);
}

krait_code krait_run_process(const krait_run_opts *o, int *status, krait_err *err) {
  *status = 1;
  if (!o->argv || !o->argv[0])
    return krait_err_set(err, KRAIT_E_INVALID, "no command given to run");
  if (o->cwd) {
    struct stat st;
    if (stat(o->cwd, &st) != 0 || !S_ISDIR(st.st_mode))
      return krait_err_set(err, KRAIT_E_NOTFOUND, "--cwd %s: no such directory", o->cwd);
  }
  bool scripts = o->prelude || (o->scripts && o->scripts->len);
  /* with scripts, /bin/sh looks the command up after they ran (they may change PATH) */
  char *resolved = scripts ? krait_strdup(o->argv[0]) : krait_run_which(o->argv[0], env_path(o->envp));
  if (!resolved) {
    *status = 127;
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s: command not found in the environment's PATH", o->argv[0]);
  }
  krait_buf script = KRAIT_BUF_INIT;
  char **argv = child_argv(o, resolved, &script);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    free(argv);
    free(resolved);
    krait_buf_free(&script);
    return krait_err_errno(err, KRAIT_E_IO, "cannot run %s: pipe", o->argv[0]);
  }

  sigset_t block, old_mask;
  sigemptyset(&block);
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaddset(&block, forwarded[i]);
  sigprocmask(SIG_BLOCK, &block, &old_mask);
  struct sigaction sa, old_sa[N_FORWARDED];
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = forward;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &sa, &old_sa[i]);

  krait_code rc = KRAIT_OK;
  pid_t pid = fork();
  if (pid == 0)
    exec_child(o, argv, &old_mask, pipefd[1]);
  close(pipefd[1]);
  if (pid < 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot run %s: fork", o->argv[0]);
  } else {
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL); /* signals that came meanwhile are forwarded now */
    int code = 0;
    ssize_t got;
    do
      got = read(pipefd[0], &code, sizeof code);
    while (got < 0 && errno == EINTR);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
      ;
    if (got == (ssize_t)sizeof code) {
      errno = code;
      rc = krait_err_errno(err, code == ENOENT ? KRAIT_E_NOTFOUND : KRAIT_E_IO, "cannot run %s", o->argv[0]);
      *status = code == ENOENT ? 127 : 126;
    } else if (WIFEXITED(wstatus)) {
      *status = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
      *status = 128 + WTERMSIG(wstatus);
    }
  }
  close(pipefd[0]);
  sigprocmask(SIG_BLOCK, &block, NULL);
  child_pid = 0;
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &old_sa[i], NULL);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  free(argv);
  free(resolved);
  krait_buf_free(&script);
  return rc;
}
