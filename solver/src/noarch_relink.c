/* noarch: python packages live in lib/pythonX.Y/site-packages of the env's
 * python (and their entry points and .pyc files are written for it). When a
 * transaction changes python's X.Y, conda and micromamba unlink every installed
 * noarch: python package and link it again for the new python, even though
 * the solver has no reason to touch it. krait does the same, in the solution
 * itself, so that the plan shown (--dry-run, --json) lists these relinks. */
#include <stdlib.h>
#include <string.h>

#include "krait/link.h"
#include "solver_internal.h"

static const krait_record *find_named(const krait_record *recs, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(recs[i].name, name) == 0)
      return &recs[i];
  return NULL;
}

static bool has_record(const krait_record *recs, size_t n, const krait_record *r) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(recs[i].name, r->name) == 0 && strcmp(recs[i].version, r->version) == 0 &&
        strcmp(recs[i].build, r->build) == 0)
      return true;
  return false;
}

static bool is_noarch_python(const krait_record *r) { return r->noarch && strcmp(r->noarch, "python") == 0; }

void krait_add_noarch_relinks(const krait_prefix_state *installed, krait_solution *out) {
  const krait_prefix_record *old_py = installed ? krait_prefix_find(installed, "python") : NULL;
  const krait_record *new_py = find_named(out->link, out->n_link, "python");
  if (!old_py || !new_py)
    return;
  char *old_xy = krait_python_xy(old_py->rec.version), *new_xy = krait_python_xy(new_py->version);
  bool changed = old_xy && new_xy && strcmp(old_xy, new_xy) != 0;
  free(old_xy);
  free(new_xy);
  if (!changed)
    return;
  size_t extra = 0;
  for (size_t i = 0; i < installed->len; i++)
    extra += is_noarch_python(&installed->records[i].rec);
  /* both arrays were allocated with room for their count + 1 only */
  out->link = krait_realloc(out->link, (out->n_link + extra + 1) * sizeof *out->link);
  out->unlink = krait_realloc(out->unlink, (out->n_unlink + extra + 1) * sizeof *out->unlink);
  for (size_t i = 0; i < installed->len; i++) {
    const krait_record *r = &installed->records[i].rec;
    if (!is_noarch_python(r) || has_record(out->unlink, out->n_unlink, r) ||
        find_named(out->link, out->n_link, r->name))
      continue; /* already replaced or removed by the solution itself */
    krait_record_copy(&out->unlink[out->n_unlink++], r);
    /* linked last: after python, whose interpreter compiles the .pyc files */
    krait_record_copy(&out->link[out->n_link++], r);
  }
}
