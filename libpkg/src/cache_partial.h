/* Private to the package cache: resumable partial downloads.
 *
 * An archive downloaded into the cache while its entry's lock is held goes
 * into <pkgs>/<fn>.partial, with a sidecar <pkgs>/<fn>.partial.json written
 * as soon as the server starts the body (before any byte of it):
 *   {"url": <redacted URL>, "size": N, "sha256": ..., "md5": ..., "etag": ..., "last_modified": ...}
 * A run killed mid-download leaves both. The next run that needs the same
 * package (holding the same lock) resumes from the partial file's size with
 * Range + If-Range, but only when the partial file and its sidecar are
 * regular files of the current user and the sidecar describes exactly the
 * record being installed (same URL, size and digest) and carries a strong
 * validator; anything else is deleted and the download starts over. The
 * finished archive is still verified by size and sha256 as a whole. */
#ifndef KRAIT_CACHE_PARTIAL_H
#define KRAIT_CACHE_PARTIAL_H

#include "krait/ctx.h"
#include "krait/record.h"

typedef struct krait_partial {
  char *path;      /* <wdir>/<fn>.partial */
  char *sidecar;   /* <wdir>/<fn>.partial.json */
  const krait_record *rec;
  long long have;  /* bytes to keep (0: start from scratch) */
  char *validator; /* If-Range for them, or NULL */
} krait_partial;

/* Fills p for rec in wdir (the caller holds rec's entry lock): what may be
 * resumed, after deleting a partial download that must not be. */
void krait_partial_open(const krait_ctx *ctx, const char *wdir, const krait_record *rec, krait_partial *p);

/* krait_fetch_job.on_body (user: a krait_partial): records the validators of
 * a body that starts from byte 0 in the sidecar. */
void krait_partial_on_body(void *user, long status, const char *etag, const char *last_modified);

/* After a failed download: keeps the partial file (and sidecar) when the
 * failure was the network's or an interruption, so a later run resumes it;
 * deletes them otherwise. */
void krait_partial_after_failure(const krait_partial *p, krait_code rc);

/* Deletes the sidecar (the archive was moved into place or is gone). */
void krait_partial_forget(const krait_partial *p);

void krait_partial_free(krait_partial *p);

#endif
