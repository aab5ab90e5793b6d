/* Paths read from inside a prefix are not trusted: conda-meta records,
 * paths_data/files lists and the transaction journal may have been written by
 * anyone who can write into a group-shared environment. Before krait deletes,
 * truncates, moves or creates anything a path names, the path must be a
 * normalized relative path (no "", "." or ".." component, not absolute) and
 * every directory above it that exists must resolve (symlinks followed)
 * inside the prefix. The last component itself is never followed (krait
 * removes a symlink, not its target).
 *
 * Ownership: no allocation is handed to the caller. */
#ifndef KRAIT_PREFIX_PATH_H
#define KRAIT_PREFIX_PATH_H

#include <stdbool.h>

#include "krait/err.h"

/* True for "a/b/c"; false for "", "/a", "a//b", "./a", "a/../b", "a/". */
KRAIT_API bool krait_relpath_normal(const char *rel);

/* KRAIT_OK when rel is normal and its existing ancestors resolve inside
 * prefix; else KRAIT_E_UNSAFE "<origin>: <why> \"<rel>\"". real_prefix is
 * realpath(prefix), or NULL to compute it here. */
KRAIT_API krait_code krait_prefix_path_check(const char *prefix, const char *real_prefix, const char *rel,
                                             const char *origin, krait_err *err);

#endif
