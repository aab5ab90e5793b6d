/* Filesystem helpers shared by every module. Paths are plain C strings;
 * returned strings are heap-allocated and owned by the caller (free()). */
#ifndef KRAIT_FS_H
#define KRAIT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "krait/buf.h"
#include "krait/err.h"

/* Reads a whole file into b (replacing its contents). */
KRAIT_API krait_code krait_read_file(const char *path, krait_buf *b, krait_err *err);
/* Writes data to path via a temp file in the same directory + fsync + rename,
 * so readers see either the old or the new contents, never a torn file. */
KRAIT_API krait_code krait_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                                             krait_err *err);
/* The same without the fsync (readers still never see a torn file): for
 * writes inside a journaled transaction, see krait_meta_write in meta.c. */
KRAIT_API krait_code krait_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                                    krait_err *err);
/* mkdir -p; existing directories are fine. */
KRAIT_API krait_code krait_mkdir_p(const char *path, mode_t mode, krait_err *err);
/* rm -rf; a missing path is fine. Never follows symlinks. */
KRAIT_API krait_code krait_rm_rf(const char *path, krait_err *err);
KRAIT_API char *krait_path_join(const char *a, const char *b);
/* Parent directory of path ("" -> "."). */
KRAIT_API char *krait_path_dirname(const char *path);
KRAIT_API const char *krait_path_basename(const char *path);
KRAIT_API bool krait_path_exists(const char *path);   /* lstat succeeds */
KRAIT_API bool krait_is_dir(const char *path);        /* stat, follows links */
/* Expands a leading "~" and makes the path absolute (no symlink resolution). */
KRAIT_API char *krait_path_absolute(const char *path);
/* Copies everything from `in` (at its offset) to `out`: a reflink where the
 * filesystem shares blocks (btrfs, XFS), else copy_file_range (the kernel or an
 * NFS server copies), else read/write. src/dst only name the files in errors. */
KRAIT_API krait_code krait_copy_fd(int in, int out, const char *src, const char *dst, krait_err *err);
/* Lower-case hex digest of a file; algo is "sha256" or "md5". */
KRAIT_API krait_code krait_file_digest(const char *path, const char *algo, char *hex_out, size_t hex_cap,
                                       krait_err *err);
KRAIT_API void krait_digest_hex(const char *algo, const void *data, size_t len, char *hex_out, size_t hex_cap);

#endif
