/* Repodata: one channel subdir's repodata.json loaded into a libsolv Repo.
 *
 * Local (file://, plain directory) and remote (http/https via libcurl with
 * conditional GETs) sources. A parsed subdir is cached as a .solv file bound to
 * the source file's checksum (sha256 of the JSON), so a second load skips JSON.
 *
 * The Repo is owned by the Pool (freed with it); each Repo's appdata points to
 * a krait_subdir_info owned by the repodata module and freed by
 * krait_repodata_free_pool_info() before the pool is freed. */
#ifndef KRAIT_REPODATA_H
#define KRAIT_REPODATA_H

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
  char *packages_url;  /* where archives live: base_url from the file (CEP-15/v2) or channel_url/subdir */
  char *source_path;   /* local path of the JSON that was parsed (cache or channel) */
  int channel_index;   /* 0 = highest priority channel */
} krait_subdir_info;

typedef struct krait_repodata_opts {
  int channel_index;        /* position of the channel in the request; sets repo priority */
  int n_channels;
  krait_channel_priority priority_mode;
  bool add_pip_as_python_dependency;
  bool missing_ok;          /* a missing subdir file (e.g. no noarch/) is an empty repo, not an error */
} krait_repodata_opts;

/* Loads channel `ch`'s `subdir` into `pool` as a new Repo. */
KRAIT_API krait_code krait_repodata_load(krait_ctx *ctx, Pool *pool, const krait_channel *ch, const char *subdir,
                                         const krait_repodata_opts *opts, Repo **out, krait_err *err);
/* Loads a repodata.json-shaped file directly (tests, benchmarks). */
KRAIT_API krait_code krait_repodata_load_file(krait_ctx *ctx, Pool *pool, const char *path,
                                              const krait_subdir_info *info, const krait_repodata_opts *opts,
                                              Repo **out, krait_err *err);
/* The full record for a solvable (name, version, build, channel, url, md5, sha256, ...). */
KRAIT_API krait_code krait_solvable_record(Pool *pool, Id solvable, krait_record *out, krait_err *err);
/* Frees every krait_subdir_info hung on the pool's repos. */
KRAIT_API void krait_repodata_free_pool_info(Pool *pool);

#endif
