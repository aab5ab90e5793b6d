/* The settings of a set of .condarc files, merged as krait/config.h merges
 * them, with the file every value came from (`krait config list --sources`).
 *
 * Values are kept as JSON text of the type the key has (krait/rckeys.h);
 * unknown keys keep what their YAML looks like (lists, mappings, strings).
 *
 * Ownership: krait_rc_view_load() fills a view freed with krait_rc_view_free(). */
#ifndef KRAIT_CONDARC_VIEW_H
#define KRAIT_CONDARC_VIEW_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/rckeys.h"

typedef struct krait_rc_setting {
  char *key;
  bool is_list;
  krait_strv items;        /* list: merged items, the later file's first (conda) */
  krait_strv item_sources; /* list: the file of each item */
  char *json;              /* not a list: the value as JSON text (last file wins) */
  char *source;            /* not a list: its file */
  bool final;              /* a file marked it "#!final": later files and variables do not change it */
} krait_rc_setting;

typedef struct krait_rc_file {
  char *path;
  char *json; /* the whole file as one JSON object */
} krait_rc_file;

typedef struct krait_rc_view {
  krait_rc_setting *settings; /* in first-seen order */
  size_t len;
  krait_rc_file *files;       /* every file read, in order */
  size_t n_files;
} krait_rc_view;

/* Reads the files (missing ones skipped) in precedence order, lowest first. */
KRAIT_API krait_code krait_rc_view_load(const char *const *paths, size_t n, krait_rc_view *out, krait_err *err);
/* Applies the CONDA_* variables krait reads (krait_config_apply_env) on
 * top, as krait does: a set variable replaces the value; its source is
 * "$CONDA_X". They also appear as one more file named "envvars" (conda's
 * `--show-sources` name). Keys a file marked "#!final" keep their value. */
KRAIT_API void krait_rc_view_apply_env(krait_rc_view *v);
KRAIT_API const krait_rc_setting *krait_rc_view_find(const krait_rc_view *v, const char *key);
KRAIT_API void krait_rc_view_free(krait_rc_view *v);

#endif
