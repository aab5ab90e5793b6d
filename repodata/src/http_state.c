/* The HTTP cache state of a downloaded file (see repodata_int.h): conda's
 * <key>.state.json beside a cached repodata.json, and the same beside a
 * cached shard index. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "repodata_int.h"

void krait_http_state_free(krait_http_state *st) {
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
void krait_http_state_load(const char *path, const char *json_path, krait_http_state *st) {
  krait_http_state_free(st);
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
krait_code krait_http_state_save(const char *path, const krait_http_state *st, const char *json_path, krait_err *err) {
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

void krait_http_state_take(krait_http_state *st, const krait_transfer *t) {
  free(st->url), st->url = krait_strdup(t->shown_url);
  free(st->etag), st->etag = krait_strdup(t->etag);
  free(st->mod), st->mod = krait_strdup(t->last_modified);
  free(st->cache_control), st->cache_control = krait_strdup(t->cache_control);
}
