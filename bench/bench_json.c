/* JSON layer cost on the two hot paths it serves:
 *   bench_json [N]
 * 1. conda-meta load of a 300-package env (krait_prefix_load), built in a temp
 *    dir from the real PrefixRecords in $KRAIT_SHARED_DIR/data/prefix/rattler-conda-meta
 *    (each renamed so 300 distinct packages result);
 * 2. 300 repodata_record.json writes (krait_record_write_fields + atomic write,
 *    no fsync, as the cache writes them).
 * Prints the median of N (default 20) runs of each, in ms of process CPU time. Built from whatever
 * JSON layer libpkg has, so running it on two builds compares them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/prefix.h"
#include "krait/record.h"

#define NPKG 300

static int die(const char *what, const krait_err *err) {
  fprintf(stderr, "bench_json: %s: %s\n", what, err ? err->msg : "failed");
  return 1;
}

int main(int argc, char **argv) {
  int runs = bench_runs(argc, argv, 1, 20, 1000);
  char *src_dir = bench_shared_path("data/prefix/rattler-conda-meta");
  krait_strv srcs = {0};
  if (!bench_json_files(src_dir, &srcs))
    return die("no conda-meta records found", NULL);

  char tmpl[] = "/tmp/bench_json.XXXXXX";
  char *tmp = mkdtemp(tmpl);
  char *meta = krait_path_join(tmp, "conda-meta");
  char *rr_dir = krait_path_join(tmp, "records");
  krait_err err;
  if (krait_mkdir_p(meta, 0755, &err) || krait_mkdir_p(rr_dir, 0755, &err))
    return die("mkdir", &err);
  size_t meta_bytes = 0;
  for (int i = 0; i < NPKG; i++) {
    krait_json *doc = krait_json_parse_file(srcs.items[(size_t)i % srcs.len], &err);
    if (!doc)
      return die("parse", &err);
    char *name = krait_asprintf("p%03d-%s", i, krait_json_get_str(doc, "name"));
    krait_buf out = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &out, 2);
    krait_jw_object_with(&w, doc, "name", name);
    char *fn = krait_asprintf("%s/%s-%s-%s.json", meta, name, krait_json_get_str(doc, "version"),
                              krait_json_get_str(doc, "build"));
    if (krait_write_file_atomic_nosync(fn, out.data, out.len, 0644, &err))
      return die("write", &err);
    meta_bytes += out.len;
    free(fn);
    free(name);
    krait_buf_free(&out);
    krait_json_free(doc);
  }

  double *load = krait_calloc((size_t)runs, sizeof *load), *write = krait_calloc((size_t)runs, sizeof *write),
         *render = krait_calloc((size_t)runs, sizeof *render);
  for (int r = 0; r < runs; r++) {
    krait_prefix_state st = {0};
    double t0 = bench_cpu_ms();
    if (krait_prefix_load(tmp, &st, &err))
      return die("krait_prefix_load", &err);
    load[r] = bench_cpu_ms() - t0;
    if (st.len != NPKG)
      return die("wrong package count", NULL);
    /* rendering (the JSON layer) and the file writes (the kernel) apart:
     * the second is most of the time and varies with the machine's load */
    krait_buf outs[NPKG];
    t0 = bench_cpu_ms();
    for (size_t i = 0; i < st.len; i++) {
      outs[i] = (krait_buf)KRAIT_BUF_INIT;
      krait_jw w;
      krait_jw_init(&w, &outs[i], 2);
      krait_jw_obj_begin(&w);
      krait_record_write_fields(&w, &st.records[i].rec);
      krait_jw_obj_end(&w);
    }
    render[r] = bench_cpu_ms() - t0;
    t0 = bench_cpu_ms();
    for (size_t i = 0; i < st.len; i++) {
      char *fn = krait_asprintf("%s/%zu.json", rr_dir, i);
      if (krait_write_file_atomic_nosync(fn, outs[i].data, outs[i].len, 0644, &err))
        return die("write", &err);
      free(fn);
      krait_buf_free(&outs[i]);
    }
    write[r] = bench_cpu_ms() - t0;
    krait_prefix_state_free(&st);
  }
  printf("conda-meta: %d records, %zu KiB\n", NPKG, meta_bytes / 1024);
  printf("conda-meta load (300 pkgs):      median %.2f ms CPU over %d runs\n", bench_median(load, runs), runs);
  printf("repodata_record render (300):    median %.2f ms CPU over %d runs\n", bench_median(render, runs), runs);
  printf("repodata_record file writes:     median %.2f ms CPU over %d runs\n", bench_median(write, runs), runs);
  krait_rm_rf(tmp, &err);
  free(load);
  free(write);
  free(render);
  free(meta);
  free(rr_dir);
  free(src_dir);
  krait_strv_free(&srcs);
  return 0;
}
