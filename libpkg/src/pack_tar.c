/* The tar.zst / tar.gz writer of `krait pack` (libarchive, pax format so
 * long paths and exact mtimes survive). */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack_int.h"

typedef struct tar_sink {
  pack_sink base;
  struct archive *a;
  struct archive_entry *e;
  char *path;
  bool dirs; /* directories get entries */
} tar_sink;

static krait_code ar_fail(tar_sink *t, const char *what, krait_err *err) {
  return krait_err_set(err, KRAIT_E_IO, "cannot write %s to %s: %s", what, t->path, archive_error_string(t->a));
}

/* Writes the header of rel: a directory, symlink (to symlink), hard link
 * (to hardlink) or a regular file of size bytes, whose data follows. */
static krait_code header(tar_sink *t, const char *rel, const struct stat *st, size_t size, const char *symlink,
                         const char *hardlink, krait_err *err) {
  archive_entry_clear(t->e);
  archive_entry_set_pathname(t->e, rel);
  archive_entry_set_mode(t->e, st->st_mode);
  archive_entry_set_mtime(t->e, st->st_mtime, 0);
  /* owners do not travel: whoever unpacks owns the files */
  archive_entry_set_uid(t->e, 0);
  archive_entry_set_gid(t->e, 0);
  archive_entry_set_size(t->e, (la_int64_t)size);
  if (symlink)
    archive_entry_set_symlink(t->e, symlink);
  if (hardlink)
    archive_entry_set_hardlink(t->e, hardlink);
  return archive_write_header(t->a, t->e) == ARCHIVE_OK ? KRAIT_OK : ar_fail(t, rel, err);
}

static krait_code tar_dir(pack_sink *s, const char *rel, const struct stat *st, krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  return t->dirs ? header(t, rel, st, 0, NULL, NULL, err) : KRAIT_OK;
}

static krait_code tar_symlink(pack_sink *s, const char *rel, const char *target, const struct stat *st,
                              krait_err *err) {
  return header((tar_sink *)s, rel, st, 0, target, NULL, err);
}

static krait_code tar_hardlink(pack_sink *s, const char *rel, const char *first, const struct stat *st,
                               krait_err *err) {
  return header((tar_sink *)s, rel, st, 0, NULL, first, err);
}

static krait_code tar_file_begin(pack_sink *s, const char *rel, const struct stat *st, size_t size,
                                 krait_err *err) {
  return header((tar_sink *)s, rel, st, size, NULL, NULL, err);
}

static krait_code tar_file_data(pack_sink *s, const void *data, size_t len, krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  return archive_write_data(t->a, data, len) == (la_ssize_t)len ? KRAIT_OK
                                                                 : ar_fail(t, archive_entry_pathname(t->e), err);
}

static krait_code tar_file_end(pack_sink *s, krait_err *err) {
  (void)s;
  (void)err;
  return KRAIT_OK;
}

static krait_code tar_finish(pack_sink *s, krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  if (archive_write_close(t->a) != ARCHIVE_OK)
    return ar_fail(t, "the end of the archive", err);
  return KRAIT_OK;
}

static void tar_destroy(pack_sink *s) {
  tar_sink *t = (tar_sink *)s;
  archive_write_free(t->a);
  archive_entry_free(t->e);
  free(t->path);
  free(t);
}

pack_sink *krait_pack_tar_sink(int fd, const char *path, krait_pack_format fmt, int zstd_level, bool dirs,
                               krait_err *err) {
  tar_sink *t = krait_calloc(1, sizeof *t);
  t->path = krait_strdup(path);
  t->dirs = dirs;
  t->a = archive_write_new();
  t->e = archive_entry_new();
  if (!t->a || !t->e)
    krait_oom();
  archive_write_set_format_pax_restricted(t->a);
  int r = fmt == KRAIT_PACK_TAR_GZ ? archive_write_add_filter_gzip(t->a) : archive_write_add_filter_zstd(t->a);
  if (r == ARCHIVE_OK && fmt == KRAIT_PACK_TAR_ZST) {
    char level[16];
    snprintf(level, sizeof level, "%d", zstd_level);
    r = archive_write_set_filter_option(t->a, "zstd", "compression-level", level);
  }
  if (r != ARCHIVE_OK || archive_write_open_fd(t->a, fd) != ARCHIVE_OK) {
    krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", path, archive_error_string(t->a));
    tar_destroy(&t->base);
    return NULL;
  }
  t->base = PACK_SINK_OPS(tar);
  return &t->base;
}
