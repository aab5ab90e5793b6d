/* `krait unpack FILE DIR`: extracts a tar pack into a sibling temporary
 * directory, rewrites the prefix the pack's files hold (its marker) for DIR,
 * and only then renames the result to DIR, so a failure changes nothing. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/fs.h"
#include "krait/pack.h"

static bool dir_is_empty(const char *path) {
  DIR *d = opendir(path);
  if (!d)
    return false;
  struct dirent *de;
  bool empty = true;
  while (empty && (de = readdir(d)))
    empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
  closedir(d);
  return empty;
}

/* Entries are extracted below `into`; names that climb out are refused. */
static krait_code extract_tar(const char *archive, const char *into, krait_err *err) {
  struct archive *a = archive_read_new();
  struct archive *disk = archive_write_disk_new();
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_none(a);
  archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                           ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  krait_code rc = KRAIT_OK;
  if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK) {
    rc = krait_err_set(err, KRAIT_E_IO, "cannot read %s: %s", archive, archive_error_string(a));
    goto out;
  }
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(e);
    if (!name || name[0] == '/') {
      rc = krait_err_set(err, KRAIT_E_UNSAFE, "%s: entry \"%s\" is not a relative path", archive, name ? name : "");
      goto out;
    }
    char *full = krait_path_join(into, name);
    archive_entry_set_pathname(e, full);
    free(full);
    const char *hl = archive_entry_hardlink(e);
    if (hl) {
      char *full_hl = krait_path_join(into, hl);
      archive_entry_set_hardlink(e, full_hl);
      free(full_hl);
    }
    if (archive_write_header(disk, e) != ARCHIVE_OK) {
      rc = krait_err_set(err, KRAIT_E_IO, "%s: cannot extract %s: %s", archive, name, archive_error_string(disk));
      goto out;
    }
    if (archive_entry_size(e) > 0 && !hl) {
      const void *buf;
      size_t size;
      la_int64_t off;
      int rr;
      while ((rr = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(disk, buf, size, off) != ARCHIVE_OK) {
          rc = krait_err_set(err, KRAIT_E_IO, "%s: cannot write %s: %s", archive, name, archive_error_string(disk));
          goto out;
        }
      if (rr != ARCHIVE_EOF) {
        rc = krait_err_set(err, KRAIT_E_IO, "%s: cannot read %s: %s", archive, name, archive_error_string(a));
        goto out;
      }
    }
    if (archive_write_finish_entry(disk) != ARCHIVE_OK) {
      rc = krait_err_set(err, KRAIT_E_IO, "%s: cannot finish %s: %s", archive, name, archive_error_string(disk));
      goto out;
    }
  }
  if (r != ARCHIVE_EOF)
    rc = krait_err_set(err, KRAIT_E_IO, "%s: %s", archive, archive_error_string(a));
out:
  if (archive_write_close(disk) != ARCHIVE_OK && rc == KRAIT_OK)
    rc = krait_err_set(err, KRAIT_E_IO, "%s: %s", archive, archive_error_string(disk));
  archive_write_free(disk);
  archive_read_free(a);
  return rc;
}

/* Rewrites every file conda-meta lists with a prefix from `from` to `to`. */
static krait_code relocate(const char *tree, const char *from, const char *to, krait_err *err) {
  krait_reloc r;
  krait_code rc = krait_reloc_load(tree, &r, err);
  if (rc != KRAIT_OK)
    return rc;
  rc = krait_reloc_check(&r, to, err);
  for (size_t i = 0; rc == KRAIT_OK && i < r.len && strcmp(from, to) != 0; i++) {
    char *path = krait_path_join(tree, r.items[i].path);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      krait_buf data = KRAIT_BUF_INIT;
      rc = krait_read_file(path, &data, err);
      if (rc == KRAIT_OK)
        rc = krait_reloc_apply(&r.items[i], from, to, &data, err);
      if (rc == KRAIT_OK)
        rc = krait_write_file_atomic_nosync(path, data.data ? data.data : "", data.len, st.st_mode & 07777, err);
      krait_buf_free(&data);
    }
    free(path);
  }
  krait_reloc_free(&r);
  return rc;
}

krait_code krait_unpack(const char *archive, const char *dir, krait_err *err) {
  char *abs = krait_path_absolute(dir);
  size_t n = strlen(abs);
  while (n > 1 && abs[n - 1] == '/')
    abs[--n] = '\0';
  char *tmp = NULL;
  krait_buf marker = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  bool existed = krait_path_exists(abs);
  if (existed && !(krait_is_dir(abs) && dir_is_empty(abs))) {
    rc = krait_err_set(err, KRAIT_E_INVALID, "%s exists and is not an empty directory", abs);
    goto out;
  }
  if (!krait_path_exists(archive)) {
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "pack %s does not exist", archive);
    goto out;
  }
  char *parent = krait_path_dirname(abs);
  rc = krait_mkdir_p(parent, 0755, err);
  free(parent);
  if (rc != KRAIT_OK)
    goto out;
  tmp = krait_asprintf("%s.krait-unpack-%ld", abs, (long)getpid());
  if (mkdir(tmp, 0755) != 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot create %s", tmp);
    free(tmp);
    tmp = NULL;
    goto out;
  }
  if ((rc = extract_tar(archive, tmp, err)) != KRAIT_OK)
    goto out;
  char *marker_path = krait_path_join(tmp, KRAIT_PACK_MARKER);
  rc = krait_read_file(marker_path, &marker, err);
  if (rc != KRAIT_OK)
    krait_err_set(err, KRAIT_E_INVALID, "%s is not a krait pack (no %s in it)", archive, KRAIT_PACK_MARKER);
  const char *from = krait_buf_str(&marker);
  while (marker.len && (marker.data[marker.len - 1] == '\n'))
    marker.data[--marker.len] = '\0';
  if (rc == KRAIT_OK)
    rc = relocate(tmp, from, abs, err);
  if (rc == KRAIT_OK && unlink(marker_path) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot remove %s", marker_path);
  free(marker_path);
  if (rc != KRAIT_OK)
    goto out;
  if (existed && rmdir(abs) != 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot replace the empty directory %s", abs);
    goto out;
  }
  if (rename(tmp, abs) != 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s to %s", tmp, abs);
    if (existed)
      mkdir(abs, 0755);
  }
out:
  if (tmp && rc != KRAIT_OK) {
    krait_err ignored;
    krait_rm_rf(tmp, &ignored);
  }
  free(tmp);
  free(abs);
  krait_buf_free(&marker);
  return rc;
}
