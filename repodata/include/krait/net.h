/* The download engine: every HTTP(S) request krait makes (repodata, package
 * archives, and whatever later fetches shards or indexes) goes through it.
 *
 * One engine per context, created on first use by krait_net_get() and freed
 * with the context: a libcurl multi handle (its connection cache keeps
 * connections open between runs, HTTP/2 streams are multiplexed when the
 * server offers it) plus a share handle for DNS answers and TLS sessions.
 * libcurl itself is loaded on first use (curl_lazy.c), so a command that never
 * touches the network never pays for it.
 *
 * Use: fill an array of krait_transfer (only the request fields), call
 * krait_net_run(); it runs them in parallel (at most ctx->download_threads at
 * once), calls each on_done on the calling thread as soon as that transfer is
 * finished and verified, and returns when all are done. Then read the result
 * fields and release them with krait_transfer_clear().
 *
 *   krait_net *net;
 *   if (krait_net_get(ctx, &net, &err)) return err.code;
 *   krait_transfer t[2] = {{.url = u1, .dest_path = p1, .expected_size = 1234, .sha256 = h1},
 *                          {.url = u2, .dest_path = p2, .expected_size = -1, .max_bytes = 1 << 20}};
 *   krait_code rc = krait_net_run(net, t, 2, &err);   // err: the first failed transfer's error
 *   ... t[i].code, t[i].status, t[i].tries, t[i].etag ...
 *   krait_transfer_clear(&t[0]); krait_transfer_clear(&t[1]);
 *
 * What every transfer gets:
 * - Retries with exponential backoff and jitter (ctx->remote_max_retries
 *   after the first try; wait remote_backoff_factor * 2^(k-1) s plus up to
 *   50 % jitter, or the server's Retry-After, capped at 120 s) on timeouts,
 *   refused/reset connections, truncated bodies, HTTP 408, 429 and 5xx, and
 *   a body that fails its sha256/md5. A retry after a truncated body resumes
 *   with a Range request (If-Range: the validator of the response the bytes
 *   came from) when the server supports it (206), else starts over; a body
 *   left by an earlier run resumes the same way (resume_from).
 * - Bounds: the body may not exceed expected_size (when >= 0) nor max_bytes
 *   (when > 0), counted after content decoding, so a gzip bomb stops at the
 *   limit; a connection idle for ctx->remote_read_timeout_secs is dropped and
 *   retried; connecting is bounded by remote_connect_timeout_secs.
 * - Auth and transport: the secret of a redacted URL is restored from
 *   ctx->secrets (krait/secrets.h); user:password in the URL and ~/.netrc
 *   ($NETRC) give basic auth; proxies from ctx->proxy_servers, else the
 *   http_proxy/HTTP_PROXY/https_proxy/HTTPS_PROXY/ALL_PROXY variables, with
 *   NO_PROXY; ctx->ssl_verify ("false", or a CA bundle file/directory; when
 *   "true" REQUESTS_CA_BUNDLE, SSL_CERT_FILE or CURL_CA_BUNDLE name the
 *   bundle); client certificates from ctx->client_ssl_cert(_key).
 * - Only http:// and https:// (redirects too, at most 10).
 * - Errors name the redacted URL, the HTTP status or libcurl's reason, and
 *   the number of tries: "https://h/t/<TOKEN>/c/x.conda: HTTP 503 (4 tries)".
 * - Progress: ctx->on_progress("download", label, bytes, total) while data
 *   arrives; a debug event per finished request.
 *
 * Threads: krait_net_run may be called from any thread but runs one batch at
 * a time (a second caller waits). on_done runs on the calling thread and must
 * not call krait_net_run. Secrets never appear in any result field. */
#ifndef KRAIT_NET_H
#define KRAIT_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"

#define KRAIT_NET_USER_AGENT "krait/0.1.0"

typedef struct krait_net krait_net;
typedef struct krait_transfer krait_transfer;
typedef void (*krait_transfer_done_fn)(void *user, krait_transfer *t);

struct krait_transfer {
  /* ---- request (set by the caller; borrowed, must outlive krait_net_run) ---- */
  const char *url;               /* http(s); may be the redacted form of a configured channel's URL */
  const char *dest_path;         /* body goes here (created or truncated); other responses leave it empty */
  long long expected_size;       /* exact size when >= 0: more is refused, less is a truncated body */
  long long max_bytes;           /* ceiling when > 0 (e.g. ctx->repodata_max_bytes) */
  const char *sha256;            /* hex digest the body must have, or NULL */
  const char *md5;               /* checked when sha256 is NULL, or NULL */
  const char *if_none_match;     /* conditional request: a 304 is success with status 304 */
  const char *if_modified_since;
  bool decode_content;           /* Accept-Encoding: gzip etc. (repodata.json); never for archives */
  /* Resuming the partial body of an earlier, killed run: dest_path already
   * holds this many bytes (checked: a regular file of the caller's own, of
   * exactly that size, else it starts over). The first request asks for the
   * rest with Range and If-Range: if_range; a 206 appends, a 200 (the server
   * ignores Range, or the file changed) starts the body over. */
  long long resume_from;
  const char *if_range;          /* the strong ETag or Last-Modified the partial bytes came with */
  bool keep_partial;             /* the caller may resume dest_path in a later run: every byte is written
                                    straight through (unbuffered), so a killed process leaves all it received */
  krait_transfer_done_fn on_body; /* optional: a 2xx body begins (status, etag, last_modified are set);
                                     called before its first byte is written */
  const char *label;             /* progress item; default: the URL's last path segment */
  krait_transfer_done_fn on_done; /* optional, called once when this transfer is finished */
  void *user;

  /* ---- result (owned by the transfer, released by krait_transfer_clear) ---- */
  krait_code code;    /* KRAIT_OK; KRAIT_E_NOTFOUND for 404/410; KRAIT_E_CHECKSUM; KRAIT_E_NET; KRAIT_E_IO */
  krait_err err;      /* when code != KRAIT_OK */
  long status;        /* last HTTP status (0 when no response) */
  int tries;          /* requests made (1 = no retry) */
  long long bytes;    /* bytes in dest_path */
  char *shown_url;    /* the URL with credentials redacted */
  char *etag;         /* response validators of the final response, or NULL */
  char *last_modified;
  char *cache_control;
};

/* ctx's engine, created on first use (ctx owns it). KRAIT_E_NET when libcurl
 * cannot be loaded or initialised. */
KRAIT_API krait_code krait_net_get(const krait_ctx *ctx, krait_net **out, krait_err *err);

/* Runs the n transfers (see above). Returns KRAIT_OK when all succeeded,
 * else the code of the first failed transfer (in array order) with its error
 * in err. Every transfer's result fields are filled either way. */
KRAIT_API krait_code krait_net_run(krait_net *net, krait_transfer *t, size_t n, krait_err *err);

/* Frees a transfer's result strings (request fields are untouched). */
KRAIT_API void krait_transfer_clear(krait_transfer *t);

/* How many transfers were in flight at most during the last krait_net_run
 * (benchmarks, tests). */
KRAIT_API int krait_net_last_peak(const krait_net *net);

#endif
