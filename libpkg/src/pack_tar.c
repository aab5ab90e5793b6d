/* The tar.zst / tar.gz writer of `krait pack` (libarchive, pax format so
 * long paths and exact mtimes survive). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pack_int.h"

typedef struct tar_sink {
  pack_sink base;
  struct archive *a;
  struct archive_entry *e;
  char *path;
} tar_sink;

static krait_code ar_fail(tar_sink *t, const char *what, krait_err *err) {
  return krait_err_set(err, KRAIT_E_IO, "cannot write %s to %s: %s", what, t->path, archive_error_string(t->a));
}

static void fill(tar_sink *t, const char *rel, const struct stat *st) {
  archive_entry_clear(t->e);
  archive_entry_set_pathname(t->e, rel);
  archive_entry_set_mode(t->e, st->st_mode);
  archive_entry_set_mtime(t->e, st->st_mtime, 0);
  /* owners do not travel: whoever unpacks owns the files */
  archive_entry_set_uid(t->e, 0);
  archive_entry_set_gid(t->e, 0);
}

static krait_code tar_dir(pack_sink *s, const char *rel, const struct stat *st, krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  fill(t, rel, st);
  archive_entry_set_size(t->e, 0);
  return archive_write_header(t->a, t->e) == ARCHIVE_OK ? KRAIT_OK : ar_fail(t, rel, err);
}

static krait_code tar_symlink(pack_sink *s, const char *rel, const char *target, const struct stat *st,
                              krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  fill(t, rel, st);
  archive_entry_set_size(t->e, 0);
  archive_entry_set_symlink(t->e, target);
  return archive_write_header(t->a, t->e) == ARCHIVE_OK ? KRAIT_OK : ar_fail(t, rel, err);
}

static krait_code tar_hardlink(pack_sink *s, const char *rel, const char *first, const struct stat *st,
                               krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  fill(t, rel, st);
  archive_entry_set_size(t->e, 0);
  archive_entry_set_hardlink(t->e, first);
  return archive_write_header(t->a, t->e) == ARCHIVE_OK ? KRAIT_OK : ar_fail(t, rel, err);
}

static krait_code tar_file(pack_sink *s, const char *rel, const struct stat *st, int fd, const krait_buf *content,
                           krait_err *err) {
  tar_sink *t = (tar_sink *)s;
  fill(t, rel, st);
  size_t size = content ? content->len : (size_t)st->st_size;
  archive_entry_set_size(t->e, (la_int64_t)size);
  if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
    return ar_fail(t, rel, err);
  if (content) {
    if (content->len && archive_write_data(t->a, content->data, content->len) != (la_ssize_t)content->len)
      return ar_fail(t, rel, err);
    return KRAIT_OK;
  }
  char buf[1 << 16];
  size_t left = size;
  while (left) {
    ssize_t n = read(fd, buf, left < sizeof buf ? left : sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return krait_err_set(err, KRAIT_E_IO, "cannot read %s while packing: %s", rel,
                           n < 0 ? strerror(errno) : "file shrank");
    if (archive_write_data(t->a, buf, (size_t)n) != n)
      return ar_fail(t, rel, err);
    left -= (size_t)n;
  }
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

pack_sink *krait_pack_tar_sink(int fd, const char *path, krait_pack_format fmt, krait_err *err) {
  tar_sink *t = krait_calloc(1, sizeof *t);
  t->path = krait_strdup(path);
  t->a = archive_write_new();
  t->e = archive_entry_new();
  if (!t->a || !t->e)
    krait_oom();
  archive_write_set_format_pax_restricted(t->a);
  int r = fmt == KRAIT_PACK_TAR_GZ ? archive_write_add_filter_gzip(t->a) : archive_write_add_filter_zstd(t->a);
  if (r == ARCHIVE_OK && fmt == KRAIT_PACK_TAR_ZST)
    r = archive_write_set_filter_option(t->a, "zstd", "compression-level", "3");
  if (r != ARCHIVE_OK || archive_write_open_fd(t->a, fd) != ARCHIVE_OK) {
    krait_err_set(err, KRAIT_E_IO, "cannot write %s: %s", path, archive_error_string(t->a));
    tar_destroy(&t->base);
    return NULL;
  }
  t->base.dir = tar_dir;
  t->base.symlink = tar_symlink;
  t->base.hardlink = tar_hardlink;
  t->base.file = tar_file;
  t->base.finish = tar_finish;
  t->base.destroy = tar_destroy;
  return &t->base;
}
