/* Shared state of one krait_solve() call, split across solve.c (pool and
 * jobs), explain.c (problems -> prose) and order.c (link order). */
#ifndef KRAIT_SOLVER_INTERNAL_H
#define KRAIT_SOLVER_INTERNAL_H

#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/solver.h>

#include "krait/matchspec.h"
#include "krait/prefix.h"
#include "krait/solver.h"

enum {
  KRAIT_JOB_OTHER = -1,  /* userinstalled marks, update --all */
  KRAIT_JOB_PIN = -2,    /* pinned_packages locks */
  KRAIT_JOB_STRICT = -3, /* strict channel priority locks */
  KRAIT_JOB_FREEZE = -4, /* frozen first attempt of an install */
};

typedef struct krait_solve_state {
  krait_ctx *ctx;
  const krait_request *req;
  Pool *pool;
  Solver *solv;
  Repo *installed;              /* conda-meta records, or NULL */
  Repo *virtual_repo;           /* __cuda, __glibc, ... */
  krait_prefix_state prefix;    /* owned */
  Id *installed_index;          /* solvable id - installed->start -> index in prefix.records */
  const krait_virtpkgs *virtpkgs;
  krait_virtpkgs detected;      /* owned when we detected them ourselves */
  /* One entry per request spec, parallel to req->specs. */
  krait_matchspec **specs;
  Queue jobs;
  /* job index -> request spec index, or a KRAIT_JOB_* tag for jobs krait adds itself. */
  Queue job_spec;
  /* Package names a sharded channel's dependency walk starts from (owned). */
  krait_strv shard_roots;
} krait_solve_state;

/* Writes a human explanation of solv's problems into b. */
void krait_explain_problems(krait_solve_state *st, krait_buf *b);
/* Orders `ids` (solvables to link) so that dependencies come first. */
void krait_order_link(Pool *pool, Queue *ids);
/* When the solution changes python's X.Y, adds every installed noarch: python
 * package (that the solution keeps) to both unlink and link (noarch_relink.c). */
void krait_add_noarch_relinks(const krait_prefix_state *installed, krait_solution *out);

#endif
