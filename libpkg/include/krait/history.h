/* Reading conda-meta/history as conda does: one revision per
 * "==> date <==" block (revision 0 is the first), each a diff of "+dist" /
 * "-dist" lines or, in very old files, the complete list of dists.
 * (Writing history is krait/meta.h.)
 *
 * Ownership: krait_history_read() fills a krait_history released with
 * krait_history_free(); krait_hist_dist_parse() fills a krait_hist_dist
 * released with krait_hist_dist_free(). */
#ifndef KRAIT_HISTORY_H
#define KRAIT_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef struct krait_revision {
  char *date;        /* as written, "2024-01-31 12:00:00" */
  char *cmd;         /* "# cmd:" line, or NULL */
  krait_strv added;  /* dists after '+' */
  krait_strv removed;/* dists after '-' */
  bool full_state;   /* old style: `added` is the whole environment */
} krait_revision;

typedef struct krait_history {
  krait_revision *revs;
  size_t len;
} krait_history;

/* Reads <prefix>/conda-meta/history; a missing file has no revisions. */
KRAIT_API krait_code krait_history_read(const char *prefix, krait_history *out, krait_err *err);
KRAIT_API void krait_history_free(krait_history *h);

/* The dists installed after revision `rev` (in name order); an error names
 * the last revision when rev is past it. */
KRAIT_API krait_code krait_history_state(const krait_history *h, size_t rev, krait_strv *out, krait_err *err);

/* One history dist "channel/subdir::name-version-build" split up; channel
 * and subdir are NULL when absent. Returns false for text that is not one. */
typedef struct krait_hist_dist {
  char *channel, *subdir, *name, *version, *build;
} krait_hist_dist;
KRAIT_API bool krait_hist_dist_parse(const char *text, krait_hist_dist *out);
KRAIT_API void krait_hist_dist_free(krait_hist_dist *d);

#endif
