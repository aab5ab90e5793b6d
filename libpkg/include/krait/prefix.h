/* An environment prefix as recorded on disk: conda-meta/<dist>.json records
 * (CEP-32) and conda-meta/history.
 *
 * Ownership: krait_prefix_load() fills a krait_prefix_state released with
 * krait_prefix_state_free(). */
#ifndef KRAIT_PREFIX_H
#define KRAIT_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/err.h"
#include "krait/record.h"

typedef struct krait_prefix_record {
  krait_record rec;
  char *requested_spec;     /* or NULL */
  krait_strv files;         /* relative paths owned by the package */
  char *meta_path;          /* the conda-meta json file it came from */
} krait_prefix_record;

typedef struct krait_prefix_state {
  char *prefix;
  krait_prefix_record *records;
  size_t len;
  krait_strv requested_specs; /* from conda-meta/history, latest per name, in order */
  bool exists;                 /* conda-meta/ is there */
} krait_prefix_state;

/* Reads every conda-meta/<dist>.json; a corrupt file is an error naming it. A
 * prefix without conda-meta/ loads as empty with exists=false. */
KRAIT_API krait_code krait_prefix_load(const char *prefix, krait_prefix_state *out, krait_err *err);
KRAIT_API void krait_prefix_state_free(krait_prefix_state *st);
KRAIT_API const krait_prefix_record *krait_prefix_find(const krait_prefix_state *st, const char *name);

#endif
