/* POSIX record locks on byte 21 (conda/mamba interop), polled so a timeout can
 * be given; the holder writes who it is into the file so a waiter can say. */
#include "krait/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/checkpoint.h"

#define KRAIT_LOCK_BYTE 21
#define HOLDER_MAX 512 /* bytes of holder description read back */

struct krait_lock {
  int fd;     /* -1 when locking is disabled */
  char *path; /* for krait_lock_release_remove */
};

static int try_lock(int fd, struct flock *who) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = KRAIT_LOCK_BYTE, .l_len = 1};
  if (fcntl(fd, F_SETLK, &fl) == 0)
    return 0;
  int e = errno;
  *who = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = KRAIT_LOCK_BYTE, .l_len = 1};
  if (fcntl(fd, F_GETLK, who) != 0)
    who->l_pid = 0;
  errno = e;
  return -1;
}

/* This process's command line (from /proc), spaces between arguments. */
static void own_command(krait_buf *out) {
  FILE *f = fopen("/proc/self/cmdline", "re");
  if (!f)
    return;
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  for (size_t i = 0; i < n; i++)
    krait_buf_putc(out, buf[i] == '\0' ? (i + 1 < n ? ' ' : '\0') : (buf[i] == '\n' ? ' ' : buf[i]));
}

/* Who holds it, as the holder wrote it: "<pid>\n<host>\n<command>\n" (the pid
 * first, alone on its line, as mamba writes its lock files). */
static void write_holder(int fd) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_printf(&b, "%ld\n%s\n", (long)getpid(), host);
  own_command(&b);
  krait_buf_putc(&b, '\n');
  if (ftruncate(fd, 0) == 0) {
    ssize_t w = pwrite(fd, b.data, strlen(b.data), 0);
    (void)w; /* the description is a courtesy; the lock is what counts */
  }
  krait_buf_free(&b);
}

/* "process 123 on host h (krait install ...)" from the file, or "process <pid>"
 * from the kernel when the file does not describe the current holder (conda
 * writes nothing; a stale description names someone else). */
static char *describe_holder(int fd, long lock_pid) {
  char buf[HOLDER_MAX + 1];
  ssize_t n = pread(fd, buf, HOLDER_MAX, 0);
  buf[n > 0 ? n : 0] = '\0';
  char *save = NULL;
  char *pid_s = strtok_r(buf, "\n", &save);
  char *host = pid_s ? strtok_r(NULL, "\n", &save) : NULL;
  char *cmd = host ? strtok_r(NULL, "\n", &save) : NULL;
  long file_pid = pid_s ? strtol(pid_s, NULL, 10) : 0;
  /* over NFS the kernel may not know the remote pid (0): trust the file */
  if (file_pid > 0 && (lock_pid <= 0 || lock_pid == file_pid))
    return krait_asprintf("process %ld on host %s (%s)", file_pid, host && *host ? host : "?",
                          cmd && *cmd ? cmd : "command unknown");
  return lock_pid > 0 ? krait_asprintf("process %ld", lock_pid) : krait_strdup("another process");
}

krait_code krait_lock_acquire(const krait_ctx *ctx, const char *lock_path, int timeout_seconds,
                              krait_lock **out, krait_err *err) {
  krait_lock *lock = krait_calloc(1, sizeof *lock);
  lock->fd = -1;
  if (ctx && !ctx->use_lockfiles) {
    *out = lock;
    return KRAIT_OK;
  }
  /* 0666 & umask: in a group cache (umask 002) every member can take the lock */
  lock->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock->fd < 0) {
    free(lock);
    return krait_err_errno(err, KRAIT_E_LOCKED, "cannot open lock file %s", lock_path);
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool told = false;
  krait_code rc = KRAIT_OK;
  for (;;) {
    struct flock who;
    if (try_lock(lock->fd, &who) == 0) {
      /* the holder we waited for may have deleted the file (a failed create
       * removes its new prefix): a lock on a removed file excludes no one */
      struct stat held, named;
      if (fstat(lock->fd, &held) != 0 || stat(lock_path, &named) != 0 || held.st_ino != named.st_ino ||
          held.st_dev != named.st_dev) {
        close(lock->fd);
        lock->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (lock->fd < 0) {
          rc = krait_err_errno(err, KRAIT_E_LOCKED, "cannot open lock file %s", lock_path);
          free(lock);
          return rc;
        }
        continue;
      }
      break;
    }
    if (errno != EACCES && errno != EAGAIN) {
      rc = krait_err_errno(err, KRAIT_E_LOCKED,
                           "cannot lock %s (set use_lockfiles: false if this filesystem does not support locks)",
                           lock_path);
      break;
    }
    if (timeout_seconds < 0) { /* krait_lock_try: someone has it, and that is the answer */
      rc = krait_err_set(err, KRAIT_E_LOCKED, "%s is locked by another process", lock_path);
      break;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (!told) {
      char *holder = describe_holder(lock->fd, (long)who.l_pid);
      if (timeout_seconds > 0)
        krait_warn(ctx, "waiting for %s, held by %s (up to %d s: lock_timeout)", lock_path, holder,
                   timeout_seconds);
      else
        krait_warn(ctx, "waiting for %s, held by %s", lock_path, holder);
      free(holder);
      told = true;
    }
    if (timeout_seconds > 0 && waited >= timeout_seconds) {
      char *holder = describe_holder(lock->fd, (long)who.l_pid);
      rc = krait_err_set(err, KRAIT_E_LOCKED,
                         "timed out after %d s waiting for %s, held by %s (raise lock_timeout, or stop that process)",
                         timeout_seconds, lock_path, holder);
      free(holder);
      break;
    }
    if (krait_interrupted()) {
      rc = krait_checkpoint("lock-wait", err);
      break;
    }
    struct timespec nap = {0, 100 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  if (rc) {
    close(lock->fd);
    free(lock);
    return rc;
  }
  write_holder(lock->fd);
  lock->path = krait_strdup(lock_path);
  *out = lock;
  return KRAIT_OK;
}

krait_code krait_lock_try(const krait_ctx *ctx, const char *lock_path, krait_lock **out, krait_err *err) {
  return krait_lock_acquire(ctx, lock_path, -1, out, err);
}

void krait_lock_release_remove(krait_lock *lock) {
  /* safe for waiters: each re-checks, once locked, that its file is still the named one */
  if (lock && lock->fd >= 0 && lock->path)
    unlink(lock->path);
  krait_lock_release(lock);
}

void krait_lock_release(krait_lock *lock) {
  if (!lock)
    return;
  free(lock->path);
  if (lock->fd >= 0) {
    /* no stale description for the next waiter (the file is still ours while
     * we hold the lock); a failure only leaves an outdated courtesy text */
    int truncated = ftruncate(lock->fd, 0);
    (void)truncated;
    close(lock->fd); /* closing drops every record lock this process holds on the file */
  }
  free(lock);
}
