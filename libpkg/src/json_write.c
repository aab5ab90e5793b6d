/* JSON writer: comma/indent bookkeeping so callers only say what to emit.
 * It stays a streaming writer into the caller's krait_buf (records are written
 * field by field as they are computed); reading, where hostile bytes arrive,
 * is yyjson's job (json_parse.c). */
#include "krait/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* 1 for the bytes JSON strings cannot hold as they are: the control
 * characters, '"' and '\\'. A table lookup per byte instead of a switch: the
 * files list of conda-meta is most of what an install writes. */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

void krait_json_escape(krait_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  krait_buf_reserve(b, n + 2);
  krait_buf_putc(b, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!needs_escape[c])
      continue;
    char u[7];
    const char *rep = u;
    switch (c) {
    case '"': rep = "\\\""; break;
    case '\\': rep = "\\\\"; break;
    case '\n': rep = "\\n"; break;
    case '\r': rep = "\\r"; break;
    case '\t': rep = "\\t"; break;
    case '\b': rep = "\\b"; break;
    case '\f': rep = "\\f"; break;
    default:
      u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = 0;
    }
    krait_buf_append(b, s + run, i - run);
    krait_buf_puts(b, rep);
    run = i + 1;
  }
  krait_buf_append(b, s + run, n - run);
  krait_buf_putc(b, '"');
}

void krait_jw_init(krait_jw *w, krait_buf *out, int indent) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->indent = indent;
}

static void newline(krait_jw *w) {
  static const char spaces[] = "\n                                                                ";
  if (!w->indent)
    return;
  /* one append per line, not one per space: files lists are long */
  size_t n = (size_t)w->depth * (size_t)w->indent + 1;
  if (n < sizeof spaces) {
    krait_buf_append(w->out, spaces, n);
    return;
  }
  krait_buf_putc(w->out, '\n');
  for (size_t i = 1; i < n; i++)
    krait_buf_putc(w->out, ' ');
}

/* Called before every value or key: separator and indentation. */
static void pre_item(krait_jw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth > 0) {
    if (w->need_comma[w->depth])
      krait_buf_putc(w->out, ',');
    newline(w);
    w->need_comma[w->depth] = true;
  }
}

static void open(krait_jw *w, char c) {
  pre_item(w);
  krait_buf_putc(w->out, c);
  if (w->depth + 1 < KRAIT_JSON_MAX_DEPTH)
    w->depth++;
  w->need_comma[w->depth] = false;
}

static void close_(krait_jw *w, char c) {
  bool had_items = w->need_comma[w->depth];
  if (w->depth > 0)
    w->depth--;
  if (had_items)
    newline(w);
  krait_buf_putc(w->out, c);
}

void krait_jw_obj_begin(krait_jw *w) { open(w, '{'); }
void krait_jw_obj_end(krait_jw *w) { close_(w, '}'); }
void krait_jw_arr_begin(krait_jw *w) { open(w, '['); }
void krait_jw_arr_end(krait_jw *w) { close_(w, ']'); }

void krait_jw_key(krait_jw *w, const char *key) {
  pre_item(w);
  krait_json_escape(w->out, key, strlen(key));
  krait_buf_puts(w->out, w->indent ? ": " : ":");
  w->after_key = true;
}

void krait_jw_strn(krait_jw *w, const char *s, size_t n) {
  pre_item(w);
  krait_json_escape(w->out, s, n);
}

void krait_jw_str(krait_jw *w, const char *s) {
  if (!s) {
    krait_jw_null(w);
    return;
  }
  krait_jw_strn(w, s, strlen(s));
}

void krait_jw_int(krait_jw *w, int64_t v) {
  pre_item(w);
  krait_buf_printf(w->out, "%" PRId64, v);
}

void krait_jw_double(krait_jw *w, double v) {
  pre_item(w);
  if (!isfinite(v))
    krait_buf_puts(w->out, "null");
  else if (fabs(v) < 9e15 && v == floor(v)) /* range first: the cast of a larger double is undefined */
    krait_buf_printf(w->out, "%" PRId64, (int64_t)v);
  else
    krait_buf_printf(w->out, "%.17g", v);
}

void krait_jw_bool(krait_jw *w, bool v) {
  pre_item(w);
  krait_buf_puts(w->out, v ? "true" : "false");
}

void krait_jw_null(krait_jw *w) {
  pre_item(w);
  krait_buf_puts(w->out, "null");
}

void krait_jw_value(krait_jw *w, const krait_json *v) {
  switch (v->type) {
  case KRAIT_JSON_NULL: krait_jw_null(w); break;
  case KRAIT_JSON_BOOL: krait_jw_bool(w, v->boolean); break;
  case KRAIT_JSON_NUMBER:
    if (v->is_int)
      krait_jw_int(w, v->integer);
    else
      krait_jw_double(w, v->number);
    break;
  case KRAIT_JSON_STRING: krait_jw_strn(w, v->string, v->len); break;
  case KRAIT_JSON_ARRAY:
    krait_jw_arr_begin(w);
    krait_json_foreach(c, v) krait_jw_value(w, c);
    krait_jw_arr_end(w);
    break;
  case KRAIT_JSON_OBJECT:
    krait_jw_obj_begin(w);
    krait_json_foreach(c, v) {
      krait_jw_key(w, c->key);
      krait_jw_value(w, c);
    }
    krait_jw_obj_end(w);
    break;
  }
}

void krait_jw_kstr_opt(krait_jw *w, const char *key, const char *s) {
  if (s)
    krait_jw_kstr(w, key, s);
}

void krait_jw_kstr(krait_jw *w, const char *key, const char *s) {
  krait_jw_key(w, key);
  krait_jw_str(w, s);
}

void krait_jw_kint(krait_jw *w, const char *key, int64_t v) {
  krait_jw_key(w, key);
  krait_jw_int(w, v);
}

void krait_jw_kbool(krait_jw *w, const char *key, bool v) {
  krait_jw_key(w, key);
  krait_jw_bool(w, v);
}

void krait_jw_kstrv(krait_jw *w, const char *key, const krait_strv *v) {
  krait_jw_key(w, key);
  krait_jw_arr_begin(w);
  for (size_t i = 0; v && i < v->len; i++)
    krait_jw_str(w, v->items[i]);
  krait_jw_arr_end(w);
}

void krait_jw_object_with(krait_jw *w, const krait_json *obj, const char *key, const char *value) {
  krait_jw_obj_begin(w);
  krait_json_foreach(m, obj) {
    krait_jw_key(w, m->key);
    if (strcmp(m->key, key) == 0)
      krait_jw_str(w, value);
    else
      krait_jw_value(w, m);
  }
  krait_jw_obj_end(w);
}
