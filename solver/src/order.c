/* Link order: dependencies before the packages that need them (python before
 * noarch python packages, so their .pyc compile finds an interpreter).
 * Depth-first post-order over the requires graph restricted to the packages
 * being linked; nodes and edges are visited in name order so cycles (which
 * conda repodata has, e.g. through pip <-> python) break the same way on every
 * run. */
#include <stdlib.h>
#include <string.h>

#include <solv/util.h>

#include "krait/buf.h"
#include "solver_internal.h"

typedef struct order_ctx {
  Pool *pool;
  Queue *ids;      /* the set, sorted by name */
  int *state;      /* per index: 0 new, 1 on stack, 2 done */
  Queue out;
} order_ctx;

/* solv_sort's comparator: the pool comes as the context (no global state). */
static int cmp_by_name(const void *a, const void *b, void *pool_ptr) {
  Pool *pool = pool_ptr;
  const Solvable *sa = pool_id2solvable(pool, *(const Id *)a);
  const Solvable *sb = pool_id2solvable(pool, *(const Id *)b);
  int c = strcmp(pool_id2str(pool, sa->name), pool_id2str(pool, sb->name));
  if (c) return c;
  return (*(const Id *)a > *(const Id *)b) - (*(const Id *)a < *(const Id *)b);
}

static int index_of(order_ctx *oc, Id p) {
  /* Binary search would need the sort key again; sets are small (hundreds). */
  for (int i = 0; i < oc->ids->count; i++)
    if (oc->ids->elements[i] == p) return i;
  return -1;
}

static void visit(order_ctx *oc, int i) {
  if (oc->state[i]) return;
  oc->state[i] = 1;
  Pool *pool = oc->pool;
  Solvable *s = pool_id2solvable(pool, oc->ids->elements[i]);
  Queue deps;
  queue_init(&deps);
  if (s->requires) {
    Id *dp = s->repo->idarraydata + s->requires;
    for (; *dp; dp++) {
      Id p, pp;
      FOR_PROVIDES(p, pp, *dp) {
        int j = index_of(oc, p);
        if (j >= 0 && j != i) queue_push(&deps, j);
      }
    }
  }
  /* Indices follow name order already: visiting in index order is name order. */
  for (int a = 1; a < deps.count; a++)
    for (int b = a; b > 0 && deps.elements[b - 1] > deps.elements[b]; b--) {
      Id t = deps.elements[b];
      deps.elements[b] = deps.elements[b - 1];
      deps.elements[b - 1] = t;
    }
  for (int a = 0; a < deps.count; a++)
    if (oc->state[deps.elements[a]] == 0) visit(oc, deps.elements[a]);
  queue_free(&deps);
  oc->state[i] = 2;
  queue_push(&oc->out, oc->ids->elements[i]);
}

void krait_order_link(Pool *pool, Queue *ids) {
  if (ids->count < 2) return;
  solv_sort(ids->elements, (size_t)ids->count, sizeof(Id), cmp_by_name, pool);
  order_ctx oc = {pool, ids, krait_calloc((size_t)ids->count, sizeof(int)), {0}};
  queue_init(&oc.out);
  for (int i = 0; i < ids->count; i++) visit(&oc, i);
  queue_free(ids);
  *ids = oc.out;
  free(oc.state);
}
