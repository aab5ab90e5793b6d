/* What libsolv's repo_add_conda does not keep, recovered from the same text:
 * noarch, the millisecond timestamp, license_family, legacy features,
 * python_site_packages_path (CEP-17), and depends/constrains exactly as
 * written and in file order (libsolv normalises the spelling and the .solv
 * writer sorts requires). Records of conda-meta/ and repodata_record.json
 * are written from these, so they must match the channel's bytes.
 *
 * Cost: one extra pass on a cold load only; the result is part of the .solv. */
#include <stdlib.h>
#include <string.h>

#include <solv/repodata.h>
#include <solv/solvable.h>

#include "krait/buf.h"
#include "krait/json.h"
#include "krait/record.h"
#include "repodata_int.h"

typedef struct fn_entry {
  const char *fn; /* owned copy of the record's file name */
  Id p;
} fn_entry;

static int cmp_fn(const void *a, const void *b) {
  return strcmp(((const fn_entry *)a)->fn, ((const fn_entry *)b)->fn);
}

typedef struct extras_ctx {
  Repo *repo;
  Repodata *data;
  fn_entry *index;
  size_t n;
  Id k_depends, k_constrains, k_noarch, k_timestamp, k_license_family, k_features, k_site;
  unsigned char *has_depends; /* per solvable (p - repo->start) */
  krait_buf tmp;
} extras_ctx;

static void set_joined(extras_ctx *x, Id p, Id key, const krait_json *arr) {
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
    repodata_set_str(x->data, p, key, krait_buf_str(&x->tmp));
}

static void set_str(extras_ctx *x, Id p, Id key, const krait_json *obj, const char *name) {
  const char *v = krait_json_get_str(obj, name);
  if (v && *v)
    repodata_set_str(x->data, p, key, v);
}

static void one_record(extras_ctx *x, const char *key, size_t key_len, const char *obj, size_t obj_len) {
  krait_json *j = krait_json_parse(obj, obj_len, "record", NULL);
  if (!j || j->type != KRAIT_JSON_OBJECT) {
    krait_json_free(j);
    return;
  }
  /* libsolv prefers the record's own "fn" over its key; so do we. */
  const char *fn = krait_json_get_str(j, "fn");
  char *owned = NULL;
  if (!fn)
    fn = owned = krait_strndup(key, key_len);
  fn_entry probe = {fn, 0};
  const fn_entry *hit = bsearch(&probe, x->index, x->n, sizeof(*x->index), cmp_fn);
  if (hit) {
    Id p = hit->p;
    const krait_json *deps = krait_json_get_array(j, "depends");
    if (deps && deps->len) {
      set_joined(x, p, x->k_depends, deps);
      x->has_depends[p - x->repo->start] = 1;
    }
    set_joined(x, p, x->k_constrains, krait_json_get_array(j, "constrains"));
    const krait_json *noarch = krait_json_get(j, "noarch");
    if (noarch && noarch->type == KRAIT_JSON_STRING && noarch->len)
      repodata_set_str(x->data, p, x->k_noarch, noarch->string);
    else if (noarch && noarch->type == KRAIT_JSON_BOOL && noarch->boolean)
      repodata_set_str(x->data, p, x->k_noarch, "generic"); /* legacy `noarch: true` */
    int64_t ts = 0;
    if (krait_json_get_int(j, "timestamp", &ts) && ts > 0)
      repodata_set_num(x->data, p, x->k_timestamp, (unsigned long long)krait_timestamp_ms(ts));
    set_str(x, p, x->k_license_family, j, "license_family");
    set_str(x, p, x->k_features, j, "features");
    set_str(x, p, x->k_site, j, "python_site_packages_path");
  }
  free(owned);
  krait_json_free(j);
}

/* Walks the members of the object at text[i] ('{') calling one_record. */
static void each_record(extras_ctx *x, const char *s, size_t i, size_t end) {
  krait_scan_member m = {0};
  while (krait_scan_next_member(s, &i, end, &m))
    /* keys with escapes are not file names libsolv would have matched */
    if (s[m.value] == '{' && !memchr(s + m.key, '\\', m.key_len))
      one_record(x, s + m.key, m.key_len, s + m.value, m.value_end - m.value);
}

/* Requires in parse order for records whose depends were not seen above
 * (e.g. the old "requires" spelling): still stable across the .solv cache. */
static void keep_requires_order(extras_ctx *x) {
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
    repodata_set_str(x->data, p, x->k_depends, krait_buf_str(&x->tmp));
  }
}

void krait_repo_add_extras(Repo *repo, const char *s, size_t n) {
  Pool *pool = repo->pool;
  extras_ctx x = {0};
  x.repo = repo;
  x.data = repo_last_repodata(repo);
  if (!x.data || repo->end <= repo->start)
    return;
  x.k_depends = pool_str2id(pool, KRAIT_KEY_DEPENDS, 1);
  x.k_constrains = pool_str2id(pool, KRAIT_KEY_CONSTRAINS, 1);
  x.k_noarch = pool_str2id(pool, KRAIT_KEY_NOARCH, 1);
  x.k_timestamp = pool_str2id(pool, KRAIT_KEY_TIMESTAMP, 1);
  x.k_license_family = pool_str2id(pool, KRAIT_KEY_LICENSE_FAMILY, 1);
  x.k_features = pool_str2id(pool, KRAIT_KEY_FEATURES, 1);
  x.k_site = pool_str2id(pool, KRAIT_KEY_SITE_PACKAGES, 1);
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
    /* lookup_location returns a temporary string: keep a copy */
    x.index[x.n].fn = krait_strdup(slash ? slash + 1 : loc);
    x.index[x.n].p = p;
    x.n++;
  }
  qsort(x.index, x.n, sizeof(*x.index), cmp_fn);

  size_t i = krait_scan_ws(s, 0, n);
  if (i < n && s[i] == '{') {
    i++;
    for (;;) {
      i = krait_scan_ws(s, i, n);
      if (i >= n || s[i] != '"')
        break;
      size_t k = i + 1;
      i = krait_scan_string(s, i, n);
      size_t klen = i > k ? i - 1 - k : 0;
      i = krait_scan_ws(s, i, n);
      if (i >= n || s[i] != ':')
        break;
      i = krait_scan_ws(s, i + 1, n);
      size_t v = i;
      i = krait_scan_value(s, i, n);
      bool is_pkgs = (klen == 8 && memcmp(s + k, "packages", 8) == 0) ||
                     (klen == 14 && memcmp(s + k, "packages.conda", 14) == 0);
      if (is_pkgs && v < n && s[v] == '{')
        each_record(&x, s, v, i);
      i = krait_scan_ws(s, i, n);
      if (i >= n || s[i] != ',')
        break;
      i++;
    }
  }
  keep_requires_order(&x);
  repodata_internalize(x.data);

  for (size_t e = 0; e < x.n; e++)
    free((char *)x.index[e].fn);
  free(x.index);
  free(x.has_depends);
  krait_buf_free(&x.tmp);
}
