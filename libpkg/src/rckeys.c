/* The table of known .condarc keys and their types (conda's names). */
#include "krait/rckeys.h"

#include "krait/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const krait_rc_key keys[] = {
    /* channels and solving */
    {"channels", KRAIT_RC_LIST, NULL},
    {"default_channels", KRAIT_RC_LIST, NULL},
    {"channel_alias", KRAIT_RC_STRING, NULL},
    {"channel_priority", KRAIT_RC_STRING, "strict|flexible|disabled"},
    {"custom_channels", KRAIT_RC_MAP, NULL},
    {"custom_multichannels", KRAIT_RC_MAP, NULL},
    {"migrated_channel_aliases", KRAIT_RC_LIST, NULL},
    {"allowlist_channels", KRAIT_RC_LIST, NULL},
    {"whitelist_channels", KRAIT_RC_LIST, NULL},
    {"denylist_channels", KRAIT_RC_LIST, NULL},
    {"override_channels_enabled", KRAIT_RC_BOOL, NULL},
    {"allow_non_channel_urls", KRAIT_RC_BOOL, NULL},
    {"pinned_packages", KRAIT_RC_LIST, NULL},
    {"track_features", KRAIT_RC_LIST, NULL},
    {"create_default_packages", KRAIT_RC_LIST, NULL},
    {"add_pip_as_python_dependency", KRAIT_RC_BOOL, NULL},
    {"auto_update_conda", KRAIT_RC_BOOL, NULL},
    {"update_modifier", KRAIT_RC_STRING, "freeze_installed|update_deps|update_specs|update_all"},
    {"solver", KRAIT_RC_STRING, NULL},
    {"experimental_solver", KRAIT_RC_STRING, NULL},
    {"pip_interop_enabled", KRAIT_RC_BOOL, NULL},
    {"use_only_tar_bz2", KRAIT_RC_BOOL, NULL},
    {"repodata_fns", KRAIT_RC_LIST, NULL},
    {"subdir", KRAIT_RC_STRING, NULL},
    {"subdirs", KRAIT_RC_LIST, NULL},
    /* directories */
    {"pkgs_dirs", KRAIT_RC_LIST, NULL},
    {"envs_dirs", KRAIT_RC_LIST, NULL},
    {"root_prefix", KRAIT_RC_STRING, NULL},
    /* installing */
    {"always_yes", KRAIT_RC_BOOL, NULL},
    {"always_copy", KRAIT_RC_BOOL, NULL},
    {"always_softlink", KRAIT_RC_BOOL, NULL},
    {"allow_softlinks", KRAIT_RC_BOOL, NULL},
    {"extract_threads", KRAIT_RC_INT, NULL},
    {"execute_threads", KRAIT_RC_INT, NULL},
    {"fetch_threads", KRAIT_RC_INT, NULL},
    {"repodata_threads", KRAIT_RC_INT, NULL},
    {"default_threads", KRAIT_RC_INT, NULL},
    {"verify_threads", KRAIT_RC_INT, NULL},
    {"safety_checks", KRAIT_RC_STRING, "enabled|warn|disabled"},
    {"extra_safety_checks", KRAIT_RC_BOOL, NULL},
    {"shortcuts", KRAIT_RC_BOOL, NULL},
    {"use_lockfiles", KRAIT_RC_BOOL, NULL},
    {"lock_timeout", KRAIT_RC_INT, NULL}, /* seconds; 0 = wait forever */
    {"path_conflict", KRAIT_RC_STRING, "clobber|warn|prevent"},
    {"rollback_enabled", KRAIT_RC_BOOL, NULL},
    {"separate_format_cache", KRAIT_RC_BOOL, NULL},
    /* network */
    {"offline", KRAIT_RC_BOOL, NULL},
    {"ssl_verify", KRAIT_RC_STRING, NULL},
    {"client_ssl_cert", KRAIT_RC_STRING, NULL},
    {"client_ssl_cert_key", KRAIT_RC_STRING, NULL},
    {"proxy_servers", KRAIT_RC_MAP, NULL},
    {"remote_connect_timeout_secs", KRAIT_RC_FLOAT, NULL},
    {"remote_read_timeout_secs", KRAIT_RC_FLOAT, NULL},
    {"remote_max_retries", KRAIT_RC_INT, NULL},
    {"remote_backoff_factor", KRAIT_RC_FLOAT, NULL}, /* seconds, fractions allowed (krait's loader reads a number) */
    {"download_threads", KRAIT_RC_INT, NULL},         /* krait's name for fetch_threads */
    {"repodata_max_bytes", KRAIT_RC_INT, NULL},
    {"local_repodata_ttl", KRAIT_RC_INT, NULL},
    {"add_anaconda_token", KRAIT_RC_BOOL, NULL},
    /* shell and output */
    {"auto_activate_base", KRAIT_RC_BOOL, NULL},
    {"auto_activate", KRAIT_RC_BOOL, NULL},
    {"changeps1", KRAIT_RC_BOOL, NULL},
    {"env_prompt", KRAIT_RC_STRING, NULL},
    {"auto_stack", KRAIT_RC_INT, NULL},
    {"show_channel_urls", KRAIT_RC_BOOL, NULL},
    {"json", KRAIT_RC_BOOL, NULL},
    {"verbosity", KRAIT_RC_INT, NULL},
    {"quiet", KRAIT_RC_BOOL, NULL},
    {"notify_outdated_conda", KRAIT_RC_BOOL, NULL},
    {"report_errors", KRAIT_RC_BOOL, NULL},
    {"number_channel_notices", KRAIT_RC_INT, NULL},
    {"anaconda_upload", KRAIT_RC_BOOL, NULL},
    {"conda_build", KRAIT_RC_MAP, NULL},
};

#define N_KEYS (sizeof keys / sizeof *keys)

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
