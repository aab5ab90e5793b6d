/* The download engine (see krait/net.h): a curl multi loop with a queue,
 * retries on a timer, and bounded, verified bodies. */
#include "krait/net.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/secrets.h"
#include "net_opts.h"
#include "curl_lazy.h" /* after <curl/curl.h>: libcurl loads on first use */

#define MAX_RETRY_AFTER_SECS 120.0
#define MAX_BACKOFF_SECS 60.0
#define MAX_ERROR_BODY 65536 /* bytes of a 4xx/5xx body read before the connection is dropped */

struct krait_net {
  const krait_ctx *ctx;
  CURLM *multi;
  CURLSH *share;
  pthread_mutex_t busy; /* one batch at a time: the handles are not thread-safe */
  unsigned seed;        /* jitter */
  int last_peak;
};

/* Why a body was cut short by the write callback. */
typedef enum { CUT_NONE = 0, CUT_TOO_LONG, CUT_TOO_BIG, CUT_IO, CUT_ERROR_BODY } cut_reason;

typedef struct job {
  krait_net *net;
  krait_transfer *t;
  CURL *easy;
  struct curl_slist *headers;
  char *real_url; /* with the secret restored: only ever handed to libcurl */
  FILE *out;
  long long written;     /* bytes of the body in out */
  long long resume_from; /* Range start of the current try */
  char *range_validator; /* If-Range of a resumed try: the validator the bytes in out came with */
  long long err_body;    /* bytes of an error body seen */
  bool status_known;     /* the current response's status was looked at */
  bool discard;          /* current response is not a 2xx body */
  cut_reason cut;
  int io_errno;
  double not_before;     /* monotonic seconds: a retry waits until then */
  double retry_after;    /* server's Retry-After of the last response, seconds, or -1 */
  char curl_msg[CURL_ERROR_SIZE];
  bool queued, done;
} job;

static double now_secs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void net_free(void *p) {
  krait_net *net = p;
  if (!net)
    return;
  if (net->multi)
    curl_multi_cleanup(net->multi);
  if (net->share)
    curl_share_cleanup(net->share);
  pthread_mutex_destroy(&net->busy);
  free(net);
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

krait_code krait_net_get(const krait_ctx *ctx, krait_net **out, krait_err *err) {
  *out = NULL;
  pthread_mutex_lock(&create_mu);
  krait_ctx *mctx = (krait_ctx *)ctx; /* the engine is a cache hung on the context, not configuration */
  if (mctx->net) {
    *out = mctx->net;
    pthread_mutex_unlock(&create_mu);
    return KRAIT_OK;
  }
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK) {
    pthread_mutex_unlock(&create_mu);
    const char *why = krait_curl_unavailable();
    return krait_err_set(err, KRAIT_E_NET, "cannot initialise libcurl: %s",
                         why ? why : curl_easy_strerror(global_rc));
  }
  krait_net *net = krait_calloc(1, sizeof *net);
  net->ctx = ctx;
  pthread_mutex_init(&net->busy, NULL);
  net->seed = (unsigned)getpid() ^ (unsigned)(now_secs() * 1e6);
  net->multi = curl_multi_init();
  net->share = curl_share_init();
  if (!net->multi || !net->share) {
    net_free(net);
    pthread_mutex_unlock(&create_mu);
    return krait_err_set(err, KRAIT_E_NET, "cannot create libcurl handles");
  }
  curl_share_setopt(net->share, CURLSHOPT_SHARE, (long)CURL_LOCK_DATA_DNS);
  curl_share_setopt(net->share, CURLSHOPT_SHARE, (long)CURL_LOCK_DATA_SSL_SESSION);
  curl_multi_setopt(net->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  mctx->net = net;
  mctx->net_free = net_free;
  *out = net;
  pthread_mutex_unlock(&create_mu);
  return KRAIT_OK;
}

int krait_net_last_peak(const krait_net *net) { return net ? net->last_peak : 0; }

void krait_transfer_clear(krait_transfer *t) {
  free(t->shown_url);
  free(t->etag);
  free(t->last_modified);
  free(t->cache_control);
  t->shown_url = t->etag = t->last_modified = t->cache_control = NULL;
}

/* ---- callbacks ---- */

static char *header_value(const char *line, size_t len, const char *name) {
  size_t nl = strlen(name);
  if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  return krait_strndup(v, (size_t)(end - v));
}

/* Retry-After: delay-seconds or an HTTP date. */
static double parse_retry_after(const char *v) {
  char *end;
  double secs = strtod(v, &end);
  if (end != v && *end == 0)
    return secs < 0 ? 0 : secs;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
    return -1;
  double d = difftime(timegm(&tm), time(NULL));
  return d < 0 ? 0 : d;
}

static void replace(char **slot, char *v) {
  free(*slot);
  *slot = v;
}

static size_t on_header(char *data, size_t size, size_t n, void *user) {
  job *j = user;
  krait_transfer *t = j->t;
  size_t len = size * n;
  char *v;
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* a new response (redirect, 100-continue, retry): forget the old one */
    replace(&t->etag, NULL);
    replace(&t->last_modified, NULL);
    replace(&t->cache_control, NULL);
    j->retry_after = -1;
    j->status_known = false;
  } else if ((v = header_value(data, len, "ETag"))) {
    replace(&t->etag, v);
  } else if ((v = header_value(data, len, "Last-Modified"))) {
    replace(&t->last_modified, v);
  } else if ((v = header_value(data, len, "Cache-Control"))) {
    replace(&t->cache_control, v);
  } else if ((v = header_value(data, len, "Retry-After"))) {
    j->retry_after = parse_retry_after(v);
    free(v);
  }
  return len;
}

/* The first bytes of a response decide what happens to them: a 2xx body is
 * written (206 continues a resumed body, a 200 to a Range request restarts
 * it), anything else is read and dropped so the connection can be reused. */
static void look_at_status(job *j) {
  long code = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
  j->status_known = true;
  j->discard = code < 200 || code > 299;
  if (!j->discard && j->resume_from > 0 && code != 206) {
    /* the server ignored the Range: start the body over */
    if (fflush(j->out) != 0 || ftruncate(fileno(j->out), 0) != 0 || fseek(j->out, 0, SEEK_SET) != 0) {
      j->cut = CUT_IO;
      j->io_errno = errno;
    }
    j->written = 0;
    j->resume_from = 0;
  }
  krait_transfer *t = j->t;
  if (!j->discard && code != 206) {
    /* a body from byte 0: later resumes must be of this very entity (a weak ETag cannot say so) */
    const char *v = t->etag && strncmp(t->etag, "W/", 2) != 0 ? t->etag : t->last_modified;
    replace(&j->range_validator, v ? krait_strdup(v) : NULL);
  }
  if (!j->discard && t->on_body && !j->cut) {
    t->status = code;
    t->on_body(t->user, t);
  }
}

static size_t on_body(char *data, size_t size, size_t n, void *user) {
  job *j = user;
  krait_transfer *t = j->t;
  size_t len = size * n;
  if (!j->status_known)
    look_at_status(j);
  if (j->cut)
    return 0;
  if (j->discard) {
    j->err_body += (long long)len;
    if (j->err_body > MAX_ERROR_BODY) {
      j->cut = CUT_ERROR_BODY;
      return 0;
    }
    return len;
  }
  if (t->expected_size >= 0 && j->written + (long long)len > t->expected_size) {
    j->cut = CUT_TOO_LONG;
    return 0;
  }
  if (t->max_bytes > 0 && j->written + (long long)len > t->max_bytes) {
    j->cut = CUT_TOO_BIG;
    return 0;
  }
  if (fwrite(data, 1, len, j->out) != len) {
    j->cut = CUT_IO;
    j->io_errno = errno;
    return 0;
  }
  j->written += (long long)len;
  return len;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ut, curl_off_t un) {
  (void)dlnow;
  (void)ut;
  (void)un;
  job *j = user;
  if (krait_interrupted())
    return 1; /* SIGTERM/SIGINT: abort now, the transaction rolls back */
  if (!j->status_known || j->discard)
    return 0; /* only bytes of a body are progress (not a 404's, not a redirect's) */
  double total = j->t->expected_size >= 0 ? (double)j->t->expected_size
                 : dltotal > 0            ? (double)(dltotal + j->resume_from)
                                          : 0;
  krait_ctx_progress(j->net->ctx, "download", j->t->label, (double)j->written, total);
  return 0;
}

/* ---- one try ---- */

/* dest_path for the body: the partial file of an earlier run when it is what
 * the caller says (a regular file of ours with resume_from bytes; never
 * through a symlink), else a new, empty file. */
static FILE *open_body(job *j) {
  krait_transfer *t = j->t;
  if (t->resume_from > 0) {
    int fd = open(t->dest_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
        (long long)sb.st_size == t->resume_from && lseek(fd, 0, SEEK_END) == (off_t)sb.st_size) {
      FILE *f = fdopen(fd, "r+b");
      if (f && t->keep_partial)
        setvbuf(f, NULL, _IONBF, 0);
      if (f && fseek(f, 0, SEEK_END) == 0) {
        j->written = j->resume_from = t->resume_from;
        replace(&j->range_validator, t->if_range ? krait_strdup(t->if_range) : NULL);
        return f;
      }
      if (f)
        fclose(f);
      else
        close(fd);
    } else if (fd >= 0) {
      close(fd);
    }
    krait_debug(j->net->ctx, "%s: the partial download is not as expected; starting over", t->dest_path);
  }
  int fd = open(t->dest_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f && fd >= 0)
    close(fd);
  if (f && t->keep_partial)
    setvbuf(f, NULL, _IONBF, 0); /* every byte received is on disk, even if the process is killed */
  return f;
}

static krait_code start_try(job *j, krait_err *err) {
  krait_net *net = j->net;
  krait_transfer *t = j->t;
  const krait_ctx *ctx = net->ctx;
  if (!j->out) {
    j->out = open_body(j);
    if (!j->out)
      return krait_err_errno(err, KRAIT_E_IO, "cannot create %s", t->dest_path);
  }
  CURL *c = j->easy = curl_easy_init();
  if (!c)
    return krait_err_set(err, KRAIT_E_NET, "%s: cannot create a libcurl handle", t->shown_url);
  j->status_known = j->discard = false;
  j->err_body = 0;
  j->cut = CUT_NONE;
  j->retry_after = -1;
  j->curl_msg[0] = 0;
  t->tries++;
  curl_easy_setopt(c, CURLOPT_URL, j->real_url);
  curl_easy_setopt(c, CURLOPT_SHARE, net->share);
  curl_easy_setopt(c, CURLOPT_PRIVATE, j);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, j);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L); /* on_progress also checks for SIGTERM/SIGINT */
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->curl_msg);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (strncmp(j->real_url, "https://", 8) == 0) /* only TLS can negotiate HTTP/2 (ALPN) */
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L); /* prefer a new HTTP/2 stream to a new connection */
  if (t->decode_content)
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  if (j->resume_from > 0) {
    char range[48];
    snprintf(range, sizeof range, "%lld-", j->resume_from);
    curl_easy_setopt(c, CURLOPT_RANGE, range);
  }
  curl_slist_free_all(j->headers);
  j->headers = NULL;
  if (t->if_none_match && *t->if_none_match) {
    char *h = krait_asprintf("If-None-Match: %s", t->if_none_match);
    j->headers = curl_slist_append(j->headers, h);
    free(h);
  }
  if (t->if_modified_since && *t->if_modified_since) {
    char *h = krait_asprintf("If-Modified-Since: %s", t->if_modified_since);
    j->headers = curl_slist_append(j->headers, h);
    free(h);
  }
  if (j->resume_from > 0 && j->range_validator && *j->range_validator) {
    /* the rest of the same entity, or (200) all of the current one */
    char *h = krait_asprintf("If-Range: %s", j->range_validator);
    j->headers = curl_slist_append(j->headers, h);
    free(h);
  }
  if (j->headers)
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->headers);
  krait_net_apply_transport(ctx, c, j->real_url);
  CURLMcode mc = curl_multi_add_handle(net->multi, c);
  if (mc != CURLM_OK)
    return krait_err_set(err, KRAIT_E_NET, "%s: %s", t->shown_url, curl_multi_strerror(mc));
  return KRAIT_OK;
}

static void end_try(job *j) {
  if (j->easy) {
    curl_multi_remove_handle(j->net->multi, j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
  }
}

static bool curl_transient(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PROXY:
    return true;
  default:
    return false;
  }
}

static bool status_transient(long s) { return s == 408 || s == 429 || (s >= 500 && s <= 599); }

static const char *tries_word(int n) { return n == 1 ? "try" : "tries"; }

/* The delay before try k+1 (k tries done): the server's Retry-After, else
 * exponential backoff with up to 50 % random jitter so that many clients
 * that failed together do not come back together. */
static double retry_delay(job *j) {
  if (j->retry_after >= 0)
    return j->retry_after < MAX_RETRY_AFTER_SECS ? j->retry_after : MAX_RETRY_AFTER_SECS;
  int doublings = j->t->tries - 1 < 16 ? j->t->tries - 1 : 16;
  double base = j->net->ctx->remote_backoff_factor * (double)(1u << doublings);
  if (base > MAX_BACKOFF_SECS)
    base = MAX_BACKOFF_SECS;
  double jitter = base * 0.5 * ((double)rand_r(&j->net->seed) / (double)RAND_MAX);
  return base + jitter;
}

/* Restarts the body from byte 0 for the next try. */
static bool restart_body(job *j) {
  j->written = 0;
  j->resume_from = 0;
  return fflush(j->out) == 0 && ftruncate(fileno(j->out), 0) == 0 && fseek(j->out, 0, SEEK_SET) == 0;
}

typedef enum { DONE_OK, DONE_FAIL, DO_RETRY } verdict;

/* Checks a complete 2xx body against the expected size and digest. */
static verdict check_body(job *j, bool *truncated) {
  krait_transfer *t = j->t;
  *truncated = false;
  if (fflush(j->out) != 0) {
    krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path);
    return DONE_FAIL;
  }
  if (t->expected_size >= 0 && j->written < t->expected_size) {
    *truncated = true;
    krait_err_set(&t->err, KRAIT_E_NET, "%s: body ended after %lld of %lld bytes", t->shown_url, j->written,
                  t->expected_size);
    return DO_RETRY;
  }
  const char *algo = t->sha256 ? "sha256" : t->md5 ? "md5" : NULL;
  if (!algo)
    return DONE_OK;
  const char *want = t->sha256 ? t->sha256 : t->md5;
  char got[129];
  krait_err derr;
  if (krait_file_digest(t->dest_path, algo, got, sizeof got, &derr)) {
    t->err = derr;
    return DONE_FAIL;
  }
  if (strcasecmp(got, want) != 0) {
    krait_err_set(&t->err, KRAIT_E_CHECKSUM, "%s: %s mismatch: expected %s, got %s", t->shown_url, algo, want, got);
    return DO_RETRY;
  }
  return DONE_OK;
}

/* Decides what a finished try means. */
static verdict judge(job *j, CURLcode rc) {
  krait_transfer *t = j->t;
  const krait_ctx *ctx = j->net->ctx;
  t->status = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &t->status);
  t->bytes = j->written;
  krait_err_clear(&t->err);
  if (j->cut == CUT_TOO_LONG) {
    krait_err_set(&t->err, KRAIT_E_CHECKSUM, "%s: the server sent more than the %lld bytes the repodata declares",
                  t->shown_url, t->expected_size);
    return DONE_FAIL;
  }
  if (j->cut == CUT_TOO_BIG) {
    krait_err_set(&t->err, KRAIT_E_NET,
                  "%s: response larger than %lld bytes (repodata_max_bytes); refusing to download more",
                  t->shown_url, t->max_bytes);
    return DONE_FAIL;
  }
  if (j->cut == CUT_IO) {
    errno = j->io_errno;
    krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path);
    return DONE_FAIL;
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && krait_interrupted()) {
    krait_checkpoint(KRAIT_STEP_DOWNLOAD, &t->err); /* "interrupted by SIGTERM (at step download)" */
    return DONE_FAIL;
  }
  if (rc != CURLE_OK && j->cut != CUT_ERROR_BODY) {
    const char *why = j->curl_msg[0] ? j->curl_msg : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT && t->status > 0)
      why = "no data received within remote_read_timeout_secs";
    krait_err_set(&t->err, KRAIT_E_NET, "%s: %s", t->shown_url, why);
    if (!curl_transient(rc))
      return DONE_FAIL;
    /* a body cut mid-way keeps its bytes: the retry asks for the rest */
    if (!t->decode_content && j->written > 0 && !j->discard && t->status >= 200 && t->status <= 299)
      j->resume_from = j->written;
    else if (!restart_body(j))
      return krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path), DONE_FAIL;
    return DO_RETRY;
  }
  if (t->status == 304 && (t->if_none_match || t->if_modified_since))
    return DONE_OK;
  if (t->status >= 200 && t->status <= 299) {
    bool truncated;
    verdict v = check_body(j, &truncated);
    if (v == DO_RETRY) {
      if (truncated && !t->decode_content && j->written > 0)
        j->resume_from = j->written;
      else if (!restart_body(j))
        return krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path), DONE_FAIL;
    }
    return v;
  }
  if (t->status == 416 && j->resume_from > 0) {
    /* the partial bytes do not fit the file the server has now: start over */
    krait_err_set(&t->err, KRAIT_E_NET, "%s: HTTP 416 to a resumed request", t->shown_url);
    if (!restart_body(j))
      return krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path), DONE_FAIL;
    return DO_RETRY;
  }
  krait_code code = t->status == 404 || t->status == 410 ? KRAIT_E_NOTFOUND : KRAIT_E_NET;
  krait_err_set(&t->err, code, "%s: HTTP %ld", t->shown_url, t->status);
  (void)ctx;
  if (!restart_body(j))
    return krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path), DONE_FAIL;
  return status_transient(t->status) ? DO_RETRY : DONE_FAIL;
}

static void finish(job *j, verdict v) {
  krait_transfer *t = j->t;
  j->done = true;
  if (v == DONE_OK) {
    t->code = KRAIT_OK;
    krait_err_clear(&t->err);
  } else {
    if (t->err.code == KRAIT_OK)
      krait_err_set(&t->err, KRAIT_E_NET, "%s: failed", t->shown_url);
    t->code = t->err.code;
    size_t len = strlen(t->err.msg);
    if (t->code != KRAIT_E_CANCELLED)
      snprintf(t->err.msg + len, sizeof t->err.msg - len, " (%d %s)", t->tries, tries_word(t->tries));
  }
  if (j->out) {
    if (fclose(j->out) != 0 && t->code == KRAIT_OK) {
      t->code = krait_err_errno(&t->err, KRAIT_E_IO, "writing %s", t->dest_path);
    }
    j->out = NULL;
  }
  if (t->code == KRAIT_OK && t->bytes > 0) /* the last word for a display: this one is complete */
    krait_ctx_progress(j->net->ctx, "download", t->label, (double)t->bytes, (double)t->bytes);
  krait_debug(j->net->ctx, "GET %s: %s%ld, %lld bytes, %d %s", t->shown_url, t->code ? "failed, HTTP " : "HTTP ",
              t->status, t->bytes, t->tries, tries_word(t->tries));
  if (t->on_done)
    t->on_done(t->user, t);
}

/* ---- the loop ---- */

static const char *last_segment(const char *url) {
  size_t n = strcspn(url, "?#");
  const char *s = url + n;
  while (s > url && s[-1] != '/')
    s--;
  return s;
}

krait_code krait_net_run(krait_net *net, krait_transfer *ts, size_t n, krait_err *err) {
  pthread_mutex_lock(&net->busy);
  const krait_ctx *ctx = net->ctx;
  int max_active = ctx->download_threads > 0 ? ctx->download_threads : 1;
  curl_multi_setopt(net->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_active);
  curl_multi_setopt(net->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_active);
  job *jobs = krait_calloc(n ? n : 1, sizeof *jobs);
  char **labels = krait_calloc(n ? n : 1, sizeof *labels);
  for (size_t i = 0; i < n; i++) {
    krait_transfer *t = &ts[i];
    t->code = KRAIT_OK;
    krait_err_clear(&t->err);
    t->status = 0;
    t->tries = 0;
    t->bytes = 0;
    krait_transfer_clear(t);
    t->shown_url = krait_url_redact(t->url);
    if (!t->label)
      t->label = labels[i] = krait_strdup(last_segment(t->shown_url));
    jobs[i].net = net;
    jobs[i].t = t;
    jobs[i].real_url = krait_secrets_restore(ctx->secrets, t->url);
    jobs[i].queued = true;
  }
  int active = 0, peak = 0;
  size_t left = n;
  while (left > 0) {
    /* a signal asked krait to stop: queued transfers (new ones, retries
     * waiting for their time) are not started; those in flight abort in
     * on_progress */
    if (krait_interrupted())
      for (size_t i = 0; i < n; i++)
        if (jobs[i].queued) {
          jobs[i].queued = false;
          krait_checkpoint(KRAIT_STEP_DOWNLOAD, &jobs[i].t->err);
          finish(&jobs[i], DONE_FAIL);
          left--;
        }
    if (left == 0)
      break;
    /* start whatever may start: queued transfers whose retry time has come */
    double now = now_secs(), next_wake = -1;
    for (size_t i = 0; i < n && active < max_active; i++) {
      job *j = &jobs[i];
      if (!j->queued)
        continue;
      if (j->not_before > now) {
        if (next_wake < 0 || j->not_before < next_wake)
          next_wake = j->not_before;
        continue;
      }
      j->queued = false;
      krait_err serr;
      if (start_try(j, &serr) != KRAIT_OK) {
        end_try(j);
        j->t->err = serr;
        finish(j, DONE_FAIL);
        left--;
        continue;
      }
      active++;
    }
    if (active > peak)
      peak = active;
    int running = 0;
    curl_multi_perform(net->multi, &running);
    CURLMsg *msg;
    int pending;
    bool slot_freed = false;
    while ((msg = curl_multi_info_read(net->multi, &pending))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      job *j = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      CURLcode rc = msg->data.result;
      verdict v = judge(j, rc);
      end_try(j);
      active--;
      slot_freed = true;
      if (v == DO_RETRY && j->t->tries <= ctx->remote_max_retries) {
        double delay = retry_delay(j);
        krait_debug(ctx, "%s; retrying in %.1f s (try %d of %d)", j->t->err.msg, delay, j->t->tries + 1,
                    ctx->remote_max_retries + 1);
        j->not_before = now_secs() + delay;
        j->queued = true;
        continue;
      }
      finish(j, v == DONE_OK ? DONE_OK : DONE_FAIL);
      left--;
    }
    if (left == 0)
      break;
    if (slot_freed)
      continue; /* start the next queued transfer before waiting on the others */
    int wait_ms = 1000;
    if (next_wake >= 0) {
      double d = (next_wake - now_secs()) * 1000;
      wait_ms = d < 0 ? 0 : d < 1000 ? (int)d + 1 : 1000;
    }
    if (active > 0 || next_wake >= 0)
      curl_multi_poll(net->multi, NULL, 0, wait_ms, NULL);
  }
  net->last_peak = peak;
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < n; i++) {
    if (ts[i].label == labels[i])
      ts[i].label = NULL;
    free(labels[i]);
    free(jobs[i].real_url);
    free(jobs[i].range_validator);
    curl_slist_free_all(jobs[i].headers);
    if (jobs[i].out)
      fclose(jobs[i].out);
    if (ts[i].code && !rc) {
      rc = ts[i].code;
      if (err)
        *err = ts[i].err;
    }
  }
  free(labels);
  free(jobs);
  pthread_mutex_unlock(&net->busy);
  return rc;
}
