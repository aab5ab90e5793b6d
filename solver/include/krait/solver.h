/* The solver: channels + installed prefix + virtual packages + specs ->
 * a transaction (pure data) or a readable explanation of why not.
 *
 * Ownership: krait_solve() fills a krait_solution released with
 * krait_solution_free(). On KRAIT_E_UNSOLVABLE, err->msg holds the
 * explanation (several lines: the clashing requested specs and the packages
 * that link them; __cuda problems name CONDA_OVERRIDE_CUDA). */
#ifndef KRAIT_SOLVER_H
#define KRAIT_SOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/record.h"
#include "krait/virtpkg.h"

typedef enum krait_request_kind {
  KRAIT_REQ_INSTALL,    /* create / install: keep what is installed unless a spec says otherwise */
  KRAIT_REQ_UPDATE,     /* update the named specs to their newest */
  KRAIT_REQ_UPDATE_ALL, /* update --all */
  KRAIT_REQ_REMOVE,     /* remove the named packages (and what needs them) */
} krait_request_kind;

typedef struct krait_request {
  krait_request_kind kind;
  const char *const *specs; /* MatchSpec strings */
  size_t n_specs;
  const char *prefix;       /* target prefix whose conda-meta is the installed repo (may not exist) */
  const char *debug_dir;    /* --debug-solver: write libsolv's testcase here, or NULL */
  bool ignore_installed;    /* create: the prefix is new, ignore what is there */
  const krait_virtpkgs *virtual_packages; /* NULL = krait_virtpkgs_detect(ctx, ctx->platform) */
  bool keep_dependencies;   /* REMOVE: keep what the removed packages pulled in (conda's remove);
                               default prunes what nothing needs and history did not ask for (micromamba) */
} krait_request;

typedef struct krait_solution {
  krait_record *link;       /* records to link, in dependency order (dependencies first) */
  size_t n_link;
  krait_record *unlink;     /* records to unlink (installed ones) */
  size_t n_unlink;
  krait_record *fetch;      /* subset of link not in any package cache (filled by the caller) */
  size_t n_fetch;
  char **requested;         /* the request's specs, normalized (for history / requested_spec) */
  size_t n_requested;
  double solve_seconds;
} krait_solution;

/* ctx->channels, ctx->platform, ctx->channel_priority and
 * ctx->add_pip_as_python_dependency decide where packages come from. */
KRAIT_API krait_code krait_solve(krait_ctx *ctx, const krait_request *req, krait_solution *out, krait_err *err);
KRAIT_API void krait_solution_free(krait_solution *s);

#endif
