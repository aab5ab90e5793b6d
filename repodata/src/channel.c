/* Channel parsing: normalises the many ways users name a channel into one
 * base URL, so that repodata, cache keys and `channel::` specs all agree. */
#include "krait/channel.h"

#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/platform.h"

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static void strip_trailing_slashes(char *s) {
  size_t n = strlen(s);
  while (n > 1 && s[n - 1] == '/')
    s[--n] = '\0';
}

static bool looks_like_path(const char *t) {
  return t[0] == '/' || t[0] == '~' || strcmp(t, ".") == 0 || strcmp(t, "..") == 0 || has_prefix(t, "./") ||
         has_prefix(t, "../");
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char *krait_file_url_to_path(const char *url) {
  if (!has_prefix(url, "file://"))
    return NULL;
  const char *p = url + strlen("file://");
  /* file://localhost/x is the same as file:///x */
  if (has_prefix(p, "localhost/"))
    p += strlen("localhost");
  krait_buf b = KRAIT_BUF_INIT;
  for (; *p; p++) {
    if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
      krait_buf_putc(&b, (char)(hexval(p[1]) * 16 + hexval(p[2])));
      p += 2;
    } else {
      krait_buf_putc(&b, *p);
    }
  }
  return krait_buf_steal(&b);
}

/* Removes "." and ".." segments and doubled slashes from an absolute path in
 * place, so "./rel" and "/a/../b" name the same channel as their clean form. */
static void normalize_abs_path(char *path) {
  char *out = path; /* path[0] == '/' */
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0)
      break;
    if (n == 1 && p[0] == '.') {
      /* skip */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (out > path && *--out != '/')
        ;
    } else {
      *out++ = '/';
      memmove(out, p, n);
      out += n;
    }
    p += n;
  }
  if (out == path)
    *out++ = '/';
  *out = '\0';
}

/* file:// URL of an absolute path; characters that would break a URL are
 * percent-encoded, the rest kept readable. */
static char *path_to_file_url(const char *abs) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "file://");
  for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
    if (*p <= ' ' || *p == '%' || *p == '#' || *p == '?' || *p >= 0x7f)
      krait_buf_printf(&b, "%%%02X", *p);
    else
      krait_buf_putc(&b, (char)*p);
  }
  return krait_buf_steal(&b);
}

/* Moves a trailing "/<known subdir>" from url into ch->subdirs. */
static void split_subdir(char *url, krait_channel *ch) {
  char *slash = strrchr(url, '/');
  if (!slash || slash[1] == '\0')
    return;
  /* never strip the host of a bare "https://host" */
  if (slash > url && slash[-1] == '/')
    return;
  if (krait_subdir_known(slash + 1)) {
    krait_strv_push(&ch->subdirs, slash + 1);
    *slash = '\0';
  }
}

static size_t alias_len(const char *alias) {
  size_t al = strlen(alias);
  while (al > 0 && alias[al - 1] == '/')
    al--;
  return al;
}

krait_code krait_channel_parse(const krait_ctx *ctx, const char *text, krait_channel *out, krait_err *err) {
  memset(out, 0, sizeof(*out));
  if (!text)
    return krait_err_set(err, KRAIT_E_INVALID, "empty channel");
  while (*text == ' ' || *text == '\t')
    text++;
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
    n--;
  if (n == 0)
    return krait_err_set(err, KRAIT_E_INVALID, "empty channel");
  if (n == 8 && strncmp(text, "defaults", 8) == 0)
    return krait_err_set(err, KRAIT_E_INVALID, "channel \"defaults\" must be expanded before parsing");
  const char *alias = ctx && ctx->channel_alias ? ctx->channel_alias : "https://conda.anaconda.org";
  size_t al = alias_len(alias);

  char *url = NULL;
  if (strstr(text, "://") && strstr(text, "://") < text + n) {
    if (!has_prefix(text, "https://") && !has_prefix(text, "http://") && !has_prefix(text, "file://"))
      return krait_err_set(err, KRAIT_E_UNSUPPORTED,
                           "channel %.*s: only http://, https:// and file:// URLs are supported", (int)n, text);
    if (has_prefix(text, "file://") && !has_prefix(text, "file:///") && !has_prefix(text, "file://localhost/"))
      return krait_err_set(err, KRAIT_E_INVALID, "channel %.*s: a file:// URL needs an absolute path (file:///dir)",
                           (int)n, text);
    url = krait_strndup(text, n);
  } else if (looks_like_path(text)) {
    char *rel = krait_strndup(text, n);
    char *abs = krait_path_absolute(rel);
    free(rel);
    normalize_abs_path(abs);
    url = path_to_file_url(abs);
    free(abs);
  } else {
    /* A channel name, relative to the channel alias. */
    url = krait_asprintf("%.*s/%.*s", (int)al, alias, (int)n, text);
  }
  strip_trailing_slashes(url);
  split_subdir(url, out);
  out->url = url;
  /* records and output carry the redacted URL; downloads get the secret back */
  if (ctx)
    krait_secrets_remember(ctx->secrets, url);

  /* Name: the path below the channel alias when the URL lives there, without
   * an anaconda.org token segment ("/t/<token>/"), which must not leak into
   * records or output. */
  if (strncmp(url, alias, al) == 0 && url[al] == '/' && url[al + 1] != '\0') {
    const char *rest = url + al + 1;
    if (strncmp(rest, "t/", 2) == 0 && strchr(rest + 2, '/'))
      rest = strchr(rest + 2, '/') + 1;
    out->name = krait_strdup(rest);
  } else {
    out->name = krait_url_redact(url);
  }
  return KRAIT_OK;
}

void krait_channel_free(krait_channel *ch) {
  if (!ch)
    return;
  free(ch->url);
  free(ch->name);
  krait_strv_free(&ch->subdirs);
  memset(ch, 0, sizeof(*ch));
}


bool krait_channel_is_local(const krait_channel *ch) { return ch && ch->url && has_prefix(ch->url, "file://"); }

/* Compares URLs ignoring a trailing slash, percent-encoding of file:// paths
 * and file://localhost/ vs file:///. */
static bool same_url(const char *a, const char *b) {
  char *pa = krait_file_url_to_path(a), *pb = krait_file_url_to_path(b);
  bool eq;
  if (pa && pb) {
    strip_trailing_slashes(pa);
    strip_trailing_slashes(pb);
    eq = strcmp(pa, pb) == 0;
  } else {
    size_t la = alias_len(a), lb = alias_len(b);
    eq = la == lb && strncmp(a, b, la) == 0;
  }
  free(pa);
  free(pb);
  return eq;
}

bool krait_channel_matches(const krait_channel *ch, const krait_ctx *ctx, const char *text) {
  if (!ch || !ch->url || !text || !*text)
    return false;
  if (ch->name && strcmp(ch->name, text) == 0)
    return true;
  krait_channel other;
  if (krait_channel_parse(ctx, text, &other, NULL) != KRAIT_OK)
    return false;
  bool eq = same_url(ch->url, other.url);
  krait_channel_free(&other);
  return eq;
}
