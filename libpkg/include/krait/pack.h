/* One-file environments: `krait pack` writes an environment as a tar.zst /
 * tar.gz (libarchive) with prefix placeholders rewritten for the place it
 * will live at; `krait unpack` puts a tar pack anywhere and relocates it.
 *
 * Relocation works from what conda-meta says about every file: the paths
 * with a prefix placeholder (text or binary mode) and the python entry
 * points krait generated hold the environment's own prefix, and only those
 * are rewritten. Binary files can only take a prefix no longer than the
 * package's placeholder (as at install time); that is checked before any
 * output is created.
 *
 * Ownership: inputs are borrowed; a krait_reloc is released with
 * krait_reloc_free(). */
#ifndef KRAIT_PACK_H
#define KRAIT_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/paths.h"

/* Name of the file inside a pack's conda-meta/ holding the prefix its files
 * were written for (read and removed by krait unpack; conda ignores it). */
#define KRAIT_PACK_MARKER "conda-meta/.krait-packed-prefix"

typedef struct krait_reloc_entry {
  char *path;              /* relative to the prefix */
  krait_file_mode mode;    /* text or binary replacement */
  size_t room;             /* binary: length of the package's placeholder; 0 = text */
  const char *package;     /* dist name of the owner (points into krait_reloc.owners) */
} krait_reloc_entry;

typedef struct krait_reloc {
  krait_reloc_entry *items; /* sorted by path */
  size_t len;
  krait_strv owners;        /* dist names the entries point into */
  krait_strv pip;           /* "name-version" of packages in site-packages no conda record owns */
  krait_strv pip_paths;     /* their dist-info/egg-info paths, relative to the prefix */
} krait_reloc;

/* Reads every conda-meta record of prefix into out, and finds the python
 * packages no record owns (pip installs). Errors name the record at fault. */
KRAIT_API krait_code krait_reloc_load(const char *prefix, krait_reloc *out, krait_err *err);
KRAIT_API void krait_reloc_free(krait_reloc *r);
/* The entry of relpath, or NULL when the file holds no prefix. */
KRAIT_API const krait_reloc_entry *krait_reloc_find(const krait_reloc *r, const char *relpath);
/* Fails, naming the first file and its package, when new_prefix is longer
 * than the placeholder of a binary-mode file. */
KRAIT_API krait_code krait_reloc_check(const krait_reloc *r, const char *new_prefix, krait_err *err);
/* Rewrites data (the file e->path as installed for old_prefix) for
 * new_prefix, in place. */
KRAIT_API krait_code krait_reloc_apply(const krait_reloc_entry *e, const char *old_prefix, const char *new_prefix,
                                       krait_buf *data, krait_err *err);

typedef enum krait_pack_format {
  KRAIT_PACK_TAR_ZST = 0,
  KRAIT_PACK_TAR_GZ,
  KRAIT_PACK_SQUASHFS,
} krait_pack_format;

/* "tar.zst", "tar.gz", "squashfs" (also "sqsh"); false when unknown. */
KRAIT_API bool krait_pack_format_parse(const char *s, krait_pack_format *out);

typedef struct krait_pack_opts {
  const char *prefix;        /* the environment (must hold conda-meta/) */
  const char *output;        /* the file to write; replaced atomically */
  krait_pack_format format;
  const char *dest_prefix;   /* where the pack will be used; NULL = the env's own prefix */
  const krait_strv *excludes; /* fnmatch globs against the relative path or the file name; NULL = none */
  bool ignore_pip;           /* pack pip-installed packages unchanged instead of refusing */
} krait_pack_opts;

typedef struct krait_pack_stats {
  size_t files, dirs, symlinks, hardlinks, rewritten, excluded;
  unsigned long long bytes; /* regular file content written */
} krait_pack_stats;

/* Writes the environment as one file. Nothing is left at opts->output (and
 * an existing file there is untouched) when it fails. */
KRAIT_API krait_code krait_pack(const krait_pack_opts *opts, krait_pack_stats *stats, krait_err *err);

/* Unpacks a tar pack (tar.zst / tar.gz) into dir (absent or empty) and
 * rewrites its prefixes for dir. All or nothing: on error dir is as before. */
KRAIT_API krait_code krait_unpack(const char *archive, const char *dir, krait_err *err);

/* Writes an Apptainer definition (def_path) that copies the pack at
 * pack_path into the image, lays it out at dest and activates it in
 * %environment. */
KRAIT_API krait_code krait_pack_apptainer_def(const char *def_path, const char *pack_path, krait_pack_format fmt,
                                              const char *dest, krait_err *err);

#endif
