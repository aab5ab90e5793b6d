/* Package archives through the download engine (see krait/fetch_pkg.h). */
#include "krait/fetch_pkg.h"

#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/net.h"

static void fill(krait_transfer *t, const char *url, const char *dest, const krait_record *rec) {
  memset(t, 0, sizeof *t);
  t->url = url;
  t->dest_path = dest;
  t->expected_size = rec && rec->size >= 0 ? rec->size : -1;
  t->sha256 = rec && rec->sha256 && *rec->sha256 ? rec->sha256 : NULL;
  t->md5 = !t->sha256 && rec && rec->md5 && *rec->md5 ? rec->md5 : NULL;
  t->label = rec && rec->fn ? rec->fn : NULL;
}

krait_code krait_fetch_pkg_download(void *user, const krait_ctx *ctx, const char *url, const char *dest_path,
                                    krait_err *err) {
  (void)user;
  krait_ctx *own = NULL;
  if (!ctx)
    ctx = own = krait_ctx_new(); /* callers without a context get the defaults */
  krait_net *net;
  krait_code rc = krait_net_get(ctx, &net, err);
  if (!rc) {
    krait_transfer t;
    fill(&t, url, dest_path, NULL);
    rc = krait_net_run(net, &t, 1, err);
    krait_transfer_clear(&t);
  }
  krait_ctx_free(own);
  return rc;
}

typedef struct many {
  krait_fetched_fn done;
  void *done_user;
  krait_transfer *base;
  const krait_fetch_job *jobs;
} many;

static void one_done(void *user, krait_transfer *t) {
  many *m = user;
  m->done(m->done_user, (size_t)(t - m->base), t->code, &t->err);
}

static void one_body(void *user, krait_transfer *t) {
  many *m = user;
  const krait_fetch_job *job = &m->jobs[t - m->base];
  job->on_body(job->on_body_user, t->status, t->etag, t->last_modified);
}

void krait_fetch_pkg_download_many(void *user, const krait_ctx *ctx, const krait_fetch_job *jobs, size_t n,
                                   krait_fetched_fn done, void *done_user) {
  (void)user;
  krait_err err;
  krait_net *net;
  if (krait_net_get(ctx, &net, &err)) {
    for (size_t i = 0; i < n; i++)
      done(done_user, i, err.code, &err);
    return;
  }
  krait_transfer *ts = krait_calloc(n ? n : 1, sizeof *ts);
  many m = {done, done_user, ts, jobs};
  for (size_t i = 0; i < n; i++) {
    fill(&ts[i], jobs[i].url, jobs[i].dest_path, jobs[i].rec);
    ts[i].resume_from = jobs[i].resume_from;
    ts[i].if_range = jobs[i].if_range;
    ts[i].keep_partial = jobs[i].on_body != NULL;
    ts[i].on_body = jobs[i].on_body ? one_body : NULL;
    ts[i].on_done = one_done;
    ts[i].user = &m;
  }
  krait_net_run(net, ts, n, &err); /* every result reached done() already */
  for (size_t i = 0; i < n; i++)
    krait_transfer_clear(&ts[i]);
  free(ts);
}

krait_cache_fetcher krait_fetch_pkg_fetcher(void) {
  krait_cache_fetcher f = {krait_fetch_pkg_download, NULL, krait_fetch_pkg_download_many};
  return f;
}
