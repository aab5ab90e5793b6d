/* .condarc reading (libyaml document API) and CONDA_* environment variables. */
#include "krait/config.h"
#include "krait/rckeys.h"
#include "krait/strset.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "yaml_doc.h"

#include "krait/fs.h"

/* ---- values gathered from all condarc files before they touch ctx ---- */

typedef struct rc_list {
  krait_strv items;
  bool set;
} rc_list;

/* What the files set for one key of krait/rckeys.h's table. */
typedef struct rc_value {
  rc_list list; /* list keys */
  char *text;   /* scalar keys: the last file's value, checked when read */
} rc_value;

typedef struct rc_values {
  const krait_rc_key *keys; /* the table; values[i] belongs to keys[i] */
  size_t n;
  rc_value *values;
  krait_strv final_keys; /* keys a file marked "#!final": later files and env vars cannot change them */
  krait_strv proxy_servers; /* key, proxy URL pairs; the last file's mapping wins */
  bool proxy_servers_set;
} rc_values;

static void rc_init(rc_values *v) {
  memset(v, 0, sizeof *v);
  v->keys = krait_rc_keys(&v->n);
  v->values = krait_calloc(v->n + 1, sizeof *v->values);
}

static void rc_free(rc_values *v) {
  for (size_t i = 0; i < v->n; i++) {
    krait_strv_free(&v->values[i].list.items);
    free(v->values[i].text);
  }
  free(v->values);
  krait_strv_free(&v->final_keys);
  krait_strv_free(&v->proxy_servers);
}

/* conda's SequenceParameter merge: the later file's items first, then the
 * earlier ones, first occurrence kept. */
static void rc_list_merge(rc_list *acc, krait_strv *newer) {
  krait_strv merged = KRAIT_STRV_INIT;
  krait_strset seen = KRAIT_STRSET_INIT; /* linear, not pairwise: lists can be long */
  for (size_t i = 0; i < newer->len; i++)
    if (krait_strset_add(&seen, newer->items[i]))
      krait_strv_push(&merged, newer->items[i]);
  for (size_t i = 0; i < acc->items.len; i++)
    if (krait_strset_add(&seen, acc->items.items[i]))
      krait_strv_push(&merged, acc->items.items[i]);
  krait_strset_free(&seen);
  krait_strv_free(&acc->items);
  acc->items = merged;
  acc->set = true;
}

/* ---- helpers ---- */

/* Expands $VAR and ${VAR}; unset variables are left as written (as conda's
 * os.path.expandvars does), so a typo stays visible in error messages. */
static char *expand_vars(const char *s) {
  krait_buf b = KRAIT_BUF_INIT;
  for (const char *p = s; *p;) {
    if (*p != '$') {
      krait_buf_putc(&b, *p++);
      continue;
    }
    const char *start = p + 1;
    bool braced = *start == '{';
    if (braced)
      start++;
    const char *e = start;
    while (isalnum((unsigned char)*e) || *e == '_')
      e++;
    if (e == start || (braced && *e != '}')) {
      krait_buf_putc(&b, *p++);
      continue;
    }
    char *name = krait_strndup(start, (size_t)(e - start));
    const char *val = getenv(name);
    free(name);
    const char *after = braced ? e + 1 : e;
    if (val)
      krait_buf_puts(&b, val);
    else
      krait_buf_append(&b, p, (size_t)(after - p));
    p = after;
  }
  return krait_buf_steal(&b);
}

krait_code krait_config_parse_priority(const char *text, krait_channel_priority *out, krait_err *err) {
  bool b;
  if (strcasecmp(text, "strict") == 0)
    *out = KRAIT_PRIORITY_STRICT;
  else if (strcasecmp(text, "flexible") == 0)
    *out = KRAIT_PRIORITY_FLEXIBLE;
  else if (strcasecmp(text, "disabled") == 0)
    *out = KRAIT_PRIORITY_DISABLED;
  else if (krait_rc_parse_bool(text, &b))
    *out = b ? KRAIT_PRIORITY_FLEXIBLE : KRAIT_PRIORITY_DISABLED;
  else
    return krait_err_set(err, KRAIT_E_INVALID,
                         "invalid channel_priority \"%s\" (expected strict, flexible or disabled)", text);
  return KRAIT_OK;
}

const char *krait_config_priority_name(krait_channel_priority p) {
  switch (p) {
  case KRAIT_PRIORITY_STRICT:
    return "strict";
  case KRAIT_PRIORITY_DISABLED:
    return "disabled";
  case KRAIT_PRIORITY_FLEXIBLE:
    break;
  }
  return "flexible";
}

/* ---- one YAML file ---- */

typedef struct yfile {
  const char *path;
  yaml_document_t *doc;
} yfile;

static krait_code type_error(const yfile *f, const yaml_node_t *n, const char *key, const char *want,
                             krait_err *err) {
  return krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: %s must be %s", f->path, n->start_mark.line + 1, key, want);
}

static krait_code get_scalar(const yfile *f, const yaml_node_t *n, const char *key, char **out, krait_err *err) {
  if (n->type != YAML_SCALAR_NODE)
    return type_error(f, n, key, "a single value", err);
  char *raw = krait_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
  *out = expand_vars(raw);
  free(raw);
  return KRAIT_OK;
}

/* A list of scalars; conda also accepts a single scalar for a list key. */
static krait_code get_list(const yfile *f, const yaml_node_t *n, const char *key, bool paths, krait_strv *out,
                           krait_err *err) {
  if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
    return KRAIT_OK; /* "channels:" with nothing = empty list */
  if (n->type != YAML_SEQUENCE_NODE)
    return type_error(f, n, key, "a list", err);
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node(f->doc, *it);
    char *s;
    if (!item || item->type != YAML_SCALAR_NODE)
      return type_error(f, item ? item : n, key, "a list of strings", err);
    if (get_scalar(f, item, key, &s, err))
      return err ? err->code : KRAIT_E_PARSE;
    if (paths && *s) {
      krait_strv_push_owned(out, krait_path_absolute(s));
      free(s);
    } else {
      krait_strv_push_owned(out, s);
    }
  }
  return KRAIT_OK;
}

/* proxy_servers: {http: URL, https: URL, "scheme://host": URL} */
static krait_code get_proxy_servers(const yfile *f, const yaml_node_t *val, rc_values *v, krait_err *err) {
  if (val->type == YAML_SCALAR_NODE && val->data.scalar.length == 0)
    return KRAIT_OK;
  if (val->type != YAML_MAPPING_NODE)
    return type_error(f, val, "proxy_servers", "a mapping of scheme to proxy URL", err);
  krait_strv_free(&v->proxy_servers);
  v->proxy_servers_set = true;
  for (yaml_node_pair_t *pr = val->data.mapping.pairs.start; pr < val->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(f->doc, pr->key);
    yaml_node_t *u = yaml_document_get_node(f->doc, pr->value);
    if (!k || !u || k->type != YAML_SCALAR_NODE || u->type != YAML_SCALAR_NODE)
      return type_error(f, val, "proxy_servers", "a mapping of scheme to proxy URL", err);
    char *url;
    if (get_scalar(f, u, "proxy_servers", &url, err))
      return err ? err->code : KRAIT_E_PARSE;
    krait_strv_push_owned(&v->proxy_servers, krait_strndup((const char *)k->data.scalar.value, k->data.scalar.length));
    krait_strv_push_owned(&v->proxy_servers, url);
  }
  return KRAIT_OK;
}

static krait_code apply_key(const yfile *f, const char *key, const yaml_node_t *val, rc_values *v, krait_err *err) {
  const krait_rc_key *k = krait_rc_key_find(key);
  if (!k || k->use == KRAIT_RC_UNUSED)
    return KRAIT_OK; /* a key another conda tool understands; ignored */
  rc_value *slot = &v->values[k - v->keys];
  if (k->use == KRAIT_RC_USE_PROXIES)
    return get_proxy_servers(f, val, v, err);
  if (k->use == KRAIT_RC_USE_LIST || k->use == KRAIT_RC_USE_DIRS) {
    krait_strv items = KRAIT_STRV_INIT;
    krait_code rc = get_list(f, val, key, k->use == KRAIT_RC_USE_DIRS, &items, err);
    if (!rc)
      rc_list_merge(&slot->list, &items);
    krait_strv_free(&items);
    return rc;
  }
  char *s = NULL;
  krait_code rc = get_scalar(f, val, key, &s, err);
  if (rc)
    return rc;
  const char *want = NULL;
  if (!krait_rc_value_ok(k, s, &want)) { /* checked now, so the error names file:line */
    free(s);
    return type_error(f, val, key, want, err);
  }
  free(slot->text);
  slot->text = s;
  return KRAIT_OK;
}

static krait_code read_one(const char *path, rc_values *v, krait_err *err) {
  krait_buf text;
  yaml_document_t doc;
  krait_code rc = krait_yaml_load_file(path, &text, &doc, err);
  if (rc)
    return rc;
  yfile f = {path, &doc};
  yaml_node_t *root;
  rc = krait_yaml_settings_root(path, &doc, &root, err);
  if (root) { /* NULL: an empty file configures nothing */
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !rc; p++) {
      yaml_node_t *k = yaml_document_get_node(&doc, p->key);
      yaml_node_t *val = yaml_document_get_node(&doc, p->value);
      if (!k || !val)
        continue;
      if (k->type != YAML_SCALAR_NODE) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: setting names must be plain words", path,
                           k->start_mark.line + 1);
        break;
      }
      char *key = krait_strndup((const char *)k->data.scalar.value, k->data.scalar.length);
      if (!krait_strv_contains(&v->final_keys, key))
        rc = apply_key(&f, key, val, v, err);
      free(key);
    }
  }
  yaml_document_delete(&doc);
  if (!rc)
    krait_rc_final_keys(krait_buf_str(&text), &v->final_keys);
  krait_buf_free(&text);
  return rc;
}

static void replace_strv(krait_strv *dst, const krait_strv *src) {
  krait_strv_free(dst);
  krait_strv_copy(dst, src);
}

/* Applies the gathered values; with `only`, just those keys (used to put
 * #!final values back after environment variables were applied). */
static void rc_apply(const rc_values *v, krait_ctx *ctx, const krait_strv *only) {
  for (size_t i = 0; i < v->n; i++) {
    const krait_rc_key *k = &v->keys[i];
    const rc_value *val = &v->values[i];
    if (only && !krait_strv_contains(only, k->name))
      continue;
    if (val->list.set && (k->use == KRAIT_RC_USE_LIST || val->list.items.len))
      replace_strv((krait_strv *)((char *)ctx + k->ctx_offset), &val->list.items);
    if (val->text) {
      const char *want;
      krait_rc_apply_scalar(ctx, k, val->text, &want); /* checked when read */
    }
  }
  if (v->proxy_servers_set && (!only || krait_strv_contains(only, "proxy_servers")))
    replace_strv(&ctx->proxy_servers, &v->proxy_servers);
}

krait_code krait_config_load_files(krait_ctx *ctx, const char *const *paths, size_t n_paths, krait_err *err) {
  rc_values v;
  rc_init(&v);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < n_paths && !rc; i++) {
    if (!krait_path_exists(paths[i]) || krait_is_dir(paths[i]))
      continue;
    rc = read_one(paths[i], &v, err);
    if (!rc)
      krait_strv_push(&ctx->condarc_files, paths[i]);
  }
  if (!rc) {
    rc_apply(&v, ctx, NULL);
    rc = krait_config_apply_env(ctx, err);
    if (v.final_keys.len) {
      rc_apply(&v, ctx, &v.final_keys);
      free(ctx->repodata_cache_dir);
      ctx->repodata_cache_dir = ctx->pkgs_dirs.len ? krait_path_join(ctx->pkgs_dirs.items[0], "cache") : NULL;
    }
  }
  rc_free(&v);
  return rc;
}

static void push_unique(krait_strv *out, char *path) {
  if (krait_strv_contains(out, path))
    free(path);
  else
    krait_strv_push_owned(out, path);
}

static bool is_yaml_name(const char *n) {
  size_t len = strlen(n);
  return (len > 4 && strcmp(n + len - 4, ".yml") == 0) || (len > 5 && strcmp(n + len - 5, ".yaml") == 0);
}

/* conda reads <dir>/.condarc, <dir>/condarc, then <dir>/condarc.d/ *.yml|*.yaml
 * in name order, for each configuration directory. */
static void push_dir(krait_strv *out, char *dir) {
  push_unique(out, krait_path_join(dir, ".condarc"));
  push_unique(out, krait_path_join(dir, "condarc"));
  char *d = krait_path_join(dir, "condarc.d");
  DIR *dh = opendir(d);
  if (dh) {
    krait_strv names = KRAIT_STRV_INIT;
    for (struct dirent *e; (e = readdir(dh));)
      if (e->d_name[0] != '.' && is_yaml_name(e->d_name))
        krait_strv_push(&names, e->d_name);
    closedir(dh);
    krait_strv_sort(&names);
    for (size_t i = 0; i < names.len; i++)
      push_unique(out, krait_path_join(d, names.items[i]));
    krait_strv_free(&names);
  }
  free(d);
  free(dir);
}

void krait_config_search_path(const krait_ctx *ctx, krait_strv *out) {
  push_dir(out, krait_strdup("/etc/conda"));
  const char *xdg = getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg)
    push_dir(out, krait_path_join(xdg, "conda"));
  const char *home = getenv("HOME");
  if (home && *home) {
    push_dir(out, krait_path_join(home, ".config/conda"));
    push_dir(out, krait_path_join(home, ".conda"));
    push_unique(out, krait_path_join(home, ".condarc"));
  }
  const char *cprefix = getenv("CONDA_PREFIX");
  if (cprefix && *cprefix)
    push_dir(out, krait_strdup(cprefix));
  if (ctx->root_prefix)
    push_dir(out, krait_strdup(ctx->root_prefix));
  const char *condarc = getenv("CONDARC");
  if (condarc && *condarc)
    push_unique(out, krait_path_absolute(condarc));
}

krait_code krait_config_load(krait_ctx *ctx, krait_err *err) {
  krait_strv paths = KRAIT_STRV_INIT;
  krait_config_search_path(ctx, &paths);
  krait_code rc = krait_config_load_files(ctx, (const char *const *)paths.items, paths.len, err);
  krait_strv_free(&paths);
  return rc;
}

/* ---- environment ---- */

typedef struct env_apply {
  krait_ctx *ctx;
  krait_err *err;
  krait_code rc; /* the first fault; later variables are still applied */
} env_apply;

static void apply_env_value(const krait_rc_key *k, const char *v, void *user) {
  env_apply *a = user;
  if (k->use == KRAIT_RC_USE_LIST || k->use == KRAIT_RC_USE_DIRS) {
    krait_strv items = KRAIT_STRV_INIT;
    krait_rc_split_list(k, v, &items);
    krait_strv *dst = (krait_strv *)((char *)a->ctx + k->ctx_offset);
    if (items.len) {
      krait_strv_free(dst);
      *dst = items;
    } else {
      krait_strv_free(&items);
    }
    return;
  }
  const char *want = NULL;
  if (!krait_rc_apply_scalar(a->ctx, k, v, &want) && !a->rc)
    a->rc = krait_err_set(a->err, KRAIT_E_INVALID, "environment variable %s=\"%s\" is not %s", k->env, v, want);
}

krait_code krait_config_apply_env(krait_ctx *ctx, krait_err *err) {
  env_apply a = {ctx, err, KRAIT_OK};
  krait_rc_foreach_env(apply_env_value, &a);
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = ctx->pkgs_dirs.len ? krait_path_join(ctx->pkgs_dirs.items[0], "cache") : NULL;
  return a.rc;
}

void krait_config_expand_channels(const krait_ctx *ctx, krait_strv *out) {
  bool nodefaults = krait_strv_contains(&ctx->channels, "nodefaults");
  krait_strset seen = KRAIT_STRSET_INIT; /* what out holds: its strings outlive the set */
  for (size_t i = 0; i < out->len; i++)
    krait_strset_add(&seen, out->items[i]);
  for (size_t i = 0; i < ctx->channels.len; i++) {
    const char *c = ctx->channels.items[i];
    if (strcmp(c, "nodefaults") == 0)
      continue;
    if (strcmp(c, "defaults") == 0) {
      for (size_t j = 0; !nodefaults && j < ctx->default_channels.len; j++)
        if (krait_strset_add(&seen, ctx->default_channels.items[j]))
          krait_strv_push(out, ctx->default_channels.items[j]);
    } else if (krait_strset_add(&seen, c)) {
      krait_strv_push(out, c);
    }
  }
  krait_strset_free(&seen);
}

char *krait_config_expand_vars(const char *s) { return expand_vars(s); }
