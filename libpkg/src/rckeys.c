/* The table of known .condarc keys (conda's names): type, what each sets in
 * krait_ctx, its CONDA_* variable and krait's default; and applying one value. */
#include "krait/rckeys.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_net.h"
#include "krait/config.h"
#include "krait/fs.h"

#define CTX(field) offsetof(krait_ctx, field)
#define STR_(x) #x
#define STR(x) STR_(x)
#define KRAIT_LOCK_TIMEOUT_TEXT STR(KRAIT_LOCK_TIMEOUT_DEFAULT)

/* name, YAML type, allowed values, what it sets in krait_ctx, CONDA_* variable,
 * its separators, default. */
static const krait_rc_key keys[] = {
    /* channels and solving */
    {"channels", KRAIT_RC_LIST, NULL, KRAIT_RC_USE_LIST, CTX(channels), "CONDA_CHANNELS", ",", NULL},
    {"default_channels", KRAIT_RC_LIST, NULL, KRAIT_RC_USE_LIST, CTX(default_channels), "CONDA_DEFAULT_CHANNELS", ",", "https://repo.anaconda.com/pkgs/main,https://repo.anaconda.com/pkgs/r"},
    {"channel_alias", KRAIT_RC_STRING, NULL, KRAIT_RC_USE_STRING, CTX(channel_alias), "CONDA_CHANNEL_ALIAS", NULL, "https://conda.anaconda.org"},
    {"channel_priority", KRAIT_RC_STRING, "strict|flexible|disabled", KRAIT_RC_USE_PRIORITY, CTX(channel_priority), "CONDA_CHANNEL_PRIORITY", NULL, "flexible"},
    {"custom_channels", KRAIT_RC_MAP, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"custom_multichannels", KRAIT_RC_MAP, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"migrated_channel_aliases", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"allowlist_channels", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"whitelist_channels", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"denylist_channels", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"override_channels_enabled", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"allow_non_channel_urls", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"pinned_packages", KRAIT_RC_LIST, NULL, KRAIT_RC_USE_LIST, CTX(pinned_packages), "CONDA_PINNED_PACKAGES", "&", NULL},
    {"track_features", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"create_default_packages", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"add_pip_as_python_dependency", KRAIT_RC_BOOL, NULL, KRAIT_RC_USE_BOOL, CTX(add_pip_as_python_dependency), "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY", NULL, "true"},
    {"auto_update_conda", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"update_modifier", KRAIT_RC_STRING, "freeze_installed|update_deps|update_specs|update_all", KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"solver", KRAIT_RC_STRING, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"experimental_solver", KRAIT_RC_STRING, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"pip_interop_enabled", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"use_only_tar_bz2", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"repodata_fns", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"subdir", KRAIT_RC_STRING, NULL, KRAIT_RC_USE_STRING, CTX(platform), "CONDA_SUBDIR", NULL, NULL},
    {"subdirs", KRAIT_RC_LIST, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    /* directories */
    {"pkgs_dirs", KRAIT_RC_LIST, NULL, KRAIT_RC_USE_DIRS, CTX(pkgs_dirs), "CONDA_PKGS_DIRS", ",:", NULL},
    {"envs_dirs", KRAIT_RC_LIST, NULL, KRAIT_RC_USE_DIRS, CTX(envs_dirs), "CONDA_ENVS_DIRS", ",:", NULL},
    {"root_prefix", KRAIT_RC_STRING, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    /* installing */
    {"always_yes", KRAIT_RC_BOOL, NULL, KRAIT_RC_USE_BOOL, CTX(always_yes), "CONDA_ALWAYS_YES", NULL, "false"},
    {"always_copy", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"always_softlink", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"allow_softlinks", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"extract_threads", KRAIT_RC_INT, NULL, KRAIT_RC_USE_INT, CTX(extract_threads), "CONDA_EXTRACT_THREADS", NULL, "0"},
    {"execute_threads", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"fetch_threads", KRAIT_RC_INT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_FETCH_THREADS", NULL, NULL},
    {"repodata_threads", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"default_threads", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"verify_threads", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"safety_checks", KRAIT_RC_STRING, "enabled|warn|disabled", KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"extra_safety_checks", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"shortcuts", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"use_lockfiles", KRAIT_RC_BOOL, NULL, KRAIT_RC_USE_BOOL, CTX(use_lockfiles), "CONDA_USE_LOCKFILES", NULL, "true"},
    {"lock_timeout", KRAIT_RC_INT, NULL, KRAIT_RC_USE_SECONDS, CTX(lock_timeout_seconds), "CONDA_LOCK_TIMEOUT", NULL, KRAIT_LOCK_TIMEOUT_TEXT}, /* seconds; 0 = wait forever */
    {"path_conflict", KRAIT_RC_STRING, "clobber|warn|prevent", KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"rollback_enabled", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"separate_format_cache", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    /* network */
    {"offline", KRAIT_RC_BOOL, NULL, KRAIT_RC_USE_BOOL, CTX(offline), "CONDA_OFFLINE", NULL, "false"},
    {"ssl_verify", KRAIT_RC_STRING, NULL, KRAIT_RC_USE_NET, 0, "CONDA_SSL_VERIFY", NULL, "true"},
    {"client_ssl_cert", KRAIT_RC_STRING, NULL, KRAIT_RC_USE_NET, 0, "CONDA_CLIENT_SSL_CERT", NULL, NULL},
    {"client_ssl_cert_key", KRAIT_RC_STRING, NULL, KRAIT_RC_USE_NET, 0, "CONDA_CLIENT_SSL_CERT_KEY", NULL, NULL},
    {"proxy_servers", KRAIT_RC_MAP, NULL, KRAIT_RC_USE_PROXIES, 0, NULL, NULL, NULL},
    {"remote_connect_timeout_secs", KRAIT_RC_FLOAT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_REMOTE_CONNECT_TIMEOUT_SECS", NULL, "9.15"},
    {"remote_read_timeout_secs", KRAIT_RC_FLOAT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_REMOTE_READ_TIMEOUT_SECS", NULL, "60"},
    {"remote_max_retries", KRAIT_RC_INT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_REMOTE_MAX_RETRIES", NULL, "3"},
    {"remote_backoff_factor", KRAIT_RC_FLOAT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_REMOTE_BACKOFF_FACTOR", NULL, "1"}, /* seconds, fractions allowed (krait's loader reads a number) */
    {"download_threads", KRAIT_RC_INT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_DOWNLOAD_THREADS", NULL, "8"},         /* krait's name for fetch_threads */
    {"repodata_max_bytes", KRAIT_RC_INT, NULL, KRAIT_RC_USE_NET, 0, "CONDA_REPODATA_MAX_BYTES", NULL, "2147483648"},
    {"local_repodata_ttl", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"add_anaconda_token", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    /* shell and output */
    {"auto_activate_base", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"auto_activate", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"changeps1", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"env_prompt", KRAIT_RC_STRING, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"auto_stack", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"show_channel_urls", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"json", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"verbosity", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"quiet", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"notify_outdated_conda", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"report_errors", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"number_channel_notices", KRAIT_RC_INT, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"anaconda_upload", KRAIT_RC_BOOL, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
    {"conda_build", KRAIT_RC_MAP, NULL, KRAIT_RC_UNUSED, 0, NULL, NULL, NULL},
};

#define N_KEYS (sizeof keys / sizeof *keys)

const krait_rc_key *krait_rc_keys(size_t *n) {
  *n = N_KEYS;
  return keys;
}

const krait_rc_key *krait_rc_key_find(const char *name) {
  for (size_t i = 0; i < N_KEYS; i++)
    if (strcmp(keys[i].name, name) == 0)
      return &keys[i];
  return NULL;
}

/* Levenshtein distance, two rows; key names are short. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t *prev = calloc(lb + 1, sizeof *prev), *cur = calloc(lb + 1, sizeof *cur);
  if (!prev || !cur)
    krait_oom();
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    size_t *t = prev;
    prev = cur;
    cur = t;
  }
  size_t d = prev[lb];
  free(prev);
  free(cur);
  return d;
}

const char *krait_rc_key_nearest(const char *name) {
  size_t best = (size_t)-1;
  const char *best_name = keys[0].name;
  for (size_t i = 0; i < N_KEYS; i++) {
    size_t d = edit_distance(name, keys[i].name);
    if (d < best) {
      best = d;
      best_name = keys[i].name;
    }
  }
  return best_name;
}

const krait_rc_key *krait_rc_key_require(const char *name, krait_err *err) {
  const krait_rc_key *k = krait_rc_key_find(name);
  if (!k)
    krait_err_set(err, KRAIT_E_INVALID, "unknown configuration key \"%s\" (did you mean \"%s\"?)", name,
                  krait_rc_key_nearest(name));
  return k;
}

const char *krait_rc_type_name(krait_rc_type t) {
  switch (t) {
  case KRAIT_RC_STRING:
    return "a string";
  case KRAIT_RC_BOOL:
    return "a boolean (true or false)";
  case KRAIT_RC_INT:
    return "an integer";
  case KRAIT_RC_FLOAT:
    return "a number";
  case KRAIT_RC_LIST:
    return "a list";
  case KRAIT_RC_MAP:
    return "a mapping";
  }
  return "a value";
}

bool krait_rc_parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1", "y"};
  static const char *const no[] = {"false", "no", "off", "0", "n"};
  for (size_t i = 0; i < 5; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool krait_rc_value_allowed(const krait_rc_key *k, const char *value) {
  if (!k->choices)
    return true;
  size_t n = strlen(value);
  for (const char *c = k->choices; *c;) {
    size_t len = strcspn(c, "|");
    if (len == n && strncmp(c, value, n) == 0)
      return true;
    c += len;
    if (*c)
      c++;
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

bool krait_rc_apply_scalar(krait_ctx *ctx, const krait_rc_key *k, const char *value, const char **want) {
  void *field = (char *)ctx + k->ctx_offset;
  bool b;
  int n;
  switch (k->use) {
  case KRAIT_RC_USE_STRING:
    free(*(char **)field);
    *(char **)field = krait_strdup(value);
    return true;
  case KRAIT_RC_USE_BOOL:
    if (!krait_rc_parse_bool(value, &b))
      return *want = "true or false", false;
    *(bool *)field = b;
    return true;
  case KRAIT_RC_USE_INT:
    if (!parse_int(value, &n))
      return *want = "an integer", false;
    *(int *)field = n;
    return true;
  case KRAIT_RC_USE_SECONDS:
    if (!parse_int(value, &n) || n < 0)
      return *want = "a number of seconds (0 = wait forever)", false;
    *(int *)field = n;
    return true;
  case KRAIT_RC_USE_PRIORITY:
    if (krait_config_parse_priority(value, (krait_channel_priority *)field, NULL))
      return *want = "strict, flexible or disabled", false;
    return true;
  case KRAIT_RC_USE_NET:
    return krait_config_net_set(ctx, k->name, value, want);
  case KRAIT_RC_UNUSED:
  case KRAIT_RC_USE_LIST:
  case KRAIT_RC_USE_DIRS:
  case KRAIT_RC_USE_PROXIES:
    break;
  }
  return *want = "a single value", false;
}

bool krait_rc_value_ok(const krait_rc_key *k, const char *value, const char **want) {
  if (k->use == KRAIT_RC_UNUSED || k->use == KRAIT_RC_USE_STRING || k->use == KRAIT_RC_USE_LIST ||
      k->use == KRAIT_RC_USE_DIRS || k->use == KRAIT_RC_USE_PROXIES)
    return true; /* any text (list items and mappings are checked item by item where read) */
  krait_ctx scratch;
  memset(&scratch, 0, sizeof scratch);
  bool ok = krait_rc_apply_scalar(&scratch, k, value, want);
  free(scratch.ssl_verify);
  free(scratch.client_ssl_cert);
  free(scratch.client_ssl_cert_key);
  return ok;
}

void krait_rc_split_list(const krait_rc_key *k, const char *value, krait_strv *out) {
  const char *seps = k->env_seps ? k->env_seps : ",";
  for (const char *s = value; *s;) {
    size_t n = strcspn(s, seps);
    if (n) {
      char *item = krait_strndup(s, n);
      if (k->use == KRAIT_RC_USE_DIRS) {
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

void krait_rc_foreach_env(void (*each)(const krait_rc_key *k, const char *value, void *user), void *user) {
  for (size_t i = 0; i < N_KEYS; i++) {
    const char *v = keys[i].env ? getenv(keys[i].env) : NULL;
    if (v && *v)
      each(&keys[i], v, user);
  }
}

void krait_rc_apply_defaults(krait_ctx *ctx) {
  for (size_t i = 0; i < N_KEYS; i++) {
    const krait_rc_key *k = &keys[i];
    if (!k->def || k->use == KRAIT_RC_UNUSED)
      continue;
    if (k->use == KRAIT_RC_USE_LIST || k->use == KRAIT_RC_USE_DIRS) {
      krait_strv *list = (krait_strv *)((char *)ctx + k->ctx_offset);
      krait_strv_free(list);
      krait_rc_split_list(k, k->def, list);
    } else {
      const char *want;
      krait_rc_apply_scalar(ctx, k, k->def, &want); /* the table's defaults are valid */
    }
  }
}

void krait_rc_final_keys(const char *text, krait_strv *out) {
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
