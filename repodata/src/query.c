/* krait_query_search: load the channels into a throwaway pool and keep every
 * solvable whose record satisfies the spec. */
#include "krait/query.h"

#include <solv/pool.h>
#include <solv/repo.h>
#include <stdlib.h>
#include <string.h>

#include "krait/channel.h"
#include "krait/config.h"
#include "krait/fs.h"
#include "krait/matchspec.h"
#include "krait/repodata.h"
#include "krait/version.h"

static int cmp_records(const void *a, const void *b) {
  const krait_record *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c)
    return c;
  if ((c = krait_version_cmp_str(x->version, y->version)))
    return c;
  if (x->build_number != y->build_number)
    return x->build_number < y->build_number ? -1 : 1;
  if ((c = strcmp(x->build, y->build)))
    return c;
  return strcmp(x->subdir ? x->subdir : "", y->subdir ? y->subdir : "");
}

static bool has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }
/* "^py.*$": conda's regex form of a name */
static bool is_regex(const char *s) { return s[0] == '^'; }

krait_code krait_query_search(krait_ctx *ctx, const char *spec, krait_query_result *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_matchspec *ms = NULL;
  krait_code rc = krait_matchspec_parse(spec, &ms, err);
  if (rc)
    return rc;
  krait_strv names = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &names);
  if (names.len && (rc = krait_channels_check_local(ctx, err))) {
    krait_strv_free(&names);
    krait_matchspec_free(ms);
    return rc;
  }
  if (!names.len) {
    krait_strv_free(&names);
    krait_matchspec_free(ms);
    return krait_err_set(err, KRAIT_E_INVALID, "no channels configured: give -c CHANNEL or set channels in a .condarc");
  }
  krait_channel *channels = krait_calloc(names.len, sizeof *channels);
  size_t n_channels = 0;
  bool any_remote = false;
  Pool *pool = krait_pool_new(ctx);
  for (size_t i = 0; i < names.len && !rc; i++) {
    rc = krait_channel_parse(ctx, names.items[i], &channels[i], err);
    n_channels++; /* a failed parse leaves it freeable */
    any_remote |= !rc && !krait_channel_is_local(&channels[i]);
  }
  /* An exact name needs only its own shard of a sharded channel; a pattern
   * can match any name, and only the whole repodata lists every name. */
  bool exact_name = ms->name && strcmp(ms->name, "*") != 0 && !has_glob(ms->name) && !is_regex(ms->name);
  krait_strv roots = KRAIT_STRV_INIT;
  if (exact_name) {
    char *lower = krait_strdup(ms->name); /* names match case-insensitively; shards are keyed in lower case */
    for (char *c = lower; *c; c++)
      if (*c >= 'A' && *c <= 'Z')
        *c = (char)(*c - 'A' + 'a');
    krait_strv_push_owned(&roots, lower);
  }
  else if (any_remote)
    krait_info(ctx, "search: \"%s\" is not one exact package name, so the whole repodata of each channel is read "
                    "(sharded repodata can only be looked up by name)", spec);
  /* a channel with no repodata at all is most likely a typo: reported */
  krait_channels_load how = {.require_any = true, .shard_roots = exact_name ? &roots : NULL, .shard_roots_only = true};
  if (!rc)
    rc = krait_repodata_load_channels(ctx, pool, channels, n_channels, &how, err);
  krait_strv_free(&roots);

  size_t cap = 0;
  Id name_id = exact_name ? pool_str2id(pool, ms->name, 0) : 0;
  for (Id p = 2; !rc && p < pool->nsolvables; p++) {
    Solvable *s = pool->solvables + p;
    if (!s->repo || (exact_name && s->name != name_id))
      continue;
    krait_record rec;
    krait_record_init(&rec);
    if ((rc = krait_solvable_record(pool, p, &rec, err))) {
      krait_record_free(&rec);
      break;
    }
    bool keep = krait_matchspec_matches(ms, &rec);
    if (keep && ms->channel) {
      keep = false;
      for (size_t c = 0; c < n_channels && !keep; c++)
        keep = rec.channel && strcmp(rec.channel, channels[c].url) == 0 &&
               krait_channel_matches(&channels[c], ctx, ms->channel);
    }
    if (!keep) {
      krait_record_free(&rec);
      continue;
    }
    if (out->len == cap) {
      cap = cap ? cap * 2 : 16;
      out->records = krait_realloc(out->records, cap * sizeof *out->records);
    }
    out->records[out->len++] = rec;
  }
  if (!rc && out->len > 1)
    qsort(out->records, out->len, sizeof *out->records, cmp_records);

  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  for (size_t i = 0; i < n_channels; i++)
    krait_channel_free(&channels[i]);
  free(channels);
  krait_strv_free(&names);
  krait_matchspec_free(ms);
  if (rc)
    krait_query_result_free(out);
  return rc;
}

void krait_query_result_free(krait_query_result *r) {
  for (size_t i = 0; i < r->len; i++)
    krait_record_free(&r->records[i]);
  free(r->records);
  r->records = NULL;
  r->len = 0;
}

krait_code krait_channels_check_local(krait_ctx *ctx, krait_err *err) {
  krait_strv names = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &names);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < names.len && !rc; i++) {
    krait_channel ch;
    if ((rc = krait_channel_parse(ctx, names.items[i], &ch, err)))
      break;
    char *dir = krait_channel_is_local(&ch) ? krait_file_url_to_path(ch.url) : NULL;
    if (dir && !krait_is_dir(dir)) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "channel %s: directory %s does not exist", names.items[i], dir);
    } else if (dir) {
      const char *dflt[] = {ctx->platform, "noarch"};
      const char *const *subdirs = ch.subdirs.len ? (const char *const *)ch.subdirs.items : dflt;
      size_t n = ch.subdirs.len ? ch.subdirs.len : 2;
      bool any = false;
      for (size_t s = 0; s < n && !any; s++) {
        char *sub = krait_path_join(dir, subdirs[s]);
        char *json = krait_path_join(sub, "repodata.json");
        any = krait_path_exists(json);
        free(json);
        free(sub);
      }
      if (!any)
        rc = krait_err_set(err, KRAIT_E_NOTFOUND, "channel %s: no %s/repodata.json or noarch/repodata.json in %s",
                           names.items[i], ch.subdirs.len ? ch.subdirs.items[0] : ctx->platform, dir);
    }
    free(dir);
    krait_channel_free(&ch);
  }
  krait_strv_free(&names);
  return rc;
}
