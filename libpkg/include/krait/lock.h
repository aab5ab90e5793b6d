/* Advisory locks shared with conda and mamba: a POSIX record lock on byte 21
 * of a lock file (the byte conda and mamba agree on), with a timeout, so two
 * krait/conda/mamba processes never change one prefix or pkgs dir at once.
 * On filesystems where fcntl locks hang or fail (some NFS setups), the user
 * sets use_lockfiles: false and locking becomes a no-op.
 *
 * Ownership: krait_lock_acquire() returns a lock the caller releases with
 * krait_lock_release() (which also frees it). */
#ifndef KRAIT_LOCK_H
#define KRAIT_LOCK_H

#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_lock krait_lock;

/* Locks `lock_path` (created if needed, mode 0666 & umask) for writing and
 * writes "<pid>\n<host>\n<command>\n" into it. While another process holds
 * it, warns once naming the holder (from that text, else the kernel's pid)
 * and polls; after timeout_seconds (<= 0: never) fails with KRAIT_E_LOCKED
 * naming the file and the holder. A SIGTERM/SIGINT (krait/checkpoint.h)
 * ends the wait with KRAIT_E_CANCELLED. A negative timeout does not wait
 * at all (see krait_lock_try). */
KRAIT_API krait_code krait_lock_acquire(const krait_ctx *ctx, const char *lock_path, int timeout_seconds,
                                        krait_lock **out, krait_err *err);
/* Takes the lock only if no one holds it: KRAIT_E_LOCKED at once (and no
 * warning) when another process does. */
KRAIT_API krait_code krait_lock_try(const krait_ctx *ctx, const char *lock_path, krait_lock **out, krait_err *err);
KRAIT_API void krait_lock_release(krait_lock *lock);
/* Deletes the lock file, then releases: for the many short-lived locks of
 * cache entries, which would otherwise pile up. Safe against waiters: a
 * process that gets a lock re-checks that its file is still the one at
 * lock_path, and starts over if not. */
KRAIT_API void krait_lock_release_remove(krait_lock *lock);

#endif
