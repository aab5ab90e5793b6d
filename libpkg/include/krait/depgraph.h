/* Dependency queries over a set of records (an environment's, or a
 * channel's): what a package depends on and who needs it, one level or as
 * a tree (`krait repoquery depends|whoneeds`).
 *
 * A dependency is resolved to the newest record of the set that matches it
 * (in an environment there is one per name); a dependency nothing matches is
 * reported with its spec. In a tree each package is expanded once: a second
 * occurrence is listed with `seen` set, which also stops cycles.
 *
 * Ownership: results are freed with krait_dep_list_free(). */
#ifndef KRAIT_DEPGRAPH_H
#define KRAIT_DEPGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/err.h"
#include "krait/record.h"

typedef struct krait_dep_node {
  const krait_record *rec; /* borrowed from the input set; NULL when missing */
  char *missing_spec;      /* the dependency nothing matched, or NULL */
  int depth;               /* 0 = the queried package */
  bool seen;               /* already listed above; not expanded again */
} krait_dep_node;

typedef struct krait_dep_list {
  krait_dep_node *items; /* depth-first order */
  size_t len;
} krait_dep_list;

/* The newest record of recs matching spec, then what it depends on. An
 * error names the spec when nothing matches it. */
KRAIT_API krait_code krait_depgraph_depends(const krait_record *recs, size_t n, const char *spec, bool tree,
                                            krait_dep_list *out, krait_err *err);
/* The records matching spec (all of them, depth 0), then the records whose
 * dependencies name one of them. */
KRAIT_API krait_code krait_depgraph_whoneeds(const krait_record *recs, size_t n, const char *spec, bool tree,
                                             krait_dep_list *out, krait_err *err);
KRAIT_API void krait_dep_list_free(krait_dep_list *l);

#endif
