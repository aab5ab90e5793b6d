/* A set of strings for de-duplicating long lists in linear time (a .condarc
 * with 100,000 channels took more than a minute with pairwise comparisons).
 * The set does not own its strings: they must outlive it. */
#ifndef KRAIT_STRSET_H
#define KRAIT_STRSET_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/err.h"

typedef struct krait_strset {
  const char **slots; /* open addressing, linear probing; NULL = empty */
  size_t cap, len;
} krait_strset;

#define KRAIT_STRSET_INIT {NULL, 0, 0}

/* True when s was not in the set (and now is). */
KRAIT_API bool krait_strset_add(krait_strset *set, const char *s);
KRAIT_API bool krait_strset_has(const krait_strset *set, const char *s);
KRAIT_API void krait_strset_free(krait_strset *set);

#endif
