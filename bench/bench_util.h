/* Shared by the benchmark programs (linked into each): clocks, medians, the
 * run count argument and the real data they read. */
#ifndef KRAIT_BENCH_UTIL_H
#define KRAIT_BENCH_UTIL_H

#include <time.h>

#include "krait/buf.h"

/* Milliseconds on `clock`: CLOCK_PROCESS_CPUTIME_ID for CPU time (the machine
 * is shared: wall time mostly measures the neighbours), CLOCK_MONOTONIC for wall. */
double bench_ms(clockid_t clock);
/* CPU milliseconds of this process (bench_ms(CLOCK_PROCESS_CPUTIME_ID)). */
double bench_cpu_ms(void);
/* The median of v[0..n) (n >= 1); sorts v. */
double bench_median(double *v, int n);
/* The run count in argv[i] when given and within 1..max, else def. */
int bench_runs(int argc, char **argv, int i, int def, int max);
/* For the programs run as `PROG repodata.json [N]`: N (as bench_runs with
 * argv[2]), or -1 after the usage line on stderr when the file is missing. */
int bench_repodata_args(int argc, char **argv, int def, int max);
/* $KRAIT_SHARED_DIR/REL (default /work/shared/REL). Caller frees. */
char *bench_shared_path(const char *rel);
/* The *.json files of dir, sorted by name, into out; 0 when there are none
 * (or dir cannot be read: said on stderr). */
size_t bench_json_files(const char *dir, krait_strv *out);

#endif
