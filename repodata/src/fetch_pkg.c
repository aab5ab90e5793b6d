/* libcurl downloader for package archives (see krait/fetch_pkg.h). */
#include "krait/fetch_pkg.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krait/channel.h"
#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "curl_lazy.h" /* after <curl/curl.h>: libcurl loads on first use */

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc = CURLE_OK;

/* curl_global_init is not thread-safe; downloads start on worker threads. */
static void curl_init_once(void) { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct dl_progress {
  const krait_ctx *ctx;
  const char *item;
  FILE *out;
  int write_errno; /* why writing the download failed (a full disk must say so) */
} dl_progress;

static size_t on_write(char *data, size_t size, size_t n, void *user) {
  dl_progress *p = user;
  size_t wrote = fwrite(data, 1, size * n, p->out);
  if (wrote != size * n)
    p->write_errno = errno ? errno : EIO;
  return wrote;
}

static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)ultotal;
  (void)ulnow;
  dl_progress *p = user;
  krait_ctx_progress(p->ctx, "download", p->item, (double)dlnow, (double)dltotal);
  return krait_interrupted() ? 1 : 0; /* SIGTERM/SIGINT: stop now, the transaction rolls back */
}

krait_code krait_fetch_pkg_download(void *user, const krait_ctx *ctx, const char *url, const char *dest_path,
                                    krait_err *err) {
  (void)user;
  pthread_once(&g_curl_once, curl_init_once);
  if (g_curl_init_rc != CURLE_OK)
    return krait_err_set(err, KRAIT_E_NET, "cannot initialise libcurl: %s", curl_easy_strerror(g_curl_init_rc));
  FILE *out = fopen(dest_path, "wb");
  if (!out)
    return krait_err_errno(err, KRAIT_E_IO, "%s", dest_path);
  CURL *h = curl_easy_init();
  if (!h) {
    fclose(out);
    return krait_err_set(err, KRAIT_E_NET, "cannot create a libcurl handle");
  }
  char errbuf[CURL_ERROR_SIZE] = "";
  dl_progress prog = {ctx, krait_path_basename(url), out, 0};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &prog);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "krait/0.1.0");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* required with threads */
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &prog);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L); /* on_xfer also checks for SIGTERM/SIGINT */
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  int close_rc = fclose(out);
  if (rc == CURLE_WRITE_ERROR && prog.write_errno) {
    errno = prog.write_errno;
    return krait_err_errno(err, KRAIT_E_IO, "writing %s", dest_path);
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && krait_interrupted())
    return krait_checkpoint(KRAIT_STEP_DOWNLOAD, err);
  if (rc != CURLE_OK) {
    char *shown = krait_url_redact(url); /* never print a channel token */
    krait_code code =
        rc == CURLE_HTTP_RETURNED_ERROR
            ? krait_err_set(err, KRAIT_E_NET, "%s: HTTP %ld", shown, status)
            : krait_err_set(err, KRAIT_E_NET, "%s: %s", shown, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    free(shown);
    return code;
  }
  if (close_rc != 0)
    return krait_err_errno(err, KRAIT_E_IO, "writing %s", dest_path);
  return KRAIT_OK;
}

krait_cache_fetcher krait_fetch_pkg_fetcher(void) {
  krait_cache_fetcher f = {krait_fetch_pkg_download, NULL};
  return f;
}
