/* Remote repodata: download into the repodata cache with conda's layout
 * (<md5(subdir_url + "/")[:8]>.json + .state.json) so conda, mamba and krait
 * can share a cache, and revalidate with conditional GETs so an unchanged
 * channel costs one 304. repodata.json.zst is tried first (a fraction of the
 * bytes); a server without it is remembered in the state file (has_zst). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "krait/buf.h"
#include "krait/channel.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/net.h"
#include "repodata_int.h"


/* Seconds of Cache-Control max-age (0 when absent, no-cache or no-store). */
static long max_age(const char *cc) {
  if (!cc || strstr(cc, "no-cache") || strstr(cc, "no-store"))
    return 0;
  const char *p = strstr(cc, "max-age=");
  return p ? strtol(p + strlen("max-age="), NULL, 10) : 0;
}

/* True while the server's max-age since our last check (the state file's
 * mtime, rewritten on every 200/304) has not run out: conda's default
 * local_repodata_ttl behaviour, and no request at all for repeated runs. */
static bool cache_fresh(const char *state_path, const krait_http_state *st) {
  long age = max_age(st->cache_control);
  struct stat sb;
  if (age <= 0 || !st->url || stat(state_path, &sb) != 0)
    return false;
  time_t now = time(NULL);
  return now >= sb.st_mtime && now - sb.st_mtime < age;
}

/* A cheap completeness check of a downloaded repodata.json before it replaces
 * the cached copy: a JSON object, first byte to last. A body cut short by a
 * server that closed the connection without a length fails it. */
static krait_code check_json_object(const char *path, const char *shown_url, krait_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return krait_err_errno(err, KRAIT_E_IO, "cannot open %s", path);
  int first = 0, last = 0, ch;
  while ((ch = fgetc(f)) != EOF && (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t'))
    ;
  first = ch;
  if (fseek(f, 0, SEEK_END) == 0) {
    long pos = ftell(f);
    while (pos > 0) {
      pos--;
      if (fseek(f, pos, SEEK_SET) != 0 || (ch = fgetc(f)) == EOF)
        break;
      if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
        last = ch;
        break;
      }
    }
  }
  fclose(f);
  if (first != '{' || last != '}')
    return krait_err_set(err, KRAIT_E_PARSE, "%s: the download is not a complete JSON object (truncated or corrupt); "
                         "the cached copy was kept", shown_url);
  return KRAIT_OK;
}

/* ---- zstd ---- */

static krait_code zstd_decompress_file(const char *src, const char *dst, unsigned long long max_bytes,
                                       krait_err *err) {
  FILE *in = fopen(src, "rb");
  if (!in)
    return krait_err_errno(err, KRAIT_E_IO, "cannot open %s", src);
  FILE *out = fopen(dst, "wb");
  if (!out) {
    fclose(in);
    return krait_err_errno(err, KRAIT_E_IO, "cannot create %s", dst);
  }
  ZSTD_DStream *ds = ZSTD_createDStream();
  size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
  char *ibuf = krait_malloc(in_cap), *obuf = krait_malloc(out_cap);
  krait_code rc = KRAIT_OK;
  unsigned long long total = 0;
  size_t last = 1; /* non-zero: a frame is still open */
  size_t got;
  while (rc == KRAIT_OK && (got = fread(ibuf, 1, in_cap, in)) > 0) {
    ZSTD_inBuffer ib = {ibuf, got, 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob = {obuf, out_cap, 0};
      last = ZSTD_decompressStream(ds, &ob, &ib);
      if (ZSTD_isError(last)) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "%s: zstd: %s", src, ZSTD_getErrorName(last));
        break;
      }
      total += ob.pos;
      if (total > max_bytes) {
        rc = krait_err_set(err, KRAIT_E_INVALID, "%s: decompresses to more than %llu bytes (repodata_max_bytes)",
                           src, max_bytes);
        break;
      }
      if (fwrite(obuf, 1, ob.pos, out) != ob.pos) {
        rc = krait_err_errno(err, KRAIT_E_IO, "writing %s", dst);
        break;
      }
    }
  }
  if (rc == KRAIT_OK && ferror(in))
    rc = krait_err_errno(err, KRAIT_E_IO, "reading %s", src);
  if (rc == KRAIT_OK && last != 0)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: truncated zstd stream", src);
  if (fclose(out) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "writing %s", dst);
  fclose(in);
  ZSTD_freeDStream(ds);
  free(ibuf);
  free(obuf);
  return rc;
}

/* ---- the fetch: every subdir of a batch at once ---- */

char *krait_repodata_cache_path(const krait_ctx *ctx, const char *subdir_url, const char *suffix) {
  char *key_url = krait_asprintf("%s/", subdir_url);
  char key[9];
  krait_cache_key(key_url, key);
  free(key_url);
  return krait_asprintf("%s/%s%s", ctx->repodata_cache_dir, key, suffix);
}

typedef enum { GOT_NONE, GOT_NEW, GOT_NOT_MODIFIED, GOT_MISSING } outcome;

/* One subdir of the batch while it is being fetched. */
typedef struct item {
  krait_repodata_fetch *f;
  char *json, *state_path;
  krait_http_state st;
  bool settled; /* f->code / f->json_path are final */
  outcome got;
  long status;
  /* the request of the current phase */
  char *url, *shown, *tmp;
  bool conditional;
  krait_transfer t;
} item;

static void settle(item *it, krait_code rc, bool found) {
  it->settled = true;
  it->f->code = rc;
  it->f->http_status = (int)it->status;
  if (rc == KRAIT_OK && found) {
    it->f->json_path = it->json;
    it->json = NULL;
  }
}

/* What an answer to `url` (repodata.json or .json.zst) means; on GOT_NEW the
 * cached JSON and state are replaced, only by a complete download. The state
 * file records the redacted URL: it is shared and may be read by anyone. */
static krait_code take_answer(krait_ctx *ctx, item *it, bool zst, krait_err *err) {
  krait_transfer *x = &it->t;
  krait_http_state *st = &it->st;
  long status = it->status = x->status;
  krait_code rc = x->code;
  if (rc == KRAIT_E_NOTFOUND || (zst && status == 403))
    rc = KRAIT_OK; /* a missing file (object stores answer 403 for a .zst that is not there) */
  if (rc) {
    *err = x->err;
    return rc;
  }
  if (status == 304 && it->conditional) {
    it->got = GOT_NOT_MODIFIED;
    /* the server may send fresher validators with a 304 */
    if (x->etag)
      free(st->etag), st->etag = krait_strdup(x->etag);
    if (x->cache_control)
      free(st->cache_control), st->cache_control = krait_strdup(x->cache_control);
    if (zst)
      st->has_zst = 1;
    return krait_http_state_save(it->state_path, st, it->json, err);
  }
  if (status == 404 || status == 410 || (zst && status == 403)) {
    it->got = GOT_MISSING;
    return KRAIT_OK;
  }
  if (status < 200 || status > 299)
    return krait_err_set(err, KRAIT_E_NET, "%s: HTTP %ld", it->shown, status);
  it->got = GOT_NEW;
  char *plain = zst ? krait_asprintf("%s.json", it->tmp) : krait_strdup(it->tmp);
  if (zst)
    rc = zstd_decompress_file(it->tmp, plain, (unsigned long long)ctx->repodata_max_bytes, err);
  if (rc == KRAIT_OK)
    rc = check_json_object(plain, it->shown, err);
  if (rc == KRAIT_OK && rename(plain, it->json) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s", plain);
  unlink(plain);
  free(plain);
  if (rc == KRAIT_OK) {
    krait_http_state_take(st, x);
    if (zst)
      st->has_zst = 1;
    rc = krait_http_state_save(it->state_path, st, it->json, err);
  }
  return rc;
}

/* conda: a missing platform subdir is normal (noarch-only channels), a
 * missing noarch means the URL is not a channel. */
static krait_code missing_error(const item *it, krait_err *err) {
  const char *subdir_url = it->f->subdir_url;
  size_t ul = strlen(subdir_url);
  bool optional = it->f->missing_ok && !(ul >= 7 && strcmp(subdir_url + ul - 7, "/noarch") == 0);
  if (optional)
    return KRAIT_OK;
  char *chan = krait_url_redact(subdir_url);
  char *slash = strrchr(chan, '/');
  if (slash)
    *slash = 0;
  krait_code rc = krait_err_set(err, KRAIT_E_NOTFOUND,
                                "%s: HTTP %ld: the channel %s is not accessible or is invalid (no repodata.json in %s)",
                                it->shown, it->status, chan, slash ? slash + 1 : "it");
  free(chan);
  return rc;
}

static void clear_request(item *it) {
  if (it->tmp)
    unlink(it->tmp);
  free(it->url), free(it->shown), free(it->tmp);
  it->url = it->shown = it->tmp = NULL;
  krait_transfer_clear(&it->t);
}

/* One phase: the .zst of every unsettled subdir whose server may have it, or
 * the plain repodata.json of every one whose .zst was missing, all in one
 * batch of the engine. */
static void run_phase(krait_ctx *ctx, krait_net *net, item *items, size_t n, bool zst) {
  krait_transfer *ts = krait_calloc(n ? n : 1, sizeof *ts);
  size_t *which = krait_calloc(n ? n : 1, sizeof *which), nt = 0;
  for (size_t i = 0; i < n; i++) {
    item *it = &items[i];
    if (it->settled || (zst ? it->st.has_zst == 0 : it->got != GOT_MISSING))
      continue;
    it->url = krait_asprintf("%s/%s", it->f->subdir_url, zst ? "repodata.json.zst" : "repodata.json");
    it->shown = krait_url_redact(it->url);
    it->tmp = krait_asprintf("%s.part-%ld", it->json, (long)getpid());
    it->conditional = krait_path_exists(it->json) && it->st.url && strcmp(it->st.url, it->shown) == 0;
    krait_transfer *t = &ts[nt];
    t->url = it->url;
    t->dest_path = it->tmp;
    t->expected_size = -1;
    t->max_bytes = ctx->repodata_max_bytes;
    t->if_none_match = it->conditional ? it->st.etag : NULL;
    t->if_modified_since = it->conditional ? it->st.mod : NULL;
    t->decode_content = true; /* gzip'd JSON is decoded by curl, and counted decoded */
    /* a progress line per subdir: they are in flight together, and all end in repodata.json */
    const char *host = strstr(it->shown, "://");
    t->label = host ? host + 3 : it->shown;
    which[nt++] = i;
  }
  if (nt)
    krait_net_run(net, ts, nt, NULL); /* judged one by one below */
  for (size_t k = 0; k < nt; k++) {
    item *it = &items[which[k]];
    it->t = ts[k];
    krait_code rc = take_answer(ctx, it, zst, &it->f->err);
    if (rc)
      settle(it, rc, false);
    else if (it->got != GOT_MISSING)
      settle(it, KRAIT_OK, true);
    else if (zst)
      it->st.has_zst = 0;
    else
      settle(it, missing_error(it, &it->f->err), false);
    clear_request(it);
  }
  free(ts);
  free(which);
}

void krait_fetch_repodata_batch(krait_ctx *ctx, krait_repodata_fetch *fetches, size_t n) {
  item *items = krait_calloc(n ? n : 1, sizeof *items);
  krait_err setup_err;
  krait_code setup = KRAIT_OK;
  if (!ctx->repodata_cache_dir)
    setup = krait_err_set(&setup_err, KRAIT_E_INVALID, "no repodata cache directory configured");
  else if (krait_mkdir_p(ctx->repodata_cache_dir, 0755, &setup_err))
    setup = krait_err_prefix(&setup_err, "repodata cache: ");
  size_t pending = 0;
  for (size_t i = 0; i < n; i++) {
    item *it = &items[i];
    krait_repodata_fetch *f = it->f = &fetches[i];
    f->json_path = NULL;
    f->http_status = 0;
    f->code = KRAIT_OK;
    krait_err_clear(&f->err);
    it->st.has_zst = -1;
    if (!f->subdir_url) {
      settle(it, KRAIT_OK, false);
      continue;
    }
    if (setup) {
      f->err = setup_err;
      krait_err_prefix(&f->err, "%s: ", f->subdir_url);
      settle(it, setup, false);
      continue;
    }
    it->json = krait_repodata_cache_path(ctx, f->subdir_url, ".json");
    it->state_path = krait_repodata_cache_path(ctx, f->subdir_url, ".state.json");
    bool cached = krait_path_exists(it->json);
    if (cached)
      krait_http_state_load(it->state_path, it->json, &it->st);
    if (ctx->offline) {
      krait_code rc = KRAIT_OK;
      if (!cached && !f->missing_ok) {
        char *shown = krait_url_redact(f->subdir_url);
        rc = krait_err_set(&f->err, KRAIT_E_NET, "%s/repodata.json: offline and not in the cache (%s)", shown,
                           ctx->repodata_cache_dir);
        free(shown);
      }
      settle(it, rc, cached);
    } else if (cache_fresh(it->state_path, &it->st)) {
      krait_debug(ctx, "%s: cached copy still fresh (%s)", f->subdir_url, it->st.cache_control);
      settle(it, KRAIT_OK, true);
    } else {
      it->got = it->st.has_zst == 0 ? GOT_MISSING : GOT_NONE;
      pending++;
    }
  }
  krait_net *net = NULL;
  krait_err net_err;
  if (pending && krait_net_get(ctx, &net, &net_err) != KRAIT_OK)
    for (size_t i = 0; i < n; i++)
      if (!items[i].settled) {
        fetches[i].err = net_err;
        settle(&items[i], net_err.code, false);
      }
  if (net) {
    run_phase(ctx, net, items, n, true);  /* repodata.json.zst where the server may have it */
    run_phase(ctx, net, items, n, false); /* repodata.json where it does not */
  }
  for (size_t i = 0; i < n; i++) {
    krait_http_state_free(&items[i].st);
    free(items[i].json);
    free(items[i].state_path);
  }
  free(items);
}

krait_code krait_fetch_repodata(krait_ctx *ctx, const char *subdir_url, bool missing_ok, char **json_path,
                                int *http_status, krait_err *err) {
  krait_repodata_fetch f = {.subdir_url = subdir_url, .missing_ok = missing_ok};
  krait_fetch_repodata_batch(ctx, &f, 1);
  *json_path = f.json_path;
  *http_status = f.http_status;
  if (f.code && err)
    *err = f.err;
  return f.code;
}
