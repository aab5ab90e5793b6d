/* Merged, attributed view of .condarc files (see krait/condarc_view.h). */
#include "krait/condarc_view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_doc.h"

#include "krait/fs.h"
#include "krait/json.h"

static bool scalar_eq(const yaml_node_t *n, const char *s) {
  return n->data.scalar.length == strlen(s) && memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* A YAML scalar as JSON, typed by the key when known, else by its look. */
static void scalar_json(krait_jw *w, const yaml_node_t *n, const krait_rc_key *k) {
  char *s = krait_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
  bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  bool b;
  char *end;
  if (plain && (!*s || scalar_eq(n, "~") || scalar_eq(n, "null"))) {
    krait_jw_null(w);
  } else if ((k ? k->type == KRAIT_RC_BOOL : plain) && krait_rc_parse_bool(s, &b) && (k || strlen(s) > 1)) {
    krait_jw_bool(w, b);
  } else if (k ? (k->type == KRAIT_RC_INT || k->type == KRAIT_RC_FLOAT) : plain) {
    errno = 0;
    double d = strtod(s, &end);
    if (*s && !*end && !errno)
      krait_jw_double(w, d);
    else
      krait_jw_str(w, s);
  } else {
    krait_jw_str(w, s);
  }
  free(s);
}

static void node_json(krait_jw *w, yaml_document_t *doc, yaml_node_t *n, const krait_rc_key *k, int depth) {
  if (!n || depth > 64) {
    krait_jw_null(w);
    return;
  }
  if (n->type == YAML_SCALAR_NODE) {
    scalar_json(w, n, k && k->type != KRAIT_RC_LIST && k->type != KRAIT_RC_MAP ? k : NULL);
  } else if (n->type == YAML_SEQUENCE_NODE) {
    krait_jw_arr_begin(w);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
      node_json(w, doc, yaml_document_get_node(doc, *it), NULL, depth + 1);
    krait_jw_arr_end(w);
  } else {
    krait_jw_obj_begin(w);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *key = yaml_document_get_node(doc, p->key);
      char *ks = key && key->type == YAML_SCALAR_NODE
                     ? krait_strndup((const char *)key->data.scalar.value, key->data.scalar.length)
                     : krait_strdup("?");
      krait_jw_key(w, ks);
      node_json(w, doc, yaml_document_get_node(doc, p->value), depth == 0 ? krait_rc_key_find(ks) : NULL,
                depth + 1);
      free(ks);
    }
    krait_jw_obj_end(w);
  }
}

static krait_rc_setting *setting(krait_rc_view *v, const char *key) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->settings[i].key, key) == 0)
      return &v->settings[i];
  v->settings = krait_realloc(v->settings, (v->len + 1) * sizeof *v->settings);
  krait_rc_setting *s = &v->settings[v->len++];
  memset(s, 0, sizeof *s);
  s->key = krait_strdup(key);
  return s;
}

/* Later file's items first, then the earlier ones not repeated (conda). */
static void merge_list(krait_rc_setting *s, const krait_json *arr, const char *path) {
  krait_strv items = KRAIT_STRV_INIT, sources = KRAIT_STRV_INIT;
  krait_json_foreach(it, arr) {
    char *text;
    if (it->type == KRAIT_JSON_STRING) {
      text = krait_strdup(it->string);
    } else {
      krait_buf b = KRAIT_BUF_INIT;
      krait_jw w;
      krait_jw_init(&w, &b, 0);
      krait_jw_value(&w, it);
      text = krait_buf_steal(&b);
    }
    if (krait_strv_contains(&items, text)) {
      free(text);
      continue;
    }
    krait_strv_push_owned(&items, text);
    krait_strv_push(&sources, path);
  }
  for (size_t i = 0; i < s->items.len; i++)
    if (!krait_strv_contains(&items, s->items.items[i])) {
      krait_strv_push(&items, s->items.items[i]);
      krait_strv_push(&sources, s->item_sources.items[i]);
    }
  krait_strv_free(&s->items);
  krait_strv_free(&s->item_sources);
  s->items = items;
  s->item_sources = sources;
}

/* conda's "#!final" after a top-level key ("pkgs_dirs: #!final"), read as config.c reads it. */
static void mark_final_keys(krait_rc_view *v, const char *text) {
  krait_strv final = KRAIT_STRV_INIT;
  krait_rc_final_keys(text, &final);
  for (size_t i = 0; i < v->len; i++) /* only keys the file really set */
    if (krait_strv_contains(&final, v->settings[i].key))
      v->settings[i].final = true;
  krait_strv_free(&final);
}

static krait_code load_file(krait_rc_view *v, const char *path, krait_err *err) {
  krait_buf text;
  yaml_document_t doc;
  krait_code rc = krait_yaml_load_file(path, &text, &doc, err);
  if (rc)
    return rc;
  yaml_node_t *root;
  rc = krait_yaml_settings_root(path, &doc, &root, err);
  krait_buf json = KRAIT_BUF_INIT;
  if (root) {
    krait_jw w;
    krait_jw_init(&w, &json, 0);
    node_json(&w, &doc, root, NULL, 0);
  } else if (!rc) {
    krait_buf_puts(&json, "{}");
  }
  yaml_document_delete(&doc);
  krait_buf text_copy = text; /* kept for the "#!final" markers (libyaml drops comments) */
  krait_json *obj = rc ? NULL : krait_json_parse(json.data, json.len, path, err);
  if (!rc && !obj)
    rc = KRAIT_E_PARSE;
  krait_json_foreach(m, obj) {
    krait_rc_setting *s = setting(v, m->key);
    if (s->final)
      continue;
    if (m->type == KRAIT_JSON_ARRAY) {
      s->is_list = true;
      merge_list(s, m, path);
    } else if (m->type == KRAIT_JSON_NULL && s->is_list) {
      /* "channels:" with nothing adds nothing */
    } else {
      krait_buf b = KRAIT_BUF_INIT;
      krait_jw w;
      krait_jw_init(&w, &b, 0);
      krait_jw_value(&w, m);
      free(s->json);
      free(s->source);
      s->json = krait_buf_steal(&b);
      s->source = krait_strdup(path);
    }
  }
  krait_json_free(obj);
  if (!rc)
    mark_final_keys(v, krait_buf_str(&text_copy));
  krait_buf_free(&text_copy);
  if (!rc) {
    v->files = krait_realloc(v->files, (v->n_files + 1) * sizeof *v->files);
    v->files[v->n_files++] = (krait_rc_file){krait_strdup(path), krait_buf_steal(&json)};
  }
  krait_buf_free(&json);
  return rc;
}

krait_code krait_rc_view_load(const char *const *paths, size_t n, krait_rc_view *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    if (!krait_path_exists(paths[i]))
      continue;
    krait_code rc = load_file(out, paths[i], err);
    if (rc) {
      krait_rc_view_free(out);
      return rc;
    }
  }
  return KRAIT_OK;
}

typedef struct env_view {
  krait_rc_view *v;
  krait_jw w; /* the "envvars" pseudo-file's JSON */
  bool any;
} env_view;

static void view_env_value(const krait_rc_key *k, const char *val, void *user) {
  env_view *e = user;
  krait_rc_setting *s = setting(e->v, k->name);
  if (s->final)
    return;
  e->any = true;
  char *source = krait_asprintf("$%s", k->env);
  krait_jw_key(&e->w, k->name);
  if (k->env_seps) {
    s->is_list = true;
    krait_strv_free(&s->items);
    krait_strv_free(&s->item_sources);
    krait_rc_split_list(k, val, &s->items);
    krait_jw_arr_begin(&e->w);
    for (size_t j = 0; j < s->items.len; j++) {
      krait_jw_str(&e->w, s->items.items[j]);
      krait_strv_push(&s->item_sources, source);
    }
    krait_jw_arr_end(&e->w);
  } else {
    krait_buf one = KRAIT_BUF_INIT;
    krait_jw w1;
    krait_jw_init(&w1, &one, 0);
    bool b;
    if (k->type == KRAIT_RC_BOOL && krait_rc_parse_bool(val, &b)) {
      krait_jw_bool(&w1, b);
      krait_jw_bool(&e->w, b);
    } else {
      krait_jw_str(&w1, val);
      krait_jw_str(&e->w, val);
    }
    free(s->json);
    free(s->source);
    s->json = krait_buf_steal(&one);
    s->source = krait_strdup(source);
  }
  free(source);
}

/* The CONDA_* variables of the key table, as krait_config_apply_env (config.c) reads them. */
void krait_rc_view_apply_env(krait_rc_view *v) {
  krait_buf json = KRAIT_BUF_INIT;
  env_view e = {.v = v};
  krait_jw_init(&e.w, &json, 0);
  krait_jw_obj_begin(&e.w);
  krait_rc_foreach_env(view_env_value, &e);
  krait_jw_obj_end(&e.w);
  if (e.any) {
    v->files = krait_realloc(v->files, (v->n_files + 1) * sizeof *v->files);
    v->files[v->n_files++] = (krait_rc_file){krait_strdup("envvars"), krait_buf_steal(&json)};
  }
  krait_buf_free(&json);
}

const krait_rc_setting *krait_rc_view_find(const krait_rc_view *v, const char *key) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->settings[i].key, key) == 0)
      return &v->settings[i];
  return NULL;
}

void krait_rc_view_free(krait_rc_view *v) {
  for (size_t i = 0; i < v->len; i++) {
    free(v->settings[i].key);
    krait_strv_free(&v->settings[i].items);
    krait_strv_free(&v->settings[i].item_sources);
    free(v->settings[i].json);
    free(v->settings[i].source);
  }
  free(v->settings);
  for (size_t i = 0; i < v->n_files; i++) {
    free(v->files[i].path);
    free(v->files[i].json);
  }
  free(v->files);
  memset(v, 0, sizeof *v);
}
