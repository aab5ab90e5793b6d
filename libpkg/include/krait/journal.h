/* The transaction journal: what makes a prefix change all-or-nothing, even
 * across `kill -9`.
 *
 * Before each change to a prefix the transaction appends an intent line to
 * <prefix>/conda-meta/.krait-txn/journal (one write(2) per line, so the line
 * is in the page cache before the change happens):
 *   C <path>        a path is about to be created (undo: remove it)
 *   B <path> <n>    an existing path is moved aside to backup/<n> (undo: move it back)
 *   T <path> <size> a file is about to be appended to (undo: truncate to size)
 *   P               the prefix directory itself is new (undo: remove the prefix)
 *   COMMIT          the transaction is complete (recovery finishes the cleanup)
 * Paths are relative to the prefix, percent-encoded (%, tab, CR, LF).
 * Rollback replays the lines backwards and is idempotent, so a crash during a
 * rollback is undone by the next recovery too.
 *
 * Ownership: krait_journal_begin() returns a journal that krait_journal_commit()
 * or krait_journal_rollback() consumes (frees); neither may be called twice. */
#ifndef KRAIT_JOURNAL_H
#define KRAIT_JOURNAL_H

#include <stdbool.h>

#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_journal krait_journal;

/* Starts a journal in prefix (whose directory must exist). prefix_is_new
 * means rollback removes the whole prefix. Fails if an unfinished journal is
 * present: call krait_journal_recover() first. */
KRAIT_API krait_code krait_journal_begin(const char *prefix, bool prefix_is_new, krait_journal **out,
                                         krait_err *err);
/* Records that relpath is about to be created (file, link or directory). */
KRAIT_API krait_code krait_journal_will_create(krait_journal *j, const char *relpath, krait_err *err);
/* The same for n paths with one write(2): call only when none of them exists
 * (e.g. all below a directory this transaction created), since rollback
 * removes whatever is at each. */
KRAIT_API krait_code krait_journal_will_create_many(krait_journal *j, const char *const *relpaths, size_t n,
                                                    krait_err *err);
/* Moves the existing relpath aside (same filesystem rename), recorded so
 * rollback can put it back. A missing relpath is not an error (nothing to keep). */
KRAIT_API krait_code krait_journal_set_aside(krait_journal *j, const char *relpath, krait_err *err);
/* Records that the file relpath is about to be appended to. */
KRAIT_API krait_code krait_journal_will_append(krait_journal *j, const char *relpath, krait_err *err);
/* Marks success, then deletes the set-aside files and the journal. */
KRAIT_API krait_code krait_journal_commit(krait_journal *j, krait_err *err);
/* Undoes everything recorded, newest first, then deletes the journal. */
KRAIT_API krait_code krait_journal_rollback(krait_journal *j, krait_err *err);
/* If prefix holds a journal left by a process that died, finish it (if it had
 * committed) or undo it. *what (if non-NULL) is set to "none", "finished" or
 * "rolled back". The caller must hold the prefix lock. */
KRAIT_API krait_code krait_journal_recover(const char *prefix, const char **what, krait_err *err);
/* True if prefix has an unfinished journal. */
KRAIT_API bool krait_journal_pending(const char *prefix);

#endif
