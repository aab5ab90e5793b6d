/* The table of known .condarc keys and their types (conda's names). */
#include "krait/rckeys.h"

#include "krait/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const krait_rc_key keys[] = {
    /* channels and solving */
    {"channels", KRAIT_RC_LIST},
    {"default_channels", KRAIT_RC_LIST},
    {"channel_alias", KRAIT_RC_STRING},
    {"channel_priority", KRAIT_RC_STRING},
    {"custom_channels", KRAIT_RC_MAP},
    {"custom_multichannels", KRAIT_RC_MAP},
    {"migrated_channel_aliases", KRAIT_RC_LIST},
    {"allowlist_channels", KRAIT_RC_LIST},
    {"whitelist_channels", KRAIT_RC_LIST},
    {"denylist_channels", KRAIT_RC_LIST},
    {"override_channels_enabled", KRAIT_RC_BOOL},
    {"allow_non_channel_urls", KRAIT_RC_BOOL},
    {"pinned_packages", KRAIT_RC_LIST},
    {"track_features", KRAIT_RC_LIST},
    {"create_default_packages", KRAIT_RC_LIST},
    {"add_pip_as_python_dependency", KRAIT_RC_BOOL},
    {"auto_update_conda", KRAIT_RC_BOOL},
    {"update_modifier", KRAIT_RC_STRING},
    {"solver", KRAIT_RC_STRING},
    {"experimental_solver", KRAIT_RC_STRING},
    {"pip_interop_enabled", KRAIT_RC_BOOL},
    {"use_only_tar_bz2", KRAIT_RC_BOOL},
    {"repodata_fns", KRAIT_RC_LIST},
    {"subdir", KRAIT_RC_STRING},
    {"subdirs", KRAIT_RC_LIST},
    /* directories */
    {"pkgs_dirs", KRAIT_RC_LIST},
    {"envs_dirs", KRAIT_RC_LIST},
    {"root_prefix", KRAIT_RC_STRING},
    /* installing */
    {"always_yes", KRAIT_RC_BOOL},
    {"always_copy", KRAIT_RC_BOOL},
    {"always_softlink", KRAIT_RC_BOOL},
    {"allow_softlinks", KRAIT_RC_BOOL},
    {"extract_threads", KRAIT_RC_INT},
    {"execute_threads", KRAIT_RC_INT},
    {"fetch_threads", KRAIT_RC_INT},
    {"repodata_threads", KRAIT_RC_INT},
    {"default_threads", KRAIT_RC_INT},
    {"verify_threads", KRAIT_RC_INT},
    {"safety_checks", KRAIT_RC_STRING},
    {"extra_safety_checks", KRAIT_RC_BOOL},
    {"shortcuts", KRAIT_RC_BOOL},
    {"use_lockfiles", KRAIT_RC_BOOL},
    {"path_conflict", KRAIT_RC_STRING},
    {"rollback_enabled", KRAIT_RC_BOOL},
    {"separate_format_cache", KRAIT_RC_BOOL},
    /* network */
    {"offline", KRAIT_RC_BOOL},
    {"ssl_verify", KRAIT_RC_STRING},
    {"client_ssl_cert", KRAIT_RC_STRING},
    {"client_ssl_cert_key", KRAIT_RC_STRING},
    {"proxy_servers", KRAIT_RC_MAP},
    {"remote_connect_timeout_secs", KRAIT_RC_FLOAT},
    {"remote_read_timeout_secs", KRAIT_RC_FLOAT},
    {"remote_max_retries", KRAIT_RC_INT},
    {"remote_backoff_factor", KRAIT_RC_INT},
    {"local_repodata_ttl", KRAIT_RC_INT},
    {"add_anaconda_token", KRAIT_RC_BOOL},
    /* shell and output */
    {"auto_activate_base", KRAIT_RC_BOOL},
    {"auto_activate", KRAIT_RC_BOOL},
    {"changeps1", KRAIT_RC_BOOL},
    {"env_prompt", KRAIT_RC_STRING},
    {"auto_stack", KRAIT_RC_INT},
    {"show_channel_urls", KRAIT_RC_BOOL},
    {"json", KRAIT_RC_BOOL},
    {"verbosity", KRAIT_RC_INT},
    {"quiet", KRAIT_RC_BOOL},
    {"notify_outdated_conda", KRAIT_RC_BOOL},
    {"report_errors", KRAIT_RC_BOOL},
    {"number_channel_notices", KRAIT_RC_INT},
    {"anaconda_upload", KRAIT_RC_BOOL},
    {"conda_build", KRAIT_RC_MAP},
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
