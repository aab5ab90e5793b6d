/* The name index of one repodata.json: for every package name, where its
 * records are in the file and which names their depends mention. A solve
 * needs only the records of the names its specs and installed packages
 * reach through depends (nothing else can be installed), so with this index
 * the loader parses those records alone (reachable.c): a few thousand of
 * conda-forge's 700,000. Building it reads the whole file once (loader_scan.c,
 * without filling the pool); it is cached beside the .solv (<key>.names),
 * bound to its source by the same stamp, and mapped on a warm start (its
 * checksum is the only full read: a few ms for conda-forge's 12 MB).
 *
 * Cache file: one JSON header line (format, source stamp, optional sha256,
 * base_url, subdir, libsolv's subdir and where it was read) padded to a
 * multiple of 8 bytes, then the blob: a head, the names, the records grouped
 * by name in file order, the depends' names, an open-addressing table of the
 * names, and the names' bytes. Native byte order: the cache is per machine
 * (a foreign one fails the magic and is rebuilt). */
#ifndef KRAIT_REPODATA_NAME_INDEX_H
#define KRAIT_REPODATA_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krait/ctx.h"
#include "repodata_int.h"
#include "strmap.h"

/* Where one record is: its value (the '{' and length) and, for the object
 * form of `packages`, how far before it its key's opening quote is (0: the
 * array form, no key). */
typedef struct krait_name_rec {
  uint64_t val_off;
  uint32_t val_len;
  uint32_t key_back;
} krait_name_rec;

typedef struct krait_name_ent {
  uint32_t name_off, name_len; /* in strings */
  uint32_t first_rec, n_recs;  /* in recs: this name's records, in file order */
  uint32_t first_dep, n_deps;  /* in deps: the names (indexes) its records' depends mention */
} krait_name_ent;

typedef struct krait_name_index {
  const krait_name_ent *names;
  const krait_name_rec *recs;
  const uint32_t *deps;
  const uint32_t *table; /* name index + 1, 0 = empty; table_cap is a power of two */
  const char *strings;
  uint32_t n_names, n_recs, n_deps, table_cap, strings_len;
  krait_repo_meta meta;   /* info/metadata of the file (base_url, subdir) */
  char *solv_subdir;      /* the first info.subdir, as libsolv's reader keeps it, or NULL */
  uint64_t solv_subdir_at; /* file offset where it was read: records before it did not know it yet */
  void *map;              /* the mapped cache file, or NULL */
  size_t map_len;
  char *owned;            /* the blob built by a scan, or NULL */
  int halves;             /* a scan: 2 when a second thread's half was used (loader_scan.c), else 1 */
  size_t second_end;      /* ...and then the file offset where the second half ended and the first read on */
} krait_name_index;

/* The dependency names one record gave, back to back (name_index.c). */
typedef struct krait_dep_names {
  char *text;
  size_t len, cap;
  uint32_t *end; /* per name: where it ends in text */
  uint32_t n, n_cap;
} krait_dep_names;

/* Collects an index while the loader scans a file. All zero is empty. */
typedef struct krait_name_builder {
  krait_strmap names;   /* name -> a: index */
  uint32_t *name_key;   /* per name index: its key in names' arena */
  uint32_t n_names, names_cap;
  uint32_t *rec_name;   /* per record, in file order */
  krait_name_rec *recs;
  size_t n_recs, recs_cap;
  krait_strmap pairs;   /* (name, dep name) seen, as 8 bytes */
  uint32_t *pair_name, *pair_dep;
  size_t n_pairs, pairs_cap;
  uint32_t *last_of;    /* per dep name: the last name recorded as depending on it */
  size_t last_of_cap;
  bool failed;          /* a table passed its size limit: no index */
  /* The records of a name are next to each other and mostly depend on the
   * same names: the last record's name and dependency names, recognized by a
   * compare instead of two hash lookups each (a tenth of a scan). */
  bool have_last;
  uint32_t last_id;           /* the last record's name */
  bool same_as_before;        /* it has the name of the record before it */
  krait_dep_names deps_of[2]; /* [cur]: the last record's, [cur ^ 1]: the one before */
  int cur;
  uint32_t dep_at;            /* dependencies of the last record so far */
} krait_name_builder;

/* Adds a record of `name` at `rec`; returns the name's index (for the dep
 * names of the same record), or UINT32_MAX when the builder failed. */
uint32_t krait_name_builder_add(krait_name_builder *b, const char *name, size_t len, const krait_name_rec *rec);
/* Records that name `of` depends on the name dep[0..len). */
void krait_name_builder_dep(krait_name_builder *b, uint32_t of, const char *dep, size_t len);
/* Appends what `from` collected (the records after all of into's) to into. */
void krait_name_builder_merge(krait_name_builder *into, const krait_name_builder *from);
/* Turns what was collected into idx (its blob owned by idx); frees the builder. */
bool krait_name_builder_finish(krait_name_builder *b, krait_name_index *idx);
void krait_name_builder_free(krait_name_builder *b);

/* Points idx's arrays into blob (borrowed) after checking every offset and
 * count in it: false when it is not a well-formed index blob. */
bool krait_name_index_view(krait_name_index *idx, const char *blob, size_t len);
/* The name's entry, or NULL. */
const krait_name_ent *krait_name_index_find(const krait_name_index *idx, const char *name, size_t len);
/* The bytes of entry e's name. */
static inline const char *krait_name_of(const krait_name_index *idx, const krait_name_ent *e) {
  return idx->strings + e->name_off;
}

/* The name a dependency string is on, as libsolv's pool_conda_matchspec
 * takes it (after the last ':', up to the first space or operator), in
 * *name and *name_len; *cut_len: its length up to a '[' or ';' in it (the
 * name a "name[version=...]" or "name; marker" means, followed as well).
 * Returns KRAIT_DEP_UPPER when the name has an upper-case ASCII letter,
 * KRAIT_DEP_CUT when *cut_len < *name_len. */
#define KRAIT_DEP_UPPER 2u
#define KRAIT_DEP_CUT 4u
unsigned krait_dep_name(const char *dep, size_t len, const char **name, size_t *name_len, size_t *cut_len);

/* Maps index_path if it was written for the JSON open at json_fd in the
 * state `stamp` (see solv_cache.c) and is well formed; false otherwise. */
bool krait_name_index_read(const krait_ctx *ctx, const char *index_path, int json_fd, const krait_solv_stamp *stamp,
                           krait_name_index *idx);
/* Writes idx (just built from json_fd at json_path, which had `stamp` before
 * the scan) to index_path atomically; skipped if the JSON changed meanwhile.
 * Failures are debug messages only (a cache is an optimisation). */
void krait_name_index_write(const krait_ctx *ctx, const krait_name_index *idx, const char *index_path, int json_fd,
                            const char *json_path, const krait_solv_stamp *stamp);
void krait_name_index_free(krait_name_index *idx);

/* Scans the repodata.json open at fd (path names it in errors) into idx, as
 * the loader reads it for a full load (the same errors for a bad file), but
 * without filling any pool (loader_scan.c). */
krait_code krait_repodata_scan_names(int fd, const char *path, krait_name_index *idx, krait_err *err);

/* One record to load: where it is and the name the index gives it. */
typedef struct krait_span_pick {
  const krait_name_rec *rec;
  const char *name;
  size_t name_len;
} krait_span_pick;

/* Adds the records `picks` (in file order) of the JSON open at fd, indexed
 * by idx, to repo exactly as a full load of the file would add them (in the
 * same relative order, .conda over .tar.bz2 of the same name); records not
 * picked are not read. Text that is not the record the index says (the file
 * was rewritten in place) is a one-line error. */
krait_code krait_repo_add_json_spans(Repo *repo, int fd, const char *path, const krait_name_index *idx,
                                     const krait_span_pick *picks, size_t n, krait_err *err);

#endif
