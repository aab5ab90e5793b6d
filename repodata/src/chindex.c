/* `krait index DIR` (see krait/chindex.h): scan, read what changed in
 * parallel, then write the monolithic and the sharded repodata per subdir
 * and channeldata.json for the channel. */
#include "krait/chindex.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#include "chindex_int.h"
#include "krait/buf.h"
#include "krait/extract.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/version.h"

#define CACHE_FILE ".krait-index-cache.json"
#define CACHE_VERSION 1

typedef struct entry {
  char *fn;
  long long size;
  long long mtime_ns;
  char *record; /* compact JSON (owned) */
  char *name;
  krait_code rc;
  krait_err err;
} entry;

typedef struct subdir_scan {
  char *path; /* DIR/<subdir> */
  const char *subdir;
  entry *e;
  size_t n;
} subdir_scan;

static int cmp_entry(const void *a, const void *b) { return strcmp(((const entry *)a)->fn, ((const entry *)b)->fn); }

static bool is_archive(const char *fn) { return krait_archive_kind_of(fn) != KRAIT_ARCHIVE_UNKNOWN; }

static krait_code list_archives(subdir_scan *s, krait_err *err) {
  DIR *d = opendir(s->path);
  if (!d)
    return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", s->path);
  size_t cap = 0;
  struct dirent *de;
  krait_code rc = KRAIT_OK;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !is_archive(de->d_name))
      continue;
    char *p = krait_path_join(s->path, de->d_name);
    struct stat sb;
    if (stat(p, &sb) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "%s", p);
      free(p);
      break;
    }
    free(p);
    if (!S_ISREG(sb.st_mode))
      continue;
    if (s->n == cap) {
      cap = cap ? 2 * cap : 64;
      s->e = krait_realloc(s->e, cap * sizeof *s->e);
    }
    entry *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    e->fn = krait_strdup(de->d_name);
    e->size = (long long)sb.st_size;
    e->mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
  }
  closedir(d);
  if (s->n)
    qsort(s->e, s->n, sizeof *s->e, cmp_entry);
  return rc;
}

/* Fills records of unchanged archives from the subdir's cache file. */
static void cache_apply(subdir_scan *s) {
  if (s->n == 0)
    return;
  char *p = krait_path_join(s->path, CACHE_FILE);
  krait_json *j = krait_json_parse_file(p, NULL);
  free(p);
  int64_t version = 0;
  if (!j || !krait_json_get_int(j, "version", &version) || version != CACHE_VERSION) {
    krait_json_free(j);
    return; /* no cache, or one written by another format: read everything */
  }
  const krait_json *entries = krait_json_get_object(j, "entries");
  /* walk the cache once, finding each archive by binary search (s->e is
   * sorted by file name): a channel of 20,000 archives stays linear-ish */
  for (const krait_json *c = entries ? entries->child : NULL; c; c = c->next) {
    entry key = {.fn = c->key};
    entry *e = bsearch(&key, s->e, s->n, sizeof *s->e, cmp_entry);
    int64_t size = -1, mtime = -1;
    const krait_json *rec = e ? krait_json_get_object(c, "record") : NULL;
    const char *name = rec ? krait_json_get_str(rec, "name") : NULL;
    if (!rec || !name || e->record || !krait_json_get_int(c, "size", &size) ||
        !krait_json_get_int(c, "mtime_ns", &mtime) || size != e->size || mtime != e->mtime_ns)
      continue;
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 0);
    krait_jw_value(&w, rec);
    e->record = krait_buf_steal(&b);
    e->name = krait_strdup(name);
  }
  krait_json_free(j);
}

/* ---- parallel reading ---- */

/* Runs fn(arg) on `threads` threads (workers pull jobs from arg) and waits. */
static void run_parallel(void *(*fn)(void *), void *arg, int threads);

typedef struct work {
  subdir_scan *scans;
  size_t n_scans;
  entry **todo;
  size_t n_todo;
  atomic_size_t next;
  char **paths;
} work;

static void *worker(void *arg) {
  work *w = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&w->next, 1);
    if (i >= w->n_todo)
      return NULL;
    entry *e = w->todo[i];
    e->rc = krait_chindex_read_archive(w->paths[i], e->fn, &e->record, &e->name, &e->err);
  }
}

static krait_code read_changed(subdir_scan *scans, size_t n_scans, int threads, long *n_read, krait_err *err) {
  work w = {.scans = scans, .n_scans = n_scans};
  atomic_init(&w.next, 0);
  size_t total = 0;
  for (size_t i = 0; i < n_scans; i++)
    total += scans[i].n;
  w.todo = krait_calloc(total + 1, sizeof *w.todo);
  w.paths = krait_calloc(total + 1, sizeof *w.paths);
  for (size_t i = 0; i < n_scans; i++)
    for (size_t k = 0; k < scans[i].n; k++)
      if (!scans[i].e[k].record) {
        w.paths[w.n_todo] = krait_path_join(scans[i].path, scans[i].e[k].fn);
        w.todo[w.n_todo++] = &scans[i].e[k];
      }
  *n_read = (long)w.n_todo;
  int nt = threads > 0 ? threads : 1;
  if ((size_t)nt > w.n_todo)
    nt = (int)w.n_todo;
  if (nt > 0)
    run_parallel(worker, &w, nt);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < w.n_todo && rc == KRAIT_OK; i++)
    if (w.todo[i]->rc) {
      rc = w.todo[i]->rc;
      if (err)
        *err = w.todo[i]->err;
    }
  for (size_t i = 0; i < w.n_todo; i++)
    free(w.paths[i]);
  free(w.paths);
  free(w.todo);
  return rc;
}

/* ---- writing ---- */

static void iso_now(char *out, size_t cap) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool is_conda(const entry *e) { return krait_archive_kind_of(e->fn) == KRAIT_ARCHIVE_CONDA; }

/* repodata.json: the conda-index layout (keys sorted, records verbatim). */
static void write_repodata_json(const subdir_scan *s, krait_buf *b) {
  krait_buf_printf(b, "{\"info\":{\"subdir\":");
  krait_json_escape(b, s->subdir, strlen(s->subdir));
  krait_buf_puts(b, "},\n\"packages\":{");
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1)
      krait_buf_puts(b, "},\n\"packages.conda\":{");
    bool first = true;
    for (size_t i = 0; i < s->n; i++) {
      if (is_conda(&s->e[i]) != (pass == 1))
        continue;
      krait_buf_puts(b, first ? "\n" : ",\n");
      first = false;
      krait_json_escape(b, s->e[i].fn, strlen(s->e[i].fn));
      krait_buf_putc(b, ':');
      krait_buf_puts(b, s->e[i].record);
    }
  }
  krait_buf_puts(b, "},\n\"removed\":[],\n\"repodata_version\":1}\n");
}

static void write_cache(const subdir_scan *s, krait_buf *b) {
  krait_buf_printf(b, "{\"version\":%d,\"entries\":{", CACHE_VERSION);
  for (size_t i = 0; i < s->n; i++) {
    krait_buf_puts(b, i ? ",\n" : "\n");
    krait_json_escape(b, s->e[i].fn, strlen(s->e[i].fn));
    krait_buf_printf(b, ":{\"size\":%lld,\"mtime_ns\":%lld,\"record\":%s}", s->e[i].size, s->e[i].mtime_ns,
                     s->e[i].record);
  }
  krait_buf_puts(b, "}}\n");
}

static int cmp_by_name(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->fn, y->fn);
}

static void pack_str(msgpack_packer *pk, const char *s) {
  msgpack_pack_str(pk, strlen(s));
  msgpack_pack_str_body(pk, s, strlen(s));
}

/* One shard: {"packages": {...}, "packages.conda": {...}, "removed": []} for
 * the entries [lo, hi) of one name. */
static krait_code pack_shard(entry **v, size_t lo, size_t hi, msgpack_sbuffer *sb, krait_err *err) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  for (int pass = 0; pass < 2; pass++) {
    size_t count = 0;
    for (size_t i = lo; i < hi; i++)
      count += is_conda(v[i]) == (pass == 1);
    pack_str(&pk, pass ? "packages.conda" : "packages");
    msgpack_pack_map(&pk, count);
    for (size_t i = lo; i < hi; i++) {
      if (is_conda(v[i]) != (pass == 1))
        continue;
      krait_json *rec = krait_json_parse(v[i]->record, strlen(v[i]->record), v[i]->fn, err);
      if (!rec)
        return err ? err->code : KRAIT_E_PARSE;
      pack_str(&pk, v[i]->fn);
      krait_mp_pack_record(&pk, rec);
      krait_json_free(rec);
    }
  }
  pack_str(&pk, "removed");
  msgpack_pack_array(&pk, 0);
  return KRAIT_OK;
}

/* One shard to build: the entries [lo, hi) of one name. */
typedef struct shard_job {
  size_t lo, hi;
  char hex[65];
  bool written;
  krait_code rc;
  krait_err err;
} shard_job;

typedef struct shard_work {
  entry **v;
  shard_job *jobs;
  size_t n_jobs;
  const char *dir;
  atomic_size_t next;
} shard_work;

/* Packs, compresses and hashes one shard, and writes it unless a file of
 * that hash exists (content-addressed: it has these very bytes). */
static void build_shard(shard_work *w, shard_job *j, ZSTD_CCtx *cctx) {
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  krait_buf z = KRAIT_BUF_INIT;
  j->rc = pack_shard(w->v, j->lo, j->hi, &sb, &j->err);
  if (j->rc == KRAIT_OK) {
    size_t cap = ZSTD_compressBound(sb.size);
    krait_buf_reserve(&z, cap);
    size_t got = ZSTD_compressCCtx(cctx, z.data, cap, sb.data, sb.size, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(got))
      j->rc = krait_err_set(&j->err, KRAIT_E_IO, "zstd: %s", ZSTD_getErrorName(got));
    else
      z.len = got;
  }
  if (j->rc == KRAIT_OK) {
    krait_digest_hex("sha256", z.data, z.len, j->hex, sizeof j->hex);
    char *fn = krait_asprintf("%s/%s.msgpack.zst", w->dir, j->hex);
    if (!krait_path_exists(fn)) {
      j->rc = krait_write_file_atomic_nosync(fn, z.data, z.len, 0644, &j->err);
      j->written = true;
    }
    free(fn);
  }
  krait_buf_free(&z);
  msgpack_sbuffer_destroy(&sb);
}

static void *shard_worker(void *arg) {
  shard_work *w = arg;
  /* one compression context per thread: creating one per shard costs more
   * than compressing a small shard */
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  if (!cctx)
    krait_oom();
  for (;;) {
    size_t i = atomic_fetch_add(&w->next, 1);
    if (i >= w->n_jobs)
      break;
    build_shard(w, &w->jobs[i], cctx);
  }
  ZSTD_freeCCtx(cctx);
  return NULL;
}

static void run_parallel(void *(*fn)(void *), void *arg, int threads) {
  pthread_t *tids = krait_calloc((size_t)threads + 1, sizeof *tids);
  int started = 0;
  for (; started < threads; started++)
    if (pthread_create(&tids[started], NULL, fn, arg) != 0)
      break;
  if (started == 0)
    fn(arg); /* no thread could start: work on this one */
  for (int i = 0; i < started; i++)
    pthread_join(tids[i], NULL);
  free(tids);
}

static krait_code write_shards(const subdir_scan *s, int threads, long *n_written, krait_err *err) {
  char *shard_dir = krait_path_join(s->path, "shards");
  krait_code rc = krait_mkdir_p(shard_dir, 0755, err);
  entry **v = krait_calloc(s->n + 1, sizeof *v);
  for (size_t i = 0; i < s->n; i++)
    v[i] = &s->e[i];
  if (s->n)
    qsort(v, s->n, sizeof *v, cmp_by_name);
  shard_job *jobs = krait_calloc(s->n + 1, sizeof *jobs);
  size_t n_jobs = 0;
  for (size_t lo = 0; lo < s->n;) {
    size_t hi = lo + 1;
    while (hi < s->n && strcmp(v[hi]->name, v[lo]->name) == 0)
      hi++;
    jobs[n_jobs++] = (shard_job){.lo = lo, .hi = hi};
    lo = hi;
  }
  shard_work w = {.v = v, .jobs = jobs, .n_jobs = n_jobs, .dir = shard_dir};
  atomic_init(&w.next, 0);
  if (rc == KRAIT_OK && n_jobs)
    run_parallel(shard_worker, &w, threads < 1 ? 1 : (size_t)threads > n_jobs ? (int)n_jobs : threads);
  for (size_t i = 0; i < n_jobs && rc == KRAIT_OK; i++) {
    if (jobs[i].rc) {
      rc = jobs[i].rc;
      if (err)
        *err = jobs[i].err;
    }
    *n_written += jobs[i].written;
  }

  /* the index: {version, info, shards: {name: sha256 bytes}} */
  msgpack_sbuffer index;
  msgpack_sbuffer_init(&index);
  msgpack_packer ipk;
  msgpack_packer_init(&ipk, &index, msgpack_sbuffer_write);
  msgpack_pack_map(&ipk, 3);
  pack_str(&ipk, "version");
  msgpack_pack_int(&ipk, 1);
  pack_str(&ipk, "info");
  char now[32];
  iso_now(now, sizeof now);
  msgpack_pack_map(&ipk, 4);
  pack_str(&ipk, "base_url");
  pack_str(&ipk, "./");
  pack_str(&ipk, "shards_base_url");
  pack_str(&ipk, "./shards/");
  pack_str(&ipk, "subdir");
  pack_str(&ipk, s->subdir);
  pack_str(&ipk, "created_at");
  pack_str(&ipk, now);
  pack_str(&ipk, "shards");
  msgpack_pack_map(&ipk, n_jobs);
  for (size_t i = 0; i < n_jobs && rc == KRAIT_OK; i++) {
    unsigned char bin[32];
    for (int k = 0; k < 32; k++) {
      unsigned x = 0;
      sscanf(jobs[i].hex + 2 * k, "%2x", &x);
      bin[k] = (unsigned char)x;
    }
    pack_str(&ipk, v[jobs[i].lo]->name);
    msgpack_pack_bin(&ipk, 32);
    msgpack_pack_bin_body(&ipk, bin, 32);
  }
  if (rc == KRAIT_OK) {
    krait_buf z = KRAIT_BUF_INIT;
    rc = krait_zstd_compress_mem(index.data, index.size, 0, &z, err);
    char *p = krait_path_join(s->path, "repodata_shards.msgpack.zst");
    if (rc == KRAIT_OK)
      rc = krait_write_file_atomic(p, z.data, z.len, 0644, err);
    free(p);
    krait_buf_free(&z);
  }
  msgpack_sbuffer_destroy(&index);
  free(jobs);
  free(v);
  free(shard_dir);
  return rc;
}

static krait_code write_subdir(const subdir_scan *s, int threads, long *n_shards, krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT, z = KRAIT_BUF_INIT;
  write_repodata_json(s, &b);
  char *json = krait_path_join(s->path, "repodata.json");
  char *zst = krait_asprintf("%s.zst", json);
  krait_code rc = krait_zstd_compress_mem(b.data, b.len, 0, &z, err);
  /* the .zst first: a client preferring it never sees it older than the JSON */
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic(zst, z.data, z.len, 0644, err);
  if (rc == KRAIT_OK)
    rc = krait_write_file_atomic(json, b.data, b.len, 0644, err);
  if (rc == KRAIT_OK)
    rc = write_shards(s, threads, n_shards, err);
  if (rc == KRAIT_OK) {
    krait_buf_clear(&b);
    write_cache(s, &b);
    char *cache = krait_path_join(s->path, CACHE_FILE);
    rc = krait_write_file_atomic_nosync(cache, b.data, b.len, 0644, err);
    free(cache);
  }
  free(json);
  free(zst);
  krait_buf_free(&b);
  krait_buf_free(&z);
  return rc;
}

/* channeldata.json: per package name its subdirs, newest version, latest
 * timestamp and the license of the newest version. */
static krait_code write_channeldata(const char *dir, subdir_scan *scans, size_t n_scans, krait_err *err) {
  size_t total = 0;
  for (size_t i = 0; i < n_scans; i++)
    total += scans[i].n;
  entry **v = krait_calloc(total + 1, sizeof *v);
  size_t n = 0;
  for (size_t i = 0; i < n_scans; i++)
    for (size_t k = 0; k < scans[i].n; k++)
      v[n++] = &scans[i].e[k];
  if (n)
    qsort(v, n, sizeof *v, cmp_by_name);
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_obj_begin(&w);
  krait_jw_kint(&w, "channeldata_version", 1);
  krait_jw_key(&w, "packages");
  krait_jw_obj_begin(&w);
  krait_code rc = KRAIT_OK;
  for (size_t lo = 0; lo < n && rc == KRAIT_OK;) {
    size_t hi = lo;
    krait_json *best = NULL;
    int64_t ts_max = 0;
    krait_strv subdirs = KRAIT_STRV_INIT;
    for (; hi < n && strcmp(v[hi]->name, v[lo]->name) == 0; hi++) {
      krait_json *r = krait_json_parse(v[hi]->record, strlen(v[hi]->record), v[hi]->fn, err);
      if (!r) {
        rc = err ? err->code : KRAIT_E_PARSE;
        break;
      }
      const char *sd = krait_json_get_str(r, "subdir");
      if (sd && !krait_strv_contains(&subdirs, sd))
        krait_strv_push(&subdirs, sd);
      int64_t ts = 0;
      if (krait_json_get_int(r, "timestamp", &ts) && ts > ts_max)
        ts_max = ts;
      const char *ver = krait_json_get_str(r, "version");
      if (!best || (ver && krait_version_cmp_str(ver, krait_json_get_str(best, "version")) > 0)) {
        krait_json_free(best);
        best = r;
      } else {
        krait_json_free(r);
      }
    }
    if (rc == KRAIT_OK && best) {
      krait_strv_sort(&subdirs);
      krait_jw_key(&w, v[lo]->name);
      krait_jw_obj_begin(&w);
      const char *lic = krait_json_get_str(best, "license");
      if (lic)
        krait_jw_kstr(&w, "license", lic);
      krait_jw_kstrv(&w, "subdirs", &subdirs);
      if (ts_max)
        krait_jw_kint(&w, "timestamp", ts_max);
      krait_jw_kstr(&w, "version", krait_json_get_str(best, "version"));
      krait_jw_obj_end(&w);
    }
    krait_json_free(best);
    krait_strv_free(&subdirs);
    lo = hi;
  }
  krait_jw_obj_end(&w);
  krait_strv all = KRAIT_STRV_INIT;
  for (size_t i = 0; i < n_scans; i++)
    krait_strv_push(&all, scans[i].subdir);
  krait_strv_sort(&all);
  krait_jw_kstrv(&w, "subdirs", &all);
  krait_jw_obj_end(&w);
  krait_buf_putc(&b, '\n');
  krait_strv_free(&all);
  if (rc == KRAIT_OK) {
    char *p = krait_path_join(dir, "channeldata.json");
    rc = krait_write_file_atomic(p, b.data, b.len, 0644, err);
    free(p);
  }
  krait_buf_free(&b);
  free(v);
  return rc;
}

/* Subdirectories to index: those holding archives, plus noarch (clients
 * require it; conda-index always writes it). */
static krait_code find_subdirs(const char *dir, krait_strv *out, krait_err *err) {
  DIR *d = opendir(dir);
  if (!d)
    return krait_err_errno(err, KRAIT_E_IO, "cannot read channel directory %s", dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *p = krait_path_join(dir, de->d_name);
    if (krait_is_dir(p)) {
      DIR *s = opendir(p);
      struct dirent *se;
      bool has = false;
      while (s && !has && (se = readdir(s)))
        has = se->d_name[0] != '.' && is_archive(se->d_name);
      if (s)
        closedir(s);
      if (has)
        krait_strv_push(out, de->d_name);
    }
    free(p);
  }
  closedir(d);
  if (!krait_strv_contains(out, "noarch"))
    krait_strv_push(out, "noarch");
  krait_strv_sort(out);
  return KRAIT_OK;
}

krait_code krait_index_channel(const krait_ctx *ctx, const char *dir, const krait_index_opts *opts,
                               krait_index_stats *stats, krait_err *err) {
  krait_index_stats st = {0};
  if (!krait_is_dir(dir))
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s: not a directory", dir);
  krait_strv names = KRAIT_STRV_INIT;
  krait_code rc = find_subdirs(dir, &names, err);
  subdir_scan *scans = krait_calloc(names.len + 1, sizeof *scans);
  for (size_t i = 0; i < names.len && rc == KRAIT_OK; i++) {
    scans[i].path = krait_path_join(dir, names.items[i]);
    scans[i].subdir = names.items[i];
    rc = krait_mkdir_p(scans[i].path, 0755, err);
    if (rc == KRAIT_OK)
      rc = list_archives(&scans[i], err);
    if (rc == KRAIT_OK && !(opts && opts->no_cache))
      cache_apply(&scans[i]);
  }
  int threads = opts && opts->threads > 0 ? opts->threads : krait_thread_count(ctx ? ctx->extract_threads : 0);
  if (rc == KRAIT_OK)
    rc = read_changed(scans, names.len, threads, &st.read, err);
  /* nothing is written until every archive was read and accepted */
  for (size_t i = 0; i < names.len && rc == KRAIT_OK; i++) {
    rc = write_subdir(&scans[i], threads, &st.shards, err);
    st.archives += (long)scans[i].n;
    st.subdirs++;
  }
  if (rc == KRAIT_OK)
    rc = write_channeldata(dir, scans, names.len, err);
  for (size_t i = 0; i < names.len; i++) {
    for (size_t k = 0; k < scans[i].n; k++) {
      free(scans[i].e[k].fn);
      free(scans[i].e[k].record);
      free(scans[i].e[k].name);
    }
    free(scans[i].e);
    free(scans[i].path);
  }
  free(scans);
  krait_strv_free(&names);
  if (stats)
    *stats = st;
  return rc;
}
