/* What libsolv does not keep of a repodata record, read back from the record
 * itself: the loader notes where each record's text is in its repodata.json
 * (krait:json_offset/length), and the Repo keeps that file open (its fd, in
 * krait_subdir_info), so a record is read again only when krait needs it
 * (for a package it links, or a search result), and neither the pool nor the
 * .solv cache holds a second copy of every record's depends. Keeping the fd
 * (not the path) means a newer download renamed over the file meanwhile does
 * not matter; a file rewritten in place under the same inode is caught by
 * checking the text at the span is still the record of that name and version.
 * The fields are taken exactly as the loader used to store them: the first
 * member of each name; depends and constrains as written. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/solvable.h>

#include "krait/buf.h"
#include "repodata_int.h"

/* The package name a dependency string starts with (lower case), as
 * pool_conda_matchspec reads it: after any "channel::", up to the first
 * space or operator. */
static void dep_name(const char *dep, char *out, size_t cap) {
  const char *colon = strrchr(dep, ':');
  if (colon)
    dep = colon + 1;
  size_t n = 0;
  for (; *dep && !strchr(" =<>!~[", *dep) && n + 1 < cap; dep++)
    out[n++] = (char)(*dep >= 'A' && *dep <= 'Z' ? *dep - 'A' + 'a' : *dep);
  out[n] = '\0';
}

/* After the depends as written: every requirement of the solvable on a
 * package they do not name (one added after loading, such as pip from
 * add_pip_as_python_dependency; or all of them when nothing was written, as
 * for records with the old "requires" spelling). */
static void push_pool_requires(Pool *pool, Solvable *s, krait_strv *v) {
  if (!s->requires)
    return;
  size_t written = v->len;
  for (Id *dp = s->repo->idarraydata + s->requires; *dp; dp++) {
    /* named the way the written ones are (a conditional dependency, "x[when
     * ...]", is a nest of relations whose leftmost part is no plain name) */
    char ns[256];
    dep_name(pool_dep2str(pool, *dp), ns, sizeof(ns));
    bool known = false;
    for (size_t i = 0; i < written && !known; i++) {
      char dn[256];
      dep_name(v->items[i], dn, sizeof(dn));
      known = strcmp(dn, ns) == 0;
    }
    if (!known)
      krait_strv_push(v, pool_dep2str(pool, *dp));
  }
}

void krait_push_idarray(Pool *pool, Solvable *s, Id key, bool deps, krait_strv *v) {
  Queue q;
  queue_init(&q);
  solvable_lookup_idarray(s, key, &q);
  for (int i = 0; i < q.count; i++)
    krait_strv_push(v, deps ? pool_dep2str(pool, q.elements[i]) : pool_id2str(pool, q.elements[i]));
  queue_free(&q);
}

/* The string elements of a JSON array; their number. */
static size_t push_strings(yyjson_val *arr, krait_strv *v) {
  size_t n = 0;
  yyjson_val *e;
  yyjson_arr_iter it = yyjson_arr_iter_with(arr);
  while ((e = yyjson_arr_iter_next(&it)))
    if (yyjson_is_str(e)) {
      krait_strv_push_owned(v, krait_strndup(yyjson_get_str(e), yyjson_get_len(e)));
      n++;
    }
  return n;
}

static char *nonempty_dup(yyjson_val *v) {
  return yyjson_is_str(v) && yyjson_get_len(v) ? krait_strndup(yyjson_get_str(v), yyjson_get_len(v)) : NULL;
}

/* The members krait takes from the record text (the first of each name),
 * and the last string name/version (libsolv's: a later member overrides). */
typedef struct record_text {
  yyjson_val *depends, *constrains, *noarch, *timestamp, *license_family, *features, *site;
  yyjson_val *name, *version;
} record_text;

/* The members kept as first written, by name. */
static const struct {
  const char *key;
  size_t at; /* offset of the slot in record_text */
} FIRST_OF[] = {
    {"depends", offsetof(record_text, depends)},       {"constrains", offsetof(record_text, constrains)},
    {"noarch", offsetof(record_text, noarch)},         {"timestamp", offsetof(record_text, timestamp)},
    {"license_family", offsetof(record_text, license_family)}, {"features", offsetof(record_text, features)},
    {"python_site_packages_path", offsetof(record_text, site)},
};

static void read_members(yyjson_val *obj, record_text *t) {
  yyjson_val *k, *v;
  yyjson_obj_iter it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    v = yyjson_obj_iter_get_val(k);
    if (yyjson_equals_str(k, "name") && yyjson_is_str(v)) {
      t->name = v;
      continue;
    }
    if (yyjson_equals_str(k, "version") && yyjson_is_str(v)) {
      t->version = v;
      continue;
    }
    for (size_t i = 0; i < sizeof FIRST_OF / sizeof FIRST_OF[0]; i++) {
      yyjson_val **slot = (yyjson_val **)((char *)t + FIRST_OF[i].at);
      if (yyjson_equals_str(k, FIRST_OF[i].key)) {
        if (!*slot)
          *slot = v;
        break;
      }
    }
  }
}

static bool same_str(yyjson_val *v, const char *want) {
  if (!v)
    return want == NULL || !*want;
  return want && yyjson_get_len(v) == strlen(want) && memcmp(yyjson_get_str(v), want, strlen(want)) == 0;
}

static void fill_from_text(Pool *pool, Solvable *s, const record_text *t, krait_record *r) {
  if (yyjson_is_arr(t->depends) && yyjson_arr_size(t->depends))
    push_strings(t->depends, &r->depends);
  push_pool_requires(pool, s, &r->depends);
  if (!yyjson_is_arr(t->constrains) || !push_strings(t->constrains, &r->constrains))
    krait_push_idarray(pool, s, SOLVABLE_CONSTRAINS, true, &r->constrains);
  r->noarch = nonempty_dup(t->noarch);
  if (!r->noarch && yyjson_is_true(t->noarch))
    r->noarch = krait_strdup("generic"); /* legacy `noarch: true` */
  /* the timestamp as written when it is a whole number (libsolv keeps
   * seconds), else libsolv's */
  unsigned long long secs = solvable_lookup_num(s, SOLVABLE_BUILDTIME, 0);
  r->timestamp = secs <= (unsigned long long)INT64_MAX ? krait_timestamp_ms((int64_t)secs) : 0;
  const char *ts = yyjson_is_raw(t->timestamp) ? yyjson_get_raw(t->timestamp) : NULL;
  if (ts && *ts && strspn(ts, "0123456789") == strlen(ts)) {
    long long v = strtoll(ts, NULL, 10);
    if (v > 0)
      r->timestamp = krait_timestamp_ms(v);
  }
  r->license_family = nonempty_dup(t->license_family);
  r->features = nonempty_dup(t->features);
  r->python_site_packages_path = nonempty_dup(t->site);
}

static unsigned long long span_num(Pool *pool, Solvable *s, const char *key) {
  Id k = pool_str2id(pool, key, 0);
  return k ? solvable_lookup_num(s, k, 0) : 0;
}

krait_code krait_record_read_span(Pool *pool, Id p, int json_fd, const char *json_path, krait_record *r,
                                  krait_err *err) {
  Solvable *s = pool_id2solvable(pool, p);
  unsigned long long offset = span_num(pool, s, KRAIT_KEY_SPAN_OFFSET);
  unsigned long long length = span_num(pool, s, KRAIT_KEY_SPAN_LENGTH);
  if (!length) { /* not from a repodata file (or an empty record): the pool is all there is */
    record_text none = {0};
    fill_from_text(pool, s, &none, r);
    return KRAIT_OK;
  }
  const char *where = json_path ? json_path : "repodata";
  if (json_fd < 0)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: the repodata of %s is not open", where, r->name);
  char *buf = krait_malloc(length + YYJSON_PADDING_SIZE);
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(json_fd, buf + got, length - got, (off_t)(offset + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  memset(buf + got, 0, YYJSON_PADDING_SIZE);
  yyjson_doc *doc = got == length ? yyjson_read_opts(buf, length,
                                                     YYJSON_READ_INSITU | YYJSON_READ_NUMBER_AS_RAW |
                                                         YYJSON_READ_ALLOW_INVALID_UNICODE,
                                                     NULL, NULL)
                                  : NULL;
  yyjson_val *obj = yyjson_doc_get_root(doc);
  record_text t = {0};
  if (yyjson_is_obj(obj))
    read_members(obj, &t);
  krait_code rc = KRAIT_OK;
  if (!yyjson_is_obj(obj) || !same_str(t.name, s->name ? pool_id2str(pool, s->name) : NULL) ||
      !same_str(t.version, pool_id2str(pool, s->evr)))
    rc = krait_err_set(err, KRAIT_E_PARSE,
                       "%s: the record of %s %s at byte %llu is gone: the file was changed while krait was "
                       "reading it; run the command again",
                       where, r->name ? r->name : "?", r->version ? r->version : "?", offset);
  else
    fill_from_text(pool, s, &t, r);
  yyjson_doc_free(doc);
  free(buf);
  return rc;
}
