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

/* ---- one HTTP GET into a file, through the download engine ---- */

/* GETs url into body_path (conditional when etag/mod are given), bounded by
 * ctx->repodata_max_bytes after content decoding. A 404/410 is not an error
 * here (*status tells); every other failure is, after the engine's retries. */
static krait_code http_get(krait_ctx *ctx, const char *url, const char *etag, const char *mod, const char *body_path,
                           bool forbidden_is_missing, long *status, krait_transfer *t, krait_err *err) {
  memset(t, 0, sizeof *t);
  *status = 0;
  krait_net *net;
  krait_code rc = krait_net_get(ctx, &net, err);
  if (rc)
    return rc;
  t->url = url;
  t->dest_path = body_path;
  t->expected_size = -1;
  t->max_bytes = ctx->repodata_max_bytes;
  t->if_none_match = etag;
  t->if_modified_since = mod;
  t->decode_content = true; /* gzip'd JSON is decoded by curl, and counted decoded */
  rc = krait_net_run(net, t, 1, err);
  *status = t->status;
  if (rc == KRAIT_E_NOTFOUND || (forbidden_is_missing && t->status == 403))
    rc = KRAIT_OK; /* the caller decides what a missing file means */
  return rc;
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

/* ---- the fetch ---- */

typedef enum { GOT_NEW, GOT_NOT_MODIFIED, GOT_MISSING } outcome;

/* One attempt at `url` (repodata.json or .json.zst); on GOT_NEW the cached
 * JSON and state are replaced, only by a complete download. The state file
 * records the redacted URL: it is shared and may be read by anyone. */
static krait_code try_fetch(krait_ctx *ctx, const char *url, bool zst, const char *json_path,
                            const char *state_path, cache_state *st, outcome *got, long *status, krait_err *err) {
  bool cached = krait_path_exists(json_path);
  char *shown = krait_url_redact(url);
  bool conditional = cached && st->url && strcmp(st->url, shown) == 0;
  char *tmp = krait_asprintf("%s.part-%ld", json_path, (long)getpid());
  krait_transfer x;
  /* object stores answer 403 for a .zst that is not there */
  krait_code rc = http_get(ctx, url, conditional ? st->etag : NULL, conditional ? st->mod : NULL, tmp, zst, status,
                           &x, err);
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
  } else if (*status == 404 || *status == 410 || (zst && *status == 403)) {
    *got = GOT_MISSING;
  } else if (*status >= 200 && *status <= 299) {
    *got = GOT_NEW;
    char *plain = zst ? krait_asprintf("%s.json", tmp) : krait_strdup(tmp);
    if (zst)
      rc = zstd_decompress_file(tmp, plain, (unsigned long long)ctx->repodata_max_bytes, err);
    if (rc == KRAIT_OK)
      rc = check_json_object(plain, shown, err);
    if (rc == KRAIT_OK && rename(plain, json_path) != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s", plain);
    unlink(plain);
    free(plain);
    if (rc == KRAIT_OK) {
      free(st->url), st->url = krait_strdup(shown);
      free(st->etag), st->etag = krait_strdup(x.etag);
      free(st->mod), st->mod = krait_strdup(x.last_modified);
      free(st->cache_control), st->cache_control = krait_strdup(x.cache_control);
      if (zst)
        st->has_zst = 1;
      rc = state_save(state_path, st, json_path, err);
    }
  } else {
    rc = krait_err_set(err, KRAIT_E_NET, "%s: HTTP %ld", shown, *status);
  }
out:
  unlink(tmp);
  free(tmp);
  free(shown);
  krait_transfer_clear(&x);
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
    /* conda: a missing platform subdir is normal (noarch-only channels),
     * a missing noarch means the URL is not a channel */
    size_t ul = strlen(subdir_url);
    bool optional = missing_ok && !(ul >= 7 && strcmp(subdir_url + ul - 7, "/noarch") == 0);
    if (rc == KRAIT_OK && got == GOT_MISSING && !optional) {
      char *shown = krait_url_redact(jurl);
      char *chan = krait_url_redact(subdir_url);
      char *slash = strrchr(chan, '/');
      if (slash)
        *slash = 0;
      rc = krait_err_set(err, KRAIT_E_NOTFOUND,
                         "%s: HTTP %ld: the channel %s is not accessible or is invalid (no repodata.json in %s)",
                         shown, status, chan, slash ? slash + 1 : "it");
      free(chan);
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
