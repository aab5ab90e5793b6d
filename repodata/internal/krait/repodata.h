/* Repodata: one channel subdir's repodata.json loaded into a libsolv Repo.
 *
 * NOT a public header (repodata/internal/): it exposes libsolv's Pool, Repo
 * and Id, so only the solver module, tests and benchmarks include it (CMake
 * target krait_repodata_solv); cli/ works through query.h and solver.h.
 *
 * Local (file://, plain directory) and remote (http/https via libcurl with
 * conditional GETs) sources. Remote files are cached in ctx->repodata_cache_dir
 * in conda's layout: <md5(subdir_url + "/")[:8]>.json + .state.json.
 * A parsed subdir is also cached there as <key>.solv, bound to the sha256 of
 * the JSON it came from and to the cache format + libsolv version, so a second
 * load skips JSON. Channel directories themselves are never written.
 *
 * The Repo is owned by the Pool (freed with it); each Repo's appdata points to
 * a krait_subdir_info owned by the repodata module and freed by
 * krait_repodata_free_pool_info() before the pool is freed. Other repos in
 * the same pool (e.g. the installed one) must leave appdata NULL.
 *
 * The pool must be a conda pool: pool_setdisttype(pool, DISTTYPE_CONDA). */
#ifndef KRAIT_REPODATA_H
#define KRAIT_REPODATA_H

#include <stdbool.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "krait/channel.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/record.h"

typedef struct krait_subdir_info {
  char *channel_url;   /* krait_channel.url */
  char *channel_name;  /* krait_channel.name */
  char *subdir;        /* "linux-64", "noarch" */
  char *packages_url;  /* where archives live: base_url from the file (CEP-15 info.base_url or the early
                          metadata.base_url) resolved against channel_url/subdir/, else channel_url/subdir */
  char *source_path;   /* local path of the JSON that was parsed (cache or channel); NULL for a missing subdir */
  int json_fd;         /* that JSON, open while the repo lives (records are read back from it); -1 if none */
  char *solv_path;     /* its .solv cache, or NULL */
  int channel_index;   /* 0 = highest priority channel */
  /* How this load went (for callers, tests and `--verbose`): */
  bool from_solv_cache; /* the .solv cache was valid and used; JSON was not parsed */
  /* Loaded for a solve (krait_channels_load.reachable_only): the file's name
   * index until the reachable records are added, and its cache file. */
  struct krait_name_index *name_index;
  char *index_path;
  bool from_index_cache; /* the cached name index was valid and used: the JSON was not scanned */
  bool missing;         /* the subdir had no repodata (opts->missing_ok): empty repo */
  int http_status;      /* remote: 200 downloaded, 304 not modified; 0 local or offline */
} krait_subdir_info;

/* Priorities set on each Repo (libsolv: higher = preferred):
 *   priority    = n_channels - channel_index, or 0 with KRAIT_PRIORITY_DISABLED;
 *   subpriority = 2 * (n_channels - channel_index) + (subdir != noarch).
 * The solver module sets SOLVER_FLAG_STRICT_REPO_PRIORITY for strict mode. */
typedef struct krait_repodata_opts {
  int channel_index;        /* position of the channel in the request; sets repo priority */
  int n_channels;
  krait_channel_priority priority_mode;
  bool add_pip_as_python_dependency;
  bool missing_ok;          /* a missing subdir file (e.g. no noarch/) is an empty repo, not an error */
  bool no_solv_cache;       /* neither read nor write the .solv cache (nor the name index cache) */
  bool names_only;          /* index the file by name and add no record yet (krait_channels_load.reachable_only) */
} krait_repodata_opts;

/* A Pool in conda mode whose libsolv warnings and errors (e.g. a record whose
 * subdir differs from its repodata's) reach the user through ctx's events.
 * Free with pool_free() after krait_repodata_free_pool_info(). ctx must
 * outlive the pool. */
KRAIT_API Pool *krait_pool_new(const krait_ctx *ctx);

/* Loads channel `ch`'s `subdir` into `pool` as a new Repo (local channels:
 * <dir>/<subdir>/repodata.json read in place; remote: downloaded/revalidated
 * into ctx->repodata_cache_dir, repodata.json.zst preferred; ctx->offline uses
 * the cached copy only). */
KRAIT_API krait_code krait_repodata_load(krait_ctx *ctx, Pool *pool, const krait_channel *ch, const char *subdir,
                                         const krait_repodata_opts *opts, Repo **out, krait_err *err);
/* Loads a repodata.json-shaped file directly (tests, benchmarks). `info` is
 * copied (its source_path, flags and packages_url are filled in by the load;
 * channel_url/channel_name/subdir may be NULL). */
KRAIT_API krait_code krait_repodata_load_file(krait_ctx *ctx, Pool *pool, const char *path,
                                              const krait_subdir_info *info, const krait_repodata_opts *opts,
                                              Repo **out, krait_err *err);
/* How krait_repodata_load_channels loads. */
typedef struct krait_channels_load {
  bool require_any; /* a channel with no repodata at all is KRAIT_E_NOTFOUND (most likely a typo) */
  /* The names a request starts from: a remote channel that publishes CEP-16
   * sharded repodata loads only the shards of those names (and, unless
   * shard_roots_only, of every name their records depend on, transitively;
   * krait/shards.h); its other subdirs load as usual. NULL: never sharded. */
  const krait_strv *shard_roots;
  bool shard_roots_only; /* search: an exact name needs its own shard only */
  /* A solve: of the monolithic repodata too, only the records of the
   * shard_roots names and of the names their depends reach, transitively
   * across all the channels, are added to the pool (nothing else can be
   * installed); each file is indexed by name once (cached beside its .solv).
   * Ignored without shard_roots. */
  bool reachable_only;
} krait_channels_load;

/* Loads every subdir of the n channels `chs` into `pool`, channel i with
 * channel_index i of n: a channel's own subdirs when it names them
 * (".../linux-64"), else ctx->platform and noarch (just noarch when the
 * platform is noarch), each with the priorities documented above. A subdir
 * without repodata becomes an empty repo (a channel with only noarch/ is
 * common). The monolithic repodata of every remote subdir of every channel
 * is downloaded/revalidated in one parallel batch before anything is parsed
 * (krait_fetch_repodata_batch); errors name the failing subdir's URL.
 * `how` may be NULL (defaults: no shards, a channel may be empty). */
KRAIT_API krait_code krait_repodata_load_channels(krait_ctx *ctx, Pool *pool, const krait_channel *chs, size_t n,
                                                  const krait_channels_load *how, krait_err *err);
/* The full record for a solvable: name, version, build, build_number,
 * channel (= channel URL, see record.h), subdir, fn, url (packages_url/fn),
 * md5, sha256, size, timestamp (ms, exact), noarch, license, license_family,
 * features, python_site_packages_path, track_features, and depends /
 * constrains exactly as written in the repodata, in file order (plus "pip"
 * for python when add_pip_as_python_dependency was set, like conda).
 * Not filled: arch, platform. Caller frees `out` with krait_record_free(). */
KRAIT_API krait_code krait_solvable_record(Pool *pool, Id solvable, krait_record *out, krait_err *err);
/* The krait_subdir_info of a repo loaded by this module, or NULL. */
KRAIT_API const krait_subdir_info *krait_repo_info(const Repo *repo);
/* Frees every krait_subdir_info hung on the pool's repos. */
KRAIT_API void krait_repodata_free_pool_info(Pool *pool);

#endif
