/* conda/mamba-compatible cache locks: an fcntl record lock on byte 21. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "krait/cache.h"

#define LOCK_BYTE 21 /* the byte conda and mamba lock, so the three tools exclude each other */

static int try_lock(int fd) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = LOCK_BYTE;
  fl.l_len = 1;
  return fcntl(fd, F_SETLK, &fl);
}

krait_code krait_lock_acquire(const krait_ctx *ctx, const char *lock_path, int timeout_seconds, int *out_fd,
                              krait_err *err) {
  *out_fd = -1;
  int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot open lock file %s", lock_path);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool told = false;
  for (;;) {
    if (try_lock(fd) == 0) {
      *out_fd = fd;
      return KRAIT_OK;
    }
    int e = errno;
    if (e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL) {
      close(fd);
      krait_warn(ctx, "%s: this filesystem does not support locks (%s); continuing without one", lock_path,
                 strerror(e));
      return KRAIT_OK;
    }
    if (e != EACCES && e != EAGAIN) {
      close(fd);
      errno = e;
      return krait_err_errno(err, KRAIT_E_IO, "cannot lock %s", lock_path);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (timeout_seconds > 0 && waited >= timeout_seconds) {
      close(fd);
      return krait_err_set(err, KRAIT_E_LOCKED,
                           "%s is locked by another process (waited %d s); if no other conda/mamba/krait is "
                           "running, the filesystem's locks may hang: set use_lockfiles: false",
                           lock_path, timeout_seconds);
    }
    if (!told) {
      krait_info(ctx, "waiting for the lock on %s (held by another process)", lock_path);
      told = true;
    }
    struct timespec nap = {0, 100 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
}

void krait_lock_release(int fd) {
  if (fd >= 0)
    close(fd); /* closing drops the process's record locks on the file */
}
