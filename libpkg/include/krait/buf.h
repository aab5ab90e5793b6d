/* Growable byte/string buffer and string vector.
 *
 * Ownership: a krait_buf owns `data`; krait_buf_free releases it, krait_buf_steal
 * hands it to the caller (who then free()s it). A krait_strv owns its strings.
 * Allocation failure aborts via krait_oom(): out-of-memory is not a recoverable
 * condition for a command-line package manager and checking every append would
 * hide the logic. */
#ifndef KRAIT_BUF_H
#define KRAIT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "krait/err.h"

typedef struct krait_buf {
  char *data; /* always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
} krait_buf;

#define KRAIT_BUF_INIT {NULL, 0, 0}

KRAIT_API void krait_buf_reserve(krait_buf *b, size_t extra);
KRAIT_API void krait_buf_append(krait_buf *b, const void *data, size_t len);
KRAIT_API void krait_buf_puts(krait_buf *b, const char *s);
KRAIT_API void krait_buf_putc(krait_buf *b, char c);
KRAIT_API void krait_buf_printf(krait_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
KRAIT_API void krait_buf_vprintf(krait_buf *b, const char *fmt, va_list ap);
KRAIT_API void krait_buf_clear(krait_buf *b);
KRAIT_API void krait_buf_free(krait_buf *b);
/* Returns the heap string (never NULL; "" for an empty buffer) and resets b. */
KRAIT_API char *krait_buf_steal(krait_buf *b);
/* The contents as a C string ("" if empty); valid until the next append. */
KRAIT_API const char *krait_buf_str(const krait_buf *b);

typedef struct krait_strv {
  char **items;
  size_t len;
  size_t cap;
} krait_strv;

#define KRAIT_STRV_INIT {NULL, 0, 0}

KRAIT_API void krait_strv_push(krait_strv *v, const char *s);       /* copies s */
KRAIT_API void krait_strv_push_owned(krait_strv *v, char *s);       /* takes s */
KRAIT_API bool krait_strv_contains(const krait_strv *v, const char *s);
KRAIT_API void krait_strv_sort(krait_strv *v);                      /* strcmp order */
KRAIT_API void krait_strv_free(krait_strv *v);
KRAIT_API void krait_strv_copy(krait_strv *dst, const krait_strv *src);

/* Allocation helpers that never return NULL. */
KRAIT_API void *krait_malloc(size_t n);
KRAIT_API void *krait_calloc(size_t n, size_t size);
KRAIT_API void *krait_realloc(void *p, size_t n);
KRAIT_API char *krait_strdup(const char *s);          /* NULL -> NULL */
KRAIT_API char *krait_strndup(const char *s, size_t n);
KRAIT_API char *krait_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
KRAIT_API _Noreturn void krait_oom(void);

#endif
