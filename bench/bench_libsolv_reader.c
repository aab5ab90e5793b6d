/* Reference point for the scale benchmarks: libsolv's own conda reader on a
 * repodata.json, as a whole process (what krait did before its loader, minus
 * krait's extras pass): bench_libsolv_reader FILE. Prints the record count. */
#include <stdio.h>

#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_conda.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s repodata.json\n", argv[0]);
    return 2;
  }
  FILE *fp = fopen(argv[1], "r");
  if (!fp) {
    perror(argv[1]);
    return 1;
  }
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = repo_create(pool, "bench");
  int rc = repo_add_conda(repo, fp, 0);
  fclose(fp);
  if (rc)
    fprintf(stderr, "%s: %s\n", argv[1], pool_errstr(pool));
  else
    printf("%d records\n", repo->nsolvables);
  pool_free(pool);
  return rc ? 1 : 0;
}
