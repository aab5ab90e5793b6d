/* environment.yml (CEP-24) parsing with libyaml's document API; see
 * krait/env_file.h for what is accepted. Line numbers in messages are
 * 1-based lines of the original file (selector lines are blanked, never
 * removed, so numbers stay true). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "env_file_int.h"
#include "yaml_doc.h"
#include "krait/config.h"
#include "krait/fs.h"
#include "krait/matchspec.h"
#include "krait/platform.h"

typedef struct ydoc {
  const char *origin;
  const char *platform;
  yaml_document_t doc;
  krait_env_file *out;
  krait_err *err;
} ydoc;

static size_t line_of(const yaml_node_t *n) { return n->start_mark.line + 1; }

/* "<file>:<line>: <message>" for node n */
static krait_code at(const ydoc *y, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static krait_code at(const ydoc *y, const yaml_node_t *n, const char *fmt, ...) {
  char msg[sizeof y->err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return krait_err_set(y->err, KRAIT_E_PARSE, "%s:%zu: %s", y->origin, line_of(n), msg);
}

static char *scalar_str(const yaml_node_t *n) {
  return krait_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
}

/* An empty plain scalar ("key:" with nothing) is YAML's null. */
static bool is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  const char *v = (const char *)n->data.scalar.value;
  return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

/* ---- comment selectors: "  - gcc  # [linux64]" ---- */

/* The [expr] of a line's comment when the comment is only a selector, else NULL. */
static char *selector_of(const char *line, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (line[i] != '#' || (i && !isspace((unsigned char)line[i - 1])))
      continue;
    size_t j = i + 1;
    while (j < n && line[j] == ' ')
      j++;
    if (j >= n || line[j] != '[')
      return NULL;
    size_t close = n;
    while (close > j && isspace((unsigned char)line[close - 1]))
      close--;
    if (close <= j + 1 || line[close - 1] != ']')
      return NULL;
    return krait_strndup(line + j + 1, close - j - 2);
  }
  return NULL;
}

/* Copies text, blanking every line whose selector is false for the platform. */
static krait_code apply_selectors(const ydoc *y, const char *text, size_t len, krait_buf *out) {
  size_t lineno = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    lineno++;
    char *expr = selector_of(p, n);
    int keep = 1;
    if (expr) {
      keep = krait_selector_eval(expr, y->platform, y->err);
      free(expr);
      if (keep < 0)
        return krait_err_prefix(y->err, "%s:%zu: ", y->origin, lineno);
    }
    if (keep)
      krait_buf_append(out, p, n);
    krait_buf_putc(out, '\n');
    p += n + 1;
  }
  return KRAIT_OK;
}

/* ---- the keys ---- */

static krait_code get_string(const ydoc *y, const yaml_node_t *n, const char *key, char **out) {
  if (n->type != YAML_SCALAR_NODE)
    return at(y, n, "\"%s\" must be a single string", key);
  char *raw = scalar_str(n);
  *out = krait_config_expand_vars(raw);
  free(raw);
  return KRAIT_OK;
}

/* A list of strings ("key:" alone = empty list). */
static krait_code get_strings(const ydoc *y, const yaml_node_t *n, const char *key, bool expand, krait_strv *out) {
  if (is_null(n))
    return KRAIT_OK;
  if (n->type != YAML_SEQUENCE_NODE)
    return at(y, n, "\"%s\" must be a list", key);
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node((yaml_document_t *)&y->doc, *it);
    if (item->type != YAML_SCALAR_NODE)
      return at(y, item, "\"%s\" must be a list of strings", key);
    char *raw = scalar_str(item);
    if (expand) {
      krait_strv_push_owned(out, krait_config_expand_vars(raw));
      free(raw);
    } else {
      krait_strv_push_owned(out, raw);
    }
  }
  return KRAIT_OK;
}

static krait_code check_name(const ydoc *y, const yaml_node_t *n, const char *name) {
  if (!*name)
    return at(y, n, "\"name\" is empty");
  if (strpbrk(name, "/ :#"))
    return at(y, n, "environment name \"%s\" contains one of '/', ' ', ':', '#' (CEP-24)", name);
  return KRAIT_OK;
}

static krait_code add_spec(const ydoc *y, const yaml_node_t *n, const char *spec) {
  krait_matchspec *ms = NULL;
  krait_err e;
  krait_code rc = krait_matchspec_parse(spec, &ms, &e);
  krait_matchspec_free(ms);
  if (rc)
    return at(y, n, "%s", e.msg);
  krait_strv_push(&y->out->specs, spec);
  return KRAIT_OK;
}

/* One "- key: value" item of dependencies: pip: [...] or sel(expr): spec. */
static krait_code dependency_section(const ydoc *y, const yaml_node_t *item) {
  for (yaml_node_pair_t *pr = item->data.mapping.pairs.start; pr < item->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node((yaml_document_t *)&y->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node((yaml_document_t *)&y->doc, pr->value);
    if (k->type != YAML_SCALAR_NODE)
      return at(y, k, "a dependencies section needs a plain name");
    char *key = scalar_str(k);
    krait_code rc = KRAIT_OK;
    size_t kn = strlen(key);
    if (strcmp(key, "pip") == 0) {
      rc = get_strings(y, v, "pip", false, &y->out->pip);
    } else if (strncmp(key, "sel(", 4) == 0 && kn > 5 && key[kn - 1] == ')') {
      char *expr = krait_strndup(key + 4, kn - 5);
      int on = krait_selector_eval(expr, y->platform, y->err);
      free(expr);
      if (on < 0)
        rc = krait_err_prefix(y->err, "%s:%zu: ", y->origin, line_of(k));
      else if (v->type != YAML_SCALAR_NODE)
        rc = at(y, v, "the value of \"%s\" must be one spec", key);
      else if (on) {
        char *spec = scalar_str(v);
        rc = add_spec(y, v, spec);
        free(spec);
      }
    } else {
      /* CEP-24: a client MUST error out on a section it cannot process */
      rc = at(y, k, "unsupported dependencies section \"%s\" (krait installs conda specs and a pip: list)", key);
    }
    free(key);
    if (rc)
      return rc;
  }
  return KRAIT_OK;
}

static krait_code get_dependencies(const ydoc *y, const yaml_node_t *n) {
  if (is_null(n))
    return KRAIT_OK;
  if (n->type != YAML_SEQUENCE_NODE)
    return at(y, n, "\"dependencies\" must be a list");
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node((yaml_document_t *)&y->doc, *it);
    krait_code rc;
    if (item->type == YAML_MAPPING_NODE) {
      rc = dependency_section(y, item);
    } else if (item->type == YAML_SCALAR_NODE && !is_null(item)) {
      char *spec = scalar_str(item);
      rc = add_spec(y, item, spec);
      free(spec);
    } else {
      rc = at(y, item, "a dependency must be a spec or a \"pip:\" list");
    }
    if (rc)
      return rc;
  }
  return KRAIT_OK;
}

static bool valid_var_name(const char *s) {
  if (!isalpha((unsigned char)*s) && *s != '_')
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_')
      return false;
  return true;
}

static krait_code get_variables(const ydoc *y, const yaml_node_t *n) {
  if (is_null(n))
    return KRAIT_OK;
  if (n->type != YAML_MAPPING_NODE)
    return at(y, n, "\"variables\" must be a mapping of NAME: value");
  for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node((yaml_document_t *)&y->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node((yaml_document_t *)&y->doc, pr->value);
    if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
      return at(y, k, "\"variables\" must map names to single values");
    char *name = scalar_str(k);
    if (!valid_var_name(name)) {
      krait_code rc = at(y, k, "\"%s\" is not a valid environment variable name", name);
      free(name);
      return rc;
    }
    /* CEP-24: non-string values are converted to strings (as written) */
    char *value = is_null(v) ? krait_strdup("") : scalar_str(v);
    krait_env_vars_set(&y->out->variables, name, value);
    free(name);
    free(value);
  }
  return KRAIT_OK;
}

static krait_code get_platforms(const ydoc *y, const yaml_node_t *n) {
  krait_code rc = get_strings(y, n, "platforms", false, &y->out->platforms);
  for (size_t i = 0; !rc && i < y->out->platforms.len; i++) {
    const char *p = y->out->platforms.items[i];
    if (!krait_subdir_known(p) || strcmp(p, "noarch") == 0)
      rc = at(y, n, "\"%s\" is not a platform (e.g. linux-64, osx-arm64)", p);
  }
  return rc;
}

static krait_code walk(ydoc *y) {
  yaml_node_t *root = yaml_document_get_root_node(&y->doc);
  if (!root || is_null(root))
    return krait_err_set(y->err, KRAIT_E_PARSE, "%s:1: empty file: not an environment file", y->origin);
  if (root->type != YAML_MAPPING_NODE)
    return at(y, root, "not an environment file: the top level must be a mapping (name:, channels:, "
                       "dependencies:)");
  krait_env_file *out = y->out;
  size_t n_known = 0;
  krait_strv unknown = KRAIT_STRV_INIT;
  krait_code rc = KRAIT_OK;
  for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; !rc && pr < root->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(&y->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(&y->doc, pr->value);
    if (k->type != YAML_SCALAR_NODE) {
      rc = at(y, k, "top-level keys must be plain names");
      break;
    }
    char *key = scalar_str(k);
    bool known = true;
    if (strcmp(key, "name") == 0) {
      free(out->name);
      out->name = NULL;
      if (!(rc = get_string(y, v, "name", &out->name)))
        rc = check_name(y, v, out->name);
    } else if (strcmp(key, "prefix") == 0) {
      free(out->prefix);
      out->prefix = NULL;
      if (!(rc = get_string(y, v, "prefix", &out->prefix)) && out->prefix[0] == '~' && getenv("HOME")) {
        char *home = krait_asprintf("%s%s", getenv("HOME"), out->prefix + 1);
        free(out->prefix);
        out->prefix = home;
      }
    } else if (strcmp(key, "channels") == 0) {
      krait_strv chans = KRAIT_STRV_INIT;
      rc = get_strings(y, v, "channels", true, &chans);
      for (size_t i = 0; i < chans.len; i++) {
        if (strcmp(chans.items[i], "nodefaults") == 0)
          out->nodefaults = true;
        else if (!krait_strv_contains(&out->channels, chans.items[i]))
          krait_strv_push(&out->channels, chans.items[i]);
      }
      krait_strv_free(&chans);
    } else if (strcmp(key, "dependencies") == 0) {
      rc = get_dependencies(y, v);
    } else if (strcmp(key, "variables") == 0) {
      rc = get_variables(y, v);
    } else if (strcmp(key, "platforms") == 0) {
      rc = get_platforms(y, v);
    } else if (strcmp(key, "category") == 0) {
      /* a label for lock-file tools; nothing to do when installing */
    } else {
      known = false;
      krait_strv_push_owned(&unknown, krait_asprintf("%zu:%s", line_of(k), key));
    }
    n_known += known;
    free(key);
  }
  /* unknown entries are "<line>:<key>" */
  for (size_t i = 0; i < unknown.len; i++)
    *strchr(unknown.items[i], ':') = '\0';
  if (!rc && !n_known && unknown.len) {
    const char *first = unknown.items[0] + strlen(unknown.items[0]) + 1;
    rc = krait_err_set(y->err, KRAIT_E_PARSE,
                       "%s:%s: not an environment file: none of the keys name, channels, dependencies, variables, "
                       "prefix (first key \"%s\")",
                       y->origin, unknown.items[0], first);
  }
  for (size_t i = 0; !rc && i < unknown.len; i++)
    krait_strv_push_owned(&out->warnings, krait_asprintf("%s:%s: ignoring unknown key \"%s\"", y->origin,
                                                         unknown.items[i],
                                                         unknown.items[i] + strlen(unknown.items[i]) + 1));
  krait_strv_free(&unknown);
  return rc;
}

krait_code krait_env_yaml_parse(const char *origin, const char *text, size_t len, const char *platform,
                                krait_env_file *out, krait_err *err) {
  out->kind = KRAIT_ENV_FILE_YAML;
  ydoc y = {.origin = origin, .platform = platform, .out = out, .err = err};
  krait_buf pre = KRAIT_BUF_INIT;
  krait_code rc = apply_selectors(&y, text, len, &pre);
  if (rc) {
    krait_buf_free(&pre);
    return rc;
  }
  if ((rc = krait_yaml_load(origin, pre.data, pre.len, &y.doc, err))) {
    krait_buf_free(&pre);
    return rc;
  }
  rc = walk(&y);
  yaml_document_delete(&y.doc);
  krait_buf_free(&pre);
  return rc;
}
