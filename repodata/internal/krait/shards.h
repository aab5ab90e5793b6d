/* CEP-16 sharded repodata, client side.
 *
 * When a remote channel subdir has <subdir>/repodata_shards.msgpack.zst, the
 * client fetches that index (for all channels of a request at once:
 * krait_shards_fetch_indexes) and then only the shards of the package names
 * the request can reach: starting from `roots`, each round fetches (in
 * parallel, through the download engine, sha256-verified) the shards of the
 * new names in every subdir of the channel at once, and adds the names their
 * records depend on, until no new name appears. Shards are cached by their
 * hash in <repodata_cache_dir>/shards/ (content-addressed: a cached shard is
 * never revalidated). The monolithic repodata.json is never downloaded.
 *
 * The records are written as a repodata.json-shaped file in the cache
 * (<key>.shards.json) and loaded by the ordinary loader, so they become
 * libsolv solvables exactly like monolithic records. */
#ifndef KRAIT_SHARDS_H
#define KRAIT_SHARDS_H

#include <stdbool.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "krait/buf.h"
#include "krait/channel.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/repodata.h"

typedef struct krait_shards_stats {
  long shards_fetched;  /* downloaded in this call */
  long shards_cached;   /* found in the cache */
  long names;           /* names visited */
} krait_shards_stats;

/* Which names are loaded: the shards of `roots`, and unless roots_only, of
 * every name their records depend on (breadth-first, transitively). */
typedef struct krait_shards_walk {
  const krait_strv *roots;
  bool roots_only;
  bool indexes_fetched; /* krait_shards_fetch_indexes ran for these subdirs: use the cached indexes */
} krait_shards_walk;

/* Fetches (or revalidates) the shard index of every subdir URL into the
 * repodata cache in one parallel batch; a subdir without one (404/403)
 * loses any cached index. Nothing offline. */
KRAIT_API krait_code krait_shards_fetch_indexes(krait_ctx *ctx, const char *const *subdir_urls, size_t n,
                                                krait_err *err);

/* Loads channel `ch`'s `subdirs` from sharded repodata when the channel has
 * it. out_repos[i] is the repo of subdirs[i] (NULL when that subdir has no
 * shard index and must be loaded the usual way). *sharded is false (and
 * nothing loaded) when no subdir has a shard index, for local channels, and
 * offline without a cached index. */
KRAIT_API krait_code krait_shards_load_channel(krait_ctx *ctx, Pool *pool, const krait_channel *ch,
                                               const char *const *subdirs, size_t n_subdirs,
                                               const krait_shards_walk *walk, const krait_repodata_opts *opts,
                                               Repo **out_repos, bool *sharded, krait_shards_stats *stats,
                                               krait_err *err);

#endif
