/* Checkpoints: the named steps of a transaction (lock taken, each unlink and
 * link, journal and conda-meta writes, extraction, download) where krait may
 * stop cleanly.
 *
 * In every build a checkpoint returns KRAIT_E_CANCELLED once the front end
 * has reported SIGTERM/SIGINT (krait_interrupt_request), so the transaction
 * rolls back at the next step instead of dying half-way.
 *
 * Test builds only (CMake -DKRAIT_TEST_HOOKS=ON, which scripts/test.sh sets;
 * release builds compile none of this) also obey two environment variables,
 * so tests can pick the exact moment of a fault instead of racing a clock:
 *   KRAIT_TEST_FAIL_AT=<step>:<n>[:<errno-name>]  the n-th pass (1-based, counted
 *       across threads) through <step> fails; with ENOSPC/EIO/EACCES... the error
 *       is that errno's, else an "injected failure" (KRAIT_E_IO).
 *   KRAIT_TEST_PAUSE_AT=<step>[:<n>] + KRAIT_TEST_PAUSE_FIFO=<path of a FIFO>
 *       the n-th pass (default 1st) writes "<step> <pid>\n" into the FIFO
 *       (blocking until the test reads it), then blocks until the test writes
 *       a line into the same FIFO.
 * Ownership: nothing to free; the hook state is process-global. */
#ifndef KRAIT_CHECKPOINT_H
#define KRAIT_CHECKPOINT_H

#include <stdbool.h>

#include "krait/err.h"

/* Step names (the strings tests use; the command line adds "solved", after the solve). */
#define KRAIT_STEP_PREFIX_LOCKED "prefix-locked"
#define KRAIT_STEP_CACHE_LOCKED "cache-locked"
#define KRAIT_STEP_DOWNLOAD "download"
#define KRAIT_STEP_EXTRACT "extract"
#define KRAIT_STEP_JOURNAL_WRITE "journal-write"
#define KRAIT_STEP_UNLINK_BEFORE "unlink-before"
#define KRAIT_STEP_UNLINK_AFTER "unlink-after"
#define KRAIT_STEP_LINK_BEFORE "link-before"
#define KRAIT_STEP_LINK_AFTER "link-after"
#define KRAIT_STEP_META_WRITE "meta-write"
#define KRAIT_STEP_COMMIT "commit"

/* KRAIT_OK, or why the transaction must stop at `step` (interrupt or injected fault). */
KRAIT_API krait_code krait_checkpoint(const char *step, krait_err *err);

/* Async-signal-safe: records that signal signo asked krait to stop. */
KRAIT_API void krait_interrupt_request(int signo);
/* The signal that asked to stop, or 0. */
KRAIT_API int krait_interrupted(void);

/* True when this build obeys KRAIT_TEST_FAIL_AT / KRAIT_TEST_PAUSE_AT. */
KRAIT_API bool krait_test_hooks_enabled(void);

#endif
