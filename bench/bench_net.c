/* Download-engine benchmark: fetches every URL listed in a file (one per
 * line) into a directory through krait_net_run with T parallel transfers,
 * and prints the wall time and the peak number in flight. Run by
 * bench/net_bench.py; not a test.
 *
 * usage: bench_net URL_LIST DEST_DIR THREADS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/net.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s URL_LIST DEST_DIR THREADS\n", argv[0]);
    return 2;
  }
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err;
  if (krait_read_file(argv[1], &text, &err) || krait_mkdir_p(argv[2], 0755, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  krait_strv urls = KRAIT_STRV_INIT, dests = KRAIT_STRV_INIT;
  for (char *line = strtok(text.data, "\n"); line; line = strtok(NULL, "\n")) {
    krait_strv_push(&urls, line);
    krait_strv_push_owned(&dests, krait_asprintf("%s/%zu", argv[2], dests.len));
  }
  krait_ctx *ctx = krait_ctx_new();
  ctx->download_threads = atoi(argv[3]);
  krait_transfer *ts = krait_calloc(urls.len ? urls.len : 1, sizeof *ts);
  for (size_t i = 0; i < urls.len; i++)
    ts[i] = (krait_transfer){.url = urls.items[i], .dest_path = dests.items[i], .expected_size = -1};
  krait_net *net;
  int rc = 0;
  if (krait_net_get(ctx, &net, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    rc = 1;
  } else {
    double t0 = now();
    if (krait_net_run(net, ts, urls.len, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      rc = 1;
    }
    printf("%.3f %d\n", now() - t0, krait_net_last_peak(net));
  }
  for (size_t i = 0; i < urls.len; i++)
    krait_transfer_clear(&ts[i]);
  free(ts);
  krait_ctx_free(ctx);
  krait_strv_free(&urls);
  krait_strv_free(&dests);
  krait_buf_free(&text);
  return rc;
}
