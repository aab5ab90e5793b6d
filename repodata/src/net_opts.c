/* Transport settings of the download engine. See net_opts.h and krait/net.h. */
#include "net_opts.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "krait/buf.h"
#include "krait/net.h"
#include "curl_lazy.h" /* after <curl/curl.h>: libcurl loads on first use */

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* conda's proxy_servers lookup: "scheme://host" first, then "scheme", then "all". */
static const char *configured_proxy(const krait_ctx *ctx, const char *url) {
  const char *sep = strstr(url, "://");
  if (!sep)
    return NULL;
  size_t scheme_len = (size_t)(sep - url);
  const char *host = sep + 3;
  const char *at = NULL;
  size_t auth = strcspn(host, "/?#");
  for (const char *p = host; p < host + auth; p++)
    if (*p == '@')
      at = p;
  if (at)
    host = at + 1;
  size_t host_len = strcspn(host, "/?#");
  const char *by_scheme = NULL, *all = NULL;
  for (size_t i = 0; i + 1 < ctx->proxy_servers.len; i += 2) {
    const char *k = ctx->proxy_servers.items[i], *v = ctx->proxy_servers.items[i + 1];
    const char *ksep = strstr(k, "://");
    if (ksep && (size_t)(ksep - k) == scheme_len && strncmp(k, url, scheme_len) == 0 &&
        strlen(ksep + 3) == host_len && strncmp(ksep + 3, host, host_len) == 0)
      return v;
    if (!ksep && strlen(k) == scheme_len && strncmp(k, url, scheme_len) == 0)
      by_scheme = v;
    if (strcmp(k, "all") == 0)
      all = v;
  }
  return by_scheme ? by_scheme : all;
}

void krait_net_apply_transport(const krait_ctx *ctx, CURL *c, const char *url) {
  curl_easy_setopt(c, CURLOPT_USERAGENT, KRAIT_NET_USER_AGENT);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  long connect_ms = (long)(ctx->remote_connect_timeout_secs * 1000);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms > 0 ? connect_ms : 1L);
  /* a stall: under 1 byte/s for remote_read_timeout_secs (whole seconds for libcurl) */
  long stall = (long)(ctx->remote_read_timeout_secs + 0.999);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall > 0 ? stall : 1L);

  /* ~/.netrc, or $NETRC, when the URL itself carries no user */
  curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
  if (env("NETRC"))
    curl_easy_setopt(c, CURLOPT_NETRC_FILE, env("NETRC"));

  const char *proxy = configured_proxy(ctx, url);
  /* libcurl reads only the lower-case http_proxy (CGI safety); conda honours both */
  if (!proxy && strncmp(url, "http://", 7) == 0 && !env("http_proxy"))
    proxy = env("HTTP_PROXY");
  if (proxy)
    curl_easy_setopt(c, CURLOPT_PROXY, proxy); /* NO_PROXY still applies (libcurl reads it) */

  const char *verify = ctx->ssl_verify ? ctx->ssl_verify : "true";
  if (strcmp(verify, "false") == 0) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    const char *bundle = strcmp(verify, "true") != 0 ? verify : NULL;
    if (!bundle)
      bundle = env("REQUESTS_CA_BUNDLE");
    if (!bundle)
      bundle = env("SSL_CERT_FILE");
    if (!bundle)
      bundle = env("CURL_CA_BUNDLE");
    struct stat sb;
    if (bundle && stat(bundle, &sb) == 0 && S_ISDIR(sb.st_mode))
      curl_easy_setopt(c, CURLOPT_CAPATH, bundle);
    else if (bundle)
      curl_easy_setopt(c, CURLOPT_CAINFO, bundle);
  }
  if (ctx->client_ssl_cert)
    curl_easy_setopt(c, CURLOPT_SSLCERT, ctx->client_ssl_cert);
  if (ctx->client_ssl_cert_key)
    curl_easy_setopt(c, CURLOPT_SSLKEY, ctx->client_ssl_cert_key);
}
