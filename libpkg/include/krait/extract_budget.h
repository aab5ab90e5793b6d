/* How many archives may be extracted at once without running the machine
 * (or the job's cgroup) out of memory.
 *
 * An extraction's memory is dominated by its decompressor: a zstd frame needs
 * a buffer of its window size (up to the frame's content size when the header
 * records it), 8 MiB for conda-forge's usual level 19 but 128 MiB and more for
 * archives written with long windows (`zstd --long`, levels 20-22); bzip2
 * needs at most ~3.7 MiB. So the need of each archive is read from its own
 * headers, and in automatic mode (extract_threads = 0) an extraction starts
 * only when its need fits in what is left of a budget of half the memory
 * available when the install began: MemAvailable of /proc/meminfo, or less
 * when a cgroup limit of this process (v2 memory.max, v1
 * memory.limit_in_bytes, or one of its ancestors') leaves less headroom —
 * jobs on clusters run in cgroups. One extraction always runs, whatever its
 * need. An explicit extract_threads (.condarc, CONDA_EXTRACT_THREADS) is the
 * user's choice and is not second-guessed. */
#ifndef KRAIT_EXTRACT_BUDGET_H
#define KRAIT_EXTRACT_BUDGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "krait/ctx.h"
#include "krait/err.h"

/* Fixed memory of one extraction besides its decompressor (libarchive's read
 * buffers, the zip reader, the digests of the files written). */
#define KRAIT_EXTRACT_BASE_MEMORY ((uint64_t)1 << 20)
/* Decompressor memory assumed when an archive's header cannot be read: zstd's
 * largest default window (2^27). Such an archive fails to extract anyway. */
#define KRAIT_EXTRACT_UNKNOWN_MEMORY ((uint64_t)1 << 27)

/* Bytes one extraction of archive_path holds at most: the largest
 * decompressor buffer of its members (a .conda's info-/pkg-*.tar.zst frame
 * headers; a .tar.bz2's block size) plus KRAIT_EXTRACT_BASE_MEMORY. */
KRAIT_API uint64_t krait_extract_memory_need(const char *archive_path);

/* Where the memory figures are read from; NULL members = the real files. */
typedef struct krait_mem_sources {
  const char *meminfo;     /* /proc/meminfo */
  const char *self_cgroup; /* /proc/self/cgroup */
  const char *cgroup_root; /* /sys/fs/cgroup */
} krait_mem_sources;

/* Bytes this process may still allocate: MemAvailable, lowered to the
 * headroom (limit - usage) of the tightest cgroup memory limit of this
 * process and its ancestors. 0 when nothing could be read. */
KRAIT_API uint64_t krait_memory_available(const krait_mem_sources *src);

/* A shared memory budget for concurrent extractions. */
typedef struct krait_extract_budget {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool limited;    /* false: every take succeeds at once */
  uint64_t limit;  /* bytes the running extractions may hold together */
  uint64_t in_use; /* bytes taken by the running extractions */
  unsigned running;
} krait_extract_budget;

/* limit = half of krait_memory_available(src) in automatic mode
 * (ctx->extract_threads <= 0; ctx may be NULL); unlimited when the user set
 * extract_threads or nothing could be read. Says which in a debug event. */
KRAIT_API void krait_extract_budget_init(krait_extract_budget *b, const krait_ctx *ctx,
                                         const krait_mem_sources *src);
/* A budget of exactly `limit` bytes (limit 0 = unlimited). */
KRAIT_API void krait_extract_budget_init_limit(krait_extract_budget *b, uint64_t limit);
KRAIT_API void krait_extract_budget_destroy(krait_extract_budget *b);
/* Takes `need` bytes if they fit (or nothing else is running); false otherwise. */
KRAIT_API bool krait_extract_budget_try_take(krait_extract_budget *b, uint64_t need);
/* Waits until `need` bytes fit (or nothing else is running), then takes them. */
KRAIT_API void krait_extract_budget_take(krait_extract_budget *b, uint64_t need);
/* Gives back what a take of `need` took. */
KRAIT_API void krait_extract_budget_give(krait_extract_budget *b, uint64_t need);

#endif
