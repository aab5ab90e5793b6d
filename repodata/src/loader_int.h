/* The loader's parts shared by its three files: loader.c (the read window,
 * the walk of the file, a record into the pool: a full load), loader_scan.c
 * (the same walk building a name index instead, in two threads for a large
 * file) and loader_spans.c (the records a solve reaches, by their spans).
 * Private to them: the rest of repodata/ uses repodata_int.h and
 * name_index.h. */
#ifndef KRAIT_REPODATA_LOADER_INT_H
#define KRAIT_REPODATA_LOADER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <yyjson.h>

#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/strpool.h>

#include "krait/buf.h"
#include "name_index.h"
#include "repodata_int.h"
#include "strmap.h"

/* ---- the read window ---- */

typedef struct window {
  int fd;
  const char *path;
  char *buf;    /* [0, len) valid, then YYJSON_PADDING_SIZE bytes of room */
  size_t cap;   /* allocated, excluding the padding */
  size_t len;
  size_t pos;   /* cursor */
  size_t base;  /* file offset of buf[0] (for error messages) */
  bool eof;
  krait_err *err;
  krait_code rc; /* first I/O or parse error */
  /* each record's yyjson document comes from one reused block: malloc,
   * realloc and free per record were a few % of a scan */
  yyjson_alc alc;
  void *alc_block;
} window;

/* A value parsed in place by yyjson (loader.c's parse_value). */
typedef struct parsed {
  yyjson_doc *doc;
} parsed;

#define PARSE_FLAGS                                                                                            \
  (YYJSON_READ_INSITU | YYJSON_READ_STOP_WHEN_DONE | YYJSON_READ_NUMBER_AS_RAW | YYJSON_READ_ALLOW_INVALID_UNICODE)

/* ---- the parse state (mirrors repo_conda.c's struct parsedata) ---- */

typedef struct loader {
  window w;
  Pool *pool;
  Repo *repo;
  Repodata *data;
  char *subdir;       /* first info.subdir (libsolv's pd->subdir) */
  int nsubdirmismatch;
  char *subdirmismatchfn;
  krait_strmap fns;   /* file name without extension -> a: type (1 .tar.bz2, 2 .conda), b: solvable */
  Queue delayed;      /* solvable, fn-id pairs whose location waits for info.subdir */
  Stringpool delayed_fn;
  krait_strmap deps;  /* distinct dependency strings seen so far -> a: pool_conda_matchspec's Id */
  krait_repo_meta *meta;
  Id k_span_offset, k_span_length;
  /* a scan for the name index (name_index.h) instead of a load: */
  krait_name_builder *names;
  size_t subdir_at; /* file offset just past the info that gave subdir */
  char *subdir_final; /* loading spans: the file's subdir (borrowed), known from its index */
  struct split *split; /* a scan: the second half of the records, read by another thread */
  int halves;          /* 2 once the second half's records were taken */
  size_t second_end;   /* then where the second half ended */
} loader;


/* Index just past whitespace from s[i] (n: the end). */
size_t krait_ld_skip_ws(const char *s, size_t i, size_t n);
/* Index just past the string starting at s[i] == '"', or n if it does not end before n. */
size_t krait_ld_skip_string(const char *s, size_t i, size_t n);

/* The JSON string literal s[0..len) (quotes included), unescaped, into out;
 * false when it is not one. */
bool krait_ld_decode_string(const char *s, size_t len, krait_buf *out);

/* The loader state for the JSON open at fd, read from its current offset
 * (path names it in errors; *meta gets info/metadata); nothing in a pool yet. */
void krait_ld_init(loader *ld, int fd, const char *path, krait_repo_meta *meta, krait_err *err);
/* ...then records go to repo (a load, as opposed to a scan). */
void krait_ld_start_pool(loader *ld, Repo *repo);
/* Walks the whole file from the window's offset, then krait_ld_finish. */
krait_code krait_ld_run(loader *ld);
/* Releases what only the parse needed and internalizes the records. */
void krait_ld_finish(loader *ld);
/* The members of a records object (or array) from the first one on; true
 * when its closing bracket ended them (consumed). */
bool krait_ld_parse_members(loader *ld, bool array);
/* After a records object of the root: the records objects ("packages",
 * "packages.conda") that follow it among the root's members, up to the
 * first other member or the root's end; *stop: the file offset of the ','
 * before that member (or of what ended the root). False on an error. */
bool krait_ld_parse_later_records(loader *ld, size_t *stop);
/* repo_conda.c's parse_package, member for member: obj into the pool. kfn:
 * the record's key in `packages` (NULL for the array form); span_*: where
 * its text is in the file. */
void krait_ld_add_record(loader *ld, yyjson_val *obj, const char *kfn, unsigned long long span_offset,
                         unsigned long long span_length);

/* loader_scan.c: a record into the name index being built. */
void krait_ld_index_record(loader *ld, yyjson_val *obj, size_t key_back, size_t span_offset, size_t span_length);
/* loader_scan.c: at each record key of a scan with a second half running:
 * true when the second half starts at key_start and its records were taken
 * (the window then stands after its object), false to read on. */
bool krait_ld_split_take(loader *ld, size_t key_start);
/* loader_scan.c: a record's name as krait_ld_add_record sets it (the last
 * string "name" member), or NULL. */
yyjson_val *krait_ld_record_name(yyjson_val *obj);

#endif
