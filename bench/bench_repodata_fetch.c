/* Repodata fetch benchmark: downloads the repodata of every subdir URL
 * listed in a file (one per line) into an empty repodata cache, either one
 * subdir after the other (krait_fetch_repodata per subdir, as channels were
 * loaded before the batch) or as one batch (krait_fetch_repodata_batch), and
 * prints the wall time and the peak number of requests in flight. Run by
 * bench/net_bench.py; not a test.
 *
 * usage: bench_repodata_fetch SUBDIR_URL_LIST CACHE_DIR sequential|batch */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/net.h"
#include "repodata_int.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  bool batch = argc == 4 && strcmp(argv[3], "batch") == 0;
  if (argc != 4 || (!batch && strcmp(argv[3], "sequential") != 0)) {
    fprintf(stderr, "usage: %s SUBDIR_URL_LIST CACHE_DIR sequential|batch\n", argv[0]);
    return 2;
  }
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err;
  if (krait_read_file(argv[1], &text, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  krait_strv urls = KRAIT_STRV_INIT;
  for (char *line = strtok(text.data, "\n"); line; line = strtok(NULL, "\n"))
    krait_strv_push(&urls, line);
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = krait_strdup(argv[2]);
  krait_repodata_fetch *f = krait_calloc(urls.len ? urls.len : 1, sizeof *f);
  for (size_t i = 0; i < urls.len; i++)
    f[i] = (krait_repodata_fetch){.subdir_url = urls.items[i], .missing_ok = true};
  int rc = 0, peak = 0;
  krait_net *net = NULL;
  double t0 = now();
  if (batch) {
    krait_fetch_repodata_batch(ctx, f, urls.len);
  } else {
    for (size_t i = 0; i < urls.len; i++) {
      f[i].code = krait_fetch_repodata(ctx, urls.items[i], true, &f[i].json_path, &f[i].http_status, &f[i].err);
      if (krait_net_get(ctx, &net, &err) == KRAIT_OK && krait_net_last_peak(net) > peak)
        peak = krait_net_last_peak(net);
    }
  }
  double secs = now() - t0;
  if (batch && krait_net_get(ctx, &net, &err) == KRAIT_OK)
    peak = krait_net_last_peak(net); /* the last phase's peak */
  for (size_t i = 0; i < urls.len; i++) {
    if (f[i].code || !f[i].json_path) {
      fprintf(stderr, "%s: %s\n", urls.items[i], f[i].code ? f[i].err.msg : "missing");
      rc = 1;
    }
    free(f[i].json_path);
  }
  printf("%.3f %d\n", secs, peak);
  free(f);
  krait_ctx_free(ctx);
  krait_strv_free(&urls);
  krait_buf_free(&text);
  return rc;
}
