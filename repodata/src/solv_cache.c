/* The .solv cache: a parsed repo written with libsolv's repo_write, preceded
 * by one JSON line that binds it to its source. Reading it is several times
 * faster than parsing the JSON, and every field krait needs is kept by
 * libsolv's own attributes except base_url/subdir, which the header carries.
 *
 * Header: {"krait_solv":<format>,"libsolv":"<version>","sha256":"<source sha256>",
 *          "base_url":..,"base_is_channel":..,"subdir":..}\n */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/solvversion.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "repodata_int.h"

#define HEADER_MAX 8192

bool krait_solv_cache_read(const krait_ctx *ctx, Repo *repo, const char *solv_path, const char *source_sha256,
                           krait_repo_meta *meta) {
  memset(meta, 0, sizeof(*meta));
  FILE *fp = fopen(solv_path, "rb");
  if (!fp)
    return false;
  char line[HEADER_MAX];
  bool ok = false;
  krait_json *h = NULL;
  if (!fgets(line, sizeof(line), fp) || !strchr(line, '\n'))
    goto out;
  h = krait_json_parse(line, strlen(line), solv_path, NULL);
  int64_t format = 0;
  const char *ver = h ? krait_json_get_str(h, "libsolv") : NULL;
  const char *sha = h ? krait_json_get_str(h, "sha256") : NULL;
  if (!h || !krait_json_get_int(h, "krait_solv", &format) || format != KRAIT_SOLV_CACHE_FORMAT || !ver ||
      strcmp(ver, LIBSOLV_VERSION_STRING) != 0 || !sha || strcmp(sha, source_sha256) != 0) {
    krait_debug(ctx, "%s: stale or foreign .solv cache, reparsing", solv_path);
    goto out;
  }
  if (repo_add_solv(repo, fp, 0) != 0) {
    krait_warn(ctx, "%s: unreadable .solv cache (%s); it will be rewritten", solv_path,
               pool_errstr(repo->pool));
    repo_empty(repo, 1);
    goto out;
  }
  const char *base = krait_json_get_str(h, "base_url");
  const char *subdir = krait_json_get_str(h, "subdir");
  const krait_json *bic = krait_json_get(h, "base_is_channel");
  meta->base_url = krait_strdup(base);
  meta->subdir = krait_strdup(subdir);
  meta->base_is_channel = bic && bic->type == KRAIT_JSON_BOOL && bic->boolean;
  ok = true;
out:
  krait_json_free(h);
  fclose(fp);
  return ok;
}

void krait_solv_cache_write(const krait_ctx *ctx, Repo *repo, const char *solv_path, const char *source_sha256,
                            const krait_repo_meta *meta) {
  krait_buf hdr = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &hdr, 0);
  krait_jw_obj_begin(&w);
  krait_jw_kint(&w, "krait_solv", KRAIT_SOLV_CACHE_FORMAT);
  krait_jw_kstr(&w, "libsolv", LIBSOLV_VERSION_STRING);
  krait_jw_kstr(&w, "sha256", source_sha256);
  krait_jw_kstr(&w, "base_url", meta->base_url);
  krait_jw_kbool(&w, "base_is_channel", meta->base_is_channel);
  krait_jw_kstr(&w, "subdir", meta->subdir);
  krait_jw_obj_end(&w);
  krait_buf_putc(&hdr, '\n');

  char *dir = krait_path_dirname(solv_path);
  char *tmp = krait_asprintf("%s.tmp-XXXXXX", solv_path);
  krait_err err;
  int fd = -1;
  FILE *fp = NULL;
  if (krait_mkdir_p(dir, 0755, &err) != KRAIT_OK) {
    krait_debug(ctx, "not caching %s: %s", solv_path, err.msg);
    goto out;
  }
  fd = mkstemp(tmp);
  if (fd < 0) {
    krait_debug(ctx, "not caching %s: %s", solv_path, strerror(errno));
    goto out;
  }
  /* mkstemp makes 0600 files; a shared cache must be readable by others. */
  (void)fchmod(fd, 0644);
  fp = fdopen(fd, "wb");
  if (!fp) {
    close(fd);
    unlink(tmp);
    goto out;
  }
  bool ok = fwrite(hdr.data, 1, hdr.len, fp) == hdr.len && repo_write(repo, fp) == 0;
  ok = fflush(fp) == 0 && ok;
  ok = fsync(fileno(fp)) == 0 && ok;
  ok = fclose(fp) == 0 && ok;
  if (!ok || rename(tmp, solv_path) != 0) {
    krait_warn(ctx, "could not write repodata cache %s: %s", solv_path, strerror(errno));
    unlink(tmp);
  }
out:
  free(tmp);
  free(dir);
  krait_buf_free(&hdr);
}
