/* Resumable partial downloads of the package cache (see cache_partial.h). */
#include "cache_partial.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/secrets.h"

/* A regular file (not a symlink) of the current user; *size its length. */
static bool ours(const char *path, long long *size) {
  struct stat sb;
  if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
    return false;
  if (size)
    *size = (long long)sb.st_size;
  return true;
}

static bool same_ci(const char *a, const char *b) { return a && b && *a && strcasecmp(a, b) == 0; }

/* Why the partial download cannot be resumed for rec, or NULL (then *validator is set). */
static const char *refusal(const krait_partial *p, long long size, char **validator) {
  const krait_record *rec = p->rec;
  if (rec->size < 0 || size <= 0 || size >= rec->size)
    return "its size does not fit the record's";
  if (!ours(p->sidecar, NULL))
    return "its description is missing or not the user's own";
  krait_json *j = krait_json_parse_file(p->sidecar, NULL);
  if (!j || j->type != KRAIT_JSON_OBJECT) {
    krait_json_free(j);
    return "its description does not parse";
  }
  const char *why = NULL;
  char *url = krait_url_redact(rec->url);
  int64_t want_size = -1;
  const char *etag = krait_json_get_str(j, "etag"), *mod = krait_json_get_str(j, "last_modified");
  if (!krait_json_get_str(j, "url") || strcmp(krait_json_get_str(j, "url"), url) != 0)
    why = "it was downloaded from another URL";
  else if (!krait_json_get_int(j, "size", &want_size) || want_size != rec->size)
    why = "it is of a file of another size";
  else if (rec->sha256 ? !same_ci(krait_json_get_str(j, "sha256"), rec->sha256)
                       : !rec->md5 || !same_ci(krait_json_get_str(j, "md5"), rec->md5))
    why = "it is of a file with another checksum";
  else if (etag && *etag && strncmp(etag, "W/", 2) != 0)
    *validator = krait_strdup(etag);
  else if (mod && *mod)
    *validator = krait_strdup(mod);
  else
    why = "the server named no strong validator for it";
  free(url);
  krait_json_free(j);
  return why;
}

void krait_partial_open(const krait_ctx *ctx, const char *wdir, const krait_record *rec, krait_partial *p) {
  memset(p, 0, sizeof *p);
  p->rec = rec;
  char *base = krait_path_join(wdir, rec->fn);
  p->path = krait_asprintf("%s.partial", base);
  p->sidecar = krait_asprintf("%s.partial.json", base);
  free(base);
  long long size = 0;
  bool present = krait_path_exists(p->path) || krait_path_exists(p->sidecar);
  if (!present)
    return;
  const char *why = ours(p->path, &size) ? refusal(p, size, &p->validator) : "it is not the user's own file";
  if (why) {
    krait_debug(ctx, "%s: not resuming the partial download (%s); starting over", rec->fn, why);
    unlink(p->path);
    unlink(p->sidecar);
    free(p->validator);
    p->validator = NULL;
    return;
  }
  p->have = size;
  krait_debug(ctx, "%s: resuming a partial download at byte %lld of %lld", rec->fn, size, (long long)rec->size);
}

void krait_partial_on_body(void *user, long status, const char *etag, const char *last_modified) {
  const krait_partial *p = user;
  if (status == 206)
    return; /* the rest of the entity the sidecar already describes */
  const krait_record *rec = p->rec;
  char *url = krait_url_redact(rec->url); /* the sidecar may be read by anyone: no secret in it */
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 0);
  krait_jw_obj_begin(&w);
  krait_jw_kstr(&w, "url", url);
  krait_jw_kint(&w, "size", rec->size);
  krait_jw_kstr(&w, "sha256", rec->sha256 ? rec->sha256 : "");
  krait_jw_kstr(&w, "md5", rec->md5 ? rec->md5 : "");
  krait_jw_kstr(&w, "etag", etag ? etag : "");
  krait_jw_kstr(&w, "last_modified", last_modified ? last_modified : "");
  krait_jw_obj_end(&w);
  krait_buf_putc(&b, '\n');
  krait_err ignored;
  /* without it the bytes are merely not resumable */
  (void)krait_write_file_atomic_nosync(p->sidecar, b.data, b.len, 0644, &ignored);
  krait_buf_free(&b);
  free(url);
}

void krait_partial_after_failure(const krait_partial *p, krait_code rc) {
  long long size = 0;
  bool resumable = (rc == KRAIT_E_NET || rc == KRAIT_E_CANCELLED) && ours(p->path, &size) && size > 0;
  if (!resumable) {
    unlink(p->path);
    unlink(p->sidecar);
  }
}

void krait_partial_forget(const krait_partial *p) { unlink(p->sidecar); }

void krait_partial_free(krait_partial *p) {
  free(p->path);
  free(p->sidecar);
  free(p->validator);
  memset(p, 0, sizeof *p);
}
