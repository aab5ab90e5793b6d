/* Remote repodata: download into the repodata cache with conda's layout
 * (<md5(subdir_url + "/")[:8]>.json + .state.json) so conda, mamba and krait
 * can share a cache, and revalidate with conditional GETs so an unchanged
 * channel costs one 304. repodata.json.zst is tried first (a fraction of the
 * bytes); a server without it is remembered in the state file (has_zst). */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
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
#include "repodata_int.h"
#include "curl_lazy.h" /* after <curl/curl.h>: libcurl loads on first use */

/* Decompressed repodata larger than this is refused (decompression bomb). */
#define MAX_REPODATA_BYTES ((unsigned long long)8 << 30)

typedef struct cache_state {
  char *url;
  char *etag;
  char *mod;
  char *cache_control;
  int has_zst; /* -1 unknown, 0 no, 1 yes */
} cache_state;

static void state_free(cache_state *st) {
  free(st->url);
  free(st->etag);
  free(st->mod);
  free(st->cache_control);
  memset(st, 0, sizeof(*st));
  st->has_zst = -1;
}

/* Reads the state of cached json_path; a state describing other bytes than
 * the cached JSON (replaced or truncated behind its back) is ignored, so the
 * next request is unconditional. */
static void state_load(const char *path, const char *json_path, cache_state *st) {
  state_free(st);
  krait_json *j = krait_json_parse_file(path, NULL);
  if (!j)
    return;
  struct stat sb;
  int64_t size = -1, mtime_ns = -1;
  if (stat(json_path, &sb) != 0 || !krait_json_get_int(j, "size", &size) || size != (int64_t)sb.st_size ||
      !krait_json_get_int(j, "mtime_ns", &mtime_ns) ||
      mtime_ns != (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec) {
    krait_json_free(j);
    return;
  }
  st->url = krait_strdup(krait_json_get_str(j, "url"));
  st->etag = krait_strdup(krait_json_get_str(j, "etag"));
  st->mod = krait_strdup(krait_json_get_str(j, "mod"));
  st->cache_control = krait_strdup(krait_json_get_str(j, "cache_control"));
  const krait_json *hz = krait_json_get_object(j, "has_zst");
  const krait_json *v = hz ? krait_json_get(hz, "value") : NULL;
  if (v && v->type == KRAIT_JSON_BOOL)
    st->has_zst = v->boolean ? 1 : 0;
  krait_json_free(j);
}

static void iso_now(char *out, size_t cap) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* conda's state fields; size/mtime_ns describe the cached JSON so a tool can
 * tell whether the JSON was replaced behind the state's back. */
static krait_code state_save(const char *path, const cache_state *st, const char *json_path, krait_err *err) {
  struct stat sb;
  if (stat(json_path, &sb) != 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s", json_path);
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_obj_begin(&w);
  krait_jw_kstr(&w, "url", st->url);
  krait_jw_kstr(&w, "etag", st->etag ? st->etag : "");
  krait_jw_kstr(&w, "mod", st->mod ? st->mod : "");
  krait_jw_kstr(&w, "cache_control", st->cache_control ? st->cache_control : "");
  krait_jw_kint(&w, "size", (int64_t)sb.st_size);
  krait_jw_kint(&w, "mtime_ns", (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
  if (st->has_zst >= 0) {
    char now[32];
    iso_now(now, sizeof(now));
    krait_jw_key(&w, "has_zst");
    krait_jw_obj_begin(&w);
    krait_jw_kbool(&w, "value", st->has_zst == 1);
    krait_jw_kstr(&w, "last_checked", now);
    krait_jw_obj_end(&w);
  }
  krait_jw_obj_end(&w);
  krait_buf_putc(&b, '\n');
  krait_code rc = krait_write_file_atomic(path, b.data, b.len, 0644, err);
  krait_buf_free(&b);
  return rc;
}

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
static bool cache_fresh(const char *state_path, const cache_state *st) {
  long age = max_age(st->cache_control);
  struct stat sb;
  if (age <= 0 || !st->url || stat(state_path, &sb) != 0)
    return false;
  time_t now = time(NULL);
  return now >= sb.st_mtime && now - sb.st_mtime < age;
}

/* ---- one HTTP GET into a file ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct xfer {
  const krait_ctx *ctx;
  const char *url;
  FILE *body;
  char *etag;
  char *mod;
  char *cache_control;
} xfer;

static void xfer_headers_free(xfer *x) {
  free(x->etag);
  free(x->mod);
  free(x->cache_control);
  x->etag = x->mod = x->cache_control = NULL;
}

static size_t on_body(char *data, size_t size, size_t n, void *user) {
  xfer *x = user;
  return fwrite(data, size, n, x->body) * size;
}

static char *header_value(const char *line, size_t len, const char *name) {
  size_t nl = strlen(name);
  if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  return krait_strndup(v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t n, void *user) {
  xfer *x = user;
  size_t len = size * n;
  char *v;
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
    xfer_headers_free(x); /* a new response (after a redirect): forget the old headers */
  else if ((v = header_value(data, len, "ETag")))
    free(x->etag), x->etag = v;
  else if ((v = header_value(data, len, "Last-Modified")))
    free(x->mod), x->mod = v;
  else if ((v = header_value(data, len, "Cache-Control")))
    free(x->cache_control), x->cache_control = v;
  return len;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un) {
  (void)ut;
  (void)un;
  xfer *x = user;
  krait_ctx_progress(x->ctx, "download", x->url, (double)now, (double)total);
  return 0;
}

/* GETs url into body_path. Conditional when etag/mod are given. */
static krait_code http_get(const krait_ctx *ctx, const char *url, const char *etag, const char *mod,
                           const char *body_path, long *status, xfer *x, krait_err *err) {
  memset(x, 0, sizeof(*x));
  pthread_once(&curl_once, curl_init_once);
  x->ctx = ctx;
  x->url = url;
  x->body = fopen(body_path, "wb");
  if (!x->body)
    return krait_err_errno(err, KRAIT_E_IO, "cannot create %s", body_path);
  CURL *c = curl_easy_init();
  if (!c) {
    fclose(x->body);
    return krait_err_set(err, KRAIT_E_NET, "%s: cannot initialise libcurl%s%s", url,
                         krait_curl_unavailable() ? ": " : "", krait_curl_unavailable() ? krait_curl_unavailable() : "");
  }
  struct curl_slist *hdrs = NULL;
  char *h;
  if (etag && *etag) {
    h = krait_asprintf("If-None-Match: %s", etag);
    hdrs = curl_slist_append(hdrs, h);
    free(h);
  }
  if (mod && *mod) {
    h = krait_asprintf("If-Modified-Since: %s", mod);
    hdrs = curl_slist_append(hdrs, h);
    free(h);
  }
  char curl_msg[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "krait/0.1");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip'd JSON is decoded by curl */
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode cc = curl_easy_perform(c);
  krait_code rc = KRAIT_OK;
  *status = 0;
  if (cc != CURLE_OK) {
    char *shown = krait_url_redact(url);
    rc = krait_err_set(err, KRAIT_E_NET, "%s: %s", shown, curl_msg[0] ? curl_msg : curl_easy_strerror(cc));
    free(shown);
  }
  else
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  if (fclose(x->body) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "writing %s", body_path);
  x->body = NULL;
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  if (rc)
    xfer_headers_free(x);
  return rc;
}

/* ---- zstd ---- */

static krait_code zstd_decompress_file(const char *src, const char *dst, krait_err *err) {
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
      if (total > MAX_REPODATA_BYTES) {
        rc = krait_err_set(err, KRAIT_E_INVALID, "%s: decompresses to more than %llu bytes", src,
                           MAX_REPODATA_BYTES);
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

/* ---- the fetch ---- */

typedef enum { GOT_NEW, GOT_NOT_MODIFIED, GOT_MISSING } outcome;

/* One attempt at `url` (repodata.json or .json.zst); on GOT_NEW the cached
 * JSON and state are replaced. */
static krait_code try_fetch(krait_ctx *ctx, const char *url, bool zst, const char *json_path,
                            const char *state_path, cache_state *st, outcome *got, long *status, krait_err *err) {
  bool cached = krait_path_exists(json_path);
  bool conditional = cached && st->url && strcmp(st->url, url) == 0;
  char *tmp = krait_asprintf("%s.part-%ld", json_path, (long)getpid());
  xfer x;
  krait_code rc = http_get(ctx, url, conditional ? st->etag : NULL, conditional ? st->mod : NULL, tmp, status, &x,
                           err);
  if (rc)
    goto out;
  if (*status == 304 && conditional) {
    *got = GOT_NOT_MODIFIED;
    /* the server may send fresher validators with a 304 */
    if (x.etag)
      free(st->etag), st->etag = krait_strdup(x.etag);
    if (x.cache_control)
      free(st->cache_control), st->cache_control = krait_strdup(x.cache_control);
    if (zst)
      st->has_zst = 1;
    rc = state_save(state_path, st, json_path, err);
  } else if (*status == 404 || *status == 403 || *status == 410) {
    *got = GOT_MISSING;
  } else if (*status == 200) {
    *got = GOT_NEW;
    if (zst) {
      char *plain = krait_asprintf("%s.json", tmp);
      rc = zstd_decompress_file(tmp, plain, err);
      if (rc == KRAIT_OK && rename(plain, json_path) != 0)
        rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s", plain);
      unlink(plain);
      free(plain);
    } else if (rename(tmp, json_path) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s", tmp);
    }
    if (rc == KRAIT_OK) {
      free(st->url), st->url = krait_strdup(url);
      free(st->etag), st->etag = krait_strdup(x.etag);
      free(st->mod), st->mod = krait_strdup(x.mod);
      free(st->cache_control), st->cache_control = krait_strdup(x.cache_control);
      if (zst)
        st->has_zst = 1;
      rc = state_save(state_path, st, json_path, err);
    }
  } else {
    char *shown = krait_url_redact(url);
    rc = krait_err_set(err, KRAIT_E_NET, "%s: HTTP %ld", shown, *status);
    free(shown);
  }
out:
  unlink(tmp);
  free(tmp);
  xfer_headers_free(&x);
  return rc;
}

krait_code krait_fetch_repodata(krait_ctx *ctx, const char *subdir_url, bool missing_ok, char **json_path,
                                int *http_status, krait_err *err) {
  *json_path = NULL;
  *http_status = 0;
  if (!ctx->repodata_cache_dir)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: no repodata cache directory configured", subdir_url);
  krait_code rc = krait_mkdir_p(ctx->repodata_cache_dir, 0755, err);
  if (rc)
    return krait_err_prefix(err, "repodata cache: ");
  char *key_url = krait_asprintf("%s/", subdir_url);
  char key[9];
  krait_cache_key(key_url, key);
  free(key_url);
  char *json = krait_asprintf("%s/%s.json", ctx->repodata_cache_dir, key);
  char *state_path = krait_asprintf("%s/%s.state.json", ctx->repodata_cache_dir, key);
  cache_state st = {0};
  st.has_zst = -1;
  if (krait_path_exists(json))
    state_load(state_path, json, &st);

  if (ctx->offline) {
    if (krait_path_exists(json)) {
      *json_path = json;
      json = NULL;
    } else if (!missing_ok) {
      char *shown = krait_url_redact(subdir_url);
      rc = krait_err_set(err, KRAIT_E_NET, "%s/repodata.json: offline and not in the cache (%s)", shown,
                         ctx->repodata_cache_dir);
      free(shown);
    }
    goto out;
  }

  if (cache_fresh(state_path, &st)) {
    krait_debug(ctx, "%s: cached copy still fresh (%s)", subdir_url, st.cache_control);
    *json_path = json;
    json = NULL;
    goto out;
  }

  outcome got = GOT_MISSING;
  long status = 0;
  if (st.has_zst != 0) {
    char *zurl = krait_asprintf("%s/repodata.json.zst", subdir_url);
    rc = try_fetch(ctx, zurl, true, json, state_path, &st, &got, &status, err);
    free(zurl);
    if (rc)
      goto out;
    if (got == GOT_MISSING)
      st.has_zst = 0;
  }
  if (got == GOT_MISSING) {
    char *jurl = krait_asprintf("%s/repodata.json", subdir_url);
    rc = try_fetch(ctx, jurl, false, json, state_path, &st, &got, &status, err);
    if (rc == KRAIT_OK && got == GOT_MISSING && !missing_ok) {
      char *shown = krait_url_redact(jurl);
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s: HTTP %ld (no such channel or subdir)", shown, status);
      free(shown);
    }
    free(jurl);
    if (rc)
      goto out;
  }
  *http_status = (int)status;
  if (got != GOT_MISSING) {
    *json_path = json;
    json = NULL;
  }
out:
  state_free(&st);
  free(json);
  free(state_path);
  return rc;
}
