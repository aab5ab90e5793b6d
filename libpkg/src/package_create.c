/* The .conda writer behind `krait package create` (see package_create.h). */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/fs.h"
#include "krait/json.h"
#include "krait/package_create.h"
#include "pack_int.h"

/* written once, downloaded and extracted many times: a high level */
#define PACKAGE_ZSTD_LEVEL 19

/* What info/paths.json says of one payload entry. */
typedef struct paths_row {
  char *path;
  bool softlink;
  char sha256[65];
  size_t size;
} paths_row;

/* Writes the payload tar (the inner sink) and records paths.json's rows
 * from the same bytes, so every file is read once. */
typedef struct paths_sink {
  pack_sink base;
  pack_sink *tar;
  paths_row *rows;
  size_t len, cap;
  EVP_MD_CTX *md; /* of the file being written */
} paths_sink;

static paths_row *add_row(paths_sink *p, const char *rel, bool softlink, size_t size) {
  if (p->len == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->rows = krait_realloc(p->rows, p->cap * sizeof *p->rows);
  }
  paths_row *r = &p->rows[p->len++];
  *r = (paths_row){.path = krait_strdup(rel), .softlink = softlink, .size = size};
  return r;
}

static krait_code ps_dir(pack_sink *s, const char *rel, const struct stat *st, krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  return p->tar->dir(p->tar, rel, st, err);
}

static krait_code ps_symlink(pack_sink *s, const char *rel, const char *target, const struct stat *st,
                             krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  add_row(p, rel, true, 0);
  return p->tar->symlink(p->tar, rel, target, st, err);
}

/* Never called: a package's payload is walked with every name a file of its
 * own (pack_walk.hardlinks off), as paths.json describes it. */
static krait_code ps_hardlink(pack_sink *s, const char *rel, const char *first, const struct stat *st,
                              krait_err *err) {
  (void)s;
  (void)st;
  return krait_err_set(err, KRAIT_E_INVALID, "%s: unexpected hard link to %s", rel, first);
}

static krait_code ps_file_begin(pack_sink *s, const char *rel, const struct stat *st, size_t size,
                                krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  add_row(p, rel, false, size);
  EVP_DigestInit_ex(p->md, EVP_sha256(), NULL);
  return p->tar->file_begin(p->tar, rel, st, size, err);
}

static krait_code ps_file_data(pack_sink *s, const void *data, size_t len, krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  EVP_DigestUpdate(p->md, data, len);
  return p->tar->file_data(p->tar, data, len, err);
}

static krait_code ps_file_end(pack_sink *s, krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(p->md, md, &n);
  char *hex = p->rows[p->len - 1].sha256;
  for (unsigned i = 0; i < n && i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return p->tar->file_end(p->tar, err);
}

static krait_code ps_finish(pack_sink *s, krait_err *err) {
  paths_sink *p = (paths_sink *)s;
  return p->tar->finish(p->tar, err);
}

static void ps_destroy(pack_sink *s) {
  paths_sink *p = (paths_sink *)s;
  for (size_t i = 0; i < p->len; i++)
    free(p->rows[i].path);
  free(p->rows);
  EVP_MD_CTX_free(p->md);
  /* p->tar belongs to the caller */
}

static krait_code write_paths(const char *dir, const paths_sink *p, krait_err *err) {
  krait_buf json = KRAIT_BUF_INIT, files = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &json, 2);
  krait_jw_obj_begin(&w);
  krait_jw_key(&w, "paths");
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < p->len; i++) {
    const paths_row *r = &p->rows[i];
    krait_jw_obj_begin(&w);
    krait_jw_kstr(&w, "_path", r->path);
    krait_jw_kstr(&w, "path_type", r->softlink ? "softlink" : "hardlink");
    if (!r->softlink) {
      krait_jw_kstr(&w, "sha256", r->sha256);
      krait_jw_kint(&w, "size_in_bytes", (int64_t)r->size);
    }
    krait_jw_obj_end(&w);
    krait_buf_printf(&files, "%s\n", r->path);
  }
  krait_jw_arr_end(&w);
  krait_jw_kint(&w, "paths_version", 1);
  krait_jw_obj_end(&w);
  krait_buf_putc(&json, '\n');
  char *pj = krait_path_join(dir, "info/paths.json"), *fl = krait_path_join(dir, "info/files");
  krait_code rc = krait_write_file_atomic_nosync(pj, json.data, json.len, 0644, err);
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic_nosync(fl, files.data ? files.data : "", files.len, 0644, err);
  free(pj);
  free(fl);
  krait_buf_free(&json);
  krait_buf_free(&files);
  return rc;
}

/* The payload: every entry but info/ at the top. */
static bool skip_info(pack_walk *w, const char *abs, const char *rel, const char *name) {
  (void)w;
  (void)abs;
  (void)name;
  return strcmp(rel, "info") == 0;
}

/* Walks dir (from start; with paths, recording paths.json rows) into a
 * tar.zst at out: files and symlinks, modes kept, owners 0, no directory
 * entries, several names of one file written as separate files. */
static krait_code write_tar_zst(const char *dir, const char *start, paths_sink *paths, const char *out,
                                krait_err *err) {
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot write %s", out);
  pack_sink *tar = krait_pack_tar_sink(fd, out, KRAIT_PACK_TAR_ZST, PACKAGE_ZSTD_LEVEL, false, err);
  krait_pack_stats stats = {0};
  pack_walk w = {.root = dir, .start = start, .skip = *start ? NULL : skip_info, .sink = tar, .stats = &stats};
  if (paths) {
    paths->tar = tar;
    w.sink = &paths->base;
  }
  krait_code rc = tar ? krait_pack_walk(&w, err) : KRAIT_E_IO;
  if (rc == KRAIT_OK)
    rc = tar->finish(tar, err);
  if (tar)
    tar->destroy(tar);
  if (close(fd) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot write %s", out);
  return rc;
}

static krait_code copy_fd_into(struct archive *a, int fd, const char *what, krait_err *err) {
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    if (archive_write_data(a, buf, (size_t)n) != n)
      return krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", what, archive_error_string(a));
  return n < 0 ? krait_err_errno(err, KRAIT_E_IO, "cannot read %s", what) : KRAIT_OK;
}

/* The outer zip: stored members, as CEP-26 asks (the inner tars are compressed). */
static krait_code write_zip(const char *out, const char *const *names, const char *const *files, size_t n,
                            krait_err *err) {
  struct archive *a = archive_write_new();
  struct archive_entry *e = archive_entry_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, "zip:compression=store");
  krait_code rc = KRAIT_OK;
  if (archive_write_open_filename(a, out) != ARCHIVE_OK)
    rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
  for (size_t i = 0; rc == KRAIT_OK && i < n; i++) {
    struct stat st;
    if (stat(files[i], &st) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot stat %s", files[i]);
      break;
    }
    archive_entry_clear(e);
    archive_entry_set_pathname(e, names[i]);
    archive_entry_set_mode(e, S_IFREG | 0644);
    archive_entry_set_mtime(e, st.st_mtime, 0);
    archive_entry_set_size(e, st.st_size);
    if (archive_write_header(a, e) != ARCHIVE_OK) {
      rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
      break;
    }
    int fd = open(files[i], O_RDONLY | O_CLOEXEC);
    rc = fd < 0 ? krait_err_errno(err, KRAIT_E_IO, "cannot read %s", files[i]) : copy_fd_into(a, fd, out, err);
    if (fd >= 0)
      close(fd);
  }
  if (archive_write_close(a) != ARCHIVE_OK && rc == KRAIT_OK)
    rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
  archive_write_free(a);
  archive_entry_free(e);
  return rc;
}

krait_code krait_package_create(const char *dir, const char *out_dir, char **out_path, krait_err *err) {
  *out_path = NULL;
  char *index_path = krait_path_join(dir, "info/index.json");
  krait_json *index = krait_json_parse_file(index_path, err);
  free(index_path);
  if (!index)
    return err ? err->code : KRAIT_E_PARSE;
  const char *name = krait_json_get_str(index, "name"), *version = krait_json_get_str(index, "version"),
             *build = krait_json_get_str(index, "build");
  if (!name || !version || !build) {
    krait_json_free(index);
    return krait_err_set(err, KRAIT_E_INVALID, "%s/info/index.json needs name, version and build", dir);
  }
  char *dist = krait_asprintf("%s-%s-%s", name, version, build);
  krait_json_free(index);
  paths_sink paths = {.base = PACK_SINK_OPS(ps), .md = EVP_MD_CTX_new()};
  if (!paths.md)
    krait_oom();
  char *pkg_tmp = krait_asprintf("%s/.pkg-%s.tar.zst.%ld", out_dir, dist, (long)getpid());
  char *info_tmp = krait_asprintf("%s/.info-%s.tar.zst.%ld", out_dir, dist, (long)getpid());
  char *meta_tmp = krait_asprintf("%s/.metadata-%s.json.%ld", out_dir, dist, (long)getpid());
  char *out = krait_asprintf("%s/%s.conda", out_dir, dist);
  char *out_tmp = krait_asprintf("%s.part-%ld", out, (long)getpid());
  /* the payload first: paths.json and files describe it and go into info/ */
  krait_code rc = write_tar_zst(dir, "", &paths, pkg_tmp, err);
  if (rc == KRAIT_OK)
    rc = write_paths(dir, &paths, err);
  ps_destroy(&paths.base);
  if (rc == KRAIT_OK)
    rc = write_tar_zst(dir, "info", NULL, info_tmp, err);
  static const char metadata[] = "{\"conda_pkg_format_version\": 2}";
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic_nosync(meta_tmp, metadata, sizeof metadata - 1, 0644, err);
  if (rc == KRAIT_OK) {
    char *pkg_name = krait_asprintf("pkg-%s.tar.zst", dist), *info_name = krait_asprintf("info-%s.tar.zst", dist);
    const char *names[] = {"metadata.json", pkg_name, info_name};
    const char *files[] = {meta_tmp, pkg_tmp, info_tmp};
    rc = write_zip(out_tmp, names, files, 3, err);
    free(pkg_name);
    free(info_name);
  }
  if (rc == KRAIT_OK && rename(out_tmp, out) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s to %s", out_tmp, out);
  unlink(pkg_tmp);
  unlink(info_tmp);
  unlink(meta_tmp);
  if (rc != KRAIT_OK)
    unlink(out_tmp);
  else
    *out_path = krait_strdup(out);
  free(pkg_tmp);
  free(info_tmp);
  free(meta_tmp);
  free(out_tmp);
  free(out);
  free(dist);
  return rc;
}
