/* Cold vs warm repodata loads: bench_repodata_load FILE [N]
 * Runs N (default 20) loads of FILE each way in fresh pools and prints the
 * median: JSON parse only (no .solv cache), cold (parse + write .solv), warm
 * (read .solv). Uses a private temp cache dir. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <solv/pool.h>

#include "bench_util.h"
#include "krait/fs.h"
#include "krait/repodata.h"

/* One load in a fresh pool; returns ms, or -1 on error. */
static double one_load(krait_ctx *ctx, const char *path, bool no_cache, bool *hit, int *n, double *cpu) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  krait_repodata_opts opts = {.no_solv_cache = no_cache};
  Repo *repo = NULL;
  krait_err err;
  double t0 = bench_ms(CLOCK_MONOTONIC), c0 = bench_ms(CLOCK_PROCESS_CPUTIME_ID);
  krait_code rc = krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err);
  double t = bench_ms(CLOCK_MONOTONIC) - t0;
  *cpu = bench_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  if (rc) {
    fprintf(stderr, "%s\n", err.msg);
    t = -1;
  } else {
    *hit = krait_repo_info(repo)->from_solv_cache;
    *n = repo->nsolvables;
  }
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  return t;
}

int main(int argc, char **argv) {
  int runs = bench_repodata_args(argc, argv, 20, 10000);
  if (runs < 0)
    return 2;
  char tmpl[] = "/tmp/krait-bench-XXXXXX";
  if (!mkdtemp(tmpl))
    return 1;
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = krait_strdup(tmpl);
  char *solv_glob_dir = krait_strdup(tmpl);
  double *t = calloc((size_t)runs, sizeof(double));
  double *c = calloc((size_t)runs, sizeof(double));
  const char *names[3] = {"JSON only", "cold (JSON + write .solv)", "warm (.solv)"};
  int n = 0;
  for (int mode = 0; mode < 3; mode++) {
    for (int i = 0; i < runs; i++) {
      bool hit = false;
      if (mode == 1) /* cold: drop the cache before every run */
        krait_rm_rf(solv_glob_dir, NULL);
      t[i] = one_load(ctx, argv[1], mode == 0, &hit, &n, &c[i]);
      if (t[i] < 0 || hit != (mode == 2)) {
        fprintf(stderr, "unexpected cache state in mode %s\n", names[mode]);
        return 1;
      }
    }
    double wall = bench_median(t, runs), cpu = bench_median(c, runs); /* t is sorted now: t[0] is the min */
    printf("%-26s %6d records  wall median %8.2f ms (min %7.2f)  cpu median %8.2f ms  (%d runs)\n", names[mode], n,
           wall, t[0], cpu, runs);
  }
  krait_rm_rf(tmpl, NULL);
  free(t);
  free(c);
  free(solv_glob_dir);
  krait_ctx_free(ctx);
  return 0;
}
