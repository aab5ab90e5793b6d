/* See bench_util.h. */
#include "bench_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"

double bench_ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

double bench_cpu_ms(void) { return bench_ms(CLOCK_PROCESS_CPUTIME_ID); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

int bench_runs(int argc, char **argv, int i, int def, int max) {
  int runs = argc > i ? atoi(argv[i]) : def;
  return runs < 1 || runs > max ? def : runs;
}

int bench_repodata_args(int argc, char **argv, int def, int max) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s repodata.json [N]\n", argv[0]);
    return -1;
  }
  return bench_runs(argc, argv, 2, def, max);
}

char *bench_shared_path(const char *rel) {
  const char *shared = getenv("KRAIT_SHARED_DIR");
  return krait_asprintf("%s/%s", shared && *shared ? shared : "/work/shared", rel);
}

size_t bench_json_files(const char *dir, krait_strv *out) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    return 0;
  }
  for (struct dirent *e; (e = readdir(d));)
    if (strstr(e->d_name, ".json"))
      krait_strv_push_owned(out, krait_path_join(dir, e->d_name));
  closedir(d);
  krait_strv_sort(out);
  return out->len;
}
