/* The loader's scan mode (loader_int.h): the walk of a full load, building
 * a name index (name_index.h) instead of filling a pool, so a file is
 * rejected exactly when a full load rejects it, in the same words; a large
 * file is scanned by two threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <solv/util.h>

#include "loader_int.h"

/* The members a scan reads, by length first (field_of knows every member
 * krait_ld_add_record reads and was 7 % of a scan). */
static bool key_is(yyjson_val *k, const char *name, size_t len) {
  return yyjson_get_len(k) == len && memcmp(yyjson_get_str(k), name, len) == 0;
}

/* A record's name as krait_ld_add_record sets it: the last "name" member that is a
 * string (a member of another type is skipped, as libsolv's reader does). */
yyjson_val *krait_ld_record_name(yyjson_val *obj) {
  yyjson_val *name = NULL, *k;
  yyjson_obj_iter it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    yyjson_val *v = yyjson_obj_iter_get_val(k);
    if (yyjson_is_str(v) && key_is(k, "name", 4))
      name = v;
  }
  return name;
}

static void index_depends(loader *ld, uint32_t id, yyjson_val *arr) {
  yyjson_val *e;
  yyjson_arr_iter ai = yyjson_arr_iter_with(arr);
  while ((e = yyjson_arr_iter_next(&ai))) {
    if (!yyjson_is_str(e))
      continue;
    const char *dn;
    size_t dl, cut;
    unsigned how = krait_dep_name(yyjson_get_str(e), yyjson_get_len(e), &dn, &dl, &cut);
    krait_name_builder_dep(ld->names, id, dn, dl);
    if (how & KRAIT_DEP_CUT)
      krait_name_builder_dep(ld->names, id, dn, cut);
    /* libsolv lower-cases the name; a dependency spelled otherwise is
     * followed both ways (loading more is harmless, less is not) */
    char lower[256];
    if ((how & KRAIT_DEP_UPPER) && dl <= sizeof lower) {
      for (size_t i = 0; i < dl; i++)
        lower[i] = dn[i] >= 'A' && dn[i] <= 'Z' ? (char)(dn[i] - 'A' + 'a') : dn[i];
      krait_name_builder_dep(ld->names, id, lower, dl);
      if (how & KRAIT_DEP_CUT)
        krait_name_builder_dep(ld->names, id, lower, cut);
    }
  }
}

/* A record seen by a scan for the name index: where it is, its name, and
 * the names its depends mention, from every depends/requires member as
 * krait_ld_add_record takes them (records without a string name are never reached
 * by a name, so they are not indexed). One pass over the members, unless a
 * record has more dependency arrays than kept here (then a second). */
void krait_ld_index_record(loader *ld, yyjson_val *obj, size_t key_back, size_t span_offset, size_t span_length) {
  yyjson_val *name = NULL, *deps[4], *k;
  size_t n_deps = 0;
  yyjson_obj_iter it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    yyjson_val *v = yyjson_obj_iter_get_val(k);
    if (yyjson_is_str(v) && key_is(k, "name", 4))
      name = v;
    else if (yyjson_is_arr(v) && (key_is(k, "depends", 7) || key_is(k, "requires", 8)))
      deps[n_deps < 4 ? n_deps : 3] = v, n_deps++;
  }
  if (!name || key_back > UINT32_MAX || span_length > UINT32_MAX)
    return;
  krait_name_rec rec = {.val_off = span_offset, .val_len = (uint32_t)span_length, .key_back = (uint32_t)key_back};
  uint32_t id = krait_name_builder_add(ld->names, yyjson_get_str(name), yyjson_get_len(name), &rec);
  if (n_deps <= 4) {
    for (size_t i = 0; i < n_deps; i++)
      index_depends(ld, id, deps[i]);
    return;
  }
  it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    yyjson_val *v = yyjson_obj_iter_get_val(k);
    if (yyjson_is_arr(v) && (key_is(k, "depends", 7) || key_is(k, "requires", 8)))
      index_depends(ld, id, v);
  }
}

/* ---- a scan in two halves (the name index of a large file) ----
 * A second thread indexes the records from a guessed record boundary near
 * the middle of the file to the end of their object, and on through the
 * records objects that follow it (conda-forge's "packages.conda" after
 * "packages": stopping at the end of the first object left a fifth of the
 * file to this thread alone), while this one reads up to there. The guess
 * is only used when this thread's own parse arrives at exactly that offset
 * as a record key of a records object; otherwise (or when the second half
 * met any error) its work is dropped and this thread reads on alone, so the
 * result and the errors are those of one sequential scan. */

void krait_ld_finish(loader *ld);
void krait_ld_init(loader *ld, int fd, const char *path, krait_repo_meta *meta, krait_err *err);

#define SPLIT_MIN_BYTES (4u << 20)
#define SPLIT_PROBE (256u << 10) /* bytes searched for a record boundary */

typedef struct split {
  pthread_t thread;
  loader ld;
  krait_repo_meta meta;
  krait_name_builder names;
  krait_err err;
  size_t start; /* file offset of the record key the second half starts at */
  size_t end;   /* where the first thread reads on: after its records objects */
  bool ok;
} split;

static void *scan_second_half(void *arg) {
  split *sp = arg;
  /* on through the records objects after this one ("packages.conda" after
   * "packages"): the first thread reads on from where this one stops */
  sp->ok = krait_ld_parse_members(&sp->ld, false) && !sp->ld.w.rc && krait_ld_parse_later_records(&sp->ld, &sp->end);
  return NULL;
}

/* The offset of the first `, "<name>.conda" : {` or `.tar.bz2` key at or
 * after `from` (its opening quote), or 0. */
static size_t find_record_key(int fd, size_t from) {
  char *buf = krait_malloc(SPLIT_PROBE);
  ssize_t n = pread(fd, buf, SPLIT_PROBE, (off_t)from);
  size_t found = 0;
  for (size_t i = 0; n > 0 && i < (size_t)n && !found; i++) {
    if (buf[i] != ',')
      continue;
    size_t q = krait_ld_skip_ws(buf, i + 1, (size_t)n);
    if (q >= (size_t)n || buf[q] != '"')
      continue;
    size_t end = krait_ld_skip_string(buf, q, (size_t)n);
    if (end >= (size_t)n)
      break;
    size_t colon = krait_ld_skip_ws(buf, end, (size_t)n);
    size_t brace = colon < (size_t)n && buf[colon] == ':' ? krait_ld_skip_ws(buf, colon + 1, (size_t)n) : (size_t)n;
    bool pkg = (end - q > 8 && !memcmp(buf + end - 7, ".conda\"", 7)) ||
               (end - q > 10 && !memcmp(buf + end - 9, ".tar.bz2\"", 9));
    if (pkg && brace < (size_t)n && buf[brace] == '{')
      found = from + q;
  }
  free(buf);
  return found;
}

static void split_start(loader *ld, const char *path) {
  struct stat sb;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || fstat(ld->w.fd, &sb) != 0 || sb.st_size < SPLIT_MIN_BYTES)
    return;
  size_t start = find_record_key(ld->w.fd, (size_t)sb.st_size / 2);
  if (!start)
    return;
  split *sp = krait_calloc(1, sizeof *sp);
  krait_ld_init(&sp->ld, ld->w.fd, path, &sp->meta, &sp->err);
  sp->ld.w.base = start;
  sp->ld.names = &sp->names;
  sp->start = start;
  if (pthread_create(&sp->thread, NULL, scan_second_half, sp) != 0) {
    free(sp->ld.w.buf);
    free(sp->ld.w.alc_block);
    free(sp);
    return;
  }
  ld->split = sp;
}

/* Joins the second half; frees it; true when its records were taken. */
static bool split_finish(loader *ld, bool take) {
  split *sp = ld->split;
  ld->split = NULL;
  pthread_join(sp->thread, NULL);
  take = take && sp->ok;
  if (take) {
    ld->halves = 2;
    ld->second_end = sp->end;
    krait_name_builder_merge(ld->names, &sp->names);
    /* on from where the second half stopped */
    window *w = &ld->w;
    w->base = sp->end;
    w->len = w->pos = 0;
    w->eof = false;
  }
  sp->ld.names = NULL;
  krait_ld_finish(&sp->ld);
  solv_free(sp->ld.subdirmismatchfn);
  free(sp->ld.subdir);
  krait_repo_meta_free(&sp->meta);
  krait_name_builder_free(&sp->names);
  free(sp);
  return take;
}

bool krait_ld_split_take(loader *ld, size_t key_start) {
  if (key_start < ld->split->start)
    return false;
  return split_finish(ld, key_start == ld->split->start);
}

krait_code krait_repodata_scan_names(int fd, const char *path, krait_name_index *idx, krait_err *err) {
  memset(idx, 0, sizeof(*idx));
  loader ld;
  krait_name_builder b = {0};
  krait_ld_init(&ld, fd, path, &idx->meta, err);
  ld.names = &b;
  ld.halves = 1;
  split_start(&ld, path);
  krait_code rc = krait_ld_run(&ld);
  if (ld.split) /* never reached (a wrong guess, or an error before it) */
    split_finish(&ld, false);
  int halves = ld.halves;
  size_t second_end = ld.second_end;
  if (rc == KRAIT_OK && !krait_name_builder_finish(&b, idx))
    rc = krait_err_set(err, KRAIT_E_NOMEM, "%s: too large to index", path);
  krait_name_builder_free(&b);
  if (rc == KRAIT_OK) {
    idx->solv_subdir = ld.subdir;
    idx->solv_subdir_at = ld.subdir_at;
    idx->halves = halves;
    idx->second_end = second_end;
  } else {
    free(ld.subdir);
    krait_name_index_free(idx);
  }
  return rc;
}

