/* Installing an environment.yml's pip: list with the env's pip (see
 * krait/env_pip.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "krait/env_pip.h"
#include "krait/fs.h"

static bool has_pip_record(const char *prefix) {
  char *meta = krait_path_join(prefix, "conda-meta");
  DIR *d = opendir(meta);
  free(meta);
  if (!d)
    return false;
  bool found = false;
  for (struct dirent *e; !found && (e = readdir(d));) {
    const char *n = e->d_name;
    /* pip-<version>-<build>.json: "pip-" then a digit */
    found = strncmp(n, "pip-", 4) == 0 && n[4] >= '0' && n[4] <= '9' && strstr(n, ".json");
  }
  closedir(d);
  return found;
}

bool krait_prefix_has_pip(const char *prefix) {
  char *python = krait_path_join(prefix, "bin/python");
  char *pip = krait_path_join(prefix, "bin/pip");
  bool ok = access(python, X_OK) == 0 && (access(pip, X_OK) == 0 || has_pip_record(prefix));
  free(python);
  free(pip);
  return ok;
}

/* A requirements file next to the env file when that directory is writable
 * (nested -r paths are relative to it), else in $TMPDIR. */
static char *write_requirements(const krait_strv *reqs, const char *cwd, krait_err *err) {
  krait_buf text = KRAIT_BUF_INIT;
  for (size_t i = 0; i < reqs->len; i++)
    krait_buf_printf(&text, "%s\n", reqs->items[i]);
  const char *tmp = getenv("TMPDIR");
  const char *dirs[2] = {cwd, tmp && *tmp ? tmp : "/tmp"};
  char *path = NULL;
  for (size_t i = 0; i < 2 && !path; i++) {
    if (!dirs[i])
      continue;
    char *p = krait_asprintf("%s/krait-pip-XXXXXX.requirements.txt", dirs[i]);
    int fd = mkstemps(p, (int)strlen(".requirements.txt"));
    if (fd < 0) {
      free(p);
      continue;
    }
    bool ok = write(fd, text.data ? text.data : "", text.len) == (ssize_t)text.len;
    close(fd);
    if (ok)
      path = p;
    else {
      unlink(p);
      free(p);
    }
  }
  krait_buf_free(&text);
  if (!path)
    krait_err_errno(err, KRAIT_E_IO, "cannot write a pip requirements file in %s or %s", cwd ? cwd : "-", dirs[1]);
  return path;
}

krait_code krait_pip_install(const char *prefix, const krait_strv *requirements, const char *cwd, int out_fd,
                             krait_err *err) {
  if (!requirements->len)
    return KRAIT_OK;
  if (!krait_prefix_has_pip(prefix))
    return krait_err_set(err, KRAIT_E_NOTFOUND,
                         "the environment file has a pip: section but %s has no pip (add pip to its dependencies)",
                         prefix);
  char *reqfile = write_requirements(requirements, cwd, err);
  if (!reqfile)
    return err ? err->code : KRAIT_E_IO;
  char *python = krait_path_join(prefix, "bin/python");
  krait_code rc = KRAIT_OK;
  pid_t pid = fork();
  if (pid < 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot start %s -m pip", python);
  } else if (pid == 0) {
    if (cwd && chdir(cwd) != 0)
      _exit(127);
    if (out_fd != STDOUT_FILENO)
      dup2(out_fd, STDOUT_FILENO);
    const char *argv[] = {python, "-m", "pip", "install", "-U", "-r", reqfile, NULL};
    execv(python, (char *const *)argv); /* execv does not modify its argv */
    _exit(127);
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      rc = krait_err_set(err, KRAIT_E_SCRIPT, "pip install of the environment file's pip: section failed (%s %d)",
                         WIFEXITED(status) ? "exit status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  }
  unlink(reqfile);
  free(reqfile);
  free(python);
  return rc;
}
