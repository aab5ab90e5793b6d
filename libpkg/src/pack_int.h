/* Internal to pack*.c: the writer a pack streams the environment into. The
 * walker (pack.c) calls it once per entry, parents before children, in
 * name order; a writer per format (pack_tar.c, pack_sqfs.c). */
#ifndef KRAIT_PACK_INT_H
#define KRAIT_PACK_INT_H

#include <sys/stat.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/pack.h"

typedef struct pack_sink pack_sink;
struct pack_sink {
  krait_code (*dir)(pack_sink *s, const char *rel, const struct stat *st, krait_err *err);
  krait_code (*symlink)(pack_sink *s, const char *rel, const char *target, const struct stat *st, krait_err *err);
  /* rel is another name of the regular file first written as `first` */
  krait_code (*hardlink)(pack_sink *s, const char *rel, const char *first, const struct stat *st, krait_err *err);
  /* content: the rewritten bytes, or NULL to stream st->st_size bytes from fd */
  krait_code (*file)(pack_sink *s, const char *rel, const struct stat *st, int fd, const krait_buf *content,
                     krait_err *err);
  /* completes the output file (still at its temporary name) */
  krait_code (*finish)(pack_sink *s, krait_err *err);
  void (*destroy)(pack_sink *s);
};

/* Writers of the output (a temporary file the caller renames); path names
 * it in messages. The caller keeps and closes fd. */
pack_sink *krait_pack_tar_sink(int fd, const char *path, krait_pack_format fmt, krait_err *err);
pack_sink *krait_pack_sqfs_sink(const char *tmp_path, const char *path, krait_err *err);

#endif
