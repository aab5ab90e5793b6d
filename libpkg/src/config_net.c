/* Network settings from .condarc and the environment. See config_net.h. */
#include "config_net.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "krait/buf.h"
#include "krait/fs.h"

static bool parse_long(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  while (*end == ' ')
    end++;
  if (errno || end == s || *end || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

static bool parse_seconds(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  while (*end == ' ')
    end++;
  if (end == s || *end || !isfinite(v) || v < 0 || v > 86400)
    return false;
  *out = v;
  return true;
}

static void set_str(char **dst, const char *v) {
  free(*dst);
  *dst = *v ? krait_strdup(v) : NULL;
}

/* conda's ssl_verify: a boolean or a path to a CA bundle. */
static void set_ssl_verify(krait_ctx *ctx, const char *v) {
  static const char *const no[] = {"false", "no", "off", "0"};
  static const char *const yes[] = {"true", "yes", "on", "1", "truststore", ""};
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (strcasecmp(v, no[i]) == 0)
      return set_str(&ctx->ssl_verify, "false");
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    if (strcasecmp(v, yes[i]) == 0)
      return set_str(&ctx->ssl_verify, "true");
  char *path = krait_path_absolute(v);
  set_str(&ctx->ssl_verify, path);
  free(path);
}

bool krait_config_net_set(krait_ctx *ctx, const char *key, const char *value, const char **want) {
  long long n;
  double d;
  if (strcmp(key, "download_threads") == 0 || strcmp(key, "fetch_threads") == 0) {
    if (!parse_long(value, 1, 256, &n))
      return *want = "an integer from 1 to 256", false;
    ctx->download_threads = (int)n;
  } else if (strcmp(key, "remote_max_retries") == 0) {
    if (!parse_long(value, 0, 100, &n))
      return *want = "an integer from 0 to 100", false;
    ctx->remote_max_retries = (int)n;
  } else if (strcmp(key, "repodata_max_bytes") == 0) {
    if (!parse_long(value, 1, (long long)1 << 50, &n))
      return *want = "a positive number of bytes", false;
    ctx->repodata_max_bytes = n;
  } else if (strcmp(key, "remote_backoff_factor") == 0 || strcmp(key, "remote_connect_timeout_secs") == 0 ||
             strcmp(key, "remote_read_timeout_secs") == 0) {
    if (!parse_seconds(value, &d))
      return *want = "a number of seconds from 0 to 86400", false;
    if (key[7] == 'b')
      ctx->remote_backoff_factor = d;
    else if (key[7] == 'c')
      ctx->remote_connect_timeout_secs = d;
    else
      ctx->remote_read_timeout_secs = d;
  } else if (strcmp(key, "ssl_verify") == 0) {
    set_ssl_verify(ctx, value);
  } else if (strcmp(key, "client_ssl_cert") == 0) {
    char *p = *value ? krait_path_absolute(value) : krait_strdup("");
    set_str(&ctx->client_ssl_cert, p);
    free(p);
  } else if (strcmp(key, "client_ssl_cert_key") == 0) {
    char *p = *value ? krait_path_absolute(value) : krait_strdup("");
    set_str(&ctx->client_ssl_cert_key, p);
    free(p);
  } else {
    return *want = "a known setting", false;
  }
  return true;
}
