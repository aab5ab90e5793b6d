/* Encoding of an activation level's memory (see activate_record.h). */
#include "activate_record.h"

#include <stdlib.h>
#include <string.h>

static bool plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '/' || c == '-' || c == '+' || c == ',' || c == '@';
}

static void put_enc(krait_buf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (plain(*p))
      krait_buf_putc(b, (char)*p);
    else
      krait_buf_printf(b, "%%%02X", *p);
}

static void put_entry(krait_buf *b, char tag, const char *a, const char *v) {
  krait_buf_putc(b, ':');
  krait_buf_putc(b, tag);
  if (a)
    put_enc(b, a);
  if (v) {
    krait_buf_putc(b, '=');
    put_enc(b, v);
  }
}

char *act_record_encode(const act_record *r) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "v1");
  for (size_t i = 0; i < r->before.len; i++)
    put_entry(&b, 'S', r->before.items[i].name, r->before.items[i].value);
  for (size_t i = 0; i < r->unset_before.len; i++)
    put_entry(&b, 'U', r->unset_before.items[i], NULL);
  for (size_t i = 0; i < r->inserted.len; i++)
    put_entry(&b, 'P', r->inserted.items[i], NULL);
  for (size_t i = 0; i < r->removed.len; i++)
    put_entry(&b, 'R', r->removed.items[i], NULL);
  for (size_t i = 0; i < r->own_before.len; i++)
    put_entry(&b, 'V', r->own_before.items[i].name, r->own_before.items[i].value);
  for (size_t i = 0; i < r->own_unset.len; i++)
    put_entry(&b, 'W', r->own_unset.items[i], NULL);
  if (r->replaced)
    put_entry(&b, 'K', NULL, NULL);
  return krait_buf_steal(&b);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decodes s[0..n) into a new string; NULL on a bad or NUL escape. */
static char *dec(const char *s, size_t n) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_reserve(&b, n + 1);
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      krait_buf_putc(&b, s[i]);
      continue;
    }
    int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
    int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      krait_buf_free(&b);
      return NULL;
    }
    krait_buf_putc(&b, (char)(hi * 16 + lo));
    i += 2;
  }
  return krait_buf_steal(&b);
}

krait_code act_record_decode(const char *text, const char *var, act_record *r, krait_err *err) {
  if (strncmp(text, "v1", 2) != 0 || (text[2] && text[2] != ':'))
    return krait_err_set(err, KRAIT_E_PARSE, "%s is not a krait activation record (unset it to start afresh)", var);
  const char *p = text + 2;
  while (*p == ':') {
    p++;
    size_t n = strcspn(p, ":");
    char tag = n ? p[0] : '\0';
    const char *body = p + 1;
    size_t blen = n ? n - 1 : 0;
    const char *eq = memchr(body, '=', blen);
    size_t alen = eq ? (size_t)(eq - body) : blen;
    char *a = dec(body, alen);
    char *v = eq ? dec(eq + 1, blen - alen - 1) : NULL;
    bool needs_value = tag == 'S' || tag == 'V';
    bool ok = a && (!eq || v) && (needs_value == (eq != NULL)) && (tag == 'K' || *a);
    if (ok) {
      switch (tag) {
      case 'S': krait_envmap_set(&r->before, a, v); break;
      case 'U': krait_strv_push(&r->unset_before, a); break;
      case 'P': krait_strv_push(&r->inserted, a); break;
      case 'R': krait_strv_push(&r->removed, a); break;
      case 'V': krait_envmap_set(&r->own_before, a, v); break;
      case 'W': krait_strv_push(&r->own_unset, a); break;
      case 'K': r->replaced = true; break;
      default: ok = false;
      }
    }
    free(a);
    free(v);
    if (!ok)
      return krait_err_set(err, KRAIT_E_PARSE, "%s: malformed entry \"%.*s\" (unset it to start afresh)", var,
                           (int)(n > 60 ? 60 : n), p);
    p += n;
  }
  if (*p)
    return krait_err_set(err, KRAIT_E_PARSE, "%s is not a krait activation record (unset it to start afresh)", var);
  return KRAIT_OK;
}

void act_record_free(act_record *r) {
  krait_envmap_free(&r->before);
  krait_strv_free(&r->unset_before);
  krait_strv_free(&r->inserted);
  krait_strv_free(&r->removed);
  krait_envmap_free(&r->own_before);
  krait_strv_free(&r->own_unset);
  memset(r, 0, sizeof *r);
}
