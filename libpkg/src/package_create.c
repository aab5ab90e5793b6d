/* The .conda writer behind `krait package create` (see package_create.h). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/fs.h"
#include "krait/json.h"
#include "krait/package_create.h"

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Relative paths of the files and symlinks under dir/rel, sorted, recursively. */
static krait_code list_tree(const char *root, const char *rel, krait_strv *out, krait_err *err) {
  char *abs = *rel ? krait_path_join(root, rel) : krait_strdup(root);
  DIR *d = opendir(abs);
  if (!d) {
    krait_code rc = krait_err_errno(err, KRAIT_E_IO, "cannot read directory %s", abs);
    free(abs);
    return rc;
  }
  krait_strv names = {0};
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      krait_strv_push(&names, de->d_name);
  closedir(d);
  if (names.len)
    qsort(names.items, names.len, sizeof *names.items, name_cmp);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < names.len && rc == KRAIT_OK; i++) {
    char *r = *rel ? krait_asprintf("%s/%s", rel, names.items[i]) : krait_strdup(names.items[i]);
    char *p = krait_path_join(abs, names.items[i]);
    struct stat st;
    if (lstat(p, &st) != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot stat %s", p);
    else if (S_ISDIR(st.st_mode))
      rc = list_tree(root, r, out, err);
    else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
      krait_strv_push(out, r);
    free(p);
    free(r);
  }
  krait_strv_free(&names);
  free(abs);
  return rc;
}

static krait_code write_paths(const char *dir, const krait_strv *payload, krait_err *err) {
  krait_buf json = KRAIT_BUF_INIT, files = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &json, 2);
  krait_jw_obj_begin(&w);
  krait_jw_key(&w, "paths");
  krait_jw_arr_begin(&w);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < payload->len && rc == KRAIT_OK; i++) {
    char *p = krait_path_join(dir, payload->items[i]);
    struct stat st;
    lstat(p, &st);
    krait_jw_obj_begin(&w);
    krait_jw_kstr(&w, "_path", payload->items[i]);
    krait_jw_kstr(&w, "path_type", S_ISLNK(st.st_mode) ? "softlink" : "hardlink");
    if (S_ISREG(st.st_mode)) {
      char hex[65];
      rc = krait_file_digest(p, "sha256", hex, sizeof hex, err);
      krait_jw_kstr(&w, "sha256", hex);
      krait_jw_kint(&w, "size_in_bytes", (int64_t)st.st_size);
    }
    krait_jw_obj_end(&w);
    krait_buf_printf(&files, "%s\n", payload->items[i]);
    free(p);
  }
  krait_jw_arr_end(&w);
  krait_jw_kint(&w, "paths_version", 1);
  krait_jw_obj_end(&w);
  krait_buf_putc(&json, '\n');
  char *pj = krait_path_join(dir, "info/paths.json"), *fl = krait_path_join(dir, "info/files");
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic_nosync(pj, json.data, json.len, 0644, err);
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic_nosync(fl, files.data ? files.data : "", files.len, 0644, err);
  free(pj);
  free(fl);
  krait_buf_free(&json);
  krait_buf_free(&files);
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

/* A tar.zst of the given paths of dir (files and symlinks; modes kept, owners 0). */
static krait_code write_tar_zst(const char *dir, const krait_strv *paths, const char *out, krait_err *err) {
  struct archive *a = archive_write_new();
  struct archive_entry *e = archive_entry_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_zstd(a);
  archive_write_set_filter_option(a, "zstd", "compression-level", "19");
  krait_code rc = KRAIT_OK;
  if (archive_write_open_filename(a, out) != ARCHIVE_OK)
    rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
  for (size_t i = 0; rc == KRAIT_OK && i < paths->len; i++) {
    char *p = krait_path_join(dir, paths->items[i]);
    struct stat st;
    lstat(p, &st);
    archive_entry_clear(e);
    archive_entry_set_pathname(e, paths->items[i]);
    archive_entry_set_mode(e, st.st_mode);
    archive_entry_set_mtime(e, st.st_mtime, 0);
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(p, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      archive_entry_set_symlink(e, target);
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_size(e, st.st_size);
    }
    if (archive_write_header(a, e) != ARCHIVE_OK)
      rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
    if (rc == KRAIT_OK && S_ISREG(st.st_mode)) {
      int fd = open(p, O_RDONLY | O_CLOEXEC);
      rc = fd < 0 ? krait_err_errno(err, KRAIT_E_IO, "cannot read %s", p) : copy_fd_into(a, fd, out, err);
      if (fd >= 0)
        close(fd);
    }
    free(p);
  }
  if (archive_write_close(a) != ARCHIVE_OK && rc == KRAIT_OK)
    rc = krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", out, archive_error_string(a));
  archive_write_free(a);
  archive_entry_free(e);
  return rc;
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
  krait_strv all = {0}, payload = {0}, info = {0};
  char *pkg_tmp = krait_asprintf("%s/.pkg-%s.tar.zst.%ld", out_dir, dist, (long)getpid());
  char *info_tmp = krait_asprintf("%s/.info-%s.tar.zst.%ld", out_dir, dist, (long)getpid());
  char *meta_tmp = krait_asprintf("%s/.metadata-%s.json.%ld", out_dir, dist, (long)getpid());
  char *out = krait_asprintf("%s/%s.conda", out_dir, dist);
  char *out_tmp = krait_asprintf("%s.part-%ld", out, (long)getpid());
  krait_code rc = list_tree(dir, "", &all, err);
  for (size_t i = 0; rc == KRAIT_OK && i < all.len; i++)
    if (strncmp(all.items[i], "info/", 5) != 0)
      krait_strv_push(&payload, all.items[i]);
  if (rc == KRAIT_OK)
    rc = write_paths(dir, &payload, err);
  krait_strv_free(&all);
  if (rc == KRAIT_OK)
    rc = list_tree(dir, "info", &info, err);
  if (rc == KRAIT_OK)
    rc = write_tar_zst(dir, &payload, pkg_tmp, err);
  if (rc == KRAIT_OK)
    rc = write_tar_zst(dir, &info, info_tmp, err);
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
  krait_strv_free(&payload);
  krait_strv_free(&info);
  free(pkg_tmp);
  free(info_tmp);
  free(meta_tmp);
  free(out_tmp);
  free(out);
  free(dist);
  return rc;
}
