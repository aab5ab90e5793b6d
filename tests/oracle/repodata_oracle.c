/* The oracle of tests/unit/test_repodata_loader.c and of
 * bench/bench_loader_vs_libsolv.c: libsolv 0.7.32's own repo_add_conda on the
 * text (through fmemopen, as krait read repodata before loader.c), and the
 * attributes libsolv drops (the krait:* keys of repodata_int.h) computed a
 * second, independent way: from a DOM of the whole text (krait_json), each
 * record matched to its solvable by file name. Never used by krait itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/repo_conda.h>
#include <solv/repodata.h>
#include <solv/solvable.h>

#include "krait/buf.h"
#include "krait/json.h"
#include "krait/record.h"
#include "repodata_oracle.h"

typedef struct fn_entry {
  char *fn;
  Id p;
} fn_entry;

static int cmp_fn(const void *a, const void *b) {
  return strcmp(((const fn_entry *)a)->fn, ((const fn_entry *)b)->fn);
}

typedef struct extras {
  Repo *repo;
  Repodata *data;
  fn_entry *index;
  size_t n;
  unsigned char *has_depends; /* per solvable (p - repo->start) */
  krait_buf tmp;
} extras;

static Id key_id(extras *x, const char *name) { return pool_str2id(x->repo->pool, name, 1); }

static void set_joined(extras *x, Id p, const char *key, const krait_json *arr) {
  krait_buf_clear(&x->tmp);
  size_t n = 0;
  krait_json_foreach(e, arr) {
    if (e->type != KRAIT_JSON_STRING)
      continue;
    if (n++)
      krait_buf_putc(&x->tmp, '\n');
    krait_buf_append(&x->tmp, e->string, e->len);
  }
  if (n)
    repodata_set_str(x->data, p, key_id(x, key), krait_buf_str(&x->tmp));
}

static void set_str(extras *x, Id p, const char *key, const krait_json *obj, const char *name) {
  const char *v = krait_json_get_str(obj, name);
  if (v && *v)
    repodata_set_str(x->data, p, key_id(x, key), v);
}

static void one_record(extras *x, const krait_json *rec) {
  if (rec->type != KRAIT_JSON_OBJECT)
    return;
  /* libsolv prefers the record's own "fn" over its key */
  const char *fn = krait_json_get_str(rec, "fn");
  fn_entry probe = {(char *)(fn ? fn : rec->key), 0};
  const fn_entry *hit = probe.fn ? bsearch(&probe, x->index, x->n, sizeof(*x->index), cmp_fn) : NULL;
  if (!hit)
    return;
  Id p = hit->p;
  const krait_json *deps = krait_json_get_array(rec, "depends");
  if (deps && deps->len) {
    set_joined(x, p, KRAIT_KEY_DEPENDS, deps);
    x->has_depends[p - x->repo->start] = 1;
  }
  set_joined(x, p, KRAIT_KEY_CONSTRAINS, krait_json_get_array(rec, "constrains"));
  const krait_json *noarch = krait_json_get(rec, "noarch");
  if (noarch && noarch->type == KRAIT_JSON_STRING && noarch->len)
    repodata_set_str(x->data, p, key_id(x, KRAIT_KEY_NOARCH), noarch->string);
  else if (noarch && noarch->type == KRAIT_JSON_BOOL && noarch->boolean)
    repodata_set_str(x->data, p, key_id(x, KRAIT_KEY_NOARCH), "generic"); /* legacy `noarch: true` */
  int64_t ts = 0;
  if (krait_json_get_int(rec, "timestamp", &ts) && ts > 0)
    repodata_set_num(x->data, p, key_id(x, KRAIT_KEY_TIMESTAMP), (unsigned long long)krait_timestamp_ms(ts));
  set_str(x, p, KRAIT_KEY_LICENSE_FAMILY, rec, "license_family");
  set_str(x, p, KRAIT_KEY_FEATURES, rec, "features");
  set_str(x, p, KRAIT_KEY_SITE_PACKAGES, rec, "python_site_packages_path");
}

/* Requires in parse order for records without a depends array (the old
 * "requires" spelling). */
static void keep_requires_order(extras *x) {
  Pool *pool = x->repo->pool;
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(x->repo, p, s) {
    if (!s->requires || x->has_depends[p - x->repo->start])
      continue;
    krait_buf_clear(&x->tmp);
    for (Id *dp = x->repo->idarraydata + s->requires; *dp; dp++) {
      if (x->tmp.len)
        krait_buf_putc(&x->tmp, '\n');
      krait_buf_puts(&x->tmp, pool_dep2str(pool, *dp));
    }
    repodata_set_str(x->data, p, key_id(x, KRAIT_KEY_DEPENDS), krait_buf_str(&x->tmp));
  }
}

static void add_extras(Repo *repo, const krait_json *root) {
  extras x = {0};
  x.repo = repo;
  x.data = repo_last_repodata(repo);
  if (!x.data || repo->end <= repo->start)
    return;
  x.has_depends = krait_calloc((size_t)(repo->end - repo->start), 1);
  /* file name -> solvable, from libsolv's own location of each record */
  x.index = krait_calloc((size_t)repo->nsolvables + 1, sizeof(*x.index));
  Id p;
  Solvable *sv;
  FOR_REPO_SOLVABLES(repo, p, sv) {
    unsigned medianr;
    const char *loc = solvable_lookup_location(sv, &medianr);
    if (!loc)
      continue;
    const char *slash = strrchr(loc, '/');
    x.index[x.n].fn = krait_strdup(slash ? slash + 1 : loc); /* a temporary string */
    x.index[x.n++].p = p;
  }
  qsort(x.index, x.n, sizeof(*x.index), cmp_fn);
  krait_json_foreach(m, root) {
    bool pkgs = strcmp(m->key, "packages") == 0 || strcmp(m->key, "packages.conda") == 0;
    if (pkgs && (m->type == KRAIT_JSON_OBJECT || m->type == KRAIT_JSON_ARRAY))
      krait_json_foreach(rec, m) one_record(&x, rec);
  }
  keep_requires_order(&x);
  repodata_internalize(x.data);
  for (size_t e = 0; e < x.n; e++)
    free(x.index[e].fn);
  free(x.index);
  free(x.has_depends);
  krait_buf_free(&x.tmp);
}

krait_code krait_repo_add_json_libsolv(Repo *repo, const char *path, char *text, size_t len, krait_repo_meta *meta,
                                       krait_err *err) {
  memset(meta, 0, sizeof(*meta));
  if (len == 0)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: empty repodata file", path);
  FILE *fp = fmemopen(text, len, "r");
  if (!fp)
    return krait_err_errno(err, KRAIT_E_IO, "%s: fmemopen", path);
  int ret = repo_add_conda(repo, fp, 0);
  fclose(fp);
  if (ret != 0)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: not a repodata file: %s", path, pool_errstr(repo->pool));
  krait_json *root = krait_json_parse(text, len, path, NULL);
  if (root && root->type == KRAIT_JSON_OBJECT) {
    krait_json_foreach(m, root) {
      bool info = strcmp(m->key, "info") == 0, metadata = strcmp(m->key, "metadata") == 0;
      if ((info || metadata) && m->type == KRAIT_JSON_OBJECT)
        krait_repo_meta_take(meta, krait_json_get_str(m, "base_url"), krait_json_get_str(m, "subdir"), metadata);
    }
    add_extras(repo, root);
  }
  krait_json_free(root);
  return KRAIT_OK;
}

static const char *key_str(Pool *pool, Solvable *s, const char *name) {
  Id key = pool_str2id(pool, name, 0);
  return key ? solvable_lookup_str(s, key) : NULL;
}

static void push_lines(const char *text, krait_strv *v) {
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    krait_strv_push_owned(v, krait_strndup(p, n));
    p += n + (nl ? 1 : 0);
  }
}

void krait_oracle_record_extras(Pool *pool, Id p, krait_record *r) {
  Solvable *s = pool_id2solvable(pool, p);
  push_lines(key_str(pool, s, KRAIT_KEY_DEPENDS), &r->depends);
  const char *constrains = key_str(pool, s, KRAIT_KEY_CONSTRAINS);
  if (constrains)
    push_lines(constrains, &r->constrains);
  else {
    Queue q;
    queue_init(&q);
    solvable_lookup_idarray(s, SOLVABLE_CONSTRAINS, &q);
    for (int i = 0; i < q.count; i++)
      krait_strv_push(&r->constrains, pool_dep2str(pool, q.elements[i]));
    queue_free(&q);
  }
  r->noarch = krait_strdup(key_str(pool, s, KRAIT_KEY_NOARCH));
  r->license_family = krait_strdup(key_str(pool, s, KRAIT_KEY_LICENSE_FAMILY));
  r->features = krait_strdup(key_str(pool, s, KRAIT_KEY_FEATURES));
  r->python_site_packages_path = krait_strdup(key_str(pool, s, KRAIT_KEY_SITE_PACKAGES));
  Id tskey = pool_str2id(pool, KRAIT_KEY_TIMESTAMP, 0);
  unsigned long long ms = tskey ? solvable_lookup_num(s, tskey, 0) : 0;
  unsigned long long secs = solvable_lookup_num(s, SOLVABLE_BUILDTIME, 0);
  r->timestamp = ms ? (int64_t)ms : krait_timestamp_ms((int64_t)secs);
}
