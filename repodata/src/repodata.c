/* Loading one channel subdir into a libsolv Repo: find the JSON (in place for
 * local channels, via the download cache for remote ones), reuse the .solv
 * cache when the source is unchanged (cheap state, see solv_cache.c), otherwise
 * parse with the loader (loader.c) and refresh the cache; then apply what may change between
 * runs (priorities, add_pip_as_python_dependency) on top. */
#include "krait/repodata.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <solv/knownid.h>
#include <solv/repodata.h>
#include <solv/solvable.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "name_index.h"
#include "repodata_int.h"

/* ---- package URL resolution ---- */

/* Joins a relative reference onto base (a directory URL without trailing
 * slash), handling "./", "../" and a host-absolute "/path". */
static char *url_resolve(const char *base, const char *ref) {
  if (strstr(ref, "://"))
    return krait_strdup(ref);
  const char *scheme = strstr(base, "://");
  size_t root_len = 0; /* length of "scheme://host" */
  if (scheme) {
    const char *slash = strchr(scheme + 3, '/');
    root_len = slash ? (size_t)(slash - base) : strlen(base);
  }
  if (ref[0] == '/')
    return krait_asprintf("%.*s%s", (int)root_len, base, ref);
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, base);
  const char *p = ref;
  while (*p) {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* nothing */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      char *last = strrchr(b.data, '/');
      if (last && (size_t)(last - b.data) >= root_len) {
        b.len = (size_t)(last - b.data);
        b.data[b.len] = '\0';
      }
    } else {
      krait_buf_putc(&b, '/');
      krait_buf_append(&b, p, n);
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return krait_buf_steal(&b);
}

static void strip_slashes(char *s) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '/')
    s[--n] = '\0';
}

/* Where the archives of this subdir live, without trailing slash. */
static char *packages_url(const char *channel_url, const char *subdir, const char *json_path,
                          const krait_repo_meta *m) {
  char *subdir_url;
  if (channel_url)
    subdir_url = subdir ? krait_asprintf("%s/%s", channel_url, subdir) : krait_strdup(channel_url);
  else {
    char *abs = krait_path_absolute(json_path);
    char *dir = krait_path_dirname(abs);
    subdir_url = krait_asprintf("file://%s", dir);
    free(dir);
    free(abs);
  }
  strip_slashes(subdir_url);
  if (!m->base_url)
    return subdir_url;
  char *r;
  if (m->base_is_channel) {
    /* metadata.base_url names the channel: archives are under <base>/<subdir>. */
    char *base = url_resolve(subdir_url, m->base_url);
    strip_slashes(base);
    r = subdir ? krait_asprintf("%s/%s", base, subdir) : krait_strdup(base);
    free(base);
  } else {
    /* CEP-15: info.base_url is the subdir's package URL, maybe relative to the repodata. */
    r = url_resolve(subdir_url, m->base_url);
    strip_slashes(r);
  }
  free(subdir_url);
  return r;
}

void krait_cache_key(const char *url, char out[9]) {
  char hex[33];
  krait_digest_hex("md5", url, strlen(url), hex, sizeof(hex));
  memcpy(out, hex, 8);
  out[8] = '\0';
}

/* ---- subdir info ---- */

static void info_free(krait_subdir_info *i) {
  if (!i)
    return;
  free(i->channel_url);
  free(i->channel_name);
  free(i->subdir);
  free(i->packages_url);
  free(i->source_path);
  free(i->solv_path);
  free(i->index_path);
  if (i->name_index) {
    krait_name_index_free(i->name_index);
    free(i->name_index);
  }
  if (i->json_fd >= 0)
    close(i->json_fd);
  free(i);
}

const krait_subdir_info *krait_repo_info(const Repo *repo) { return repo ? repo->appdata : NULL; }

void krait_repodata_free_pool_info(Pool *pool) {
  Repo *repo;
  int i;
  FOR_REPOS(i, repo) {
    info_free(repo->appdata);
    repo->appdata = NULL;
  }
}

/* ---- what is applied after every load (never cached) ---- */

static void apply_priority(Repo *repo, const krait_subdir_info *info, const krait_repodata_opts *opts) {
  int idx = opts ? opts->channel_index : 0;
  int rank = opts && opts->n_channels > 0 ? opts->n_channels - idx : -idx; /* higher = earlier channel */
  bool noarch = info->subdir && strcmp(info->subdir, "noarch") == 0;
  /* priority: libsolv keeps only the best-priority repo's candidates (strict)
   * or prefers them (flexible; the solver module sets the strictness flag).
   * Disabled: all equal, so versions decide first. */
  repo->priority = !opts || opts->priority_mode == KRAIT_PRIORITY_DISABLED ? 0 : rank;
  /* subpriority: libsolv's conda policy compares it after the version and
   * before the build number. Channel rank first, then native subdir over
   * noarch: with priority disabled that gives conda's order (version, then
   * channel, then build number); otherwise only the native/noarch bit
   * matters (different channels already differ in priority). */
  repo->subpriority = rank * 2 + (noarch ? 0 : 1);
}

/* conda's add_pip_as_python_dependency: python 2.x/3.x pulls in pip. */
static void add_pip_to_python(Repo *repo) {
  Pool *pool = repo->pool;
  Id python = pool_str2id(pool, "python", 0);
  if (!python)
    return;
  Id pip = pool_str2id(pool, "pip", 1);
  Solvable *s;
  Id p;
  FOR_REPO_SOLVABLES(repo, p, s) {
    if (s->name != python)
      continue;
    const char *v = pool_id2str(pool, s->evr);
    if (strncmp(v, "2.", 2) == 0 || strncmp(v, "3.", 2) == 0)
      s->requires = repo_addid_dep(repo, s->requires, pip, 0);
  }
}

static char *repo_display_name(const krait_subdir_info *info, const char *path) {
  if (info && info->channel_name && info->subdir)
    return krait_asprintf("%s/%s", info->channel_name, info->subdir);
  return krait_strdup(path);
}

/* <key>.names beside <key>.solv: the name index cache (name_index.h). */
static char *index_path_of(const char *solv_path) {
  size_t n = strlen(solv_path);
  if (n > 5 && strcmp(solv_path + n - 5, ".solv") == 0)
    n -= 5;
  return krait_asprintf("%.*s.names", (int)n, solv_path);
}

/* Loads `path` (a local file) into a new repo; `solv_path` may be NULL (no cache). */
static krait_code load_json_file(krait_ctx *ctx, Pool *pool, const char *path, const char *solv_path,
                                 const krait_subdir_info *info_in, const krait_repodata_opts *opts, Repo **out,
                                 krait_err *err) {
  bool use_cache = solv_path && !(opts && opts->no_solv_cache);
  /* held open as long as the repo: records are read back from it (record_span.c) */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s: cannot open repodata", path);
  char *name = repo_display_name(info_in, path);
  Repo *repo = repo_create(pool, name);
  free(name);

  /* Warm: the .solv is checked against the source's cheap state (see
   * solv_cache.c); the JSON is neither read nor hashed when it holds. */
  krait_solv_stamp stamp;
  bool stamped = use_cache && krait_solv_stamp_of_fd(fd, path, &stamp);
  krait_repo_meta meta = {0};
  bool names_only = opts && opts->names_only;
  krait_name_index *index = NULL;
  char *index_path = use_cache && names_only ? index_path_of(solv_path) : NULL;
  bool index_cached = false;
  if (names_only) {
    /* a solve: only the name index now (krait_repodata_fill_reachable adds the records) */
    index = krait_calloc(1, sizeof *index);
    index_cached = stamped && krait_name_index_read(ctx, index_path, fd, &stamp, index);
    krait_code rc = index_cached ? KRAIT_OK : krait_repodata_scan_names(fd, path, index, err);
    if (rc) {
      free(index);
      free(index_path);
      repo_free(repo, 1);
      close(fd);
      return rc;
    }
    if (!index_cached && stamped)
      krait_name_index_write(ctx, index, index_path, fd, path, &stamp);
    krait_repo_meta_take(&meta, index->meta.base_url, index->meta.subdir, false);
    meta.base_is_channel = index->meta.base_is_channel;
  }
  bool from_cache = !names_only && stamped && krait_solv_cache_read(ctx, repo, solv_path, fd, &stamp, &meta);
  if (!from_cache && !names_only) {
    krait_repo_meta_free(&meta);
    krait_code rc = krait_repo_add_json_fd(repo, fd, path, &meta, err);
    if (rc) {
      krait_repo_meta_free(&meta);
      repo_free(repo, 1);
      close(fd);
      return rc;
    }
    if (stamped)
      krait_solv_cache_write(ctx, repo, solv_path, fd, path, &stamp, &meta);
  }

  krait_subdir_info *info = krait_calloc(1, sizeof(*info));
  info->json_fd = fd;
  info->solv_path = use_cache ? krait_strdup(solv_path) : NULL;
  /* records carry the redacted URL; the download engine puts the secret back */
  info->channel_url = info_in && info_in->channel_url ? krait_url_redact(info_in->channel_url) : NULL;
  info->channel_name = krait_strdup(info_in ? info_in->channel_name : NULL);
  info->subdir = krait_strdup(info_in && info_in->subdir ? info_in->subdir : meta.subdir);
  info->channel_index = opts ? opts->channel_index : (info_in ? info_in->channel_index : 0);
  info->http_status = info_in ? info_in->http_status : 0;
  info->source_path = krait_path_absolute(path);
  info->packages_url = packages_url(info->channel_url, info->subdir, info->source_path, &meta);
  info->from_solv_cache = from_cache;
  info->name_index = index;
  info->index_path = index_path;
  info->from_index_cache = index_cached;
  krait_repo_meta_free(&meta);
  repo->appdata = info;

  apply_priority(repo, info, opts);
  if (opts && opts->add_pip_as_python_dependency)
    add_pip_to_python(repo);
  if (!names_only)
    krait_debug(ctx, "%s: %d records (%s)", info->source_path, repo->nsolvables,
                from_cache ? "from .solv cache" : "parsed JSON");
  *out = repo;
  return KRAIT_OK;
}

krait_code krait_repodata_load_file(krait_ctx *ctx, Pool *pool, const char *path, const krait_subdir_info *info,
                                    const krait_repodata_opts *opts, Repo **out, krait_err *err) {
  *out = NULL;
  if (!krait_path_exists(path))
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s: no such repodata file", path);
  char *solv_path = NULL;
  if (ctx && ctx->repodata_cache_dir) {
    char *abs = krait_path_absolute(path);
    char key[9];
    krait_cache_key(abs, key);
    solv_path = krait_asprintf("%s/%s.solv", ctx->repodata_cache_dir, key);
    free(abs);
  }
  krait_code rc = load_json_file(ctx, pool, path, solv_path, info, opts, out, err);
  free(solv_path);
  return rc;
}

static Repo *empty_repo(Pool *pool, const krait_subdir_info *tmpl, const krait_repodata_opts *opts) {
  char *name = repo_display_name(tmpl, "(empty)");
  Repo *repo = repo_create(pool, name);
  free(name);
  krait_subdir_info *info = krait_calloc(1, sizeof(*info));
  info->json_fd = -1;
  info->channel_url = tmpl->channel_url ? krait_url_redact(tmpl->channel_url) : NULL;
  info->channel_name = krait_strdup(tmpl->channel_name);
  info->subdir = krait_strdup(tmpl->subdir);
  info->channel_index = tmpl->channel_index;
  info->http_status = tmpl->http_status;
  info->packages_url = krait_asprintf("%s/%s", info->channel_url, tmpl->subdir);
  info->missing = true;
  repo->appdata = info;
  apply_priority(repo, info, opts);
  return repo;
}

krait_code krait_repodata_load_fetched(krait_ctx *ctx, Pool *pool, const krait_channel *ch, const char *subdir,
                                      const krait_repodata_opts *opts, const krait_repodata_fetch *fetched,
                                      Repo **out, krait_err *err) {
  *out = NULL;
  krait_subdir_info tmpl = {0};
  tmpl.channel_url = ch->url;
  tmpl.channel_name = ch->name;
  tmpl.subdir = (char *)subdir; /* read-only use: copied by the loaders */
  tmpl.channel_index = opts ? opts->channel_index : 0;
  bool missing_ok = opts && opts->missing_ok;

  char *subdir_url = krait_asprintf("%s/%s", ch->url, subdir);
  char *solv_path = ctx->repodata_cache_dir ? krait_repodata_cache_path(ctx, subdir_url, ".solv") : NULL;
  char *json_path = NULL;
  krait_code rc = KRAIT_OK;

  if (krait_channel_is_local(ch)) {
    char *dir = krait_file_url_to_path(ch->url);
    json_path = krait_asprintf("%s/%s/repodata.json", dir, subdir);
    free(dir);
    if (!krait_path_exists(json_path)) {
      free(json_path);
      json_path = NULL;
      if (!missing_ok)
        rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s/repodata.json: no such file (channel %s has no %s)",
                           subdir_url, ch->name, subdir);
    }
  } else if (fetched) {
    rc = fetched->code;
    if (rc && err)
      *err = fetched->err;
    json_path = krait_strdup(fetched->json_path);
    tmpl.http_status = fetched->http_status;
  } else {
    rc = krait_fetch_repodata(ctx, subdir_url, missing_ok, &json_path, &tmpl.http_status, err);
  }

  if (rc == KRAIT_OK) {
    if (json_path)
      rc = load_json_file(ctx, pool, json_path, solv_path, &tmpl, opts, out, err);
    else
      *out = empty_repo(pool, &tmpl, opts);
  }
  /* A cached download that no longer parses (disk trouble, a killed writer
   * from another tool) is dropped and fetched again once. */
  if (rc == KRAIT_E_PARSE && !krait_channel_is_local(ch) && !ctx->offline && tmpl.http_status != 200 && json_path) {
    krait_warn(ctx, "%s: cached repodata is corrupt (%s); downloading it again", subdir_url, err ? err->msg : "");
    char *state = krait_asprintf("%.*s.state.json", (int)(strlen(json_path) - strlen(".json")), json_path);
    unlink(json_path);
    unlink(state);
    free(state);
    free(json_path);
    json_path = NULL;
    rc = krait_fetch_repodata(ctx, subdir_url, missing_ok, &json_path, &tmpl.http_status, err);
    if (rc == KRAIT_OK)
      rc = json_path ? load_json_file(ctx, pool, json_path, solv_path, &tmpl, opts, out, err)
                     : (*out = empty_repo(pool, &tmpl, opts), KRAIT_OK);
  }
  free(json_path);
  free(solv_path);
  free(subdir_url);
  return rc;
}

krait_code krait_repodata_load(krait_ctx *ctx, Pool *pool, const krait_channel *ch, const char *subdir,
                               const krait_repodata_opts *opts, Repo **out, krait_err *err) {
  return krait_repodata_load_fetched(ctx, pool, ch, subdir, opts, NULL, out, err);
}

/* ---- records ---- */

/* "<mediadir>/<mediafile>" (libsolv's solvable_lookup_location for conda
 * records) in a string of its own: the .solv cache keeps both in its paged
 * area, where a looked-up string lives only until the next paged lookup. */
static char *record_location(Solvable *s) {
  char *dir = krait_strdup(solvable_lookup_str(s, SOLVABLE_MEDIADIR));
  const char *file = solvable_lookup_str(s, SOLVABLE_MEDIAFILE);
  char *loc = !file ? NULL : dir ? krait_asprintf("%s/%s", dir, file) : krait_strdup(file);
  free(dir);
  return loc;
}

krait_code krait_solvable_record(Pool *pool, Id p, krait_record *r, krait_err *err) {
  krait_record_init(r);
  if (p <= 0 || p >= pool->nsolvables || !pool->solvables[p].repo)
    return krait_err_set(err, KRAIT_E_INVALID, "solvable %d does not exist", (int)p);
  Solvable *s = pool_id2solvable(pool, p);
  const krait_subdir_info *info = s->repo->appdata;
  r->name = krait_strdup(pool_id2str(pool, s->name));
  r->version = krait_strdup(pool_id2str(pool, s->evr));
  r->build = krait_strdup(solvable_lookup_str(s, SOLVABLE_BUILDFLAVOR));
  if (!r->build)
    r->build = krait_strdup("");
  const char *bn = solvable_lookup_str(s, SOLVABLE_BUILDVERSION);
  r->build_number = bn ? strtoll(bn, NULL, 10) : 0;

  char *loc = record_location(s);
  size_t sub_len = info && info->subdir ? strlen(info->subdir) : 0;
  if (loc && sub_len && strncmp(loc, info->subdir, sub_len) == 0 && loc[sub_len] == '/') {
    /* "<subdir>/<key>": the whole repodata key is the file name, so that a key
     * holding a '/' ("../../x.conda") is refused by krait_record_check_names
     * instead of being quietly cut down to its last component */
    r->fn = krait_strdup(loc + sub_len + 1);
    r->subdir = krait_strdup(info->subdir);
  } else if (loc) {
    const char *slash = strrchr(loc, '/');
    r->fn = krait_strdup(slash ? slash + 1 : loc);
    if (slash)
      r->subdir = krait_strndup(loc, (size_t)(slash - loc));
  }
  if (!r->subdir && info && info->subdir)
    r->subdir = krait_strdup(info->subdir);
  free(loc);
  if (info) {
    r->channel = krait_strdup(info->channel_url);
    if (r->fn && info->packages_url)
      r->url = krait_asprintf("%s/%s", info->packages_url, r->fn);
  }
  Id type = 0;
  const char *md5 = solvable_lookup_checksum(s, SOLVABLE_PKGID, &type);
  r->md5 = krait_strdup(md5);
  const char *sha = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
  r->sha256 = krait_strdup(sha);
  unsigned long long size = solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0);
  r->size = size ? (int64_t)size : -1;
  r->license = krait_strdup(solvable_lookup_str(s, SOLVABLE_LICENSE));
  krait_push_idarray(pool, s, SOLVABLE_TRACK_FEATURES, false, &r->track_features);
  krait_code rc = krait_record_read_span(pool, p, info ? info->json_fd : -1, info ? info->source_path : NULL, r, err);
  if (rc == KRAIT_E_PARSE && info && info->solv_path)
    unlink(info->solv_path); /* the file was rewritten in place: the next run parses it again */
  if (rc == KRAIT_E_PARSE && info && info->index_path)
    unlink(info->index_path);
  if (rc)
    krait_record_free(r);
  return rc;
}
