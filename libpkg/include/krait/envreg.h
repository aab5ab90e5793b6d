/* The environments krait knows: the root prefix, every <envs_dir>/<name>
 * holding conda-meta/, and the prefixes listed in ~/.conda/environments.txt
 * (conda's registry, written by krait create as conda does).
 *
 * Ownership: krait_env_list() fills a krait_env_set released with
 * krait_env_set_free(); everything inside is owned by it. */
#ifndef KRAIT_ENVREG_H
#define KRAIT_ENVREG_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_env_entry {
  char *prefix; /* absolute, no trailing slash */
  char *name;   /* "base" for the root prefix, the directory name inside an envs dir, NULL for path-based envs */
} krait_env_entry;

typedef struct krait_env_set {
  krait_env_entry *items;
  size_t len;
  size_t dropped; /* registry lines removed because the environment no longer exists */
} krait_env_set;

/* Whether prefix is an environment: a directory holding conda-meta/ (conda's test). */
KRAIT_API bool krait_is_env(const char *prefix);

/* ~/.conda/environments.txt (HOME as the process sees it). Caller frees. */
KRAIT_API char *krait_envreg_default_path(void);

/* Lists the known environments: root prefix first, then the envs dirs' in
 * name order, then the registry's other lines in file order; duplicates
 * dropped. Registry lines whose prefix no longer has conda-meta/ are
 * dropped from the file (best effort: a read-only registry stays as it is).
 * registry NULL = krait_envreg_default_path(). */
KRAIT_API krait_code krait_env_list(const krait_ctx *ctx, const char *registry, krait_env_set *out, krait_err *err);
KRAIT_API void krait_env_set_free(krait_env_set *s);

/* The name `prefix` is known by (see krait_env_entry.name), or NULL. Caller frees. */
KRAIT_API char *krait_env_name_of(const krait_ctx *ctx, const char *prefix);

/* Removes prefix's line from the registry (absent is fine). */
KRAIT_API krait_code krait_env_unregister(const char *registry, const char *prefix, krait_err *err);

/* The first envs dir krait can create environments in (an existing
 * writable directory, or one whose nearest existing ancestor is writable);
 * NULL with err naming every candidate when none is. Caller frees. */
KRAIT_API char *krait_envs_dir_for_create(const krait_ctx *ctx, krait_err *err);

#endif
