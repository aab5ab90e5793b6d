/* Extraction of conda package archives (.conda and .tar.bz2) into a directory.
 *
 * Both formats are streamed through libarchive: a .conda is read as a zip
 * whose info-*.tar.zst and pkg-*.tar.zst members are decompressed in memory
 * (no temporary files for the inner tarballs); a .tar.bz2 is one tarball.
 *
 * Atomicity: entries are written into `<dest>.krait-partial-XXXXXX` beside
 * `dest`, synced, and renamed onto `dest` only when everything succeeded, so
 * an interrupted extraction never leaves a half-filled `dest`. Leftover
 * partial directories (from a crash) are never mistaken for a package; the
 * package cache removes them (see krait/cache.h).
 *
 * Safety: an entry with an absolute path or a ".." component, a symlink that
 * resolves outside `dest`, a hard link to anything but a regular file inside
 * `dest`, a device/FIFO/socket, or more than opts->max_bytes of payload is an
 * error (KRAIT_E_UNSAFE) naming the archive and the entry; nothing is left
 * behind. So is an archive that expands past max_bytes or past
 * KRAIT_EXTRACT_DEFAULT_MAX_RATIO times its own size (decompression bomb),
 * and a file whose sha256 or size differs from info/paths.json
 * (KRAIT_E_CHECKSUM; computed while writing, no second read). A full disk
 * is reported as such, naming the directory. Tolerated like conda does: "./"-prefixed paths, zips whose members
 * live in a subdirectory, zip64, info-only packages, sparse files, non-ASCII
 * names, symlinks with an empty target.
 *
 * Kept: file modes (exec bits; not setuid/setgid), symlinks as symlinks, mtimes. */
#ifndef KRAIT_EXTRACT_H
#define KRAIT_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krait/ctx.h"
#include "krait/err.h"

typedef enum krait_archive_kind {
  KRAIT_ARCHIVE_UNKNOWN = 0,
  KRAIT_ARCHIVE_CONDA,   /* .conda */
  KRAIT_ARCHIVE_TAR_BZ2, /* .tar.bz2 */
} krait_archive_kind;

/* By file name (".conda" / ".tar.bz2" suffix). */
KRAIT_API krait_archive_kind krait_archive_kind_of(const char *path);

/* Default cap on the payload bytes one archive may expand to (decompression
 * bomb guard): 64 GiB, far above any real conda package. */
#define KRAIT_EXTRACT_DEFAULT_MAX_BYTES ((uint64_t)64 << 30)
/* Ratio limit: an archive may expand to at most this many times its own
 * size once its payload passes KRAIT_EXTRACT_RATIO_FLOOR (real packages stay
 * far below: zstd/bzip2 of binaries and text is 2-20x). */
#define KRAIT_EXTRACT_DEFAULT_MAX_RATIO 200u
#define KRAIT_EXTRACT_RATIO_FLOOR ((uint64_t)1 << 30)
/* Default cap on the number of entries of one archive. */
#define KRAIT_EXTRACT_DEFAULT_MAX_ENTRIES ((uint64_t)4 << 20)

typedef struct krait_extract_opts {
  uint64_t max_bytes;   /* 0 = KRAIT_EXTRACT_DEFAULT_MAX_BYTES */
  uint64_t max_entries; /* 0 = KRAIT_EXTRACT_DEFAULT_MAX_ENTRIES */
  bool replace;         /* an existing non-empty dest is replaced (else it is an error) */
  bool no_sync;         /* skip syncing data before the final rename (benchmarks, tests) */
  bool info_only;       /* .conda: only the info-*.tar.zst member */
  /* Files are checked against info/paths.json (sha256, size_in_bytes) as
   * conda's extra_safety_checks does, by default; this turns it off. */
  bool no_verify;
  bool no_ratio_limit;  /* no KRAIT_EXTRACT_DEFAULT_MAX_RATIO cut-off (max_bytes still applies) */
  uint64_t ratio_floor; /* 0 = KRAIT_EXTRACT_RATIO_FLOOR (tests lower it) */
  /* Called (when set) on the complete tree just before it is renamed onto
   * dest: lets the cache add info/repodata_record.json atomically with the
   * rest. A failure aborts the extraction and leaves nothing behind. */
  krait_code (*before_commit)(void *user, const char *tree_dir, krait_err *err);
  void *before_commit_user;
  /* When set, the extraction waits until its memory need (read from the
   * archive's headers) fits in this budget shared with concurrent ones
   * (krait/extract_budget.h). */
  struct krait_extract_budget *budget;
} krait_extract_opts;

/* Extracts archive_path into dest_dir (see above). dest_dir may be missing or
 * an empty directory; with opts->replace an existing one is swapped out.
 * ctx (may be NULL) receives debug events. opts may be NULL (defaults). */
KRAIT_API krait_code krait_extract_ex(const krait_ctx *ctx, const char *archive_path, const char *dest_dir,
                                      const krait_extract_opts *opts, krait_err *err);
KRAIT_API krait_code krait_extract(const krait_ctx *ctx, const char *archive_path, const char *dest_dir,
                                   krait_err *err);

/* One unit of work for krait_extract_many. The caller owns the strings; the
 * function fills code/err. */
typedef struct krait_extract_job {
  const char *archive_path;
  const char *dest_dir;
  krait_code code;
  krait_err err;
} krait_extract_job;

/* Extracts jobs[0..n) on a pool of ctx->extract_threads threads (0 = number
 * of cores, each extraction starting only when its memory need fits in the
 * budget of krait/extract_budget.h; ctx may be NULL = automatic). Every job runs even if another fails;
 * returns KRAIT_OK if all succeeded, else the first failed job's code with
 * its message copied into err. Progress: ctx->on_progress("extract", name,
 * done, n) after each job. */
KRAIT_API krait_code krait_extract_many(const krait_ctx *ctx, krait_extract_job *jobs, size_t n,
                                        const krait_extract_opts *opts, krait_err *err);

/* Number of worker threads for a configured count (<= 0 = online cores). */
KRAIT_API int krait_thread_count(int configured);

#endif
