/* Internal to pack*.c and package_create.c: one walk of a directory tree
 * (pack_walk.c) streaming every entry into a writer (a "sink": tar in
 * pack_tar.c, squashfs in pack_sqfs.c). */
#ifndef KRAIT_PACK_INT_H
#define KRAIT_PACK_INT_H

#include <stdbool.h>
#include <sys/stat.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/pack.h"

/* Receives entries parents before children, each directory's in name order. */
typedef struct pack_sink pack_sink;
struct pack_sink {
  krait_code (*dir)(pack_sink *s, const char *rel, const struct stat *st, krait_err *err);
  krait_code (*symlink)(pack_sink *s, const char *rel, const char *target, const struct stat *st, krait_err *err);
  /* rel is another name of the regular file first written as `first` */
  krait_code (*hardlink)(pack_sink *s, const char *rel, const char *first, const struct stat *st, krait_err *err);
  /* a regular file of size bytes: file_begin, its bytes in pieces through
   * file_data (size in all), file_end */
  krait_code (*file_begin)(pack_sink *s, const char *rel, const struct stat *st, size_t size, krait_err *err);
  krait_code (*file_data)(pack_sink *s, const void *data, size_t len, krait_err *err);
  krait_code (*file_end)(pack_sink *s, krait_err *err);
  /* completes the output file (still at its temporary name) */
  krait_code (*finish)(pack_sink *s, krait_err *err);
  void (*destroy)(pack_sink *s);
};

/* The sink whose operations are the functions P_dir, P_symlink, P_hardlink,
 * P_file_begin, P_file_data, P_file_end, P_finish and P_destroy. */
#define PACK_SINK_OPS(P)                                                                                       \
  ((pack_sink){.dir = P##_dir,                                                                                 \
               .symlink = P##_symlink,                                                                         \
               .hardlink = P##_hardlink,                                                                       \
               .file_begin = P##_file_begin,                                                                   \
               .file_data = P##_file_data,                                                                     \
               .file_end = P##_file_end,                                                                       \
               .finish = P##_finish,                                                                           \
               .destroy = P##_destroy})

/* Writes a whole file of given bytes (the pack marker, rewritten files). */
krait_code krait_pack_sink_put(pack_sink *s, const char *rel, const struct stat *st, const void *data, size_t len,
                               krait_err *err);

/* Writers of the output; path names it in messages. The tar writer writes
 * to fd (the caller keeps and closes it); zstd_level is for tar.zst; dirs:
 * whether directories get entries of their own (conda packages have none). */
pack_sink *krait_pack_tar_sink(int fd, const char *path, krait_pack_format fmt, int zstd_level, bool dirs,
                               krait_err *err);
#ifdef KRAIT_WITH_SQUASHFS
pack_sink *krait_pack_sqfs_sink(const char *tmp_path, const char *path, krait_err *err);
#endif

typedef struct pack_walk pack_walk;
struct pack_walk {
  const char *root;  /* the tree; entry names are relative to it */
  const char *start; /* "" for the whole tree, else a subdirectory to walk (its own entry is not sent) */
  /* true: leave rel (and all below it) out; NULL = keep everything */
  bool (*skip)(pack_walk *w, const char *abs, const char *rel, const char *name);
  void *skip_ctx;
  bool hardlinks;           /* later names of a file with several go out as hard links */
  const krait_reloc *reloc; /* files it lists are rewritten from root to reloc_to; NULL = none */
  const char *reloc_to;
  pack_sink *sink;
  krait_pack_stats *stats; /* counted into; must be set */
};

/* Walks w->root (from w->start) once into w->sink. Regular files are read
 * in 64 KiB pieces, a file to rewrite whole; memory stays bounded by that
 * file plus one name per multiply-linked inode. Sockets, fifos and devices
 * are left out. */
krait_code krait_pack_walk(pack_walk *w, krait_err *err);

#endif
