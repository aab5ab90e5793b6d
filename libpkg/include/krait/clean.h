/* Cleaning the package caches (`krait clean`): the repodata index cache,
 * downloaded archives, extracted packages no environment uses, and stale
 * lock files.
 *
 * An extracted package is "in use", and kept, when EITHER a known
 * environment (krait/envreg.h: root prefix, envs dirs, environments.txt)
 * has a conda-meta record for it (by extracted_package_dir, or by
 * name-version-build), OR one of its files has a hard-link count above 1
 * (linked into an environment krait does not know of). Only packages that
 * pass both checks are removed, so an environment listed in
 * environments.txt never loses the package it links to.
 *
 * Only pkgs dirs the user can write are cleaned. A lock file is removed only
 * when nobody holds its lock.
 *
 * Ownership: krait_clean_plan_make() fills a plan freed with
 * krait_clean_plan_free(). */
#ifndef KRAIT_CLEAN_H
#define KRAIT_CLEAN_H

#include <stdint.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"

typedef enum krait_clean_kind {
  KRAIT_CLEAN_INDEX_CACHE = 1 << 0,
  KRAIT_CLEAN_TARBALLS = 1 << 1,
  KRAIT_CLEAN_PACKAGES = 1 << 2,
  KRAIT_CLEAN_LOCKS = 1 << 3,
} krait_clean_kind;

typedef struct krait_clean_item {
  char *path;
  krait_clean_kind kind;
  int64_t bytes; /* what removing it frees (apparent size of its files) */
} krait_clean_item;

typedef struct krait_clean_plan {
  krait_clean_item *items;
  size_t len;
  int64_t total_bytes;
  krait_strv kept_packages; /* extracted packages kept because they are in use */
} krait_clean_plan;

KRAIT_API const char *krait_clean_kind_name(krait_clean_kind k); /* "index_cache", "tarballs", ... */

/* What cleaning `what` (a set of krait_clean_kind) would remove from the
 * writable pkgs dirs of ctx. env_prefixes: the environments to protect
 * (NULL = every known one, krait_env_list with the default registry). */
KRAIT_API krait_code krait_clean_plan_make(const krait_ctx *ctx, unsigned what, const krait_strv *env_prefixes,
                                           krait_clean_plan *out, krait_err *err);
/* Removes what the plan lists; stops at the first failure. */
KRAIT_API krait_code krait_clean_execute(const krait_clean_plan *plan, krait_err *err);
KRAIT_API void krait_clean_plan_free(krait_clean_plan *plan);

#endif
