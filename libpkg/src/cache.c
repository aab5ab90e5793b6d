/* The package cache: lookup, fetch + verify, extract. See krait/cache.h. */
#include "krait/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/checkpoint.h"
#include "krait/extract.h"
#include "krait/extract_budget.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/lock.h"
#include "cache_partial.h"
#include "extract_int.h"
#include "pool_int.h"

#define PARTIAL_MARK ".krait-partial-"

void krait_cache_hit_free(krait_cache_hit *hit) {
  if (!hit)
    return;
  free(hit->pkgs_dir);
  free(hit->extracted_dir);
  free(hit->archive);
  memset(hit, 0, sizeof *hit);
}

static bool str_eq_ci(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }

/* Does a repodata_record.json (or index.json-like object) describe rec? */
static bool record_json_matches(const krait_json *rr, const krait_record *rec) {
  const char *sha = krait_json_get_str(rr, "sha256");
  const char *md5 = krait_json_get_str(rr, "md5");
  if (rec->sha256 && sha && *sha)
    return str_eq_ci(rec->sha256, sha);
  if (rec->md5 && md5 && *md5)
    return str_eq_ci(rec->md5, md5);
  if (rec->sha256 || rec->md5)
    return false; /* we want a digest the entry cannot show */
  /* no digest anywhere: the same file name from the same URL */
  const char *url = krait_json_get_str(rr, "url");
  return rec->url && url && strcmp(rec->url, url) == 0;
}

bool krait_cache_entry_valid(const char *pkgs_dir, const krait_record *rec) {
  if (krait_record_check_names(rec, NULL) != KRAIT_OK)
    return false;
  char *dist = krait_record_dist(rec);
  char *path = krait_asprintf("%s/%s/info/repodata_record.json", pkgs_dir, dist);
  krait_json *rr = krait_json_parse_file(path, NULL);
  bool ok = rr && rr->type == KRAIT_JSON_OBJECT && record_json_matches(rr, rec);
  krait_json_free(rr);
  free(path);
  free(dist);
  return ok;
}

krait_code krait_cache_verify_archive(const char *path, const krait_record *rec, krait_err *err) {
  struct stat sb;
  if (stat(path, &sb) != 0)
    return krait_err_errno(err, KRAIT_E_NOTFOUND, "%s", path);
  const char *fn = rec->fn ? rec->fn : krait_path_basename(path);
  if (rec->size >= 0 && (int64_t)sb.st_size != rec->size)
    return krait_err_set(err, KRAIT_E_CHECKSUM, "%s: size mismatch: expected %lld bytes, got %lld", fn,
                         (long long)rec->size, (long long)sb.st_size);
  const char *algo = rec->sha256 ? "sha256" : rec->md5 ? "md5" : NULL;
  if (!algo)
    return KRAIT_OK;
  const char *want = rec->sha256 ? rec->sha256 : rec->md5;
  char got[129];
  krait_code rc = krait_file_digest(path, algo, got, sizeof got, err);
  if (rc)
    return rc;
  if (strcasecmp(got, want) != 0)
    return krait_err_set(err, KRAIT_E_CHECKSUM, "%s: %s mismatch: expected %s, got %s", fn, algo, want, got);
  return KRAIT_OK;
}

krait_code krait_cache_find(const krait_ctx *ctx, const krait_record *rec, krait_cache_hit *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  if (!rec->name || !rec->version || !rec->build)
    return krait_err_set(err, KRAIT_E_INVALID, "package record without name/version/build (fn %s)",
                         rec->fn ? rec->fn : "?");
  krait_code bad = krait_record_check_names(rec, err);
  if (bad)
    return bad;
  for (size_t i = 0; i < ctx->pkgs_dirs.len; i++) {
    const char *dir = ctx->pkgs_dirs.items[i];
    if (krait_cache_entry_valid(dir, rec)) {
      char *dist = krait_record_dist(rec);
      out->state = KRAIT_CACHE_EXTRACTED;
      out->pkgs_dir = krait_strdup(dir);
      out->extracted_dir = krait_path_join(dir, dist);
      free(dist);
      return KRAIT_OK;
    }
  }
  if (!rec->fn)
    return KRAIT_OK;
  for (size_t i = 0; i < ctx->pkgs_dirs.len; i++) {
    char *archive = krait_path_join(ctx->pkgs_dirs.items[i], rec->fn);
    krait_err verr;
    if (krait_path_exists(archive)) {
      if (krait_cache_verify_archive(archive, rec, &verr) == KRAIT_OK) {
        out->state = KRAIT_CACHE_ARCHIVE;
        out->pkgs_dir = krait_strdup(ctx->pkgs_dirs.items[i]);
        out->archive = archive;
        return KRAIT_OK;
      }
      krait_debug(ctx, "ignoring cached archive: %s", verr.msg);
    }
    free(archive);
  }
  return KRAIT_OK;
}

/* Writability is tested by doing, not by comparing uids: ACLs, root-squashed
 * NFS and read-only mounts all defeat permission-bit reasoning. */
static bool dir_writable(const char *dir) {
  if (krait_mkdir_p(dir, 0777, NULL) != KRAIT_OK)
    return false;
  char *probe = krait_asprintf("%s/.krait-write-test-XXXXXX", dir);
  int fd = mkstemp(probe);
  bool ok = fd >= 0;
  if (ok) {
    close(fd);
    unlink(probe);
  }
  free(probe);
  return ok;
}

krait_code krait_cache_writable_dir(const krait_ctx *ctx, char **out, krait_err *err) {
  *out = NULL;
  krait_buf tried = KRAIT_BUF_INIT;
  for (size_t i = 0; i < ctx->pkgs_dirs.len; i++) {
    if (dir_writable(ctx->pkgs_dirs.items[i])) {
      *out = krait_strdup(ctx->pkgs_dirs.items[i]);
      krait_buf_free(&tried);
      return KRAIT_OK;
    }
    krait_buf_printf(&tried, "%s%s", i ? ", " : "", ctx->pkgs_dirs.items[i]);
  }
  krait_code rc = krait_err_set(err, KRAIT_E_IO,
                                "no writable package cache among pkgs_dirs [%s]; add a writable directory to "
                                "CONDA_PKGS_DIRS or pkgs_dirs",
                                krait_buf_str(&tried));
  krait_buf_free(&tried);
  return rc;
}

size_t krait_cache_clean_partials(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t removed = 0;
  struct dirent *de;
  krait_strv victims = KRAIT_STRV_INIT;
  while ((de = readdir(d)))
    if (strstr(de->d_name, PARTIAL_MARK) || strstr(de->d_name, ".krait-old-"))
      krait_strv_push_owned(&victims, krait_path_join(dir, de->d_name));
  closedir(d);
  for (size_t i = 0; i < victims.len; i++)
    if (krait_rm_rf(victims.items[i], NULL) == KRAIT_OK)
      removed++;
  krait_strv_free(&victims);
  return removed;
}

/* ---- fetching ---- */

/* file:///a/b -> /a/b (percent-decoded); NULL if not a local URL. */
static char *file_url_path(const char *url) {
  if (strncmp(url, "file://", 7) != 0)
    return NULL;
  const char *p = url + 7;
  if (strncmp(p, "localhost/", 10) == 0)
    p += 9;
  if (*p != '/')
    return NULL;
  krait_buf b = KRAIT_BUF_INIT;
  for (; *p; p++) {
    if (p[0] == '%' && p[1] && p[2]) {
      char hex[3] = {p[1], p[2], 0};
      char *end;
      long v = strtol(hex, &end, 16);
      if (*end == 0) {
        krait_buf_putc(&b, (char)v);
        p += 2;
        continue;
      }
    }
    krait_buf_putc(&b, *p);
  }
  return krait_buf_steal(&b);
}

static krait_code copy_file(const char *src, const char *dst, krait_err *err) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return krait_err_errno(err, KRAIT_E_NOTFOUND, "%s", src);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out < 0) {
    close(in);
    return krait_err_errno(err, KRAIT_E_IO, "%s", dst);
  }
  krait_code rc = krait_copy_fd(in, out, src, dst, err);
  close(in);
  if (close(out) != 0 && !rc)
    rc = krait_err_errno(err, KRAIT_E_IO, "writing %s", dst);
  return rc;
}

/* url without "user:password@" and "/t/<token>" (urls.txt is world-readable
 * in shared caches). Caller frees. */
static char *url_without_credentials(const char *url) {
  krait_buf b = KRAIT_BUF_INIT;
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  krait_buf_append(&b, url, (size_t)(host - url));
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (at && (!slash || at < slash))
    host = at + 1;
  const char *p = host;
  while (*p) {
    if (p[0] == '/' && p[1] == 't' && p[2] == '/' && p[3] && p[3] != '/') {
      const char *end = strchr(p + 3, '/');
      p = end ? end : p + strlen(p);
      continue;
    }
    krait_buf_putc(&b, *p++);
  }
  return krait_buf_steal(&b);
}

static void append_url(const char *pkgs_dir, const char *raw_url) {
  char *url = url_without_credentials(raw_url);
  char *path = krait_path_join(pkgs_dir, "urls.txt");
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd >= 0) {
    char *line = krait_asprintf("%s\n", url);
    /* one write() with O_APPEND: concurrent appenders never interleave lines */
    ssize_t w = write(fd, line, strlen(line));
    (void)w;
    free(line);
    close(fd);
  }
  free(path);
  free(url);
}

typedef struct prep {
  const krait_ctx *ctx;
  const krait_record *records;
  const krait_cache_fetcher *fetcher;
  const char *wdir;
  char **out;
  krait_code *codes;
  krait_err *errs;
  krait_extract_budget *budget; /* memory of the extractions running at once */
  atomic_size_t fetched, extracted;
  size_t n_work;
  /* the batch download (download_many): per record, the verified temp file
   * it left in wdir (not yet moved into place, which needs the entry's lock),
   * and the queue of indices the extraction workers take, in completion order */
  char **dl_tmp;
  size_t *ready;
  size_t n_ready, n_taken;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* per record of the batch that could take its entry's lock at once: the
   * lock (held through the download, handed to the worker that places the
   * archive) and the resumable partial download it writes (partial[i].path
   * NULL: a private temp file instead, as when another process has the lock) */
  krait_lock **held;
  krait_partial *partial;
} prep;

/* Fetches rec into <wdir>/<fn> through a verified temp file. */
static krait_code fetch_archive(prep *p, const krait_record *rec, const char *final, krait_err *err) {
  if (!rec->url)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: no URL to fetch it from", rec->fn);
  char *tmp = krait_asprintf("%s" PARTIAL_MARK "XXXXXX", final);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    krait_code rc = krait_err_errno(err, KRAIT_E_IO, "cannot create a temporary file beside %s", final);
    free(tmp);
    return rc;
  }
  close(fd);
  krait_code rc = krait_checkpoint(KRAIT_STEP_DOWNLOAD, err);
  char *local = rc ? NULL : file_url_path(rec->url);
  if (rc) {
    /* interrupted or an injected fault: nothing fetched */
  } else if (local) {
    /* Copied (reflinked where the filesystem can), never hard-linked: a
     * hard link would make the cache's file and the channel's file one, so
     * a change to either (a repaired cache entry, a rebuilt channel) would
     * silently change the other. */
    if ((rc = copy_file(local, tmp, err)) != KRAIT_OK)
      krait_err_prefix(err, "cannot fetch %s-%s-%s: ", rec->name, rec->version, rec->build);
    free(local);
  } else if (p->ctx->offline) {
    rc = krait_err_set(err, KRAIT_E_NET, "%s: not in the package cache and offline mode is on", rec->fn);
  } else if (!p->fetcher || !p->fetcher->download) {
    /* the URL itself is not shown: it may carry a channel token */
    rc = krait_err_set(err, KRAIT_E_UNSUPPORTED, "%s: no downloader for its URL scheme", rec->fn);
  } else {
    rc = p->fetcher->download(p->fetcher->user, p->ctx, rec->url, tmp, err);
  }
  if (!rc)
    rc = krait_cache_verify_archive(tmp, rec, err);
  if (!rc && rename(tmp, final) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot move the download to %s", final);
  if (rc)
    unlink(tmp);
  else
    append_url(p->wdir, rec->url);
  free(tmp);
  return rc;
}

/* Keys krait_record_write_fields may emit; other index.json keys are copied. */
static const char *const record_keys[] = {
    "arch",    "build",    "build_number", "channel", "constrains",     "depends",   "features",
    "fn",      "license",  "license_family", "md5",   "name",           "noarch",    "package_type", "platform",
    "python_site_packages_path", "sha256", "size",    "subdir",         "timestamp", "track_features",
    "url",     "version",  NULL,
};

static bool is_record_key(const char *k) {
  for (size_t i = 0; record_keys[i]; i++)
    if (strcmp(record_keys[i], k) == 0)
      return true;
  return false;
}

typedef struct rr_job {
  const krait_record *rec;
} rr_job;

/* before_commit hook: writes info/repodata_record.json into the tree. */
static krait_code write_repodata_record(void *user, const char *tree, krait_err *err) {
  const krait_record *rec = ((rr_job *)user)->rec;
  char *index_path = krait_asprintf("%s/info/index.json", tree);
  krait_json *index = krait_json_parse_file(index_path, err);
  free(index_path);
  if (!index || index->type != KRAIT_JSON_OBJECT) {
    krait_json_free(index);
    return krait_err_set(err, KRAIT_E_PARSE, "%s: info/index.json is missing or not a JSON object", rec->fn);
  }
  krait_record merged;
  krait_record_init(&merged);
  krait_code rc = krait_record_from_json(&merged, index, rec->fn, err);
  if (rc) {
    krait_json_free(index);
    krait_record_free(&merged);
    return krait_err_prefix(err, "%s: info/index.json: ", rec->fn);
  }
  krait_record_overlay(&merged, rec);
  krait_buf out = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &out, 2);
  krait_jw_obj_begin(&w);
  krait_json_foreach(it, index) if (!is_record_key(it->key)) {
    krait_jw_key(&w, it->key);
    krait_jw_value(&w, it);
  }
  krait_record_write_fields(&w, &merged);
  krait_jw_obj_end(&w);
  krait_buf_putc(&out, '\n');
  char *path = krait_asprintf("%s/info/repodata_record.json", tree);
  rc = krait_write_file_atomic(path, out.data, out.len, 0644, err);
  free(path);
  krait_buf_free(&out);
  krait_record_free(&merged);
  krait_json_free(index);
  return rc;
}

/* Moves the batch download of records[i] into place (under the entry's lock) and extracts it. */
static krait_code place_downloaded(prep *p, size_t i, char **out, krait_err *err);
/* Extracts a verified archive into <wdir>/<dist>, with its repodata_record.json. */
static krait_code extract_into_cache(prep *p, const krait_record *rec, const char *archive, char **out,
                                     krait_err *err);

static krait_code prepare_one(prep *p, size_t i, char **out, krait_err *err) {
  const krait_ctx *ctx = p->ctx;
  const krait_record *rec = &p->records[i];
  bool counted = false; /* already counted as fetched by the batch */
  if (p->dl_tmp && p->dl_tmp[i]) {
    krait_code prc = place_downloaded(p, i, out, err);
    if (prc != KRAIT_E_NOTFOUND)
      return prc;
    /* the temp file is gone: fetch it the usual way below */
    krait_err_clear(err);
    counted = true;
  }
  krait_cache_hit hit;
  krait_code rc = krait_cache_find(ctx, rec, &hit, err);
  if (rc)
    return rc;
  if (hit.state == KRAIT_CACHE_EXTRACTED) { /* done by someone else meanwhile */
    *out = hit.extracted_dir;
    hit.extracted_dir = NULL;
    krait_cache_hit_free(&hit);
    return KRAIT_OK;
  }
  if (!rec->fn)
    return krait_err_set(err, KRAIT_E_INVALID, "%s-%s-%s: record has no file name", rec->name, rec->version,
                         rec->build);
  char *archive = NULL;
  if (hit.state == KRAIT_CACHE_ARCHIVE) {
    archive = hit.archive;
    hit.archive = NULL;
  } else {
    archive = krait_path_join(p->wdir, rec->fn);
    if (krait_path_exists(archive)) {
      /* present but failed verification in krait_cache_find: fetch again, once */
      krait_warn(ctx, "%s: cached archive is corrupt or stale; fetching it again", archive);
      unlink(archive);
    }
    rc = fetch_archive(p, rec, archive, err);
    if (!counted) {
      size_t done = atomic_fetch_add(&p->fetched, 1) + 1;
      krait_ctx_progress(ctx, "fetch", rec->fn, (double)done, (double)p->n_work);
    }
  }
  krait_cache_hit_free(&hit);
  if (!rc)
    rc = extract_into_cache(p, rec, archive, out, err);
  free(archive);
  return rc;
}

/* Returns KRAIT_E_NOTFOUND (and leaves nothing) when the temp file vanished:
 * another process holding this entry's lock took it for a crashed run's
 * leftover; the caller then fetches the archive the usual way. */
static krait_code place_downloaded(prep *p, size_t i, char **out, krait_err *err) {
  const krait_record *rec = &p->records[i];
  char *tmp = p->dl_tmp[i];
  p->dl_tmp[i] = NULL; /* owned by the batch; from here on this function deals with the file */
  /* another process may have completed the entry while we downloaded */
  for (size_t d = 0; d < p->ctx->pkgs_dirs.len; d++)
    if (krait_cache_entry_valid(p->ctx->pkgs_dirs.items[d], rec)) {
      unlink(tmp);
      char *dist = krait_record_dist(rec);
      *out = krait_path_join(p->ctx->pkgs_dirs.items[d], dist);
      free(dist);
      return KRAIT_OK;
    }
  char *archive = krait_path_join(p->wdir, rec->fn);
  krait_code rc = KRAIT_OK;
  if (rename(tmp, archive) != 0) {
    int e = errno;
    unlink(tmp);
    if (e == ENOENT) {
      krait_debug(p->ctx, "%s: the finished download was removed meanwhile; fetching it again", rec->fn);
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s: the download vanished", tmp);
    } else {
      errno = e;
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot move the download to %s", archive);
    }
  } else {
    if (p->partial && p->partial[i].path)
      krait_partial_forget(&p->partial[i]);
    append_url(p->wdir, rec->url);
    rc = extract_into_cache(p, rec, archive, out, err);
  }
  free(archive);
  return rc;
}

static krait_code extract_into_cache(prep *p, const krait_record *rec, const char *archive, char **out,
                                     krait_err *err) {
  const krait_ctx *ctx = p->ctx;
  krait_code rc;
  {
    char *dist = krait_record_dist(rec);
    char *dest = krait_path_join(p->wdir, dist);
    free(dist);
    rr_job job = {rec};
    krait_extract_opts opts = {.replace = true, .before_commit = write_repodata_record, .before_commit_user = &job,
                               .budget = p->budget};
    rc = krait_checkpoint(KRAIT_STEP_EXTRACT, err);
    if (rc == KRAIT_OK)
      rc = krait_extract_ex(ctx, archive, dest, &opts, err);
    size_t done = atomic_fetch_add(&p->extracted, 1) + 1;
    krait_ctx_progress(ctx, "extract", rec->fn, (double)done, (double)p->n_work);
    if (rc)
      free(dest);
    else
      *out = dest;
  }
  return rc;
}

/* Takes the next ready index (blocking until the batch download makes one ready). */
static size_t take_ready(prep *p) {
  pthread_mutex_lock(&p->mu);
  while (p->n_taken == p->n_ready)
    pthread_cond_wait(&p->cv, &p->mu);
  size_t i = p->ready[p->n_taken++];
  pthread_mutex_unlock(&p->mu);
  return i;
}

static void make_ready(prep *p, size_t i) {
  pthread_mutex_lock(&p->mu);
  p->ready[p->n_ready++] = i;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

/* Removes what a killed writer of this one entry left (its partial archive and
 * tree, a swapped-out old tree); only while holding the entry's lock. `keep`
 * (a file name in wdir, or NULL) is this process's own finished batch
 * download of the entry, about to be moved into place. */
static void clean_entry_partials(const char *wdir, const char *dist, const char *fn, const char *keep) {
  char *marks[3] = {krait_asprintf("%s" PARTIAL_MARK, dist), krait_asprintf("%s.krait-old-", dist),
                    fn ? krait_asprintf("%s" PARTIAL_MARK, fn) : NULL};
  DIR *d = opendir(wdir);
  krait_strv victims = KRAIT_STRV_INIT;
  for (struct dirent *de; d && (de = readdir(d));) {
    if (keep && strcmp(de->d_name, keep) == 0)
      continue;
    for (size_t k = 0; k < 3; k++)
      if (marks[k] && strncmp(de->d_name, marks[k], strlen(marks[k])) == 0) {
        krait_strv_push_owned(&victims, krait_path_join(wdir, de->d_name));
        break;
      }
  }
  if (d)
    closedir(d);
  for (size_t i = 0; i < victims.len; i++)
    krait_rm_rf(victims.items[i], NULL);
  krait_strv_free(&victims);
  for (size_t k = 0; k < 3; k++)
    free(marks[k]);
}

/* One entry under its own lock (<pkgs>/<name>-<version>-<build>.lock), so hosts
 * filling one cache wait only for the packages they both want. */
static krait_code prepare_locked(prep *p, size_t i, char **out, krait_err *err) {
  const krait_record *rec = &p->records[i];
  char *dist = krait_record_dist(rec);
  char *lock_path = krait_asprintf("%s/%s.lock", p->wdir, dist);
  krait_lock *lock = p->held ? p->held[i] : NULL; /* taken for the download already */
  krait_code rc = KRAIT_OK;
  if (lock)
    p->held[i] = NULL;
  else /* a no-op lock when ctx->use_lockfiles is false */
    rc = krait_lock_acquire(p->ctx, lock_path, p->ctx->lock_timeout_seconds, &lock, err);
  free(lock_path);
  if (rc == KRAIT_OK) {
    /* without locks another process may be filling these right now */
    if (p->ctx->use_lockfiles)
      clean_entry_partials(p->wdir, dist, rec->fn,
                           p->dl_tmp && p->dl_tmp[i] ? krait_path_basename(p->dl_tmp[i]) : NULL);
    rc = krait_checkpoint(KRAIT_STEP_CACHE_LOCKED, err);
    if (rc == KRAIT_OK)
      rc = prepare_one(p, i, out, err);
  }
  krait_lock_release_remove(lock);
  free(dist);
  return rc;
}

static void prepare_worker(void *user, size_t i) {
  prep *p = user;
  if (p->ready)
    i = take_ready(p); /* pipelined: in the order downloads finish */
  if (p->out[i]) /* satisfied before the lock */
    return;
  if (p->codes[i]) /* its download failed */
    return;
  krait_err_clear(&p->errs[i]);
  p->codes[i] = prepare_locked(p, i, &p->out[i], &p->errs[i]);
  if (p->dl_tmp && p->dl_tmp[i]) { /* not moved into place (the lock or a checkpoint failed) */
    unlink(p->dl_tmp[i]);
    if (p->partial && p->partial[i].path)
      krait_partial_forget(&p->partial[i]);
    p->dl_tmp[i] = NULL;
  }
}

/* ---- the batch download, pipelined with extraction ---- */

typedef struct batch {
  prep *p;
  size_t *index; /* job -> record index */
  char **tmp;    /* job -> temp file */
  krait_fetch_job *jobs;
  size_t n;
} batch;

static bool wants_batch(const prep *p, const krait_record *rec) {
  if (!rec->fn || !rec->url || p->ctx->offline)
    return false;
  if (strncmp(rec->url, "http://", 7) != 0 && strncmp(rec->url, "https://", 8) != 0)
    return false;
  /* an archive already in some cache goes the usual way: verify, maybe refetch */
  for (size_t d = 0; d < p->ctx->pkgs_dirs.len; d++) {
    char *a = krait_path_join(p->ctx->pkgs_dirs.items[d], rec->fn);
    bool there = krait_path_exists(a);
    free(a);
    if (there)
      return false;
  }
  return true;
}

/* Where the batch downloads records[i]: when its entry's lock is free, the
 * entry's resumable partial file (taking the lock for the download); else
 * (another process is filling the entry, or locks are off) a private temp
 * file. NULL when no file can be made. */
static char *batch_destination(prep *p, size_t i) {
  const krait_record *rec = &p->records[i];
  if (p->ctx->use_lockfiles) {
    char *dist = krait_record_dist(rec);
    char *lock_path = krait_asprintf("%s/%s.lock", p->wdir, dist);
    free(dist);
    krait_err ignored;
    bool locked = krait_lock_try(p->ctx, lock_path, &p->held[i], &ignored) == KRAIT_OK;
    free(lock_path);
    if (locked) {
      krait_partial_open(p->ctx, p->wdir, rec, &p->partial[i]);
      return krait_strdup(p->partial[i].path);
    }
  }
  char *tmp = krait_asprintf("%s/%s" PARTIAL_MARK "XXXXXX", p->wdir, rec->fn);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    free(tmp);
    return NULL;
  }
  close(fd);
  return tmp;
}

static void on_fetched(void *user, size_t k, krait_code rc, const krait_err *err) {
  batch *b = user;
  prep *p = b->p;
  size_t i = b->index[k];
  const krait_record *rec = &p->records[i];
  /* A verified download stays in its temp file: the worker moves it into
   * place once it holds the entry's lock (another process may be writing the
   * same entry right now). */
  if (rc) {
    p->errs[i] = *err;
    krait_err_prefix(&p->errs[i], "cannot fetch %s-%s-%s: ", rec->name, rec->version, rec->build);
    if (p->partial[i].path) {
      krait_partial_after_failure(&p->partial[i], rc); /* kept for the next run when resumable */
      krait_lock_release_remove(p->held[i]);
      p->held[i] = NULL;
    } else {
      unlink(b->tmp[k]);
    }
  }
  size_t done = atomic_fetch_add(&p->fetched, 1) + 1;
  krait_ctx_progress(p->ctx, "fetch", rec->fn, (double)done, (double)p->n_work);
  p->codes[i] = rc;
  p->dl_tmp[i] = rc == KRAIT_OK ? b->tmp[k] : NULL;
  make_ready(p, i);
}

typedef struct pool_args {
  prep *p;
  int threads;
  size_t n;
} pool_args;

static void *run_pool(void *arg) {
  pool_args *a = arg;
  krait_pool_run(a->threads, a->n, prepare_worker, a->p);
  return NULL;
}

/* Downloads every archive that needs it through fetcher->download_many on
 * this thread while extraction workers (another thread's pool) take each
 * record as soon as it is ready. */
static void prepare_pipelined(prep *p, size_t n) {
  batch b = {.p = p};
  b.index = krait_calloc(n, sizeof *b.index);
  b.tmp = krait_calloc(n, sizeof *b.tmp);
  b.jobs = krait_calloc(n, sizeof *b.jobs);
  p->dl_tmp = krait_calloc(n, sizeof *p->dl_tmp);
  p->ready = krait_calloc(n, sizeof *p->ready);
  p->held = krait_calloc(n, sizeof *p->held);
  p->partial = krait_calloc(n, sizeof *p->partial);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  size_t n_todo = 0;
  for (size_t i = 0; i < n; i++) {
    if (p->out[i])
      continue;
    n_todo++;
    const krait_record *rec = &p->records[i];
    if (!wants_batch(p, rec)) {
      p->ready[p->n_ready++] = i; /* the usual way, right away */
      continue;
    }
    /* the download checkpoint, once per package, as on the one-by-one path */
    krait_code crc = krait_checkpoint(KRAIT_STEP_DOWNLOAD, &p->errs[i]);
    if (crc) {
      p->codes[i] = crc;
      p->ready[p->n_ready++] = i; /* the worker sees the failure and skips it */
      continue;
    }
    char *tmp = batch_destination(p, i);
    if (!tmp) {
      p->ready[p->n_ready++] = i; /* the usual way, right away */
      continue;
    }
    krait_fetch_job job = {.url = rec->url, .dest_path = tmp, .rec = rec};
    if (p->partial[i].path) {
      job.resume_from = p->partial[i].have;
      job.if_range = p->partial[i].validator;
      job.on_body = krait_partial_on_body;
      job.on_body_user = &p->partial[i];
    }
    b.index[b.n] = i;
    b.tmp[b.n] = tmp;
    b.jobs[b.n] = job;
    b.n++;
  }
  pool_args a = {p, krait_thread_count(p->ctx->extract_threads), n_todo};
  pthread_t pool_thread;
  bool threaded = pthread_create(&pool_thread, NULL, run_pool, &a) == 0;
  if (b.n)
    p->fetcher->download_many(p->fetcher->user, p->ctx, b.jobs, b.n, on_fetched, &b);
  if (threaded)
    pthread_join(pool_thread, NULL);
  else
    run_pool(&a); /* no thread: extraction after all downloads */
  for (size_t k = 0; k < b.n; k++)
    free(b.tmp[k]);
  free(b.index);
  free(b.tmp);
  free(b.jobs);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  for (size_t i = 0; i < n; i++) {
    krait_lock_release_remove(p->held[i]); /* none is left unless a worker never ran */
    krait_partial_free(&p->partial[i]);
  }
  free(p->dl_tmp);
  free(p->ready);
  free(p->held);
  free(p->partial);
  p->dl_tmp = NULL;
  p->ready = NULL;
  p->held = NULL;
  p->partial = NULL;
}

krait_code krait_cache_prepare(const krait_ctx *ctx, const krait_record *records, size_t n,
                               const krait_cache_fetcher *fetcher, char **out_paths, krait_err *err) {
  size_t missing = 0;
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < n; i++)
    out_paths[i] = NULL;
  /* 1. reuse valid extracted entries from any pkgs dir, without locking */
  for (size_t i = 0; i < n && !rc; i++) {
    if (!records[i].name || !records[i].version || !records[i].build) {
      rc = krait_err_set(err, KRAIT_E_INVALID, "package record #%zu has no name/version/build", i);
      break;
    }
    if ((rc = krait_record_check_names(&records[i], err)) != KRAIT_OK)
      break;
    for (size_t d = 0; d < ctx->pkgs_dirs.len && !out_paths[i]; d++)
      if (krait_cache_entry_valid(ctx->pkgs_dirs.items[d], &records[i])) {
        char *dist = krait_record_dist(&records[i]);
        out_paths[i] = krait_path_join(ctx->pkgs_dirs.items[d], dist);
        free(dist);
      }
    if (!out_paths[i])
      missing++;
  }
  if (rc || missing == 0)
    goto out;

  /* 2. everything else is written into the first writable dir, each entry under its own lock */
  char *wdir = NULL;
  rc = krait_cache_writable_dir(ctx, &wdir, err);
  if (rc)
    goto out;
  prep p = {.ctx = ctx, .records = records, .fetcher = fetcher, .wdir = wdir, .out = out_paths, .n_work = missing};
  atomic_init(&p.fetched, 0);
  atomic_init(&p.extracted, 0);
  p.codes = krait_calloc(n, sizeof *p.codes);
  p.errs = krait_calloc(n, sizeof *p.errs);
  krait_extract_budget budget;
  krait_extract_budget_init(&budget, ctx, NULL);
  p.budget = &budget;
  krait_extract_before_threads();
  if (fetcher && fetcher->download_many)
    prepare_pipelined(&p, n);
  else
    krait_pool_run(krait_thread_count(ctx->extract_threads), n, prepare_worker, &p);
  for (size_t i = 0; i < n && !rc; i++)
    if (p.codes[i]) {
      rc = p.codes[i];
      if (err)
        *err = p.errs[i];
    }
  krait_extract_budget_destroy(&budget);
  free(p.codes);
  free(p.errs);
  free(wdir);
out:
  if (rc)
    for (size_t i = 0; i < n; i++) {
      free(out_paths[i]);
      out_paths[i] = NULL;
    }
  return rc;
}
