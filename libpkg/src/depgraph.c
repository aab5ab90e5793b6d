/* depends / whoneeds over a record set (see krait/depgraph.h). */
#include "krait/depgraph.h"

#include <stdlib.h>
#include <string.h>

#include "krait/matchspec.h"
#include "krait/version.h"

static void push(krait_dep_list *l, const krait_record *r, const char *missing, int depth, bool seen) {
  l->items = krait_realloc(l->items, (l->len + 1) * sizeof *l->items);
  l->items[l->len++] = (krait_dep_node){r, krait_strdup(missing), depth, seen};
}

static bool newer(const krait_record *a, const krait_record *b) {
  int c = krait_version_cmp_str(a->version, b->version);
  return c > 0 || (c == 0 && a->build_number > b->build_number);
}

static const krait_record *best_match(const krait_record *recs, size_t n, const krait_matchspec *ms) {
  const krait_record *best = NULL;
  for (size_t i = 0; i < n; i++)
    if (krait_matchspec_matches(ms, &recs[i]) && (!best || newer(&recs[i], best)))
      best = &recs[i];
  return best;
}

typedef struct walk {
  const krait_record *recs;
  size_t n;
  bool tree;
  bool *visited; /* per record index */
  krait_dep_list *out;
} walk;

static void walk_depends(walk *w, const krait_record *r, int depth) {
  for (size_t i = 0; i < r->depends.len; i++) {
    krait_matchspec *ms = NULL;
    if (krait_matchspec_parse(r->depends.items[i], &ms, NULL)) {
      push(w->out, NULL, r->depends.items[i], depth, false);
      continue;
    }
    const krait_record *dep = best_match(w->recs, w->n, ms);
    krait_matchspec_free(ms);
    if (!dep) {
      push(w->out, NULL, r->depends.items[i], depth, false);
      continue;
    }
    size_t idx = (size_t)(dep - w->recs);
    bool seen = w->visited[idx];
    push(w->out, dep, NULL, depth, seen && w->tree);
    w->visited[idx] = true;
    if (w->tree && !seen)
      walk_depends(w, dep, depth + 1);
  }
}

/* Does any dependency of r name `name`? */
static bool needs_name(const krait_record *r, const char *name) {
  size_t nl = strlen(name);
  for (size_t i = 0; i < r->depends.len; i++) {
    const char *d = r->depends.items[i];
    if (strncmp(d, name, nl) == 0 && (d[nl] == '\0' || strchr(" =<>!~[", d[nl])))
      return true;
  }
  return false;
}

static void walk_whoneeds(walk *w, const char *name, int depth) {
  for (size_t i = 0; i < w->n; i++) {
    if (!needs_name(&w->recs[i], name))
      continue;
    bool seen = w->visited[i];
    push(w->out, &w->recs[i], NULL, depth, seen && w->tree);
    w->visited[i] = true;
    if (w->tree && !seen)
      walk_whoneeds(w, w->recs[i].name, depth + 1);
  }
}

/* depends: the newest record the spec matches, then what it needs. */
static void depends_from(walk *w, const krait_matchspec *ms) {
  const krait_record *root = best_match(w->recs, w->n, ms);
  if (!root)
    return;
  w->visited[root - w->recs] = true;
  push(w->out, root, NULL, 0, false);
  walk_depends(w, root, 1);
}

/* whoneeds: every record the spec matches, then what needs each name. */
static void whoneeds_from(walk *w, const krait_matchspec *ms) {
  for (size_t i = 0; i < w->n; i++)
    if (krait_matchspec_matches(ms, &w->recs[i])) {
      w->visited[i] = true;
      push(w->out, &w->recs[i], NULL, 0, false);
    }
  /* each name once, even when several versions match (channels) */
  krait_dep_list *out = w->out;
  size_t roots = out->len;
  for (size_t i = 0; i < roots; i++) {
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++)
      dup = strcmp(out->items[j].rec->name, out->items[i].rec->name) == 0;
    if (!dup)
      walk_whoneeds(w, out->items[i].rec->name, 1);
  }
}

/* Parses spec, walks from its roots with `from`; no root is an error. */
static krait_code run_walk(const krait_record *recs, size_t n, const char *spec, bool tree,
                           void (*from)(walk *w, const krait_matchspec *ms), krait_dep_list *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_matchspec *ms;
  krait_code rc = krait_matchspec_parse(spec, &ms, err);
  if (rc)
    return rc;
  walk w = {recs, n, tree, krait_calloc(n + 1, sizeof(bool)), out};
  from(&w, ms);
  krait_matchspec_free(ms);
  free(w.visited);
  if (!out->len)
    return krait_err_set(err, KRAIT_E_NOTFOUND, "no package matches \"%s\"", spec);
  return KRAIT_OK;
}

krait_code krait_depgraph_depends(const krait_record *recs, size_t n, const char *spec, bool tree,
                                  krait_dep_list *out, krait_err *err) {
  return run_walk(recs, n, spec, tree, depends_from, out, err);
}

krait_code krait_depgraph_whoneeds(const krait_record *recs, size_t n, const char *spec, bool tree,
                                   krait_dep_list *out, krait_err *err) {
  return run_walk(recs, n, spec, tree, whoneeds_from, out, err);
}

void krait_dep_list_free(krait_dep_list *l) {
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i].missing_spec);
  free(l->items);
  memset(l, 0, sizeof *l);
}
