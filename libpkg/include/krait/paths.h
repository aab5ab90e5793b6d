/* The file list of an extracted package (info/paths.json, or the legacy
 * info/files + info/has_prefix + info/no_link) and the same entry type used
 * for what a package installed into a prefix (conda-meta paths_data, CEP-32).
 *
 * Ownership: a krait_paths owns its entries and every string in them;
 * krait_paths_free() releases them (not the struct itself). */
#ifndef KRAIT_PATHS_H
#define KRAIT_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krait/err.h"
#include "krait/json.h"

/* The default placeholder of info/has_prefix lines that name only a path. */
#define KRAIT_DEFAULT_PLACEHOLDER "/opt/anaconda1anaconda2anaconda3"

typedef enum krait_path_type {
  KRAIT_PATH_HARDLINK = 0,
  KRAIT_PATH_SOFTLINK,
  KRAIT_PATH_DIRECTORY,
  /* generated at link time (CEP-32 only, never in a package) */
  KRAIT_PATH_PYC_FILE,
  KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT,
  /* written by conda on Windows; read (and removed on unlink) like any file */
  KRAIT_PATH_WINDOWS_PYTHON_ENTRY_POINT_SCRIPT,
  KRAIT_PATH_WINDOWS_PYTHON_ENTRY_POINT_EXE,
  KRAIT_PATH_LINKED_PACKAGE_RECORD,
} krait_path_type;

typedef enum krait_file_mode {
  KRAIT_FILE_MODE_TEXT = 0,
  KRAIT_FILE_MODE_BINARY,
} krait_file_mode;

typedef struct krait_path_entry {
  char *path;               /* relative, '/'-separated */
  krait_path_type type;
  char *sha256;             /* of the package file; NULL when unknown (legacy) or generated */
  char *sha256_in_prefix;   /* of the installed file; NULL in a package's own list */
  int64_t size;             /* size_in_bytes, -1 unknown */
  char *prefix_placeholder; /* NULL when the file has none */
  krait_file_mode file_mode;
  bool no_link;
} krait_path_entry;

typedef struct krait_paths {
  krait_path_entry *items;
  size_t len;
  size_t cap;
} krait_paths;

#define KRAIT_PATHS_INIT {NULL, 0, 0}

/* Reads the file list of an extracted package directory: info/paths.json
 * (paths_version 1) when present, else info/files with info/has_prefix and
 * info/no_link. Legacy entries get their type (and size) from the files on
 * disk. Errors name the file and entry at fault. */
KRAIT_API krait_code krait_paths_read(const char *pkg_dir, krait_paths *out, krait_err *err);
/* Parses a paths.json-shaped object ({"paths": [...]}); origin names it in errors. */
KRAIT_API krait_code krait_paths_from_json(const krait_json *obj, const char *origin, krait_paths *out,
                                           krait_err *err);
/* Appends a new zeroed entry (size -1) owning a copy of path and returns it. */
KRAIT_API krait_path_entry *krait_paths_add(krait_paths *p, const char *path, krait_path_type type);
KRAIT_API void krait_paths_free(krait_paths *p);
KRAIT_API const char *krait_path_type_name(krait_path_type t);
/* Parses a path_type string; false when unknown. */
KRAIT_API bool krait_path_type_parse(const char *s, krait_path_type *out);

#endif
