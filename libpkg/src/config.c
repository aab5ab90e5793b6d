/* .condarc reading (libyaml document API) and CONDA_* environment variables. */
#include "krait/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "krait/fs.h"
#include "config_net.h"

/* ---- values gathered from all condarc files before they touch ctx ---- */

typedef struct rc_list {
  krait_strv items;
  bool set;
} rc_list;

typedef struct rc_values {
  rc_list channels, default_channels, pkgs_dirs, envs_dirs, pinned_packages;
  char *channel_alias;
  bool has_priority;
  krait_channel_priority priority;
  int add_pip, offline, always_yes, use_lockfiles; /* -1 = unset */
  bool has_threads;
  int extract_threads;
  krait_strv final_keys; /* keys a file marked "#!final": later files and env vars cannot change them */
  krait_strv net_settings;  /* key, value pairs of network settings (config_net.h), in file order */
  krait_strv proxy_servers; /* key, proxy URL pairs; the last file's mapping wins */
  bool proxy_servers_set;
} rc_values;

static void rc_init(rc_values *v) {
  memset(v, 0, sizeof *v);
  v->add_pip = v->offline = v->always_yes = v->use_lockfiles = -1;
}

static void rc_free(rc_values *v) {
  krait_strv_free(&v->channels.items);
  krait_strv_free(&v->default_channels.items);
  krait_strv_free(&v->pkgs_dirs.items);
  krait_strv_free(&v->envs_dirs.items);
  krait_strv_free(&v->pinned_packages.items);
  krait_strv_free(&v->final_keys);
  krait_strv_free(&v->net_settings);
  krait_strv_free(&v->proxy_servers);
  free(v->channel_alias);
}

/* conda's SequenceParameter merge: the later file's items first, then the
 * earlier ones, first occurrence kept. */
static void rc_list_merge(rc_list *acc, krait_strv *newer) {
  krait_strv merged = KRAIT_STRV_INIT;
  for (size_t i = 0; i < newer->len; i++)
    if (!krait_strv_contains(&merged, newer->items[i]))
      krait_strv_push(&merged, newer->items[i]);
  for (size_t i = 0; i < acc->items.len; i++)
    if (!krait_strv_contains(&merged, acc->items.items[i]))
      krait_strv_push(&merged, acc->items.items[i]);
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

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1", "y"};
  static const char *const no[] = {"false", "no", "off", "0", "n"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    if (strcasecmp(s, yes[i]) == 0)
      return *out = true, true;
    if (strcasecmp(s, no[i]) == 0)
      return *out = false, true;
  }
  return false;
}

static bool parse_int(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
    return false;
  *out = (int)v;
  return true;
}

krait_code krait_config_parse_priority(const char *text, krait_channel_priority *out, krait_err *err) {
  bool b;
  if (strcasecmp(text, "strict") == 0)
    *out = KRAIT_PRIORITY_STRICT;
  else if (strcasecmp(text, "flexible") == 0)
    *out = KRAIT_PRIORITY_FLEXIBLE;
  else if (strcasecmp(text, "disabled") == 0)
    *out = KRAIT_PRIORITY_DISABLED;
  else if (parse_bool(text, &b))
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

static krait_code get_bool(const yfile *f, const yaml_node_t *n, const char *key, int *out, krait_err *err) {
  char *s;
  krait_code rc = get_scalar(f, n, key, &s, err);
  if (rc)
    return rc;
  bool b;
  bool ok = parse_bool(s, &b);
  free(s);
  if (!ok)
    return type_error(f, n, key, "true or false", err);
  *out = b;
  return KRAIT_OK;
}

/* A network setting, checked now (so the error names file:line) and applied
 * in rc_apply. */
static krait_code get_net_setting(const yfile *f, const char *key, const yaml_node_t *val, rc_values *v,
                                  krait_err *err) {
  char *s;
  krait_code rc = get_scalar(f, val, key, &s, err);
  if (rc)
    return rc;
  krait_ctx scratch = {0};
  const char *want = NULL;
  bool ok = krait_config_net_set(&scratch, key, s, &want);
  free(scratch.ssl_verify);
  free(scratch.client_ssl_cert);
  free(scratch.client_ssl_cert_key);
  if (!ok) {
    free(s);
    return type_error(f, val, key, want, err);
  }
  krait_strv_push(&v->net_settings, key);
  krait_strv_push_owned(&v->net_settings, s);
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
  struct {
    const char *key;
    rc_list *list;
    bool paths;
  } lists[] = {
      {"channels", &v->channels, false},       {"default_channels", &v->default_channels, false},
      {"pkgs_dirs", &v->pkgs_dirs, true},      {"envs_dirs", &v->envs_dirs, true},
      {"pinned_packages", &v->pinned_packages, false},
  };
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    if (strcmp(key, lists[i].key) != 0)
      continue;
    krait_strv items = KRAIT_STRV_INIT;
    krait_code rc = get_list(f, val, key, lists[i].paths, &items, err);
    if (!rc)
      rc_list_merge(lists[i].list, &items);
    krait_strv_free(&items);
    return rc;
  }
  struct {
    const char *key;
    int *flag;
  } bools[] = {{"add_pip_as_python_dependency", &v->add_pip},
               {"offline", &v->offline},
               {"always_yes", &v->always_yes},
               {"use_lockfiles", &v->use_lockfiles}};
  for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
    if (strcmp(key, bools[i].key) == 0)
      return get_bool(f, val, key, bools[i].flag, err);

  char *s = NULL;
  krait_code rc = KRAIT_OK;
  if (strcmp(key, "channel_alias") == 0) {
    if (!(rc = get_scalar(f, val, key, &s, err))) {
      free(v->channel_alias);
      v->channel_alias = s;
      s = NULL;
    }
  } else if (strcmp(key, "channel_priority") == 0) {
    if (!(rc = get_scalar(f, val, key, &s, err))) {
      if (krait_config_parse_priority(s, &v->priority, NULL))
        rc = type_error(f, val, key, "strict, flexible or disabled", err);
      else
        v->has_priority = true;
    }
  } else if (strcmp(key, "extract_threads") == 0) {
    if (!(rc = get_scalar(f, val, key, &s, err))) {
      if (!parse_int(s, &v->extract_threads))
        rc = type_error(f, val, key, "an integer", err);
      else
        v->has_threads = true;
    }
  } else if (krait_config_net_is_key(key)) {
    rc = get_net_setting(f, key, val, v, err);
  } else if (strcmp(key, "proxy_servers") == 0) {
    rc = get_proxy_servers(f, val, v, err);
  }
  /* anything else: a key another conda tool understands; ignored */
  free(s);
  return rc;
}

/* conda's "#!final" marker on a top-level key line ("channels: #!final",
 * "offline: true  #!final"). libyaml drops comments, so the raw text is
 * scanned; an administrator's /etc/conda/.condarc uses this to pin settings. */
static void collect_final_keys(const char *text, krait_strv *out) {
  for (const char *line = text; *line;) {
    size_t len = strcspn(line, "\n");
    const char *colon = memchr(line, ':', len);
    const char *mark = NULL;
    for (const char *p = line; p + 7 <= line + len && !mark; p++)
      if (strncmp(p, "#!final", 7) == 0)
        mark = p;
    if (colon && mark && mark > colon && !isspace((unsigned char)line[0]) && line[0] != '#' && line[0] != '-') {
      const char *end = colon;
      while (end > line && isspace((unsigned char)end[-1]))
        end--;
      char *key = krait_strndup(line, (size_t)(end - line));
      if (!krait_strv_contains(out, key))
        krait_strv_push_owned(out, key);
      else
        free(key);
    }
    line += len;
    if (*line)
      line++;
  }
}

static krait_code read_one(const char *path, rc_values *v, krait_err *err) {
  krait_buf text = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(path, &text, err);
  if (rc)
    return rc;
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    krait_buf_free(&text);
    krait_oom();
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)krait_buf_str(&text), text.len);
  if (!yaml_parser_load(&parser, &doc)) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: invalid YAML: %s", path, parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "parse error");
    yaml_parser_delete(&parser);
    krait_buf_free(&text);
    return rc;
  }
  yfile f = {path, &doc};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    /* empty file: nothing configured */
  } else if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0) {
    /* "---" only */
  } else if (root->type != YAML_MAPPING_NODE) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: expected a mapping of settings (key: value)", path,
                       root->start_mark.line + 1);
  } else {
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
  yaml_parser_delete(&parser);
  if (!rc)
    collect_final_keys(krait_buf_str(&text), &v->final_keys);
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
#define WANT(key) (!only || krait_strv_contains(only, key))
  if (v->channels.set && WANT("channels"))
    replace_strv(&ctx->channels, &v->channels.items);
  if (v->default_channels.set && WANT("default_channels"))
    replace_strv(&ctx->default_channels, &v->default_channels.items);
  if (v->pkgs_dirs.set && v->pkgs_dirs.items.len && WANT("pkgs_dirs"))
    replace_strv(&ctx->pkgs_dirs, &v->pkgs_dirs.items);
  if (v->envs_dirs.set && v->envs_dirs.items.len && WANT("envs_dirs"))
    replace_strv(&ctx->envs_dirs, &v->envs_dirs.items);
  if (v->pinned_packages.set && WANT("pinned_packages"))
    replace_strv(&ctx->pinned_packages, &v->pinned_packages.items);
  if (v->channel_alias && WANT("channel_alias")) {
    free(ctx->channel_alias);
    ctx->channel_alias = krait_strdup(v->channel_alias);
  }
  if (v->has_priority && WANT("channel_priority"))
    ctx->channel_priority = v->priority;
  if (v->add_pip >= 0 && WANT("add_pip_as_python_dependency"))
    ctx->add_pip_as_python_dependency = v->add_pip;
  if (v->offline >= 0 && WANT("offline"))
    ctx->offline = v->offline;
  if (v->always_yes >= 0 && WANT("always_yes"))
    ctx->always_yes = v->always_yes;
  if (v->use_lockfiles >= 0 && WANT("use_lockfiles"))
    ctx->use_lockfiles = v->use_lockfiles;
  if (v->has_threads && WANT("extract_threads"))
    ctx->extract_threads = v->extract_threads;
  for (size_t i = 0; i + 1 < v->net_settings.len; i += 2)
    if (WANT(v->net_settings.items[i])) {
      const char *want;
      krait_config_net_set(ctx, v->net_settings.items[i], v->net_settings.items[i + 1], &want); /* checked when read */
    }
  if (v->proxy_servers_set && WANT("proxy_servers"))
    replace_strv(&ctx->proxy_servers, &v->proxy_servers);
#undef WANT
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

/* Splits on any of `seps`; directory lists are made absolute. */
static void split_into(krait_strv *out, const char *s, const char *seps, bool paths) {
  while (*s) {
    size_t n = strcspn(s, seps);
    if (n) {
      char *item = krait_strndup(s, n);
      if (paths) {
        krait_strv_push_owned(out, krait_path_absolute(item));
        free(item);
      } else {
        krait_strv_push_owned(out, item);
      }
    }
    s += n;
    if (*s)
      s++;
  }
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static void env_list(const char *name, krait_strv *dst, const char *seps, bool paths) {
  const char *v = env_nonempty(name);
  if (!v)
    return;
  krait_strv items = KRAIT_STRV_INIT;
  split_into(&items, v, seps, paths);
  if (items.len) {
    krait_strv_free(dst);
    *dst = items;
  } else {
    krait_strv_free(&items);
  }
}

krait_code krait_config_apply_env(krait_ctx *ctx, krait_err *err) {
  krait_code rc = KRAIT_OK;
  env_list("CONDA_CHANNELS", &ctx->channels, ",", false);
  env_list("CONDA_DEFAULT_CHANNELS", &ctx->default_channels, ",", false);
  env_list("CONDA_PKGS_DIRS", &ctx->pkgs_dirs, ",:", true);
  env_list("CONDA_ENVS_DIRS", &ctx->envs_dirs, ",:", true);
  env_list("CONDA_PINNED_PACKAGES", &ctx->pinned_packages, "&", false);
  const char *alias = env_nonempty("CONDA_CHANNEL_ALIAS");
  if (alias) {
    free(ctx->channel_alias);
    ctx->channel_alias = krait_strdup(alias);
  }
  const char *subdir = env_nonempty("CONDA_SUBDIR");
  if (subdir) {
    free(ctx->platform);
    ctx->platform = krait_strdup(subdir);
  }
  /* recompute before anything that can fail, so ctx stays consistent */
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = ctx->pkgs_dirs.len ? krait_path_join(ctx->pkgs_dirs.items[0], "cache") : NULL;

  /* every variable is applied even after a bad one; the first fault is reported */
  const char *prio = env_nonempty("CONDA_CHANNEL_PRIORITY");
  if (prio && krait_config_parse_priority(prio, &ctx->channel_priority, NULL))
    rc = krait_err_set(err, KRAIT_E_INVALID,
                       "environment variable CONDA_CHANNEL_PRIORITY=\"%s\" is not strict, flexible or disabled", prio);
  struct {
    const char *name;
    bool *flag;
  } bools[] = {{"CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY", &ctx->add_pip_as_python_dependency},
               {"CONDA_OFFLINE", &ctx->offline},
               {"CONDA_ALWAYS_YES", &ctx->always_yes},
               {"CONDA_USE_LOCKFILES", &ctx->use_lockfiles}};
  for (size_t i = 0; i < sizeof bools / sizeof *bools; i++) {
    const char *v = env_nonempty(bools[i].name);
    if (v && !parse_bool(v, bools[i].flag) && !rc)
      rc = krait_err_set(err, KRAIT_E_INVALID, "environment variable %s=\"%s\" is not true or false",
                         bools[i].name, v);
  }
  krait_code net_rc = krait_config_net_apply_env(ctx, rc ? NULL : err);
  if (!rc)
    rc = net_rc;
  const char *threads = env_nonempty("CONDA_EXTRACT_THREADS");
  if (threads && !parse_int(threads, &ctx->extract_threads) && !rc)
    rc = krait_err_set(err, KRAIT_E_INVALID, "environment variable CONDA_EXTRACT_THREADS=\"%s\" is not an integer",
                       threads);
  return rc;
}

void krait_config_expand_channels(const krait_ctx *ctx, krait_strv *out) {
  bool nodefaults = krait_strv_contains(&ctx->channels, "nodefaults");
  for (size_t i = 0; i < ctx->channels.len; i++) {
    const char *c = ctx->channels.items[i];
    if (strcmp(c, "nodefaults") == 0)
      continue;
    if (strcmp(c, "defaults") == 0) {
      for (size_t j = 0; !nodefaults && j < ctx->default_channels.len; j++)
        if (!krait_strv_contains(out, ctx->default_channels.items[j]))
          krait_strv_push(out, ctx->default_channels.items[j]);
    } else if (!krait_strv_contains(out, c)) {
      krait_strv_push(out, c);
    }
  }
}

char *krait_config_expand_vars(const char *s) { return expand_vars(s); }
