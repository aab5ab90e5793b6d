/* POSIX record locks on byte 21 (conda/mamba interop), polled so a timeout can be given. */
#include "krait/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "krait/buf.h"

#define KRAIT_LOCK_BYTE 21

struct krait_lock {
  int fd; /* -1 when locking is disabled */
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

krait_code krait_lock_acquire(const krait_ctx *ctx, const char *lock_path, int timeout_seconds,
                              krait_lock **out, krait_err *err) {
  krait_lock *lock = krait_calloc(1, sizeof *lock);
  lock->fd = -1;
  if (ctx && !ctx->use_lockfiles) {
    *out = lock;
    return KRAIT_OK;
  }
  lock->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock->fd < 0) {
    free(lock);
    return krait_err_errno(err, KRAIT_E_IO, "cannot open lock file %s", lock_path);
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool told = false;
  for (;;) {
    struct flock who;
    if (try_lock(lock->fd, &who) == 0)
      break;
    if (errno != EACCES && errno != EAGAIN) {
      krait_err_errno(err, KRAIT_E_LOCKED,
                      "cannot lock %s (set use_lockfiles: false if this filesystem does not support locks)",
                      lock_path);
      close(lock->fd);
      free(lock);
      return KRAIT_E_LOCKED;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (!told) {
      krait_info(ctx, "waiting for lock on %s held by process %ld", lock_path, (long)who.l_pid);
      told = true;
    }
    if (timeout_seconds > 0 && waited >= timeout_seconds) {
      krait_err_set(err, KRAIT_E_LOCKED, "timed out after %d s waiting for lock %s held by process %ld",
                    timeout_seconds, lock_path, (long)who.l_pid);
      close(lock->fd);
      free(lock);
      return KRAIT_E_LOCKED;
    }
    struct timespec nap = {0, 100 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  *out = lock;
  return KRAIT_OK;
}

void krait_lock_release(krait_lock *lock) {
  if (!lock)
    return;
  if (lock->fd >= 0)
    close(lock->fd); /* closing drops every record lock this process holds on the file */
  free(lock);
}
