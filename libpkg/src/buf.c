/* Growable buffers and string vectors (see krait/buf.h for ownership rules). */
#include "krait/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void krait_oom(void) {
  static const char msg[] = "krait: out of memory\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  abort();
}

void *krait_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    krait_oom();
  return p;
}

void *krait_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    krait_oom();
  return p;
}

void *krait_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    krait_oom();
  return q;
}

char *krait_strdup(const char *s) {
  if (!s)
    return NULL;
  return krait_strndup(s, strlen(s));
}

char *krait_strndup(const char *s, size_t n) {
  char *p = krait_malloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *krait_asprintf(const char *fmt, ...) {
  krait_buf b = KRAIT_BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  krait_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return krait_buf_steal(&b);
}

void krait_buf_reserve(krait_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->data = krait_realloc(b->data, cap);
  b->cap = cap;
}

void krait_buf_append(krait_buf *b, const void *data, size_t len) {
  krait_buf_reserve(b, len);
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void krait_buf_puts(krait_buf *b, const char *s) { krait_buf_append(b, s, strlen(s)); }

void krait_buf_putc(krait_buf *b, char c) { krait_buf_append(b, &c, 1); }

void krait_buf_vprintf(krait_buf *b, const char *fmt, va_list ap) {
  /* formatted once into the room there is; a second time only when it
   * did not fit */
  krait_buf_reserve(b, 64);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->data[b->len] = '\0';
    return;
  }
  if ((size_t)n >= b->cap - b->len) {
    krait_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
}

void krait_buf_printf(krait_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  krait_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void krait_buf_clear(krait_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

void krait_buf_free(krait_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *krait_buf_steal(krait_buf *b) {
  char *s = b->data ? b->data : krait_strdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}

const char *krait_buf_str(const krait_buf *b) { return b->data ? b->data : ""; }

void krait_strv_push_owned(krait_strv *v, char *s) {
  if (v->len == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 8;
    v->items = krait_realloc(v->items, v->cap * sizeof *v->items);
  }
  v->items[v->len++] = s;
}

void krait_strv_push(krait_strv *v, const char *s) { krait_strv_push_owned(v, krait_strdup(s)); }

bool krait_strv_contains(const krait_strv *v, const char *s) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i], s) == 0)
      return true;
  return false;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void krait_strv_sort(krait_strv *v) {
  if (v->len > 1)
    qsort(v->items, v->len, sizeof *v->items, cmp_str);
}

void krait_strv_free(krait_strv *v) {
  for (size_t i = 0; i < v->len; i++)
    free(v->items[i]);
  free(v->items);
  v->items = NULL;
  v->len = v->cap = 0;
}

void krait_strv_copy(krait_strv *dst, const krait_strv *src) {
  for (size_t i = 0; i < src->len; i++)
    krait_strv_push(dst, src->items[i]);
}
