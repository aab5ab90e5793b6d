/* bench_extract: cold extraction of a set of archives with krait's extractor.
 *
 *   bench_extract [--threads N] [--no-sync] OUTDIR ARCHIVE...
 *
 * Extracts the k-th ARCHIVE into OUTDIR/<k>-<archive name without extension> with
 * krait_extract_many (N threads, default 1) and prints the wall time. OUTDIR
 * must not hold those entries yet (the caller wipes it between runs).
 * bench/extract.sh drives it with hyperfine against bsdtar / unzip+zstd+tar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "krait/ctx.h"
#include "krait/extract.h"
#include "krait/fs.h"

static char *strip_ext(const char *fn) {
  size_t n = strlen(fn);
  if (krait_archive_kind_of(fn) == KRAIT_ARCHIVE_CONDA)
    n -= 6;
  else if (krait_archive_kind_of(fn) == KRAIT_ARCHIVE_TAR_BZ2)
    n -= 8;
  return krait_strndup(fn, n);
}

int main(int argc, char **argv) {
  int threads = 1;
  krait_extract_opts opts = {0};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-sync") == 0)
      opts.no_sync = true;
    else {
      fprintf(stderr, "usage: bench_extract [--threads N] [--no-sync] OUTDIR ARCHIVE...\n");
      return 2;
    }
  }
  if (argc - i < 2) {
    fprintf(stderr, "usage: bench_extract [--threads N] [--no-sync] OUTDIR ARCHIVE...\n");
    return 2;
  }
  const char *outdir = argv[i++];
  size_t n = (size_t)(argc - i);
  krait_extract_job *jobs = krait_calloc(n, sizeof *jobs);
  char **dests = krait_calloc(n, sizeof *dests);
  for (size_t k = 0; k < n; k++) {
    char *name = strip_ext(krait_path_basename(argv[i + (int)k]));
    /* numbered: the same dist can come as .conda and .tar.bz2, or from two channels */
    dests[k] = krait_asprintf("%s/%zu-%s", outdir, k, name);
    free(name);
    jobs[k].archive_path = argv[i + (int)k];
    jobs[k].dest_dir = dests[k];
  }
  krait_ctx *ctx = krait_ctx_new();
  ctx->extract_threads = threads;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  krait_err err = {0};
  krait_code rc = krait_extract_many(ctx, jobs, n, &opts, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (rc)
    fprintf(stderr, "error: %s\n", err.msg);
  else
    printf("%zu archives in %.1f ms\n", n, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  for (size_t k = 0; k < n; k++)
    free(dests[k]);
  free(dests);
  free(jobs);
  krait_ctx_free(ctx);
  return rc ? 1 : 0;
}
