/* Channel credentials, redacted everywhere but in memory. See krait/secrets.h. */
#include "krait/secrets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/fs.h"

struct krait_secrets {
  pthread_mutex_t mu;
  krait_strv redacted; /* redacted[i] is the shown form of real[i] */
  krait_strv real;
};

krait_secrets *krait_secrets_new(void) {
  krait_secrets *s = krait_calloc(1, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  return s;
}

void krait_secrets_free(krait_secrets *s) {
  if (!s)
    return;
  krait_strv_free(&s->redacted);
  krait_strv_free(&s->real);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* The "user:pass@" part of an URL's authority: [*start, *end) is the
 * password, or false when there is none. */
static bool find_password(const char *url, const char **start, const char **end) {
  const char *scheme = strstr(url, "://");
  if (!scheme)
    return false;
  const char *host = scheme + 3;
  size_t auth_len = strcspn(host, "/?#");
  const char *at = NULL;
  for (const char *p = host; p < host + auth_len; p++)
    if (*p == '@')
      at = p; /* the last '@' ends the userinfo */
  const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
  if (!colon)
    return false;
  *start = colon + 1;
  *end = at;
  return true;
}

/* A "/t/<token>/" segment at p (the token is at p + 3, non-empty). */
static bool token_at(const char *p) { return p[0] == '/' && p[1] == 't' && p[2] == '/' && p[3] && p[3] != '/'; }

char *krait_url_redact(const char *url) {
  krait_buf b = KRAIT_BUF_INIT;
  const char *p = url, *pw, *pw_end;
  if (find_password(url, &pw, &pw_end)) {
    krait_buf_append(&b, url, (size_t)(pw - url));
    krait_buf_puts(&b, "***");
    p = pw_end;
  }
  while (*p) {
    if (token_at(p)) {
      krait_buf_puts(&b, "/t/<TOKEN>");
      p += 3;
      p += strcspn(p, "/?#");
      continue;
    }
    krait_buf_putc(&b, *p++);
  }
  return krait_buf_steal(&b);
}

/* Where a URL that starts before p at or after `from` begins: back to the
 * last separator. */
static bool url_char(char c) { return c && !strchr(" \t\n\r'\",[]()<>{}", c); }

char *krait_text_redact(const char *text) {
  krait_buf b = KRAIT_BUF_INIT;
  const char *p = text;
  while (*p) {
    const char *sep = strstr(p, "://");
    if (!sep) {
      krait_buf_puts(&b, p);
      break;
    }
    const char *start = sep;
    while (start > p && url_char(start[-1]))
      start--;
    const char *end = sep + 3;
    while (url_char(*end))
      end++;
    krait_buf_append(&b, p, (size_t)(start - p));
    char *word = krait_strndup(start, (size_t)(end - start));
    char *shown = krait_url_redact(word);
    krait_buf_puts(&b, shown);
    free(shown);
    free(word);
    p = end;
  }
  return krait_buf_steal(&b);
}

bool krait_url_has_secret(const char *url) {
  const char *a, *e;
  if (!url)
    return false;
  if (find_password(url, &a, &e))
    return true;
  for (const char *p = url; *p; p++)
    if (token_at(p) && strncmp(p + 3, "<TOKEN>", 7) != 0)
      return true;
  return false;
}

void krait_secrets_remember(krait_secrets *s, const char *url) {
  if (!s || !url || !krait_url_has_secret(url))
    return;
  char *shown = krait_url_redact(url);
  /* drop a trailing slash so "<base>" and "<base>/" remember the same */
  size_t n = strlen(shown);
  if (n && shown[n - 1] == '/')
    shown[n - 1] = 0;
  char *real = krait_strdup(url);
  n = strlen(real);
  if (n && real[n - 1] == '/')
    real[n - 1] = 0;
  pthread_mutex_lock(&s->mu);
  if (krait_strv_contains(&s->redacted, shown)) {
    free(shown);
    free(real);
  } else {
    krait_strv_push_owned(&s->redacted, shown);
    krait_strv_push_owned(&s->real, real);
  }
  pthread_mutex_unlock(&s->mu);
}

char *krait_secrets_restore(const krait_secrets *s, const char *url) {
  if (!s)
    return krait_strdup(url);
  krait_secrets *m = (krait_secrets *)s; /* the lock is not part of the value */
  pthread_mutex_lock(&m->mu);
  size_t best = (size_t)-1, best_len = 0;
  for (size_t i = 0; i < s->redacted.len; i++) {
    const char *r = s->redacted.items[i];
    size_t n = strlen(r);
    /* a whole path segment: ".../t/<TOKEN>/chan" must not match ".../chan2" */
    if (n > best_len && strncmp(url, r, n) == 0 && (url[n] == 0 || url[n] == '/')) {
      best = i;
      best_len = n;
    }
  }
  char *out = best == (size_t)-1 ? krait_strdup(url) : krait_asprintf("%s%s", s->real.items[best], url + best_len);
  pthread_mutex_unlock(&m->mu);
  return out;
}
