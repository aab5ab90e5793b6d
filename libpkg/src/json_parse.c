/* JSON reader: yyjson parses (a well-kept, fuzzed parser), this file lays its
 * values out as krait_json nodes, the DOM the rest of krait walks.
 *
 * Ownership: every node of one document lives in one block; the root's
 * owned_ holds that block's companion, the yyjson document whose NUL-terminated
 * strings `string` and `key` point into (and, for parse_file, the file buffer
 * yyjson parsed in place). krait_json_free(root) releases all of it. */
#include "krait/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

#include "krait/fs.h"

/* What the root owns besides the node block. */
typedef struct json_owned {
  yyjson_doc *doc;
  char *insitu; /* the text yyjson parsed in place, or NULL */
} json_owned;

/* krait_json always allowed bytes that are not UTF-8 inside strings (paths in
 * conda-meta from old tools); keep that, everything else is strict JSON. */
#define READ_FLAGS YYJSON_READ_ALLOW_INVALID_UNICODE

static void set_error(krait_err *err, const char *origin, const char *text, size_t len, const yyjson_read_err *e) {
  int line = 1, col = 1;
  for (size_t i = 0; text && i < e->pos && i < len; i++) {
    if (text[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  krait_err_set(err, KRAIT_E_PARSE, "%s:%d:%d: invalid JSON: %s", origin, line, col, e->msg ? e->msg : "?");
}

/* Integral doubles within int64 convert exactly; everything else is not an int. */
static void set_number(krait_json *n, yyjson_val *v) {
  n->type = KRAIT_JSON_NUMBER;
  if (yyjson_is_sint(v)) {
    n->integer = yyjson_get_sint(v);
    n->number = (double)n->integer;
    n->is_int = true;
  } else if (yyjson_is_uint(v)) {
    uint64_t u = yyjson_get_uint(v);
    n->number = (double)u;
    n->is_int = u <= (uint64_t)INT64_MAX;
    n->integer = n->is_int ? (int64_t)u : 0;
  } else {
    double d = yyjson_get_real(v);
    n->number = d;
    /* -2^63 is exact in a double; 2^63 is the first value beyond int64 */
    n->is_int = isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
    n->integer = n->is_int ? (int64_t)d : 0;
  }
}

/* One open container while laying the tree out without recursion. */
typedef struct frame {
  krait_json *node;
  krait_json **tail;
  bool is_object;
  yyjson_arr_iter arr;
  yyjson_obj_iter obj;
} frame;

static krait_json *build_tree(yyjson_doc *doc, const char *origin, krait_err *err) {
  size_t count = yyjson_doc_get_val_count(doc);
  krait_json *nodes = krait_calloc(count ? count : 1, sizeof *nodes);
  frame *stack = krait_malloc(sizeof *stack * KRAIT_JSON_MAX_DEPTH);
  size_t used = 0;
  int depth = 0;
  yyjson_val *v = yyjson_doc_get_root(doc);
  const char *key = NULL;
  for (;;) {
    if (v) {
      krait_json *n = &nodes[used++];
      n->key = (char *)key;
      switch (yyjson_get_type(v)) {
      case YYJSON_TYPE_NULL: n->type = KRAIT_JSON_NULL; break;
      case YYJSON_TYPE_BOOL:
        n->type = KRAIT_JSON_BOOL;
        n->boolean = yyjson_get_bool(v);
        break;
      case YYJSON_TYPE_NUM: set_number(n, v); break;
      case YYJSON_TYPE_STR:
        n->type = KRAIT_JSON_STRING;
        n->string = (char *)yyjson_get_str(v);
        n->len = yyjson_get_len(v);
        break;
      case YYJSON_TYPE_ARR:
      case YYJSON_TYPE_OBJ: {
        bool is_object = yyjson_is_obj(v);
        n->type = is_object ? KRAIT_JSON_OBJECT : KRAIT_JSON_ARRAY;
        n->len = yyjson_get_len(v);
        if (depth == KRAIT_JSON_MAX_DEPTH) {
          krait_err_set(err, KRAIT_E_PARSE, "%s: invalid JSON: nesting deeper than %d levels", origin,
                        KRAIT_JSON_MAX_DEPTH);
          free(stack);
          free(nodes);
          return NULL;
        }
        frame *f = &stack[depth++];
        f->node = n;
        f->tail = &n->child;
        f->is_object = is_object;
        if (is_object)
          yyjson_obj_iter_init(v, &f->obj);
        else
          yyjson_arr_iter_init(v, &f->arr);
        break;
      }
      default: /* raw numbers are never requested (no READ_NUMBER_AS_RAW) */
        n->type = KRAIT_JSON_NULL;
      }
      if (used > 1) { /* link into the parent that handed out v */
        frame *parent = &stack[depth - 1 - (yyjson_is_ctn(v) ? 1 : 0)];
        *parent->tail = n;
        parent->tail = &n->next;
      }
    }
    /* next value: the next child of the innermost open container */
    v = NULL;
    key = NULL;
    while (depth > 0) {
      frame *f = &stack[depth - 1];
      if (f->is_object) {
        yyjson_val *k = yyjson_obj_iter_next(&f->obj);
        if (k) {
          key = yyjson_get_str(k);
          v = yyjson_obj_iter_get_val(k);
          break;
        }
      } else if ((v = yyjson_arr_iter_next(&f->arr))) {
        break;
      }
      depth--;
    }
    if (!v)
      break;
  }
  free(stack);
  return nodes;
}

static krait_json *from_doc(yyjson_doc *doc, char *insitu, const char *origin, krait_err *err) {
  krait_json *root = build_tree(doc, origin, err);
  if (!root) {
    yyjson_doc_free(doc);
    free(insitu);
    return NULL;
  }
  json_owned *o = krait_malloc(sizeof *o);
  o->doc = doc;
  o->insitu = insitu;
  root->owned_ = o;
  return root;
}

krait_json *krait_json_parse(const char *text, size_t len, const char *origin, krait_err *err) {
  krait_err local;
  krait_err_clear(&local);
  origin = origin ? origin : "<json>";
  yyjson_read_err e;
  yyjson_doc *doc = yyjson_read_opts((char *)text, len, READ_FLAGS, NULL, &e);
  krait_json *root = NULL;
  if (!doc)
    set_error(&local, origin, text, len, &e);
  else
    root = from_doc(doc, NULL, origin, &local);
  if (!root && err)
    *err = local;
  return root;
}

krait_json *krait_json_parse_file(const char *path, krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT;
  if (krait_read_file(path, &b, err) != KRAIT_OK)
    return NULL;
  /* yyjson parses in place (no copy of a 10 MB conda-meta file) given
   * YYJSON_PADDING_SIZE zero bytes after the text; the text then lives as
   * long as the document. */
  size_t len = b.len;
  krait_buf_reserve(&b, YYJSON_PADDING_SIZE);
  memset(b.data + len, 0, YYJSON_PADDING_SIZE);
  char *text = krait_buf_steal(&b);
  krait_err local;
  krait_err_clear(&local);
  yyjson_read_err e;
  yyjson_doc *doc = yyjson_read_opts(text, len, READ_FLAGS | YYJSON_READ_INSITU, NULL, &e);
  krait_json *root = NULL;
  if (!doc) {
    /* in-place parsing may have rewritten escapes before failing: read the
     * file's line:column from a fresh copy of the bytes */
    krait_buf again = KRAIT_BUF_INIT;
    krait_err ignored;
    bool reread = krait_read_file(path, &again, &ignored) == KRAIT_OK;
    set_error(&local, path, reread ? again.data : NULL, again.len, &e);
    krait_buf_free(&again);
    free(text);
  } else {
    root = from_doc(doc, text, path, &local);
  }
  if (!root && err)
    *err = local;
  return root;
}

void krait_json_free(krait_json *root) {
  if (!root)
    return;
  json_owned *o = root->owned_;
  if (o) {
    yyjson_doc_free(o->doc);
    free(o->insitu);
    free(o);
  }
  free(root);
}

const krait_json *krait_json_get(const krait_json *obj, const char *key) {
  if (!obj || obj->type != KRAIT_JSON_OBJECT)
    return NULL;
  for (const krait_json *c = obj->child; c; c = c->next)
    if (c->key && strcmp(c->key, key) == 0)
      return c;
  return NULL;
}

const char *krait_json_get_str(const krait_json *obj, const char *key) {
  const krait_json *v = krait_json_get(obj, key);
  return v && v->type == KRAIT_JSON_STRING ? v->string : NULL;
}

bool krait_json_get_int(const krait_json *obj, const char *key, int64_t *out) {
  const krait_json *v = krait_json_get(obj, key);
  if (!v || v->type != KRAIT_JSON_NUMBER || !v->is_int)
    return false;
  *out = v->integer;
  return true;
}

const krait_json *krait_json_get_array(const krait_json *obj, const char *key) {
  const krait_json *v = krait_json_get(obj, key);
  return v && v->type == KRAIT_JSON_ARRAY ? v : NULL;
}

const krait_json *krait_json_get_object(const krait_json *obj, const char *key) {
  const krait_json *v = krait_json_get(obj, key);
  return v && v->type == KRAIT_JSON_OBJECT ? v : NULL;
}

bool krait_json_get_strv(const krait_json *obj, const char *key, krait_strv *v) {
  const krait_json *a = krait_json_get_array(obj, key);
  if (!a)
    return false;
  krait_json_foreach(it, a) if (it->type == KRAIT_JSON_STRING) krait_strv_push(v, it->string);
  return true;
}
