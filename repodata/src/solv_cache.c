/* The .solv cache: a parsed repo written with libsolv's repo_write, preceded
 * by one JSON line that binds it to its source. Reading it is several times
 * faster than parsing the JSON, and every field krait needs is kept by
 * libsolv's own attributes except base_url/subdir, which the header carries.
 *
 * Header: {"krait_solv":<format>,"libsolv":"<version>","source":"<stamp>",
 *          "sha256":"<source sha256, or empty>","base_url":..,"base_is_channel":..,"subdir":..}\n
 *
 * Validation reads nothing of the JSON: the stamp is size + mtime_ns + inode +
 * device of the source (and ETag/Last-Modified of the HTTP cache state for a
 * download; a new download is renamed into place, so its inode changes too).
 * Where a stamp alone could be fooled, a content hash is still kept:
 * a file rewritten in place with the same size within one timestamp tick
 * (coarse mtime on NFS and some Lustre setups; git's "racy" case). So when the
 * source's mtime was less than RACY_NS old as the cache was written, the
 * header also carries the JSON's sha256, and a read of such an entry hashes
 * the JSON; once the mtime is old enough the entry is rewritten without it.
 * Not for a download whose server gave an ETag or Last-Modified: krait never
 * rewrites a download in place (a new one is renamed over it) and the
 * validators name its content, so the stamp holds. (Hashing there made the
 * first run after every refresh hash the whole JSON and rewrite the .solv:
 * 3.7 s instead of 0.45 s at 700,000 records, since a download is always
 * "racy" when the .solv is written right after it. Were the bytes changed
 * behind krait's back anyway, reading a record back says so: record_span.c.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <solv/knownid.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/solvversion.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "repodata_int.h"

#define HEADER_MAX 8192
#define RACY_NS (3LL * 1000000000LL) /* wider than any filesystem's mtime granularity krait meets */

static bool stamp_of_stat(const struct stat *st, const char *path, krait_solv_stamp *out);

bool krait_solv_stamp_of(const char *path, krait_solv_stamp *out) {
  struct stat sb;
  return stat(path, &sb) == 0 && stamp_of_stat(&sb, path, out);
}

bool krait_solv_stamp_of_fd(int fd, const char *path, krait_solv_stamp *out) {
  struct stat sb;
  return fstat(fd, &sb) == 0 && stamp_of_stat(&sb, path, out);
}

static bool stamp_of_stat(const struct stat *st, const char *path, krait_solv_stamp *out) {
  const struct stat sb = *st;
  out->validated = false;
  out->mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
  int n = snprintf(out->text, sizeof(out->text), "size=%lld mtime_ns=%lld ino=%llu dev=%llu",
                   (long long)sb.st_size, out->mtime_ns, (unsigned long long)sb.st_ino,
                   (unsigned long long)sb.st_dev);
  /* a download: add the HTTP validators fetch recorded for these bytes */
  size_t len = strlen(path);
  if (len > 5 && strcmp(path + len - 5, ".json") == 0) {
    char *state_path = krait_asprintf("%.*s.state.json", (int)(len - 5), path);
    krait_buf text = KRAIT_BUF_INIT;
    krait_err err;
    if (krait_path_exists(state_path) && krait_read_file(state_path, &text, &err) == KRAIT_OK) {
      krait_json *j = krait_json_parse(text.data, text.len, state_path, NULL);
      const char *etag = j ? krait_json_get_str(j, "etag") : NULL;
      const char *mod = j ? krait_json_get_str(j, "mod") : NULL;
      if (n > 0 && (size_t)n < sizeof(out->text))
        snprintf(out->text + n, sizeof(out->text) - (size_t)n, " etag=%.300s mod=%.100s", etag ? etag : "",
                 mod ? mod : "");
      out->validated = (etag && *etag) || (mod && *mod);
      krait_json_free(j);
    }
    krait_buf_free(&text);
    free(state_path);
  }
  return true;
}

bool krait_solv_stamp_racy(const krait_solv_stamp *stamp) {
  if (stamp->validated)
    return false; /* see the top of this file */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long now_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
  return now_ns - stamp->mtime_ns < RACY_NS;
}

/* sha256 in hex of the file open at fd, read in blocks from its start
 * (never whole into memory; the fd's offset is not used). */
bool krait_file_sha256_fd(int fd, char hex[65]) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  static char block[1 << 16];
  ssize_t n;
  off_t at = 0;
  while (ok && (n = pread(fd, block, sizeof(block), at)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0 && EVP_DigestUpdate(md, block, (size_t)n) == 1;
    at += n > 0 ? n : 0;
  }
  unsigned char dig[32];
  unsigned int dlen = 0;
  ok = ok && EVP_DigestFinal_ex(md, dig, &dlen) == 1 && dlen == 32;
  for (unsigned i = 0; ok && i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", dig[i]);
  EVP_MD_CTX_free(md);
  return ok;
}

static void write_cache(const krait_ctx *ctx, Repo *repo, const char *solv_path, const krait_solv_stamp *stamp,
                        const char *sha256, const krait_repo_meta *meta);

bool krait_solv_cache_read(const krait_ctx *ctx, Repo *repo, const char *solv_path, int json_fd,
                           const krait_solv_stamp *stamp, krait_repo_meta *meta) {
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
  const char *source = h ? krait_json_get_str(h, "source") : NULL;
  const char *sha = h ? krait_json_get_str(h, "sha256") : NULL;
  if (!h || !krait_json_get_int(h, "krait_solv", &format) || format != KRAIT_SOLV_CACHE_FORMAT || !ver ||
      strcmp(ver, LIBSOLV_VERSION_STRING) != 0 || !source || strcmp(source, stamp->text) != 0 || !sha) {
    krait_debug(ctx, "%s: stale or foreign .solv cache, reparsing", solv_path);
    goto out;
  }
  char hex[65] = "";
  if (*sha && (!krait_file_sha256_fd(json_fd, hex) || strcmp(hex, sha) != 0)) {
    krait_debug(ctx, "%s: source changed within its mtime tick, reparsing", solv_path);
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
  /* a racy entry whose source has aged: drop the hash, so later reads are cheap */
  if (*sha && !krait_solv_stamp_racy(stamp))
    write_cache(ctx, repo, solv_path, stamp, "", meta);
out:
  krait_json_free(h);
  fclose(fp);
  return ok;
}

bool krait_solv_stamp_cacheable(const krait_ctx *ctx, const char *cache_path, int json_fd, const char *json_path,
                                const krait_solv_stamp *stamp, char hex[65]) {
  hex[0] = '\0';
  krait_solv_stamp after;
  if (!krait_solv_stamp_of(json_path, &after) || strcmp(after.text, stamp->text) != 0) {
    krait_debug(ctx, "not caching %s: %s changed while it was read", cache_path, json_path);
    return false;
  }
  return !krait_solv_stamp_racy(stamp) || krait_file_sha256_fd(json_fd, hex);
}

void krait_solv_cache_write(const krait_ctx *ctx, Repo *repo, const char *solv_path, int json_fd,
                            const char *json_path, const krait_solv_stamp *stamp, const krait_repo_meta *meta) {
  char hex[65];
  if (krait_solv_stamp_cacheable(ctx, solv_path, json_fd, json_path, stamp, hex))
    write_cache(ctx, repo, solv_path, stamp, hex, meta);
}

/* Which attributes go to the .solv's paged ("vertical") area: besides
 * libsolv's own choice (checksums), the file location, which only a record
 * needs, never the solver. repo_add_solv seeks over that area and reads a
 * page only when a record is looked up, so a warm start neither reads nor
 * copies it. A paged string lives only until the next paged lookup (its page
 * may be replaced), so krait_solvable_record copies each at once (and joins
 * the location itself: libsolv's solvable_lookup_location holds mediadir
 * while it looks up mediafile). What libsolv drops is not in the .solv at
 * all: it is read back from the JSON by each record's span (record_span.c). */
static int cache_keyfilter(Repo *repo, Repokey *key, void *unused) {
  (void)unused;
  int storage = repo_write_stdkeyfilter(repo, key, NULL);
  if (storage != KEY_STORAGE_INCORE || key->type != REPOKEY_TYPE_STR)
    return storage;
  if (key->name == SOLVABLE_MEDIADIR || key->name == SOLVABLE_MEDIAFILE)
    return KEY_STORAGE_VERTICAL_OFFSET;
  return storage;
}

static bool write_solv(Repo *repo, FILE *fp) {
  Repowriter *w = repowriter_create(repo);
  repowriter_set_keyfilter(w, cache_keyfilter, NULL);
  bool ok = repowriter_write(w, fp) == 0;
  repowriter_free(w);
  return ok;
}

void krait_cache_header_put(krait_jw *w, const krait_solv_stamp *stamp, const char *sha256,
                            const krait_repo_meta *meta) {
  krait_jw_kstr(w, "source", stamp->text);
  krait_jw_kstr(w, "sha256", sha256);
  krait_jw_kstr(w, "base_url", meta->base_url);
  krait_jw_kbool(w, "base_is_channel", meta->base_is_channel);
  krait_jw_kstr(w, "subdir", meta->subdir);
}

static void write_cache(const krait_ctx *ctx, Repo *repo, const char *solv_path, const krait_solv_stamp *stamp,
                        const char *sha256, const krait_repo_meta *meta) {
  krait_buf hdr = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &hdr, 0);
  krait_jw_obj_begin(&w);
  krait_jw_kint(&w, "krait_solv", KRAIT_SOLV_CACHE_FORMAT);
  krait_jw_kstr(&w, "libsolv", LIBSOLV_VERSION_STRING);
  krait_cache_header_put(&w, stamp, sha256, meta);
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
  bool ok = fwrite(hdr.data, 1, hdr.len, fp) == hdr.len && write_solv(repo, fp);
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
