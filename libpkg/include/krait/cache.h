/* The package cache (conda's pkgs_dirs layout).
 *
 * Each directory of ctx->pkgs_dirs may hold
 *   <fn>                        a package archive (.conda / .tar.bz2)
 *   <name>-<version>-<build>/   its extracted tree, with info/repodata_record.json
 *                               (info/index.json overlaid by the repodata record:
 *                               the record's fields win; adds url, channel, fn,
 *                               md5, sha256, size)
 *   urls.txt                    one URL per fetched archive, appended
 *   <name>-<version>-<build>.lock  the entry's POSIX record lock on byte 21 (krait/lock.h)
 *
 * Lookup: a record is satisfied by an extracted entry in ANY pkgs dir whose
 * repodata_record.json carries the record's sha256 (else md5); it is reused
 * without touching the archive. Else a verified archive in any dir is
 * extracted; else the archive is fetched. New entries always go into the
 * first WRITABLE pkgs dir (found by trying to create a file there); the others
 * are only read, never written or chmod-ed.
 *
 * Fetching: file:// URLs are copied (reflinked where possible, never hard-linked:
 * the cache must not share an inode with the channel) by libpkg itself. http(s)
 * URLs go through a caller-supplied downloader (krait_cache_fetcher), because
 * libpkg does not link libcurl: repodata/ provides one (krait/fetch_pkg.h).
 * Every fetched archive lands in a temp file, is checked against the record's
 * size and sha256 (else md5) and only then renamed into place; a mismatch is
 * KRAIT_E_CHECKSUM naming the package and both digests, and leaves nothing. A
 * pre-existing archive that fails verification is deleted and fetched again,
 * once.
 *
 * With a batch downloader (krait_cache_fetcher.download_many), archives are
 * downloaded all at once and each is extracted as soon as it is verified,
 * on ctx->extract_threads threads, while the rest are still in flight.
 *
 * Concurrency: krait_cache_prepare writes each entry (archive + tree) under
 * that entry's own lock (unless ctx->use_lockfiles is false), waiting at most
 * ctx->lock_timeout_seconds (0 = forever): processes filling one cache wait
 * for each other only on the packages they both need. A batch download of an
 * entry whose lock is free takes the lock for the download and writes the
 * resumable <fn>.partial (+ .partial.json: URL, size, digests, validators), which
 * a later run continues with a Range request if this one is killed or fails on
 * the network (libpkg/src/cache_partial.h); while another process holds the
 * lock, it lands in a private temp file and is renamed into place only under
 * the entry's lock (dropped if the entry became valid meanwhile). Leftover
 * `<entry>.krait-partial-*` files/directories of a crashed run are removed
 * under the entry's lock. */
#ifndef KRAIT_CACHE_H
#define KRAIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/record.h"

/* Downloads url into dest_path (a new file the downloader creates or
 * truncates). Called from several threads at once. On failure it returns a
 * code (KRAIT_E_NET, ...) with a message naming the URL. */
typedef krait_code (*krait_download_fn)(void *user, const krait_ctx *ctx, const char *url, const char *dest_path,
                                        krait_err *err);

/* One archive of a batch: url -> dest_path (an existing empty temp file the
 * downloader truncates), which must end up with rec's size and sha256 (else
 * md5): the downloader stops at that size and checks the digest. */
typedef struct krait_fetch_job {
  const char *url;
  const char *dest_path;
  const krait_record *rec;
  /* Resuming a partial download of an earlier run (0/NULL: a fresh file):
   * dest_path holds resume_from bytes of the archive, which came with the
   * validator if_range (ETag or Last-Modified); the downloader asks for the
   * rest (Range + If-Range) and starts over when the server sends it all. */
  long long resume_from;
  const char *if_range;
  /* Optional: called (on the downloader's thread) when the server starts a
   * body (status 200: from byte 0; 206: the rest), with its validators,
   * before its first byte reaches dest_path. Setting it also makes the
   * downloader write every byte straight through, so that a killed process
   * leaves in dest_path all it received. */
  void (*on_body)(void *user, long status, const char *etag, const char *last_modified);
  void *on_body_user;
} krait_fetch_job;

/* Called by a batch downloader once per job, as soon as that job is finished
 * (rc KRAIT_OK: complete and verified), from the thread that called it. */
typedef void (*krait_fetched_fn)(void *user, size_t job_index, krait_code rc, const krait_err *err);

/* Downloads every job (in parallel, as the downloader sees fit) and calls
 * done(done_user, i, ...) for each; returns when all are finished. */
typedef void (*krait_download_many_fn)(void *user, const krait_ctx *ctx, const krait_fetch_job *jobs, size_t n,
                                       krait_fetched_fn done, void *done_user);

typedef struct krait_cache_fetcher {
  krait_download_fn download; /* NULL: only file:// URLs (and cached packages) work */
  void *user;
  /* Optional. When set, krait_cache_prepare hands it every http(s) archive
   * not in any cache at once, and extracts each one as soon as it is done
   * while the others still download. */
  krait_download_many_fn download_many;
} krait_cache_fetcher;

typedef enum krait_cache_state {
  KRAIT_CACHE_MISSING = 0, /* must be fetched */
  KRAIT_CACHE_ARCHIVE,     /* a verified archive exists, not extracted */
  KRAIT_CACHE_EXTRACTED,   /* a valid extracted entry exists */
} krait_cache_state;

/* Result of krait_cache_find; strings owned by it, released by
 * krait_cache_hit_free. */
typedef struct krait_cache_hit {
  krait_cache_state state;
  char *pkgs_dir;      /* the directory holding what was found, or NULL */
  char *extracted_dir; /* <pkgs_dir>/<dist> when EXTRACTED */
  char *archive;       /* <pkgs_dir>/<fn> when ARCHIVE */
} krait_cache_hit;

KRAIT_API void krait_cache_hit_free(krait_cache_hit *hit);

/* Looks `rec` up in every pkgs dir, in order (extracted entries first, then
 * archives, which are hashed to verify them). Never writes. */
KRAIT_API krait_code krait_cache_find(const krait_ctx *ctx, const krait_record *rec, krait_cache_hit *out,
                                      krait_err *err);

/* True when `dir/<dist>/info/repodata_record.json` exists and matches rec. */
KRAIT_API bool krait_cache_entry_valid(const char *pkgs_dir, const krait_record *rec);

/* The first pkgs dir that is (or can be created) writable, as a new string
 * the caller frees; KRAIT_E_IO naming every dir tried when none is. */
KRAIT_API krait_code krait_cache_writable_dir(const krait_ctx *ctx, char **out, krait_err *err);

/* Makes every record available as an extracted directory: reuses valid
 * entries, extracts verified archives, fetches the rest (several at once on
 * ctx->extract_threads threads). out_paths[i] receives a new string (caller
 * frees) with the extracted dir of records[i]; on failure every out_paths[i]
 * is NULL and err names the first package that failed. Progress:
 * ctx->on_progress("fetch"|"extract", fn, done, total). fetcher may be NULL. */
KRAIT_API krait_code krait_cache_prepare(const krait_ctx *ctx, const krait_record *records, size_t n,
                                         const krait_cache_fetcher *fetcher, char **out_paths, krait_err *err);

/* Checks path against rec's size and sha256 (else md5). No digest in rec ->
 * only the size is checked (when known). */
KRAIT_API krait_code krait_cache_verify_archive(const char *path, const krait_record *rec, krait_err *err);

/* Removes every leftover *.krait-partial-* entry of a crashed run from dir
 * (only safe when no other process writes there). Returns how many were removed. */
KRAIT_API size_t krait_cache_clean_partials(const char *dir);

#endif
