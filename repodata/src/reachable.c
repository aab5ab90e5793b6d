/* What a solve can reach: the records of the names its roots (the specs and
 * the installed packages) name, and of every name their depends mention,
 * transitively, across every channel and subdir of the request. A record
 * outside that set can never be installed, so the solve sees the same
 * candidates, rules and choices as with every record loaded (the solver
 * cases check it both ways), while a conda-forge-sized repodata.json costs a
 * scan for its name index (name_index.h) the first time and a few thousand
 * records' parse after that, instead of 700,000. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "krait/buf.h"
#include "name_index.h"
#include "repodata_int.h"
#include "strmap.h"

typedef struct walk {
  Repo **repos;
  size_t n_repos;
  bool **wanted;   /* per repo, per name of its index */
  krait_strmap seen;
  const char **q_name;
  size_t *q_len;
  size_t q_head, q_tail, q_cap;
  bool all;        /* a glob name was reached: every record is loaded */
} walk;

static const krait_name_index *index_of(const Repo *repo) {
  const krait_subdir_info *info = repo->appdata;
  return info ? info->name_index : NULL;
}

static void push(walk *w, const char *name, size_t len) {
  bool added;
  krait_strmap_slot *slot = krait_strmap_get(&w->seen, name, len, &added);
  if (!slot) {
    w->all = true; /* the table cannot grow: load everything rather than guess */
    return;
  }
  if (!added)
    return;
  if (w->q_tail == w->q_cap) {
    w->q_cap = w->q_cap ? w->q_cap * 2 : 256;
    w->q_name = krait_realloc(w->q_name, w->q_cap * sizeof *w->q_name);
    w->q_len = krait_realloc(w->q_len, w->q_cap * sizeof *w->q_len);
  }
  w->q_name[w->q_tail] = name;
  w->q_len[w->q_tail++] = len;
}

/* A name as written, and lower-cased when it is not (names are lower case by
 * convention; following both can only load more). */
static void push_root(walk *w, const char *name, krait_strv *keep) {
  push(w, name, strlen(name));
  char *lower = krait_strdup(name);
  bool changed = false;
  for (char *c = lower; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a'), changed = true;
  if (changed) {
    krait_strv_push_owned(keep, lower);
    push(w, keep->items[keep->len - 1], strlen(lower));
  } else
    free(lower);
}

static void visit(walk *w, const char *name, size_t len, bool add_pip) {
  if (memchr(name, '*', len)) {
    w->all = true; /* a glob matches names no index lookup can list */
    return;
  }
  for (size_t r = 0; r < w->n_repos; r++) {
    const krait_name_index *idx = index_of(w->repos[r]);
    const krait_name_ent *e = krait_name_index_find(idx, name, len);
    if (!e)
      continue;
    w->wanted[r][e - idx->names] = true;
    for (uint32_t d = 0; d < e->n_deps; d++) {
      const krait_name_ent *dep = &idx->names[idx->deps[e->first_dep + d]];
      push(w, krait_name_of(idx, dep), dep->name_len);
    }
  }
  /* the solver makes python 2/3 require pip (add_pip_as_python_dependency) */
  if (add_pip && len == 6 && memcmp(name, "python", 6) == 0)
    push(w, "pip", 3);
}

static int by_offset(const void *a, const void *b) {
  uint64_t x = ((const krait_span_pick *)a)->rec->val_off, y = ((const krait_span_pick *)b)->rec->val_off;
  return x < y ? -1 : x > y;
}

/* Loads the wanted records of one repo, in file order, and drops its index. */
static krait_code fill(krait_ctx *ctx, Repo *repo, const bool *wanted, bool all, krait_err *err) {
  krait_subdir_info *info = repo->appdata;
  krait_name_index *idx = info->name_index;
  size_t n = 0;
  for (uint32_t i = 0; i < idx->n_names; i++)
    if (all || wanted[i])
      n += idx->names[i].n_recs;
  krait_span_pick *picks = krait_calloc(n ? n : 1, sizeof *picks);
  n = 0;
  for (uint32_t i = 0; i < idx->n_names; i++) {
    const krait_name_ent *e = &idx->names[i];
    for (uint32_t k = 0; (all || wanted[i]) && k < e->n_recs; k++)
      picks[n++] = (krait_span_pick){&idx->recs[e->first_rec + k], krait_name_of(idx, e), e->name_len};
  }
  qsort(picks, n, sizeof *picks, by_offset);
  krait_code rc = krait_repo_add_json_spans(repo, info->json_fd, info->source_path, idx, picks, n, err);
  if (rc && info->index_path)
    unlink(info->index_path); /* the file was rewritten in place: the next run indexes it again */
  krait_debug(ctx, "%s: %d of %u records reachable (%s)", info->source_path, repo->nsolvables, idx->n_recs,
              info->from_index_cache ? "name index from the cache"
              : idx->halves == 2     ? "name index built by two threads"
                                     : "name index built");
  free(picks);
  krait_name_index_free(idx);
  free(idx);
  info->name_index = NULL;
  return rc;
}

krait_code krait_repodata_fill_reachable(krait_ctx *ctx, Pool *pool, const krait_strv *roots, krait_err *err) {
  walk w = {0};
  w.repos = krait_calloc((size_t)pool->nrepos + 1, sizeof *w.repos);
  Repo *repo;
  int i;
  FOR_REPOS(i, repo) {
    if (index_of(repo))
      w.repos[w.n_repos++] = repo;
  }
  w.wanted = krait_calloc(w.n_repos + 1, sizeof *w.wanted);
  for (size_t r = 0; r < w.n_repos; r++)
    w.wanted[r] = krait_calloc(index_of(w.repos[r])->n_names + 1, sizeof **w.wanted);
  krait_strv keep = KRAIT_STRV_INIT; /* lower-cased roots, alive as long as the queue */
  for (size_t k = 0; roots && k < roots->len; k++)
    push_root(&w, roots->items[k], &keep);
  while (w.q_head < w.q_tail && !w.all) {
    size_t at = w.q_head++;
    visit(&w, w.q_name[at], w.q_len[at], ctx->add_pip_as_python_dependency);
  }
  krait_code rc = KRAIT_OK;
  for (size_t r = 0; r < w.n_repos; r++) {
    krait_code one = rc ? KRAIT_OK : fill(ctx, w.repos[r], w.wanted[r], w.all, err);
    rc = rc ? rc : one;
    free(w.wanted[r]);
  }
  /* on an error the repos not filled keep their index: the pool's info frees it */
  krait_strv_free(&keep);
  krait_strmap_free(&w.seen);
  free(w.q_name);
  free(w.q_len);
  free(w.wanted);
  free(w.repos);
  return rc;
}
