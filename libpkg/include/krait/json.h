/* A JSON DOM (read by yyjson) and a streaming writer.
 *
 * Parsing: krait_json_parse() has yyjson (Debian's, built by
 * cmake/build-yyjson.sh) parse the text, then lays its values out as a tree of
 * krait_json nodes. The returned root owns every node and string below it (one
 * block of nodes plus yyjson's document, whose strings the nodes point into);
 * release it with krait_json_free() on the root only. Errors name the origin
 * (file name) and the line:column of the fault. Depth is capped so hostile
 * input cannot exhaust a caller's recursion.
 *
 * Numbers: `number` is the value as a double; `integer` is only meaningful
 * when `is_int` is set (an integral value that fits int64 exactly), which is
 * all krait_json_get_int() accepts, so `size: 1e30` or `1.5` is never
 * silently turned into some other count.
 *
 * Writing: krait_jw appends to a krait_buf it does not own, inserting commas,
 * escaping and (optionally) indentation. */
#ifndef KRAIT_JSON_H
#define KRAIT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef enum krait_json_type {
  KRAIT_JSON_NULL,
  KRAIT_JSON_BOOL,
  KRAIT_JSON_NUMBER,
  KRAIT_JSON_STRING,
  KRAIT_JSON_ARRAY,
  KRAIT_JSON_OBJECT,
} krait_json_type;

typedef struct krait_json krait_json;
struct krait_json {
  krait_json_type type;
  bool boolean;
  double number;
  bool is_int;       /* NUMBER: integral and within int64, so `integer` is exact */
  int64_t integer;   /* NUMBER: the value when is_int, else 0 */
  char *string;      /* STRING: decoded UTF-8, NUL-terminated; `len` bytes */
  size_t len;        /* STRING: byte length; ARRAY/OBJECT: number of children */
  char *key;         /* member key when this node is an object member */
  krait_json *child; /* ARRAY/OBJECT: first child */
  krait_json *next;  /* next sibling */
  void *owned_;      /* root only: what krait_json_free releases besides the nodes */
};

#define KRAIT_JSON_MAX_DEPTH 512

KRAIT_API krait_json *krait_json_parse(const char *text, size_t len, const char *origin, krait_err *err);
/* Reads and parses a whole file; origin in errors is the path. */
KRAIT_API krait_json *krait_json_parse_file(const char *path, krait_err *err);
KRAIT_API void krait_json_free(krait_json *root);

/* Lookups return NULL when absent or of another type. */
KRAIT_API const krait_json *krait_json_get(const krait_json *obj, const char *key);
KRAIT_API const char *krait_json_get_str(const krait_json *obj, const char *key);
/* False when absent, not a number, not integral or beyond int64. */
KRAIT_API bool krait_json_get_int(const krait_json *obj, const char *key, int64_t *out);
KRAIT_API const krait_json *krait_json_get_array(const krait_json *obj, const char *key);
KRAIT_API const krait_json *krait_json_get_object(const krait_json *obj, const char *key);
/* Appends every string element of an array member to v; returns false if absent. */
KRAIT_API bool krait_json_get_strv(const krait_json *obj, const char *key, krait_strv *v);

#define krait_json_foreach(it, parent) for (const krait_json *it = (parent) ? (parent)->child : NULL; it; it = it->next)

/* ---- writer ---- */
typedef struct krait_jw {
  krait_buf *out;
  int indent;       /* spaces per level; 0 = compact */
  int depth;
  bool need_comma[KRAIT_JSON_MAX_DEPTH];
  bool after_key;
} krait_jw;

KRAIT_API void krait_jw_init(krait_jw *w, krait_buf *out, int indent);
KRAIT_API void krait_jw_obj_begin(krait_jw *w);
KRAIT_API void krait_jw_obj_end(krait_jw *w);
KRAIT_API void krait_jw_arr_begin(krait_jw *w);
KRAIT_API void krait_jw_arr_end(krait_jw *w);
KRAIT_API void krait_jw_key(krait_jw *w, const char *key);
KRAIT_API void krait_jw_str(krait_jw *w, const char *s);   /* NULL writes null */
KRAIT_API void krait_jw_strn(krait_jw *w, const char *s, size_t n);
KRAIT_API void krait_jw_int(krait_jw *w, int64_t v);
KRAIT_API void krait_jw_double(krait_jw *w, double v);
KRAIT_API void krait_jw_bool(krait_jw *w, bool v);
KRAIT_API void krait_jw_null(krait_jw *w);
/* Writes an already-parsed value (deep copy of a subtree). */
KRAIT_API void krait_jw_value(krait_jw *w, const krait_json *v);
/* Writes object obj with its member `key` (which it has) set to the string value. */
KRAIT_API void krait_jw_object_with(krait_jw *w, const krait_json *obj, const char *key, const char *value);
/* Convenience: key + value. */
KRAIT_API void krait_jw_kstr(krait_jw *w, const char *key, const char *s);
/* "key": s only when s is not NULL (optional fields). */
KRAIT_API void krait_jw_kstr_opt(krait_jw *w, const char *key, const char *s);
KRAIT_API void krait_jw_kint(krait_jw *w, const char *key, int64_t v);
KRAIT_API void krait_jw_kbool(krait_jw *w, const char *key, bool v);
KRAIT_API void krait_jw_kstrv(krait_jw *w, const char *key, const krait_strv *v);
/* Appends s as a JSON string literal (with quotes) to b. */
KRAIT_API void krait_json_escape(krait_buf *b, const char *s, size_t n);

#endif
