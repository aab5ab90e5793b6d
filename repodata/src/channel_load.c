/* krait_repodata_load_channel: which subdirs of a channel are loaded, for the
 * solver and for search alike (one rule, one place). */
#include <string.h>

#include "krait/repodata.h"
#include "krait/shards.h"

krait_code krait_repodata_load_channel(krait_ctx *ctx, Pool *pool, const krait_channel *ch, int channel_index,
                                       int n_channels, bool require_any, const krait_strv *shard_roots,
                                       krait_err *err) {
  const char *defaults[2] = {ctx->platform, "noarch"};
  const char *const *subdirs = defaults;
  size_t n = strcmp(ctx->platform, "noarch") == 0 ? 1 : 2;
  if (ch->subdirs.len) {
    subdirs = (const char *const *)ch->subdirs.items;
    n = ch->subdirs.len;
  }
  krait_repodata_opts opts = {
      .channel_index = channel_index,
      .n_channels = n_channels,
      .priority_mode = ctx->channel_priority,
      .add_pip_as_python_dependency = false, /* the solver adds pip itself; search shows records as published */
      .missing_ok = true,
  };
  bool any = false;
  /* CEP-16: subdirs with a shard index are loaded from the shards the roots
   * reach; the others (and channels without shards) fall through below */
  Repo *sharded_repos[16] = {0};
  bool sharded = false;
  if (shard_roots && n <= 16) {
    krait_code rc = krait_shards_load_channel(ctx, pool, ch, subdirs, n, shard_roots, &opts, sharded_repos,
                                              &sharded, NULL, err);
    if (rc != KRAIT_OK)
      return rc;
  }
  for (size_t i = 0; i < n; i++) {
    Repo *repo = sharded_repos[i];
    krait_code rc = repo ? KRAIT_OK : krait_repodata_load(ctx, pool, ch, subdirs[i], &opts, &repo, err);
    if (rc != KRAIT_OK)
      return rc;
    const krait_subdir_info *info = repo ? krait_repo_info(repo) : NULL;
    any |= info && !info->missing;
  }
  if (require_any && !any)
    return krait_err_set(err, KRAIT_E_NOTFOUND, "channel %s has no repodata for %s%s (%s)", ch->name, subdirs[0],
                         n > 1 ? " or noarch" : "", ch->url);
  return KRAIT_OK;
}
