/* `krait index DIR`: turns a directory of conda archives into a channel any
 * web server (or file://) can serve.
 *
 * For every subdirectory holding *.conda / *.tar.bz2 files (and always
 * noarch/) it writes, atomically and with conda-index's record fields:
 *   <subdir>/repodata.json, <subdir>/repodata.json.zst,
 *   <subdir>/repodata_shards.msgpack.zst and <subdir>/shards/<sha256>.msgpack.zst
 *   (CEP-16 sharded repodata: one shard per package name, named by the
 *   sha256 of its compressed bytes),
 * and <DIR>/channeldata.json.
 *
 * Incremental: <subdir>/.krait-index-cache.json remembers each archive's
 * record by (size, mtime); an archive whose size and mtime are unchanged is
 * not read again. Archives are read in parallel (ctx->extract_threads). An
 * archive whose info/index.json name-version-build disagrees with its file
 * name is refused: the whole run fails naming it, and nothing is written. */
#ifndef KRAIT_CHINDEX_H
#define KRAIT_CHINDEX_H

#include <stdbool.h>

#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_index_stats {
  long subdirs;
  long archives; /* records written */
  long read;     /* archives actually opened (not from the cache) */
  long shards;   /* shard files written (new ones; existing content-addressed files are kept) */
} krait_index_stats;

typedef struct krait_index_opts {
  int threads;   /* 0: ctx->extract_threads (0 there = cores) */
  bool no_cache; /* read every archive again */
} krait_index_opts;

KRAIT_API krait_code krait_index_channel(const krait_ctx *ctx, const char *dir, const krait_index_opts *opts,
                                         krait_index_stats *stats, krait_err *err);

#endif
