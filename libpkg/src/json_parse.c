/* JSON parser: recursive descent into a DOM, with line:column errors. */
#include "krait/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/text.h"

typedef struct parser {
  const char *p, *end, *start;
  const char *origin;
  krait_err *err;
  int depth;
} parser;

static krait_json *fail(parser *ps, const char *what) {
  int line = 1, col = 1;
  for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  if (ps->err->code == KRAIT_OK)
    krait_err_set(ps->err, KRAIT_E_PARSE, "%s:%d:%d: invalid JSON: %s", ps->origin, line, col, what);
  return NULL;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static krait_json *new_node(krait_json_type t) {
  krait_json *n = krait_calloc(1, sizeof *n);
  n->type = t;
  return n;
}

static bool read_hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4)
    return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = krait_hex_digit(ps->p[i]);
    if (h < 0)
      return false;
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return true;
}

static void put_utf8(krait_buf *b, unsigned cp) {
  char tmp[4];
  size_t n;
  if (cp < 0x80) {
    tmp[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    tmp[0] = (char)(0xC0 | (cp >> 6));
    tmp[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    tmp[0] = (char)(0xE0 | (cp >> 12));
    tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    tmp[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    tmp[0] = (char)(0xF0 | (cp >> 18));
    tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    tmp[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  krait_buf_append(b, tmp, n);
}

/* Parses a string literal at ps->p (which points at the opening quote). */
static char *parse_string_raw(parser *ps, size_t *len_out) {
  ps->p++;
  const char *run = ps->p;
  /* fast path: no escapes */
  while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20)
    ps->p++;
  if (ps->p < ps->end && *ps->p == '"') {
    size_t n = (size_t)(ps->p - run);
    ps->p++;
    *len_out = n;
    return krait_strndup(run, n);
  }
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_append(&b, run, (size_t)(ps->p - run));
  while (ps->p < ps->end) {
    char c = *ps->p;
    if (c == '"') {
      ps->p++;
      *len_out = b.len;
      return krait_buf_steal(&b);
    }
    if ((unsigned char)c < 0x20) {
      krait_buf_free(&b);
      fail(ps, "control character in string");
      return NULL;
    }
    if (c != '\\') {
      krait_buf_putc(&b, c);
      ps->p++;
      continue;
    }
    ps->p++;
    if (ps->p >= ps->end)
      break;
    char e = *ps->p++;
    switch (e) {
    case '"': krait_buf_putc(&b, '"'); break;
    case '\\': krait_buf_putc(&b, '\\'); break;
    case '/': krait_buf_putc(&b, '/'); break;
    case 'b': krait_buf_putc(&b, '\b'); break;
    case 'f': krait_buf_putc(&b, '\f'); break;
    case 'n': krait_buf_putc(&b, '\n'); break;
    case 'r': krait_buf_putc(&b, '\r'); break;
    case 't': krait_buf_putc(&b, '\t'); break;
    case 'u': {
      unsigned cp;
      if (!read_hex4(ps, &cp)) {
        krait_buf_free(&b);
        fail(ps, "bad \\u escape");
        return NULL;
      }
      if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        const char *save = ps->p;
        ps->p += 2;
        unsigned lo;
        if (read_hex4(ps, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        else
          ps->p = save;
      }
      put_utf8(&b, cp);
      break;
    }
    default:
      ps->p--;
      krait_buf_free(&b);
      fail(ps, "bad escape in string");
      return NULL;
    }
  }
  krait_buf_free(&b);
  fail(ps, "unterminated string");
  return NULL;
}

static krait_json *parse_value(parser *ps);

static krait_json *parse_number(parser *ps) {
  const char *s = ps->p;
  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
    return fail(ps, "expected a value");
  while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' ||
                             *ps->p == 'E' || *ps->p == '+' || *ps->p == '-'))
    ps->p++;
  char tmp[64];
  size_t n = (size_t)(ps->p - s);
  if (n >= sizeof tmp)
    n = sizeof tmp - 1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  char *endp;
  errno = 0;
  double d = strtod(tmp, &endp);
  if (*endp != '\0') {
    ps->p = s;
    return fail(ps, "malformed number");
  }
  krait_json *node = new_node(KRAIT_JSON_NUMBER);
  node->number = d;
  if (!strpbrk(tmp, ".eE")) {
    errno = 0;
    long long ll = strtoll(tmp, NULL, 10);
    node->integer = errno ? (int64_t)d : (int64_t)ll;
  } else {
    node->integer = (d >= -9.2e18 && d <= 9.2e18) ? (int64_t)d : 0;
  }
  return node;
}

static bool match_lit(parser *ps, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, lit, n) == 0) {
    ps->p += n;
    return true;
  }
  return false;
}

static krait_json *parse_container(parser *ps, bool is_object) {
  if (++ps->depth > KRAIT_JSON_MAX_DEPTH)
    return fail(ps, "nesting too deep");
  ps->p++;
  krait_json *node = new_node(is_object ? KRAIT_JSON_OBJECT : KRAIT_JSON_ARRAY);
  krait_json **tail = &node->child;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == (is_object ? '}' : ']')) {
    ps->p++;
    ps->depth--;
    return node;
  }
  for (;;) {
    skip_ws(ps);
    char *key = NULL;
    if (is_object) {
      if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected a string key");
        goto bad;
      }
      size_t klen;
      key = parse_string_raw(ps, &klen);
      if (!key)
        goto bad;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(key);
        fail(ps, "expected ':' after key");
        goto bad;
      }
      ps->p++;
    }
    krait_json *child = parse_value(ps);
    if (!child) {
      free(key);
      goto bad;
    }
    child->key = key;
    *tail = child;
    tail = &child->next;
    node->len++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == (is_object ? '}' : ']')) {
      ps->p++;
      break;
    }
    fail(ps, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    goto bad;
  }
  ps->depth--;
  return node;
bad:
  krait_json_free(node);
  return NULL;
}

static krait_json *parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end)
    return fail(ps, "unexpected end of input");
  switch (*ps->p) {
  case '{': return parse_container(ps, true);
  case '[': return parse_container(ps, false);
  case '"': {
    size_t n;
    char *s = parse_string_raw(ps, &n);
    if (!s)
      return NULL;
    krait_json *node = new_node(KRAIT_JSON_STRING);
    node->string = s;
    node->len = n;
    return node;
  }
  case 't':
    if (match_lit(ps, "true")) {
      krait_json *node = new_node(KRAIT_JSON_BOOL);
      node->boolean = true;
      return node;
    }
    break;
  case 'f':
    if (match_lit(ps, "false"))
      return new_node(KRAIT_JSON_BOOL);
    break;
  case 'n':
    if (match_lit(ps, "null"))
      return new_node(KRAIT_JSON_NULL);
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      return parse_number(ps);
  }
  return fail(ps, "expected a value");
}

krait_json *krait_json_parse(const char *text, size_t len, const char *origin, krait_err *err) {
  krait_err local;
  krait_err_clear(&local);
  parser ps = {text, text + len, text, origin ? origin : "<json>", &local, 0};
  krait_json *root = parse_value(&ps);
  if (root) {
    skip_ws(&ps);
    if (ps.p != ps.end) {
      krait_json_free(root);
      root = fail(&ps, "trailing characters after the value");
    }
  }
  if (!root && err)
    *err = local;
  return root;
}

krait_json *krait_json_parse_file(const char *path, krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT;
  if (krait_read_file(path, &b, err) != KRAIT_OK)
    return NULL;
  krait_json *root = krait_json_parse(krait_buf_str(&b), b.len, path, err);
  krait_buf_free(&b);
  return root;
}

void krait_json_free(krait_json *n) {
  while (n) {
    krait_json *next = n->next;
    krait_json_free(n->child);
    free(n->string);
    free(n->key);
    free(n);
    n = next;
  }
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
  if (!v || v->type != KRAIT_JSON_NUMBER)
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
