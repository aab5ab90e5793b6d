/* The JSON libraries krait could use, on the same bytes:
 *   bench_json_libs [N]
 * Parses 300 real conda-meta PrefixRecords ($KRAIT_SHARED_DIR/data/prefix/
 * rattler-conda-meta, cycled) into a DOM and serializes each back, with
 * libpkg's JSON layer (krait_json_parse / krait_jw_value), yyjson 0.10.0
 * (Debian trixie source) and jansson 2.14 (Debian bookworm). Prints the median
 * of N (default 20) runs per library, in ms. Reads files before timing: only
 * parse and write are measured. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

#include "bench_util.h"
#include "krait/fs.h"
#include "krait/json.h"

#define NDOC 300

int main(int argc, char **argv) {
  int runs = bench_runs(argc, argv, 1, 20, 1000);
  char *dir = bench_shared_path("data/prefix/rattler-conda-meta");
  krait_strv paths = KRAIT_STRV_INIT;
  bench_json_files(dir, &paths);
  krait_buf files[64];
  size_t nfiles = 0;
  krait_err err;
  for (size_t i = 0; i < paths.len && nfiles < 64; i++) {
    files[nfiles] = (krait_buf)KRAIT_BUF_INIT;
    if (krait_read_file(paths.items[i], &files[nfiles], &err) == KRAIT_OK)
      nfiles++;
  }
  krait_strv_free(&paths);
  if (!nfiles)
    return 1;
  double parse[3][1000], write[3][1000];
  size_t sink = 0;
  for (int r = 0; r < runs; r++) {
    /* libpkg's own layer */
    krait_json *kd[NDOC];
    double t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++)
      kd[i] = krait_json_parse(files[i % nfiles].data, files[i % nfiles].len, "bench", &err);
    parse[0][r] = bench_cpu_ms() - t0;
    t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++) {
      krait_buf out = KRAIT_BUF_INIT;
      krait_jw w;
      krait_jw_init(&w, &out, 2);
      krait_jw_value(&w, kd[i]);
      sink += out.len;
      krait_buf_free(&out);
    }
    write[0][r] = bench_cpu_ms() - t0;
    for (int i = 0; i < NDOC; i++)
      krait_json_free(kd[i]);
    /* yyjson */
    yyjson_doc *yd[NDOC];
    t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++)
      yd[i] = yyjson_read(files[i % nfiles].data, files[i % nfiles].len, 0);
    parse[1][r] = bench_cpu_ms() - t0;
    t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++) {
      size_t n;
      char *s = yyjson_write(yd[i], YYJSON_WRITE_PRETTY_TWO_SPACES, &n);
      sink += n;
      free(s);
    }
    write[1][r] = bench_cpu_ms() - t0;
    for (int i = 0; i < NDOC; i++)
      yyjson_doc_free(yd[i]);
    /* jansson */
    json_t *jd[NDOC];
    t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++)
      jd[i] = json_loadb(files[i % nfiles].data, files[i % nfiles].len, 0, NULL);
    parse[2][r] = bench_cpu_ms() - t0;
    t0 = bench_cpu_ms();
    for (int i = 0; i < NDOC; i++) {
      char *s = json_dumps(jd[i], JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      sink += s ? strlen(s) : 0;
      free(s);
    }
    write[2][r] = bench_cpu_ms() - t0;
    for (int i = 0; i < NDOC; i++)
      json_decref(jd[i]);
  }
  static const char *const names[] = {"libpkg json layer", "yyjson 0.10.0", "jansson 2.14"};
  printf("%d conda-meta documents (%zu distinct), median of %d runs (bytes out %zu)\n", NDOC, nfiles, runs, sink);
  for (int l = 0; l < 3; l++)
    printf("%-18s parse %7.2f ms   write %7.2f ms\n", names[l], bench_median(parse[l], runs), bench_median(write[l], runs));
  for (size_t i = 0; i < nfiles; i++)
    krait_buf_free(&files[i]);
  free(dir);
  return 0;
}
