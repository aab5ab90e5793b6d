/* Private interfaces between the repodata module's source files. */
#ifndef KRAIT_REPODATA_INT_H
#define KRAIT_REPODATA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/json.h"
#include "krait/net.h"
#include "krait/record.h"
#include "krait/repodata.h"

/* Bumped whenever what krait stores in a .solv cache file changes. */
#define KRAIT_SOLV_CACHE_FORMAT 4

/* Top-level metadata of a repodata.json that libsolv's parser ignores. */
typedef struct krait_repo_meta {
  char *base_url;      /* info.base_url (CEP-15: the subdir URL) or NULL */
  bool base_is_channel; /* from the early `metadata.base_url` spelling: a channel URL, append "/<subdir>" */
  char *subdir;        /* info.subdir / metadata.subdir or NULL */
} krait_repo_meta;

void krait_repo_meta_free(krait_repo_meta *m);
/* Merges the base_url/subdir of an `info` (is_metadata false) or `metadata`
 * object into *out: info, the standard spelling, wins over metadata. */
void krait_repo_meta_take(krait_repo_meta *out, const char *base_url, const char *subdir, bool is_metadata);

/* Where each record's text is in its repodata.json (byte offset of its '{'
 * and length): the loader adds them to every solvable besides libsolv's
 * attributes, and they travel in the .solv cache. What libsolv's reader drops
 * or normalises (depends and constrains as written, noarch, the timestamp in
 * ms, license_family, features, python_site_packages_path) is read from that
 * text when a record is needed (record_span.c), so neither the pool nor the
 * .solv cache carries a second copy of it. */
#define KRAIT_KEY_SPAN_OFFSET "krait:json_offset"
#define KRAIT_KEY_SPAN_LENGTH "krait:json_length"

/* The loader (loader.c): reads the repodata.json open at fd (path names it
 * in errors) in one streaming pass into repo, exactly as libsolv's
 * repo_add_conda would, plus the span keys above, and fills *meta from
 * info/metadata. The fd is read from its current offset and not closed. On
 * error the repo may hold part of the records (the caller frees it) and
 * *meta is empty. */
krait_code krait_repo_add_json_fd(Repo *repo, int fd, const char *path, krait_repo_meta *meta, krait_err *err);
/* The same for a path (opened and closed here). */
krait_code krait_repo_add_json_file(Repo *repo, const char *path, krait_repo_meta *meta, krait_err *err);

/* The fields of solvable p's record that libsolv does not keep, read from
 * its span in the repodata.json open at json_fd (json_path names it in
 * errors) into r, whose name, version and the rest libsolv keeps are already
 * filled: depends (as written, then any requirement added after loading, such
 * as pip), constrains, noarch, timestamp, license_family, features,
 * python_site_packages_path. A solvable without a span gets them from the
 * pool alone. An error when the text at the span is no longer that record
 * (the file was rewritten in place while krait ran). */
krait_code krait_record_read_span(Pool *pool, Id p, int json_fd, const char *json_path, krait_record *r,
                                  krait_err *err);
/* Appends the ids of solvable attribute `key` (an idarray) to v, as
 * dependencies (deps) or as plain strings. */
void krait_push_idarray(Pool *pool, Solvable *s, Id key, bool deps, krait_strv *v);

/* Adds to every repo of the pool loaded with opts.names_only the records of
 * the names `roots` reach through depends (reachable.c), and drops the
 * indexes. A record that is not where its index says is an error. */
krait_code krait_repodata_fill_reachable(krait_ctx *ctx, Pool *pool, const krait_strv *roots, krait_err *err);

/* The conda cache key of a URL: md5(url)[:8] in hex (9 bytes incl. NUL). */
void krait_cache_key(const char *url, char out[9]);

/* What a .solv cache is checked against instead of the JSON's bytes: the
 * source file's size, mtime_ns, inode and device, plus for a downloaded
 * file the ETag and Last-Modified of its HTTP cache state (<key>.state.json
 * beside it, written by fetch). mtime_ns is kept to tell a "racy" stamp (see
 * solv_cache.c). */
typedef struct krait_solv_stamp {
  char text[768];
  long long mtime_ns;
  bool validated; /* the HTTP cache state gave an ETag or Last-Modified for these bytes */
} krait_solv_stamp;

/* Fills *out from a stat of path (and its .state.json); false if path cannot be stat'ed. */
bool krait_solv_stamp_of(const char *path, krait_solv_stamp *out);
/* The same for the file open at fd (path: where its .state.json is). */
bool krait_solv_stamp_of_fd(int fd, const char *path, krait_solv_stamp *out);

/* True when the source's mtime is too recent for its stamp alone to tell a
 * rewrite within the same timestamp tick (and no HTTP validators name its
 * bytes): a cache written now also keeps the content hash (solv_cache.c). */
bool krait_solv_stamp_racy(const krait_solv_stamp *stamp);
/* sha256 in hex of the file open at fd, read in blocks from its start. */
bool krait_file_sha256_fd(int fd, char hex[65]);

/* Whether a cache built from the JSON open at fd (json_path), which had
 * `stamp` before it was read, may be written to cache_path: not when the
 * file changed meanwhile (a debug message says so). hex gets the JSON's
 * sha256 when the stamp is racy, else "". */
bool krait_solv_stamp_cacheable(const krait_ctx *ctx, const char *cache_path, int json_fd, const char *json_path,
                                const krait_solv_stamp *stamp, char hex[65]);

/* The members every cache header of a JSON has (.solv, name index): its
 * stamp, its sha256 ("" unless racy), base_url, base_is_channel, subdir. */
void krait_cache_header_put(krait_jw *w, const krait_solv_stamp *stamp, const char *sha256,
                            const krait_repo_meta *meta);

/* .solv cache: reads `solv_path` into `repo` if it was written for the JSON
 * open at json_fd in the state `stamp` (returns true and fills *meta), else false (leaving
 * the repo empty). */
bool krait_solv_cache_read(const krait_ctx *ctx, Repo *repo, const char *solv_path, int json_fd,
                           const krait_solv_stamp *stamp, krait_repo_meta *meta);
/* Writes `repo` (just parsed from json_fd, open on json_path, which had
 * `stamp` before the parse) to solv_path atomically; skipped if json_path
 * changed meanwhile. Failures are reported as debug/warnings only (a cache is
 * an optimisation). */
void krait_solv_cache_write(const krait_ctx *ctx, Repo *repo, const char *solv_path, int json_fd,
                            const char *json_path, const krait_solv_stamp *stamp, const krait_repo_meta *meta);

/* <repodata_cache_dir>/<md5(subdir_url + "/")[:8]><suffix>: conda's cache
 * key, the one name every cached file of a subdir starts with (".json",
 * ".state.json", ".solv", ".shards.msgpack.zst", ...). Caller frees. */
char *krait_repodata_cache_path(const krait_ctx *ctx, const char *subdir_url, const char *suffix);

/* The HTTP cache state of a downloaded file: conda's <key>.state.json (url
 * redacted, etag, mod, cache_control, has_zst), plus the size and mtime_ns
 * of the cached body it describes, so a body replaced behind its back is
 * not revalidated with validators that are not its own. */
typedef struct krait_http_state {
  char *url;
  char *etag;
  char *mod;
  char *cache_control;
  int has_zst; /* -1 unknown (not written), 0 no, 1 yes */
} krait_http_state;

void krait_http_state_free(krait_http_state *st);
/* Reads state_path if it describes body_path as it is now, else leaves *st empty. */
void krait_http_state_load(const char *state_path, const char *body_path, krait_http_state *st);
/* Writes *st for body_path (atomically). */
krait_code krait_http_state_save(const char *state_path, const krait_http_state *st, const char *body_path,
                                 krait_err *err);
/* The URL (redacted) and validators of a 2xx answer replace those in *st. */
void krait_http_state_take(krait_http_state *st, const krait_transfer *t);

/* One subdir of krait_fetch_repodata_batch. */
typedef struct krait_repodata_fetch {
  const char *subdir_url; /* in: <channel URL>/<subdir> (may be a redacted URL of a configured channel);
                             NULL: nothing to fetch (the entry stays empty) */
  bool missing_ok;        /* in: a missing platform subdir is no error (a missing noarch always is) */
  char *json_path;        /* out: the cached JSON (caller frees), NULL when the subdir is missing */
  int http_status;        /* out: 200, 304, 404 (missing) or 0 (offline / still fresh: cache used as is) */
  krait_code code;        /* out: KRAIT_OK or why this subdir failed, with err naming its URL */
  krait_err err;
} krait_repodata_fetch;

/* Downloads (or revalidates) <subdir_url>/repodata.json[.zst] of every entry
 * into the repodata cache, all in one parallel batch of the download engine:
 * first the conditional requests for repodata.json.zst of every subdir whose
 * cache state does not say the server lacks it, then repodata.json for
 * those that answered 404 (or are known to lack the .zst). Caching,
 * validation and bounds are those of a single fetch; each entry gets its own
 * result and error. Runs on the calling thread. */
void krait_fetch_repodata_batch(krait_ctx *ctx, krait_repodata_fetch *fetches, size_t n);

/* krait_repodata_load with the download already done by a batch: `fetched`
 * is ch's subdir's entry of krait_fetch_repodata_batch (borrowed; NULL:
 * fetch it now). A cached file that turns out corrupt is fetched again. */
krait_code krait_repodata_load_fetched(krait_ctx *ctx, Pool *pool, const krait_channel *ch, const char *subdir,
                                      const krait_repodata_opts *opts, const krait_repodata_fetch *fetched,
                                      Repo **out, krait_err *err);

/* A batch of one: *json_path (caller frees) is the cached JSON, or NULL when
 * the server has no such subdir and missing_ok. */
krait_code krait_fetch_repodata(krait_ctx *ctx, const char *subdir_url, bool missing_ok, char **json_path,
                                int *http_status, krait_err *err);

#endif
