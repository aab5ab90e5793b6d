/* CEP-16 sharded repodata, client side (see krait/shards.h). */
#include "krait/shards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chindex_int.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/net.h"
#include "krait/secrets.h"
#include "repodata_int.h"

/* An index or a shard larger than this after decompression is refused. */
#define SHARD_MAX_BYTES ((size_t)1 << 30)

typedef struct sub {
  const char *subdir;
  char *subdir_url;
  char *shown;        /* subdir_url with any credentials redacted: for messages */
  char *index_path;   /* cached index file */
  char *shards_base;  /* absolute URL ending in '/' */
  char *base_url;     /* info.base_url as written (may be relative) or NULL */
  krait_buf index_raw; /* decompressed msgpack */
  msgpack_unpacked index;
  const msgpack_object *shards; /* map name -> bin(32) */
  bool has_index;
  krait_buf pkgs, conda; /* JSON members gathered for packages / packages.conda */
} sub;

static char *hex_of(const msgpack_object *bin) {
  if (bin->type != MSGPACK_OBJECT_BIN || bin->via.bin.size != 32)
    return NULL;
  char *hex = krait_malloc(65);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", (unsigned char)bin->via.bin.ptr[i]);
  return hex;
}

/* URL of ref relative to the directory URL dir (ending in '/'). */
static char *join_url(const char *dir, const char *ref) {
  if (strstr(ref, "://"))
    return krait_strdup(ref);
  if (strncmp(ref, "./", 2) == 0)
    ref += 2;
  return krait_asprintf("%s%s", dir, ref);
}

static krait_code parse_index(sub *s, const char *shown, krait_err *err) {
  krait_buf z = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(s->index_path, &z, err);
  if (rc == KRAIT_OK)
    rc = krait_zstd_decompress_mem(z.data, z.len, SHARD_MAX_BYTES, &s->index_raw, shown, err);
  krait_buf_free(&z);
  if (rc)
    return rc;
  size_t off = 0;
  if (msgpack_unpack_next(&s->index, s->index_raw.data, s->index_raw.len, &off) != MSGPACK_UNPACK_SUCCESS)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: not a msgpack shard index", shown);
  const msgpack_object *root = &s->index.data;
  s->shards = krait_mp_get(root, "shards");
  if (!s->shards || s->shards->type != MSGPACK_OBJECT_MAP)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: the shard index has no \"shards\" map", shown);
  const msgpack_object *info = krait_mp_get(root, "info");
  const msgpack_object *sb = krait_mp_get(info, "shards_base_url");
  const msgpack_object *bu = krait_mp_get(info, "base_url");
  char *dir = krait_asprintf("%s/", s->subdir_url);
  char *ref = sb && sb->type == MSGPACK_OBJECT_STR ? krait_strndup(sb->via.str.ptr, sb->via.str.size)
                                                   : krait_strdup("./shards/");
  s->shards_base = join_url(dir, ref);
  if (s->shards_base[strlen(s->shards_base) - 1] != '/') {
    char *t = krait_asprintf("%s/", s->shards_base);
    free(s->shards_base);
    s->shards_base = t;
  }
  if (bu && bu->type == MSGPACK_OBJECT_STR && bu->via.str.size)
    s->base_url = krait_strndup(bu->via.str.ptr, bu->via.str.size);
  free(ref);
  free(dir);
  return KRAIT_OK;
}

static const msgpack_object *shard_hash(const sub *s, const char *name) {
  size_t n = strlen(name);
  for (uint32_t i = 0; i < s->shards->via.map.size; i++) {
    const msgpack_object *k = &s->shards->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0)
      return &s->shards->via.map.ptr[i].val;
  }
  return NULL;
}

/* The package name a dependency starts with (after any "channel::"). */
static char *dep_name(const char *ptr, size_t len) {
  const char *end = ptr + len;
  for (const char *p = ptr; p + 1 < end; p++)
    if (p[0] == ':' && p[1] == ':')
      ptr = p + 2;
  while (ptr < end && *ptr == ' ')
    ptr++;
  size_t n = 0;
  while (ptr + n < end && !strchr(" =<>!~[", ptr[n]))
    n++;
  char *out = krait_strndup(ptr, n);
  for (char *c = out; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  return out;
}

/* Appends the records of one shard to s's JSON buffers and the names their
 * depends mention to `next`. */
static krait_code absorb_shard(krait_ctx *ctx, sub *s, const char *path, const char *shown, krait_strv *next,
                               krait_err *err) {
  krait_buf z = KRAIT_BUF_INIT, raw = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(path, &z, err);
  if (rc == KRAIT_OK)
    rc = krait_zstd_decompress_mem(z.data, z.len, SHARD_MAX_BYTES, &raw, shown, err);
  krait_buf_free(&z);
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  if (rc == KRAIT_OK && msgpack_unpack_next(&u, raw.data, raw.len, &off) != MSGPACK_UNPACK_SUCCESS)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: not a msgpack shard", shown);
  for (int pass = 0; pass < 2 && rc == KRAIT_OK; pass++) {
    const msgpack_object *m = krait_mp_get(&u.data, pass ? "packages.conda" : "packages");
    if (!m || m->type != MSGPACK_OBJECT_MAP)
      continue;
    krait_buf *b = pass ? &s->conda : &s->pkgs;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
      const msgpack_object_kv *kv = &m->via.map.ptr[i];
      if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_MAP)
        continue;
      krait_buf_puts(b, b->len ? ",\n" : "\n");
      krait_json_escape(b, kv->key.via.str.ptr, kv->key.via.str.size);
      krait_buf_putc(b, ':');
      krait_jw w;
      krait_jw_init(&w, b, 0);
      krait_mp_write_json(&w, &kv->val);
      const msgpack_object *nm = krait_mp_get(&kv->val, "name");
      /* the solver makes python 2/3 require pip: pip must be reachable too */
      if (ctx->add_pip_as_python_dependency && nm && nm->type == MSGPACK_OBJECT_STR && nm->via.str.size == 6 &&
          memcmp(nm->via.str.ptr, "python", 6) == 0 && !krait_strv_contains(next, "pip"))
        krait_strv_push(next, "pip");
      const msgpack_object *deps = krait_mp_get(&kv->val, "depends");
      for (uint32_t d = 0; deps && deps->type == MSGPACK_OBJECT_ARRAY && d < deps->via.array.size; d++) {
        const msgpack_object *dep = &deps->via.array.ptr[d];
        if (dep->type != MSGPACK_OBJECT_STR)
          continue;
        char *n = dep_name(dep->via.str.ptr, dep->via.str.size);
        if (*n && !krait_strv_contains(next, n))
          krait_strv_push_owned(next, n);
        else
          free(n);
      }
    }
  }
  msgpack_unpacked_destroy(&u);
  krait_buf_free(&raw);
  return rc;
}

static void sub_free(sub *s) {
  free(s->subdir_url);
  free(s->shown);
  free(s->index_path);
  free(s->shards_base);
  free(s->base_url);
  msgpack_unpacked_destroy(&s->index);
  krait_buf_free(&s->index_raw);
  krait_buf_free(&s->pkgs);
  krait_buf_free(&s->conda);
}

/* <index>.state.json: the HTTP cache state of a cached shard index, so an
 * unchanged index costs a 304. */
static char *state_path_of(const char *index_path) { return krait_asprintf("%s.state.json", index_path); }

/* Fetches the shard index of every subdir URL into its cache file, in one
 * parallel batch (conditional when cached); a 404/403 removes the cached one. */
static krait_code fetch_index_files(krait_ctx *ctx, const char *const *subdir_urls, char *const *index_paths, size_t n,
                                    krait_err *err) {
  krait_transfer *t = krait_calloc(n + 1, sizeof *t);
  char **urls = krait_calloc(n + 1, sizeof *urls), **tmps = krait_calloc(n + 1, sizeof *tmps);
  krait_http_state *states = krait_calloc(n + 1, sizeof *states);
  krait_code rc = KRAIT_OK;
  if (!ctx->offline) {
    krait_net *net;
    rc = krait_net_get(ctx, &net, err);
    for (size_t i = 0; i < n && rc == KRAIT_OK; i++) {
      urls[i] = krait_asprintf("%s/repodata_shards.msgpack.zst", subdir_urls[i]);
      tmps[i] = krait_asprintf("%s.part-%ld", index_paths[i], (long)getpid());
      t[i].url = urls[i];
      t[i].dest_path = tmps[i];
      t[i].expected_size = -1;
      t[i].max_bytes = ctx->repodata_max_bytes;
      char *state_path = state_path_of(index_paths[i]);
      krait_http_state_load(state_path, index_paths[i], &states[i]);
      free(state_path);
      t[i].if_none_match = states[i].etag && *states[i].etag ? states[i].etag : NULL;
      t[i].if_modified_since = states[i].mod && *states[i].mod ? states[i].mod : NULL;
    }
    if (rc == KRAIT_OK) {
      krait_err first;
      krait_code any = krait_net_run(net, t, n, &first);
      (void)any; /* judged per transfer: a 404 only means "not sharded" */
      for (size_t i = 0; i < n && rc == KRAIT_OK; i++) {
        if (t[i].code == KRAIT_OK && t[i].status == 304 && (t[i].if_none_match || t[i].if_modified_since)) {
          /* unchanged: the cached index stays */
        } else if (t[i].code == KRAIT_OK && t[i].status >= 200 && t[i].status < 300) {
          if (rename(tmps[i], index_paths[i]) != 0) {
            rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s", tmps[i]);
          } else {
            krait_http_state_take(&states[i], &t[i]);
            char *state_path = state_path_of(index_paths[i]);
            krait_err ignored; /* a lost state only costs a full download next time */
            (void)krait_http_state_save(state_path, &states[i], index_paths[i], &ignored);
            free(state_path);
          }
        } else if (t[i].code != KRAIT_E_NOTFOUND && t[i].status != 403) {
          if (err)
            *err = t[i].err;
          rc = t[i].code ? t[i].code : KRAIT_E_NET;
        } else {
          unlink(index_paths[i]); /* the channel stopped publishing shards */
          char *state = state_path_of(index_paths[i]);
          unlink(state);
          free(state);
        }
        unlink(tmps[i]);
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    krait_transfer_clear(&t[i]);
    free(urls[i]);
    free(tmps[i]);
    krait_http_state_free(&states[i]);
  }
  free(t);
  free(urls);
  free(tmps);
  free(states);
  return rc;
}

krait_code krait_shards_fetch_indexes(krait_ctx *ctx, const char *const *subdir_urls, size_t n, krait_err *err) {
  if (!ctx->repodata_cache_dir || n == 0 || ctx->offline)
    return KRAIT_OK;
  krait_code rc = krait_mkdir_p(ctx->repodata_cache_dir, 0755, err);
  char **index_paths = krait_calloc(n, sizeof *index_paths);
  for (size_t i = 0; i < n; i++)
    index_paths[i] = krait_repodata_cache_path(ctx, subdir_urls[i], ".shards.msgpack.zst");
  if (rc == KRAIT_OK)
    rc = fetch_index_files(ctx, subdir_urls, index_paths, n, err);
  for (size_t i = 0; i < n; i++)
    free(index_paths[i]);
  free(index_paths);
  return rc;
}

static krait_code write_subset(const sub *s, const char *path, krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "{\"info\":{\"subdir\":");
  krait_json_escape(&b, s->subdir, strlen(s->subdir));
  if (s->base_url) {
    krait_buf_puts(&b, ",\"base_url\":");
    krait_json_escape(&b, s->base_url, strlen(s->base_url));
  }
  krait_buf_printf(&b, "},\n\"packages\":{%s},\n\"packages.conda\":{%s}}\n", s->pkgs.data ? s->pkgs.data : "",
                   s->conda.data ? s->conda.data : "");
  krait_code rc = krait_write_file_atomic_nosync(path, b.data, b.len, 0644, err);
  krait_buf_free(&b);
  return rc;
}

krait_code krait_shards_load_channel(krait_ctx *ctx, Pool *pool, const krait_channel *ch,
                                     const char *const *subdirs, size_t n, const krait_shards_walk *walk,
                                     const krait_repodata_opts *opts, Repo **out_repos, bool *sharded,
                                     krait_shards_stats *stats, krait_err *err) {
  *sharded = false;
  krait_shards_stats st = {0};
  for (size_t i = 0; i < n; i++)
    out_repos[i] = NULL;
  if (krait_channel_is_local(ch) || !ctx->repodata_cache_dir || n == 0)
    return KRAIT_OK;
  char *shard_dir = krait_path_join(ctx->repodata_cache_dir, "shards");
  krait_code rc = krait_mkdir_p(shard_dir, 0755, err);
  sub *subs = krait_calloc(n, sizeof *subs);
  for (size_t i = 0; i < n; i++) {
    subs[i].subdir = subdirs[i];
    msgpack_unpacked_init(&subs[i].index);
    subs[i].subdir_url = krait_asprintf("%s/%s", ch->url, subdirs[i]);
    subs[i].shown = krait_url_redact(subs[i].subdir_url);
    subs[i].index_path = krait_repodata_cache_path(ctx, subs[i].subdir_url, ".shards.msgpack.zst");
  }
  if (rc == KRAIT_OK && !(walk && walk->indexes_fetched)) {
    const char **urls = krait_calloc(n, sizeof *urls);
    char **index_paths = krait_calloc(n, sizeof *index_paths);
    for (size_t i = 0; i < n; i++) {
      urls[i] = subs[i].subdir_url;
      index_paths[i] = subs[i].index_path;
    }
    rc = fetch_index_files(ctx, urls, index_paths, n, err);
    free(urls);
    free(index_paths);
  }
  for (size_t i = 0; i < n; i++)
    subs[i].has_index = rc == KRAIT_OK && krait_path_exists(subs[i].index_path);
  bool any = false;
  for (size_t i = 0; i < n && rc == KRAIT_OK; i++) {
    if (!subs[i].has_index)
      continue;
    char *shown = krait_asprintf("%s/repodata_shards.msgpack.zst", subs[i].shown);
    rc = parse_index(&subs[i], shown, err);
    free(shown);
    if (rc)
      subs[i].has_index = false;
    any = true;
  }
  if (rc != KRAIT_OK || !any)
    goto out;
  *sharded = true;

  /* breadth-first over names, all subdirs of the channel together */
  krait_strv seen = KRAIT_STRV_INIT, frontier = KRAIT_STRV_INIT;
  const krait_strv *roots = walk ? walk->roots : NULL;
  for (size_t i = 0; roots && i < roots->len; i++)
    if (!krait_strv_contains(&frontier, roots->items[i]))
      krait_strv_push(&frontier, roots->items[i]);
  krait_net *net = NULL;
  while (frontier.len && rc == KRAIT_OK) {
    /* the shards of this round: cached ones, and transfers for the rest */
    size_t cap = frontier.len * n + 1, nt = 0, nj = 0;
    krait_transfer *t = krait_calloc(cap, sizeof *t);
    char **paths = krait_calloc(cap, sizeof *paths), **urls = krait_calloc(cap, sizeof *urls);
    char **hexes = krait_calloc(cap, sizeof *hexes);
    size_t *job_sub = krait_calloc(cap, sizeof *job_sub);
    for (size_t f = 0; f < frontier.len; f++) {
      krait_strv_push(&seen, frontier.items[f]);
      for (size_t i = 0; i < n; i++) {
        if (!subs[i].has_index)
          continue;
        const msgpack_object *h = shard_hash(&subs[i], frontier.items[f]);
        char *hex = h ? hex_of(h) : NULL;
        if (!hex)
          continue;
        paths[nj] = krait_asprintf("%s/%s.msgpack.zst", shard_dir, hex);
        hexes[nj] = hex;
        job_sub[nj] = i;
        if (krait_path_exists(paths[nj])) {
          st.shards_cached++;
        } else if (ctx->offline) {
          rc = krait_err_set(err, KRAIT_E_NET, "%s: shard of %s: offline and not in the cache (%s)",
                             subs[i].shown, frontier.items[f], shard_dir);
        } else {
          urls[nj] = krait_asprintf("%s%s.msgpack.zst", subs[i].shards_base, hex);
          t[nt].url = urls[nj];
          t[nt].dest_path = paths[nj];
          t[nt].sha256 = hex; /* content-addressed: the engine verifies the bytes */
          t[nt].expected_size = -1;
          t[nt].max_bytes = ctx->repodata_max_bytes;
          t[nt].label = frontier.items[f];
          nt++;
        }
        nj++;
      }
    }
    if (rc == KRAIT_OK && nt) {
      if (!net)
        rc = krait_net_get(ctx, &net, err);
      if (rc == KRAIT_OK)
        rc = krait_net_run(net, t, nt, err);
      st.shards_fetched += (long)nt;
    }
    krait_strv next = KRAIT_STRV_INIT;
    for (size_t j = 0; j < nj && rc == KRAIT_OK; j++) {
      char *shown = krait_asprintf("%s/shards/%s.msgpack.zst", subs[job_sub[j]].shown, hexes[j]);
      rc = absorb_shard(ctx, &subs[job_sub[j]], paths[j], shown, &next, err);
      if (rc)
        unlink(paths[j]); /* never keep a shard that does not parse */
      free(shown);
    }
    for (size_t k = 0; k < nt; k++)
      krait_transfer_clear(&t[k]);
    for (size_t j = 0; j < nj; j++) {
      free(paths[j]);
      free(urls[j]);
      free(hexes[j]);
    }
    free(t), free(paths), free(urls), free(hexes), free(job_sub);
    krait_strv_free(&frontier);
    for (size_t k = 0; k < next.len && !(walk && walk->roots_only); k++)
      if (!krait_strv_contains(&seen, next.items[k]) && !krait_strv_contains(&frontier, next.items[k]))
        krait_strv_push(&frontier, next.items[k]);
    krait_strv_free(&next);
  }
  st.names = (long)seen.len;
  krait_strv_free(&seen);
  krait_strv_free(&frontier);

  for (size_t i = 0; i < n && rc == KRAIT_OK; i++) {
    if (!subs[i].has_index)
      continue;
    char *json = krait_repodata_cache_path(ctx, subs[i].subdir_url, ".shards.json");
    rc = write_subset(&subs[i], json, err);
    krait_subdir_info info = {.channel_url = ch->url, .channel_name = ch->name, .subdir = (char *)subdirs[i],
                              .channel_index = opts ? opts->channel_index : 0, .http_status = 200};
    if (rc == KRAIT_OK)
      rc = krait_repodata_load_file(ctx, pool, json, &info, opts, &out_repos[i], err);
    free(json);
  }
  char *shown_ch = krait_url_redact(ch->url);
  krait_debug(ctx, "%s: sharded repodata: %ld names, %ld shards downloaded, %ld from the cache", shown_ch, st.names,
              st.shards_fetched, st.shards_cached);
  free(shown_ch);
out:
  for (size_t i = 0; i < n; i++)
    sub_free(&subs[i]);
  free(subs);
  free(shard_dir);
  if (stats)
    *stats = st;
  return rc;
}
