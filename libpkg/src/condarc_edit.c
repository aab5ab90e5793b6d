/* In-place .condarc editing at the text spans libyaml reports (see
 * krait/condarc_edit.h for the contract). */
#include "krait/condarc_edit.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <yaml.h>

#include "yaml_doc.h"

#include "krait/fs.h"
#include "krait/rckeys.h"

/* ---- a parsed file and byte offsets of its nodes ---- */

typedef struct rc_doc {
  const char *text;
  size_t len;
  const char *origin;
  yaml_document_t doc;
  yaml_node_t *root;   /* NULL for an empty document */
  size_t *char_to_byte; /* libyaml marks count characters, edits need bytes */
  size_t n_chars;
  size_t bom;           /* a UTF-8 byte order mark is not counted by libyaml */
} rc_doc;

static krait_code doc_load(rc_doc *d, const char *text, size_t len, const char *origin, krait_err *err) {
  memset(d, 0, sizeof *d);
  d->text = text;
  d->len = len;
  d->origin = origin;
  d->bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  d->char_to_byte = krait_calloc(len + 2, sizeof *d->char_to_byte);
  for (size_t i = d->bom; i < len;) {
    d->char_to_byte[d->n_chars++] = i;
    unsigned char c = (unsigned char)text[i];
    size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    i += w;
  }
  d->char_to_byte[d->n_chars] = len;
  krait_code rc = krait_yaml_load(origin, text, len, &d->doc, err);
  if (rc) {
    free(d->char_to_byte);
    return rc;
  }
  if ((rc = krait_yaml_settings_root(origin, &d->doc, &d->root, err))) {
    yaml_document_delete(&d->doc);
    free(d->char_to_byte);
  }
  return rc;
}

static void doc_free(rc_doc *d) {
  yaml_document_delete(&d->doc);
  free(d->char_to_byte);
}

static size_t off(const rc_doc *d, yaml_mark_t m) {
  return m.index <= d->n_chars ? d->char_to_byte[m.index] : d->len;
}

static yaml_node_t *node(rc_doc *d, int id) { return yaml_document_get_node(&d->doc, id); }

static size_t line_start(const rc_doc *d, size_t o) {
  while (o > 0 && d->text[o - 1] != '\n')
    o--;
  return o;
}

/* Offset just after the '\n' ending the line that holds o (or the end). */
static size_t line_end_incl(const rc_doc *d, size_t o) {
  while (o < d->len && d->text[o] != '\n')
    o++;
  return o < d->len ? o + 1 : o;
}

/* Skips node properties (&anchor, !tag) and blanks: where the content starts. */
static size_t skip_props(const rc_doc *d, size_t o) {
  for (;;) {
    while (o < d->len && (d->text[o] == ' ' || d->text[o] == '\t'))
      o++;
    if (o < d->len && (d->text[o] == '&' || d->text[o] == '!')) {
      while (o < d->len && !isspace((unsigned char)d->text[o]))
        o++;
      continue;
    }
    return o;
  }
}

/* Where the last character of a node's content ends. Block collections end
 * (for libyaml) at the next token, possibly lines later; their content ends
 * with their last item. */
static size_t content_end(rc_doc *d, yaml_node_t *n) {
  if (n->type == YAML_SEQUENCE_NODE && n->data.sequence.style != YAML_FLOW_SEQUENCE_STYLE &&
      n->data.sequence.items.top > n->data.sequence.items.start)
    return content_end(d, node(d, n->data.sequence.items.top[-1]));
  if (n->type == YAML_MAPPING_NODE && n->data.mapping.style != YAML_FLOW_MAPPING_STYLE &&
      n->data.mapping.pairs.top > n->data.mapping.pairs.start)
    return content_end(d, node(d, n->data.mapping.pairs.top[-1].value));
  size_t e = off(d, n->end_mark);
  if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    while (e > 0 && isspace((unsigned char)d->text[e - 1]))
      e--;
  return e;
}

/* ---- one top-level setting ---- */

typedef struct rc_entry {
  yaml_node_t *key, *value;
  size_t index;     /* position among the root's pairs */
  size_t colon;     /* offset of the ':' after the key */
  bool alias;       /* the value is "*name" (the node is defined earlier) */
  size_t alias_end; /* end of the "*name" token */
} rc_entry;

static bool scalar_is(const yaml_node_t *n, const char *s) {
  return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
         memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

static bool find_entry(rc_doc *d, const char *key, rc_entry *e) {
  if (!d->root)
    return false;
  bool found = false;
  size_t i = 0;
  for (yaml_node_pair_t *p = d->root->data.mapping.pairs.start; p < d->root->data.mapping.pairs.top; p++, i++) {
    yaml_node_t *k = node(d, p->key);
    if (!scalar_is(k, key))
      continue; /* a repeated key: the last one wins, as when reading */
    found = true;
    memset(e, 0, sizeof *e);
    e->key = k;
    e->value = node(d, p->value);
    e->index = i;
    size_t o = off(d, k->end_mark);
    while (o < d->len && d->text[o] != ':')
      o++;
    e->colon = o;
    if (off(d, e->value->start_mark) < off(d, k->start_mark)) {
      e->alias = true;
      size_t a = o + 1;
      while (a < d->len && d->text[a] != '*')
        a++;
      a++;
      while (a < d->len && !isspace((unsigned char)d->text[a]) && !strchr(",]}", d->text[a]))
        a++;
      e->alias_end = a;
    }
  }
  return found;
}

static bool is_empty_scalar(const yaml_node_t *n) {
  return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null_scalar(const yaml_node_t *n) {
  return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
         (n->data.scalar.length == 0 || scalar_is(n, "~") || scalar_is(n, "null") || scalar_is(n, "Null") ||
          scalar_is(n, "NULL"));
}

/* Where the value's text ends (for removing or replacing all of it). */
static size_t value_end(rc_doc *d, const rc_entry *e) {
  if (e->alias)
    return e->alias_end;
  if (is_empty_scalar(e->value))
    return e->colon + 1;
  return content_end(d, e->value);
}

/* The string items of a list value; false (err set) when it is not a list of scalars. */
static krait_code list_items(rc_doc *d, const rc_entry *e, krait_strv *out, krait_err *err) {
  if (is_null_scalar(e->value))
    return KRAIT_OK;
  if (e->value->type != YAML_SEQUENCE_NODE)
    return krait_err_set(err, KRAIT_E_INVALID, "%s:%zu: %s is not a list in this file", d->origin,
                         e->key->start_mark.line + 1, (const char *)e->key->data.scalar.value);
  for (yaml_node_item_t *it = e->value->data.sequence.items.start; it < e->value->data.sequence.items.top; it++) {
    yaml_node_t *item = node(d, *it);
    if (item->type != YAML_SCALAR_NODE)
      return krait_err_set(err, KRAIT_E_INVALID, "%s:%zu: %s holds an item that is not a string", d->origin,
                           item->start_mark.line + 1, (const char *)e->key->data.scalar.value);
    krait_strv_push_owned(out, krait_strndup((const char *)item->data.scalar.value, item->data.scalar.length));
  }
  return KRAIT_OK;
}

/* ---- rendering values ---- */

static bool looks_like_other_type(const char *s) {
  static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strcasecmp(s, words[i]) == 0)
      return true;
  char *end;
  errno = 0;
  (void)strtod(s, &end);
  return *end == '\0' || strncmp(s, "0x", 2) == 0 || strncmp(s, "0o", 2) == 0 || strcmp(s, ".inf") == 0 ||
         strcmp(s, ".nan") == 0;
}

static bool needs_quotes(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) || s[n - 1] == ' ' || s[n - 1] == ':')
    return true;
  if (strstr(s, ": ") || strstr(s, " #") || strpbrk(s, ",[]{}\t"))
    return true;
  return looks_like_other_type(s);
}

static void put_string(krait_buf *out, const char *s) {
  if (!needs_quotes(s)) {
    krait_buf_puts(out, s);
    return;
  }
  krait_buf_putc(out, '\'');
  for (; *s; s++) {
    if (*s == '\'')
      krait_buf_putc(out, '\'');
    krait_buf_putc(out, *s);
  }
  krait_buf_putc(out, '\'');
}

krait_code krait_condarc_render_scalar(const char *key, const char *value, bool in_flow, krait_buf *out,
                                       krait_err *err) {
  (void)in_flow; /* the quoting rules above are already safe inside [ ] */
  const krait_rc_key *k = krait_rc_key_require(key, err);
  if (!k)
    return KRAIT_E_INVALID;
  for (const char *p = value; *p; p++)
    if ((unsigned char)*p < 0x20 && *p != '\t')
      return krait_err_set(err, KRAIT_E_INVALID, "value for %s contains a control character (newline?)", key);
  const char *want = NULL;
  if (!k->choices && !krait_rc_value_ok(k, value, &want)) /* the rule krait applies it with (rckeys.c) */
    return krait_err_set(err, KRAIT_E_INVALID, "%s must be %s, not \"%s\"", key, want, value);
  switch (k->type) {
  case KRAIT_RC_BOOL: {
    bool b;
    if (!krait_rc_parse_bool(value, &b))
      return krait_err_set(err, KRAIT_E_INVALID, "%s must be true or false, not \"%s\"", key, value);
    krait_buf_puts(out, b ? "true" : "false");
    return KRAIT_OK;
  }
  case KRAIT_RC_INT: {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (!*value || *end || errno)
      return krait_err_set(err, KRAIT_E_INVALID, "%s must be an integer, not \"%s\"", key, value);
    krait_buf_printf(out, "%lld", v);
    return KRAIT_OK;
  }
  case KRAIT_RC_FLOAT: {
    char *end;
    (void)strtod(value, &end);
    if (!*value || *end)
      return krait_err_set(err, KRAIT_E_INVALID, "%s must be a number, not \"%s\"", key, value);
    krait_buf_puts(out, value);
    return KRAIT_OK;
  }
  case KRAIT_RC_STRING:
    if (!krait_rc_value_allowed(k, value))
      return krait_err_set(err, KRAIT_E_INVALID, "%s must be one of %s, not \"%s\"", key, k->choices, value);
    put_string(out, value);
    return KRAIT_OK;
  case KRAIT_RC_LIST:
    put_string(out, value);
    return KRAIT_OK;
  case KRAIT_RC_MAP:
    break;
  }
  return krait_err_set(err, KRAIT_E_INVALID, "%s is a mapping: edit it in the file, or remove it with remove-key", key);
}

/* ---- text splicing ---- */

static void splice(const rc_doc *d, size_t from, size_t to, const char *with, krait_buf *out) {
  krait_buf_clear(out);
  krait_buf_append(out, d->text, from);
  krait_buf_puts(out, with);
  krait_buf_append(out, d->text + to, d->len - to);
}

/* Indentation (spaces) of the root mapping's keys. */
static size_t root_indent(rc_doc *d) {
  if (!d->root || d->root->data.mapping.pairs.top == d->root->data.mapping.pairs.start)
    return 0;
  return node(d, d->root->data.mapping.pairs.start->key)->start_mark.column;
}

static bool root_is_flow(const rc_doc *d) {
  return d->root && d->root->data.mapping.style == YAML_FLOW_MAPPING_STYLE;
}

static void flow_list(krait_buf *b, const krait_strv *items) {
  krait_buf_putc(b, '[');
  for (size_t i = 0; i < items->len; i++) {
    if (i)
      krait_buf_puts(b, ", ");
    put_string(b, items->items[i]);
  }
  krait_buf_putc(b, ']');
}

/* A key not in the file: added at the end (block) or before '}' (flow). */
static void add_new_key(rc_doc *d, const char *key, const char *scalar, const krait_strv *items, krait_buf *out) {
  krait_buf add = KRAIT_BUF_INIT;
  if (root_is_flow(d)) {
    size_t close = off(d, d->root->end_mark);
    while (close > 0 && d->text[close - 1] != '}')
      close--;
    close = close ? close - 1 : 0;
    bool empty = d->root->data.mapping.pairs.top == d->root->data.mapping.pairs.start;
    krait_buf_printf(&add, "%s%s: ", empty ? "" : ", ", key);
    if (items)
      flow_list(&add, items);
    else
      krait_buf_puts(&add, scalar);
    size_t at = empty ? close : content_end(d, node(d, d->root->data.mapping.pairs.top[-1].value));
    splice(d, at, at, krait_buf_str(&add), out);
  } else {
    size_t ind = root_indent(d);
    if (d->len && d->text[d->len - 1] != '\n')
      krait_buf_putc(&add, '\n');
    krait_buf_printf(&add, "%*s%s:", (int)ind, "", key);
    if (items)
      for (size_t i = 0; i < items->len; i++) {
        krait_buf_printf(&add, "\n%*s  - ", (int)ind, "");
        put_string(&add, items->items[i]);
      }
    else
      krait_buf_printf(&add, " %s", scalar);
    krait_buf_putc(&add, '\n');
    splice(d, d->len, d->len, krait_buf_str(&add), out);
  }
  krait_buf_free(&add);
}

static void set_scalar(rc_doc *d, const rc_entry *e, const char *scalar, krait_buf *out) {
  char *with = krait_asprintf(" %s", scalar);
  if (e->alias || is_empty_scalar(e->value) || e->value->type != YAML_SCALAR_NODE) {
    splice(d, e->colon + 1, value_end(d, e), with, out);
  } else {
    /* keep an anchor or tag written before the scalar */
    size_t start = skip_props(d, off(d, e->value->start_mark));
    splice(d, start, off(d, e->value->end_mark), scalar, out);
  }
  free(with);
}

/* The "  - " in front of an item of a block list, or a default. */
static char *item_prefix(rc_doc *d, yaml_node_t *item, const rc_entry *e) {
  size_t start = off(d, item->start_mark), ls = line_start(d, start);
  bool dash = false, ok = true;
  for (size_t i = ls; i < start && ok; i++) {
    if (d->text[i] == '-' && !dash)
      dash = true;
    else
      ok = d->text[i] == ' ';
  }
  if (ok && dash)
    return krait_strndup(d->text + ls, start - ls);
  return krait_asprintf("%*s  - ", (int)e->key->start_mark.column, "");
}

static void list_add(rc_doc *d, const rc_entry *e, const krait_strv *old, const char *value, bool front,
                     krait_buf *out) {
  krait_buf with = KRAIT_BUF_INIT;
  yaml_node_t *v = e->value;
  if (e->alias || is_null_scalar(v)) {
    krait_strv items = KRAIT_STRV_INIT;
    if (!front)
      krait_strv_copy(&items, old);
    krait_strv_push(&items, value);
    if (front)
      for (size_t i = 0; i < old->len; i++)
        krait_strv_push(&items, old->items[i]);
    krait_buf_putc(&with, ' ');
    flow_list(&with, &items);
    krait_strv_free(&items);
    size_t from = e->colon + 1;
    size_t to = e->alias ? e->alias_end : is_empty_scalar(v) ? from : content_end(d, v);
    splice(d, from, to, krait_buf_str(&with), out);
  } else if (v->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE) {
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0) {
      size_t open = skip_props(d, off(d, v->start_mark));
      put_string(&with, value);
      splice(d, open + 1, open + 1, krait_buf_str(&with), out);
    } else if (front) {
      put_string(&with, value);
      krait_buf_puts(&with, ", ");
      size_t at = skip_props(d, off(d, node(d, v->data.sequence.items.start[0])->start_mark));
      splice(d, at, at, krait_buf_str(&with), out);
    } else {
      krait_buf_puts(&with, ", ");
      put_string(&with, value);
      size_t at = content_end(d, node(d, v->data.sequence.items.top[-1]));
      splice(d, at, at, krait_buf_str(&with), out);
    }
  } else {
    yaml_node_t *ref = node(d, front ? v->data.sequence.items.start[0] : v->data.sequence.items.top[-1]);
    char *prefix = item_prefix(d, ref, e);
    size_t at = front ? line_start(d, off(d, ref->start_mark)) : line_end_incl(d, content_end(d, ref));
    if (!front && (at == 0 || d->text[at - 1] != '\n'))
      krait_buf_putc(&with, '\n');
    krait_buf_puts(&with, prefix);
    put_string(&with, value);
    krait_buf_putc(&with, '\n');
    free(prefix);
    splice(d, at, at, krait_buf_str(&with), out);
  }
  krait_buf_free(&with);
}

static void list_remove(rc_doc *d, const rc_entry *e, const krait_strv *old, size_t idx, krait_buf *out) {
  yaml_node_t *v = e->value;
  if (e->alias) {
    krait_strv rest = KRAIT_STRV_INIT;
    for (size_t i = 0; i < old->len; i++)
      if (i != idx)
        krait_strv_push(&rest, old->items[i]);
    krait_buf with = KRAIT_BUF_INIT;
    krait_buf_putc(&with, ' ');
    flow_list(&with, &rest);
    splice(d, e->colon + 1, e->alias_end, krait_buf_str(&with), out);
    krait_buf_free(&with);
    krait_strv_free(&rest);
    return;
  }
  yaml_node_item_t *items = v->data.sequence.items.start;
  size_t n = old->len;
  bool flow = v->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE;
  if (n == 1) {
    /* an empty list, written as conda writes one */
    if (flow)
      splice(d, skip_props(d, off(d, node(d, items[0])->start_mark)), content_end(d, node(d, items[0])), "", out);
    else
      splice(d, e->colon + 1, content_end(d, v), " []", out);
  } else if (flow) {
    if (idx + 1 < n)
      splice(d, off(d, node(d, items[idx])->start_mark), off(d, node(d, items[idx + 1])->start_mark), "", out);
    else
      splice(d, content_end(d, node(d, items[idx - 1])), content_end(d, node(d, items[idx])), "", out);
  } else {
    yaml_node_t *it = node(d, items[idx]);
    splice(d, line_start(d, off(d, it->start_mark)), line_end_incl(d, content_end(d, it)), "", out);
  }
}

static void remove_key(rc_doc *d, const rc_entry *e, krait_buf *out) {
  if (!root_is_flow(d)) {
    splice(d, line_start(d, off(d, e->key->start_mark)), line_end_incl(d, value_end(d, e)), "", out);
    return;
  }
  yaml_node_pair_t *pairs = d->root->data.mapping.pairs.start;
  size_t n = (size_t)(d->root->data.mapping.pairs.top - pairs);
  size_t from, to;
  if (e->index + 1 < n) {
    from = off(d, e->key->start_mark);
    to = off(d, node(d, pairs[e->index + 1].key)->start_mark);
  } else if (e->index > 0) {
    rc_entry prev;
    memset(&prev, 0, sizeof prev);
    prev.value = node(d, pairs[e->index - 1].value);
    from = content_end(d, prev.value);
    to = value_end(d, e);
  } else {
    from = off(d, e->key->start_mark);
    to = value_end(d, e);
  }
  splice(d, from, to, "", out);
}

/* ---- checking the result ---- */

/* Parses the new text and compares the key's value with what was intended:
 * `scalar` (set), `items` (list edits) or absence (both NULL). */
static krait_code verify(const char *text, size_t len, const char *origin, const char *key, const char *scalar,
                         const krait_strv *items, krait_err *err) {
  rc_doc d;
  krait_err perr;
  if (doc_load(&d, text, len, origin, &perr))
    return krait_err_set(err, KRAIT_E_INVALID,
                         "editing %s would make it invalid (%s); the file is left unchanged", origin, perr.msg);
  rc_entry e;
  bool found = find_entry(&d, key, &e);
  bool ok;
  if (!scalar && !items) {
    ok = !found;
  } else if (!found) {
    ok = false;
  } else if (scalar) {
    ok = e.value->type == YAML_SCALAR_NODE;
    if (ok) {
      /* compare the parsed value with the parsed rendering */
      char *want = krait_strdup(scalar);
      if (want[0] == '\'') {
        krait_buf b = KRAIT_BUF_INIT;
        for (size_t i = 1; want[i] && want[i + 1]; i++) {
          if (want[i] == '\'' && want[i + 1] == '\'')
            i++;
          krait_buf_putc(&b, want[i]);
        }
        free(want);
        want = krait_buf_steal(&b);
      }
      ok = scalar_is(e.value, want);
      free(want);
    }
  } else {
    krait_strv got = KRAIT_STRV_INIT;
    ok = list_items(&d, &e, &got, NULL) == KRAIT_OK && got.len == items->len;
    for (size_t i = 0; ok && i < got.len; i++)
      ok = strcmp(got.items[i], items->items[i]) == 0;
    krait_strv_free(&got);
  }
  doc_free(&d);
  if (!ok)
    return krait_err_set(err, KRAIT_E_INVALID,
                         "cannot edit %s in %s in place (unusual layout); the file is left unchanged", key, origin);
  return KRAIT_OK;
}

/* ---- the operations ---- */

static krait_code do_set(rc_doc *d, const char *key, const char *value, krait_buf *out, krait_err *err) {
  krait_buf scalar = KRAIT_BUF_INIT;
  krait_code rc = krait_condarc_render_scalar(key, value, root_is_flow(d), &scalar, err);
  if (rc == KRAIT_OK) {
    rc_entry e;
    if (find_entry(d, key, &e))
      set_scalar(d, &e, krait_buf_str(&scalar), out);
    else
      add_new_key(d, key, krait_buf_str(&scalar), NULL, out);
    rc = verify(out->data, out->len, d->origin, key, krait_buf_str(&scalar), NULL, err);
  }
  krait_buf_free(&scalar);
  return rc;
}

static krait_code do_list(rc_doc *d, krait_rc_op op, const char *key, const char *value, krait_buf *out,
                          krait_rc_edit_result *res, krait_err *err) {
  rc_entry e;
  bool found = find_entry(d, key, &e);
  krait_strv old = KRAIT_STRV_INIT, want = KRAIT_STRV_INIT;
  krait_code rc = found ? list_items(d, &e, &old, err) : KRAIT_OK;
  if (rc)
    goto out;
  ssize_t idx = -1;
  for (size_t i = 0; i < old.len && idx < 0; i++)
    if (strcmp(old.items[i], value) == 0)
      idx = (ssize_t)i;
  if (op == KRAIT_RC_OP_REMOVE) {
    if (!found) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not set in %s", key, d->origin);
    } else if (idx < 0) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "\"%s\" is not in the %s list of %s", value, key, d->origin);
    } else {
      for (size_t i = 0; i < old.len; i++)
        if ((ssize_t)i != idx)
          krait_strv_push(&want, old.items[i]);
      list_remove(d, &e, &old, (size_t)idx, out);
      rc = verify(out->data, out->len, d->origin, key, NULL, &want, err);
    }
    goto out;
  }
  bool front = op == KRAIT_RC_OP_PREPEND;
  if (!found) {
    /* conda: a new channels list keeps the default channels after the new one */
    if (strcmp(key, "channels") == 0 && strcmp(value, "defaults") != 0) {
      if (!front)
        krait_strv_push(&want, "defaults");
      krait_strv_push(&want, value);
      if (front)
        krait_strv_push(&want, "defaults");
      if (res)
        res->added_defaults = true;
    } else {
      krait_strv_push(&want, value);
    }
    add_new_key(d, key, NULL, &want, out);
    rc = verify(out->data, out->len, d->origin, key, NULL, &want, err);
    goto out;
  }
  if (idx >= 0) {
    if (res)
      res->moved = true;
    if (old.len == 1 || (front && idx == 0) || (!front && (size_t)idx == old.len - 1)) {
      /* already where it was asked to be: nothing to change */
      krait_buf_clear(out);
      krait_buf_append(out, d->text, d->len);
      goto out;
    }
    /* take it out first, then add it again on the asked side */
    krait_buf removed = KRAIT_BUF_INIT;
    list_remove(d, &e, &old, (size_t)idx, &removed);
    rc_doc d2;
    rc = doc_load(&d2, removed.data, removed.len, d->origin, err);
    if (rc == KRAIT_OK) {
      rc = do_list(&d2, op, key, value, out, NULL, err);
      doc_free(&d2);
    }
    krait_buf_free(&removed);
    goto out;
  }
  if (!front)
    krait_strv_copy(&want, &old);
  krait_strv_push(&want, value);
  if (front)
    for (size_t i = 0; i < old.len; i++)
      krait_strv_push(&want, old.items[i]);
  list_add(d, &e, &old, value, front, out);
  rc = verify(out->data, out->len, d->origin, key, NULL, &want, err);
out:
  krait_strv_free(&old);
  krait_strv_free(&want);
  return rc;
}

krait_code krait_condarc_edit_text(const char *text, size_t len, const char *origin, krait_rc_op op,
                                   const char *key, const char *value, krait_buf *out, krait_rc_edit_result *res,
                                   krait_err *err) {
  if (res)
    memset(res, 0, sizeof *res);
  krait_buf_clear(out);
  const krait_rc_key *k = krait_rc_key_require(key, err);
  if (!k)
    return KRAIT_E_INVALID;
  bool list_op = op == KRAIT_RC_OP_APPEND || op == KRAIT_RC_OP_PREPEND || op == KRAIT_RC_OP_REMOVE;
  if (op != KRAIT_RC_OP_REMOVE_KEY && !value)
    return krait_err_set(err, KRAIT_E_INVALID, "a value is needed for %s", key);
  if (op == KRAIT_RC_OP_SET && k->type == KRAIT_RC_LIST)
    return krait_err_set(err, KRAIT_E_INVALID, "%s is a list: use append, prepend or remove", key);
  if (list_op && k->type != KRAIT_RC_LIST)
    return krait_err_set(err, KRAIT_E_INVALID, "%s is not a list but %s: use set", key, krait_rc_type_name(k->type));
  if (list_op) {
    krait_buf probe = KRAIT_BUF_INIT; /* validates the value (control characters) */
    krait_code rc = krait_condarc_render_scalar(key, value, false, &probe, err);
    krait_buf_free(&probe);
    if (rc)
      return rc;
  }
  rc_doc d;
  krait_code rc = doc_load(&d, text, len, origin, err);
  if (rc)
    return rc;
  if (op == KRAIT_RC_OP_SET) {
    rc = do_set(&d, key, value, out, err);
  } else if (list_op) {
    rc = do_list(&d, op, key, value, out, res, err);
  } else {
    rc_entry e;
    if (!find_entry(&d, key, &e)) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not set in %s", key, origin);
    } else {
      remove_key(&d, &e, out);
      rc = verify(out->data, out->len, origin, key, NULL, NULL, err);
    }
  }
  doc_free(&d);
  return rc;
}

krait_code krait_condarc_edit_file(const char *path, krait_rc_op op, const char *key, const char *value,
                                   krait_rc_edit_result *res, krait_err *err) {
  krait_buf text = KRAIT_BUF_INIT, out = KRAIT_BUF_INIT;
  struct stat st;
  mode_t mode = 0644;
  krait_code rc = KRAIT_OK;
  if (stat(path, &st) == 0) {
    mode = st.st_mode & 07777;
    rc = krait_read_file(path, &text, err);
  } else if (errno != ENOENT) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot read %s", path);
  }
  if (rc == KRAIT_OK)
    rc = krait_condarc_edit_text(text.data ? text.data : "", text.len, path, op, key, value, &out, res, err);
  if (rc == KRAIT_OK && !(out.len == text.len && (out.len == 0 || memcmp(out.data, text.data, out.len) == 0))) {
    char *dir = krait_path_dirname(path);
    rc = krait_mkdir_p(dir, 0755, err);
    free(dir);
    if (rc == KRAIT_OK)
      rc = krait_write_file_atomic(path, out.data ? out.data : "", out.len, mode, err);
  }
  krait_buf_free(&text);
  krait_buf_free(&out);
  return rc;
}
