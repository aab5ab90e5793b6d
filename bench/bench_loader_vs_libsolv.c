/* In-process reference for the loader: bench_loader_vs_libsolv FILE [N]
 * loads FILE N times (default 3) into fresh pools with krait's loader
 * (loader.c) and with libsolv's own reader (+ the oracle's krait:* pass,
 * tests/oracle), and prints the median CPU time of each and their ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <solv/pool.h>

#include "bench_util.h"
#include "krait/buf.h"
#include "krait/fs.h"
#include "repodata_oracle.h"

static double one(const char *path, bool libsolv, int *n) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = repo_create(pool, "bench");
  krait_repo_meta meta;
  krait_err err;
  double t0 = bench_cpu_ms();
  krait_code rc;
  if (libsolv) {
    krait_buf text = KRAIT_BUF_INIT;
    rc = krait_read_file(path, &text, &err);
    if (!rc)
      rc = krait_repo_add_json_libsolv(repo, path, text.data, text.len, &meta, &err);
    krait_buf_free(&text);
  } else
    rc = krait_repo_add_json_file(repo, path, &meta, &err);
  double t = bench_cpu_ms() - t0;
  if (rc) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  *n = repo->nsolvables;
  krait_repo_meta_free(&meta);
  pool_free(pool);
  return t;
}

int main(int argc, char **argv) {
  int runs = bench_repodata_args(argc, argv, 3, 100);
  if (runs < 0)
    return 2;
  double med[2];
  int n = 0;
  for (int which = 0; which < 2; which++) {
    double t[100];
    for (int i = 0; i < runs; i++)
      t[i] = one(argv[1], which == 1, &n);
    med[which] = bench_median(t, runs);
    printf("%-28s %7d records  cpu median %8.1f ms\n", which ? "libsolv reader + extras" : "krait loader", n,
           med[which]);
  }
  printf("loader speed-up: %.2fx\n", med[1] / med[0]);
  return 0;
}
