/* Transactions: apply a solved plan to a prefix, all or nothing.
 *
 * Order of work (libalpm's prepare/commit): fetch + verify + extract every
 * package first (nothing in the prefix changes yet), check that the prefix
 * fits every binary placeholder, then — under the prefix lock and with the
 * journal recording every change — unlink (reverse dependency order), link
 * (dependency order) with conda-meta records, append conda-meta/history,
 * commit, and register the env in ~/.conda/environments.txt.
 * Any failure rolls the prefix back to exactly what it was; a failed create
 * leaves no prefix behind; a run killed midway is finished or undone by the
 * next krait command that locks the prefix (krait_txn_recover).
 * The command line takes the prefix lock before it reads the prefix to solve
 * (krait_txn_lock_prefix) and hands it to the plan, so two commands on one
 * prefix run one after the other, the second solving against the first's result.
 *
 * Ownership: everything in krait_txn_plan is borrowed. */
#ifndef KRAIT_TXN_H
#define KRAIT_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/cache.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/lock.h"
#include "krait/prefix.h"
#include "krait/record.h"

typedef struct krait_txn_plan {
  const char *prefix;
  const krait_record *link;       /* to link, dependencies first */
  size_t n_link;
  const krait_record *unlink;     /* installed records to remove (any order; reversed by dependency) */
  size_t n_unlink;
  const krait_prefix_state *installed; /* the prefix before the transaction (may be NULL for a new prefix) */
  /* what the user asked for: each linked record whose name a spec names gets
   * it as requested_spec; the specs also go to history ("# update specs") */
  const char *const *requested_specs;
  size_t n_requested;
  bool is_remove;                 /* history says "# remove specs" */
  const char *cmd_line;           /* for history's "# cmd:" */
  const krait_cache_fetcher *fetcher; /* http(s) downloads; NULL = file:// and cache only */
  const char *environments_txt;   /* NULL = ~/.conda/environments.txt */
  /* The prefix lock the caller took with krait_txn_lock_prefix() before it
   * read the prefix to solve (borrowed; NULL = the transaction takes it). */
  krait_lock *held_lock;
  bool prefix_was_new;            /* with held_lock: krait_txn_lock_prefix's *was_new */
} krait_txn_plan;

/* Runs the plan. An empty plan on an existing env is a no-op. */
KRAIT_API krait_code krait_txn_execute(krait_ctx *ctx, const krait_txn_plan *plan, krait_err *err);

/* Takes the prefix lock and finishes or undoes a transaction a killed process
 * left behind (a no-op when there is none). *what as in krait_journal_recover. */
KRAIT_API krait_code krait_txn_recover(krait_ctx *ctx, const char *prefix, const char **what, krait_err *err);

/* Path of a prefix's lock file (caller frees): <prefix>/conda-meta/conda-meta.lock,
 * the name mamba gives it (a lock file named after its directory). */
KRAIT_API char *krait_txn_lock_path(const char *prefix);
/* Takes that lock, waiting up to ctx->lock_timeout_seconds (the holder is
 * named in the error). Release with krait_lock_release(). */
KRAIT_API krait_code krait_txn_lock_acquire(krait_ctx *ctx, const char *prefix, krait_lock **out, krait_err *err);

/* Takes the prefix lock for a whole command (before the prefix is read for
 * solving; held until krait_lock_release), creating <prefix>/conda-meta to
 * hold it. *was_new: the prefix was absent or empty before, so a command
 * that fails must remove it again (krait_txn_abandon_new_prefix). Then
 * finishes or undoes a transaction a killed process left behind. */
KRAIT_API krait_code krait_txn_lock_prefix(krait_ctx *ctx, const char *prefix, krait_lock **out, bool *was_new,
                                           krait_err *err);
/* Removes a prefix krait_txn_lock_prefix created for nothing (call while still
 * holding the lock, then release it). Only the lock file and conda-meta go:
 * anything else found there stays. */
KRAIT_API void krait_txn_abandon_new_prefix(const char *prefix);

#endif
