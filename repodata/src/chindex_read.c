/* `krait index`: what one archive contributes to repodata — its
 * info/index.json and the md5, sha256 and size of the file — and the record
 * built from them the way conda-index builds it. */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chindex_int.h"
#include "krait/buf.h"
#include "krait/extract.h"
#include "krait/fs.h"
#include "krait/json.h"

/* index.json is a few KB; an inner info tarball a few MB at most. These caps
 * keep a hostile archive from making the indexer allocate without bound. */
#define INDEX_JSON_MAX ((la_int64_t)16 << 20)
#define INFO_TAR_MAX ((la_int64_t)512 << 20)

static krait_code file_digests(const char *path, char md5[33], char sha256[65], long long *size, krait_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return krait_err_errno(err, KRAIT_E_IO, "cannot open %s", path);
  EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = EVP_MD_CTX_new();
  if (!m || !s)
    krait_oom();
  EVP_DigestInit_ex(m, EVP_md5(), NULL);
  EVP_DigestInit_ex(s, EVP_sha256(), NULL);
  unsigned char buf[1 << 16];
  size_t n;
  long long total = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    EVP_DigestUpdate(m, buf, n);
    EVP_DigestUpdate(s, buf, n);
    total += (long long)n;
  }
  krait_code rc = ferror(f) ? krait_err_errno(err, KRAIT_E_IO, "reading %s", path) : KRAIT_OK;
  fclose(f);
  unsigned char dm[EVP_MAX_MD_SIZE], ds[EVP_MAX_MD_SIZE];
  unsigned lm = 0, ls = 0;
  EVP_DigestFinal_ex(m, dm, &lm);
  EVP_DigestFinal_ex(s, ds, &ls);
  EVP_MD_CTX_free(m);
  EVP_MD_CTX_free(s);
  for (unsigned i = 0; i < lm && i < 16; i++)
    snprintf(md5 + 2 * i, 3, "%02x", dm[i]);
  for (unsigned i = 0; i < ls && i < 32; i++)
    snprintf(sha256 + 2 * i, 3, "%02x", ds[i]);
  *size = total;
  return rc;
}

static bool is_index_json(const char *name) {
  if (strncmp(name, "./", 2) == 0)
    name += 2;
  return strcmp(name, "info/index.json") == 0;
}

/* Reads the current entry's data into b, refusing more than cap bytes. */
static krait_code read_entry(struct archive *a, struct archive_entry *e, la_int64_t cap, krait_buf *b,
                             const char *what, krait_err *err) {
  if (archive_entry_size_is_set(e) && archive_entry_size(e) > cap)
    return krait_err_set(err, KRAIT_E_UNSAFE, "%s: %s is larger than %lld bytes", what, archive_entry_pathname(e),
                         (long long)cap);
  char chunk[1 << 16];
  la_ssize_t got;
  while ((got = archive_read_data(a, chunk, sizeof chunk)) > 0) {
    if ((la_int64_t)(b->len + (size_t)got) > cap)
      return krait_err_set(err, KRAIT_E_UNSAFE, "%s: %s is larger than %lld bytes", what,
                           archive_entry_pathname(e), (long long)cap);
    krait_buf_append(b, chunk, (size_t)got);
  }
  if (got < 0)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: %s", what, archive_error_string(a));
  return KRAIT_OK;
}

/* Finds info/index.json in an open tar stream. */
static krait_code tar_find_index(struct archive *a, const char *what, krait_buf *out, krait_err *err) {
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    if (is_index_json(archive_entry_pathname(e)))
      return read_entry(a, e, INDEX_JSON_MAX, out, what, err);
  }
  if (r != ARCHIVE_EOF)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: %s", what, archive_error_string(a));
  return krait_err_set(err, KRAIT_E_PARSE, "%s: no info/index.json in the archive", what);
}

static krait_code tar_bz2_index(const char *path, krait_buf *out, krait_err *err) {
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  krait_code rc;
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: %s", path, archive_error_string(a));
  else
    rc = tar_find_index(a, path, out, err);
  archive_read_free(a);
  return rc;
}

/* A .conda is a zip; its info-*.tar.zst member holds index.json. */
static krait_code conda_index(const char *path, krait_buf *out, krait_err *err) {
  struct archive *z = archive_read_new();
  archive_read_support_format_zip(z);
  krait_buf inner = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  bool found = false;
  if (archive_read_open_filename(z, path, 1 << 16) != ARCHIVE_OK) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: %s", path, archive_error_string(z));
  } else {
    struct archive_entry *e;
    int r;
    while (!found && (r = archive_read_next_header(z, &e)) == ARCHIVE_OK) {
      const char *name = krait_path_basename(archive_entry_pathname(e));
      size_t n = strlen(name);
      if (strncmp(name, "info-", 5) == 0 && n > 8 && strcmp(name + n - 8, ".tar.zst") == 0) {
        found = true;
        rc = read_entry(z, e, INFO_TAR_MAX, &inner, path, err);
      }
    }
    if (!found && rc == KRAIT_OK)
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: no info-*.tar.zst member (not a .conda package)", path);
  }
  archive_read_free(z);
  if (rc == KRAIT_OK) {
    struct archive *t = archive_read_new();
    archive_read_support_filter_zstd(t);
    archive_read_support_format_tar(t);
    if (archive_read_open_memory(t, inner.data, inner.len) != ARCHIVE_OK)
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: info tarball: %s", path, archive_error_string(t));
    else
      rc = tar_find_index(t, path, out, err);
    archive_read_free(t);
  }
  krait_buf_free(&inner);
  return rc;
}

static int cmp_member(const void *a, const void *b) {
  const krait_json *x = *(const krait_json *const *)a, *y = *(const krait_json *const *)b;
  return strcmp(x->key, y->key);
}

/* conda-index's record: index.json without arch and platform (derivable from
 * subdir), plus md5, sha256 and size of the archive, depends defaulting to
 * [], keys sorted. Written compactly into out. */
static void write_record(const krait_json *ij, const char *md5, const char *sha256, long long size, krait_buf *out) {
  size_t n = 0;
  for (const krait_json *c = ij->child; c; c = c->next)
    n++;
  const krait_json **m = krait_calloc(n + 1, sizeof *m);
  n = 0;
  bool has_depends = false;
  for (const krait_json *c = ij->child; c; c = c->next) {
    if (!strcmp(c->key, "arch") || !strcmp(c->key, "platform") || !strcmp(c->key, "md5") ||
        !strcmp(c->key, "sha256") || !strcmp(c->key, "size"))
      continue;
    has_depends |= strcmp(c->key, "depends") == 0;
    m[n++] = c;
  }
  /* synthetic members for the writer; their keys live in these arrays */
  char k_md5[] = "md5", k_sha[] = "sha256", k_size[] = "size", k_dep[] = "depends";
  krait_json md5j = {.type = KRAIT_JSON_STRING, .string = (char *)md5, .len = strlen(md5), .key = k_md5};
  krait_json shaj = {.type = KRAIT_JSON_STRING, .string = (char *)sha256, .len = strlen(sha256), .key = k_sha};
  krait_json sizej = {.type = KRAIT_JSON_NUMBER, .number = (double)size, .integer = size, .key = k_size};
  krait_json depj = {.type = KRAIT_JSON_ARRAY, .key = k_dep};
  const krait_json *extra[4] = {&md5j, &shaj, &sizej, &depj};
  size_t total = n + 3 + (has_depends ? 0 : 1);
  const krait_json **all = krait_calloc(total, sizeof *all);
  memcpy(all, m, n * sizeof *m);
  for (size_t i = 0; n + i < total; i++)
    all[n + i] = extra[i];
  qsort(all, total, sizeof *all, cmp_member);
  krait_jw w;
  krait_jw_init(&w, out, 0);
  krait_jw_obj_begin(&w);
  for (size_t i = 0; i < total; i++) {
    krait_jw_key(&w, all[i]->key);
    krait_jw_value(&w, all[i]);
  }
  krait_jw_obj_end(&w);
  free(all);
  free(m);
}

/* "name-version-build" as the file name says it must be. */
static krait_code check_name(const krait_json *ij, const char *fn, const char *path, krait_err *err) {
  const char *name = krait_json_get_str(ij, "name"), *version = krait_json_get_str(ij, "version"),
             *build = krait_json_get_str(ij, "build");
  if (!name || !version || !build)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: info/index.json lacks name, version or build", path);
  size_t fl = strlen(fn);
  size_t stem = fl - (fl > 6 && !strcmp(fn + fl - 6, ".conda") ? 6 : 8);
  char *want = krait_asprintf("%s-%s-%s", name, version, build);
  bool ok = strlen(want) == stem && strncmp(want, fn, stem) == 0;
  krait_code rc = ok ? KRAIT_OK
                     : krait_err_set(err, KRAIT_E_INVALID,
                                     "%s: info/index.json says %s but the file is named %s; refusing to index it", path,
                                     want, fn);
  free(want);
  return rc;
}

krait_code krait_chindex_read_archive(const char *path, const char *fn, char **record_json, char **name,
                                      krait_err *err) {
  *record_json = NULL;
  *name = NULL;
  char md5[33] = "", sha256[65] = "";
  long long size = 0;
  krait_code rc = file_digests(path, md5, sha256, &size, err);
  if (rc)
    return rc;
  krait_buf text = KRAIT_BUF_INIT;
  rc = krait_archive_kind_of(fn) == KRAIT_ARCHIVE_CONDA ? conda_index(path, &text, err)
                                                        : tar_bz2_index(path, &text, err);
  if (rc) {
    krait_buf_free(&text);
    return rc;
  }
  char *origin = krait_asprintf("%s:info/index.json", path);
  krait_json *ij = krait_json_parse(text.data ? text.data : "", text.len, origin, err);
  free(origin);
  krait_buf_free(&text);
  if (!ij)
    return err ? err->code : KRAIT_E_PARSE;
  if (ij->type != KRAIT_JSON_OBJECT)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: info/index.json is not a JSON object", path);
  if (rc == KRAIT_OK)
    rc = check_name(ij, fn, path, err);
  if (rc == KRAIT_OK) {
    krait_buf out = KRAIT_BUF_INIT;
    write_record(ij, md5, sha256, size, &out);
    *record_json = krait_buf_steal(&out);
    *name = krait_strdup(krait_json_get_str(ij, "name"));
  }
  krait_json_free(ij);
  return rc;
}
