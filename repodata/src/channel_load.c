/* krait_repodata_load_channels: which subdirs of the channels are loaded, for
 * the solver and for search alike (one rule, one place), with the monolithic
 * repodata of every remote subdir fetched in one parallel batch. */
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/repodata.h"
#include "krait/shards.h"
#include "repodata_int.h"

/* What is loaded of one channel. */
typedef struct chan_plan {
  const char *const *subdirs;
  size_t n;
  krait_repodata_opts opts;
  Repo **sharded; /* per subdir: its repo when loaded from shards */
  size_t first_fetch; /* index of its first subdir in the batch */
} chan_plan;

static void plan_channel(const krait_ctx *ctx, const krait_channel *ch, size_t index, size_t n_channels,
                         bool names_only, chan_plan *p) {
  static const char *noarch_only[1] = {"noarch"};
  memset(p, 0, sizeof *p);
  if (ch->subdirs.len) {
    p->subdirs = (const char *const *)ch->subdirs.items;
    p->n = ch->subdirs.len;
  } else if (strcmp(ctx->platform, "noarch") == 0) {
    p->subdirs = noarch_only;
    p->n = 1;
  } else {
    p->subdirs = NULL; /* ctx->platform and noarch: see subdir_at */
    p->n = 2;
  }
  p->opts = (krait_repodata_opts){
      .channel_index = (int)index,
      .n_channels = (int)n_channels,
      .priority_mode = ctx->channel_priority,
      .add_pip_as_python_dependency = false, /* the solver adds pip itself; search shows records as published */
      .missing_ok = true,
      .names_only = names_only,
  };
}

static const char *subdir_at(const krait_ctx *ctx, const chan_plan *p, size_t i) {
  return p->subdirs ? p->subdirs[i] : i == 0 ? ctx->platform : "noarch";
}

krait_code krait_repodata_load_channels(krait_ctx *ctx, Pool *pool, const krait_channel *chs, size_t n,
                                        const krait_channels_load *how, krait_err *err) {
  chan_plan *plans = krait_calloc(n ? n : 1, sizeof *plans);
  krait_code rc = KRAIT_OK;
  size_t n_fetch = 0;
  bool names_only = how && how->reachable_only && how->shard_roots;
  for (size_t c = 0; c < n; c++) {
    plan_channel(ctx, &chs[c], c, n, names_only, &plans[c]);
    plans[c].sharded = krait_calloc(plans[c].n, sizeof *plans[c].sharded);
    plans[c].first_fetch = n_fetch;
    if (!krait_channel_is_local(&chs[c]))
      n_fetch += plans[c].n;
  }
  /* every remote subdir's URL, in plan order (shard indexes, then monolithic repodata) */
  char **urls = krait_calloc(n_fetch ? n_fetch : 1, sizeof *urls);
  for (size_t c = 0; c < n; c++)
    for (size_t i = 0; i < plans[c].n && !krait_channel_is_local(&chs[c]); i++)
      urls[plans[c].first_fetch + i] = krait_asprintf("%s/%s", chs[c].url, subdir_at(ctx, &plans[c], i));
  /* CEP-16 first: the shard indexes of all channels in one batch; subdirs
   * that have one are loaded from the shards the roots reach, the others
   * (and channels without shards) are fetched below */
  bool shards = how && how->shard_roots;
  if (shards)
    rc = krait_shards_fetch_indexes(ctx, (const char *const *)urls, n_fetch, err);
  for (size_t c = 0; c < n && rc == KRAIT_OK && shards; c++) {
    chan_plan *p = &plans[c];
    if (krait_channel_is_local(&chs[c]))
      continue;
    const char **subdirs = krait_calloc(p->n, sizeof *subdirs);
    for (size_t i = 0; i < p->n; i++)
      subdirs[i] = subdir_at(ctx, p, i);
    bool sharded = false;
    krait_shards_walk walk = {.roots = how->shard_roots, .roots_only = how->shard_roots_only, .indexes_fetched = true};
    rc = krait_shards_load_channel(ctx, pool, &chs[c], subdirs, p->n, &walk, &p->opts, p->sharded, &sharded, NULL,
                                   err);
    free(subdirs);
    for (size_t i = 0; i < p->n; i++)
      if (p->sharded[i]) { /* not fetched below */
        free(urls[p->first_fetch + i]);
        urls[p->first_fetch + i] = NULL;
      }
  }
  /* the monolithic repodata of every other remote subdir of every channel: one batch */
  krait_repodata_fetch *fetches = krait_calloc(n_fetch ? n_fetch : 1, sizeof *fetches);
  for (size_t k = 0; k < n_fetch; k++)
    fetches[k] = (krait_repodata_fetch){.subdir_url = urls[k], .missing_ok = true};
  if (rc == KRAIT_OK)
    krait_fetch_repodata_batch(ctx, fetches, n_fetch); /* sharded subdirs have no URL: skipped */
  for (size_t c = 0; c < n && rc == KRAIT_OK; c++) {
    const chan_plan *p = &plans[c];
    bool any = false, remote = !krait_channel_is_local(&chs[c]);
    for (size_t i = 0; i < p->n && rc == KRAIT_OK; i++) {
      Repo *repo = p->sharded[i];
      if (!repo)
        rc = krait_repodata_load_fetched(ctx, pool, &chs[c], subdir_at(ctx, p, i), &p->opts,
                                         remote ? &fetches[p->first_fetch + i] : NULL, &repo, err);
      const krait_subdir_info *info = repo ? krait_repo_info(repo) : NULL;
      any |= info && !info->missing;
    }
    if (rc == KRAIT_OK && how && how->require_any && !any)
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "channel %s has no repodata for %s%s (%s)", chs[c].name,
                         subdir_at(ctx, p, 0), p->n > 1 ? " or noarch" : "", chs[c].url);
  }
  /* every subdir is indexed: now the records the roots reach, across all of them */
  if (rc == KRAIT_OK && names_only)
    rc = krait_repodata_fill_reachable(ctx, pool, how->shard_roots, err);
  for (size_t j = 0; j < n_fetch; j++) {
    free(fetches[j].json_path);
    free(urls[j]);
  }
  for (size_t c = 0; c < n; c++)
    free(plans[c].sharded);
  free(fetches);
  free(urls);
  free(plans);
  return rc;
}
