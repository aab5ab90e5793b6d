/* The variables activation sets (krait_act_env_vars in krait/activate.h):
 * packages' etc/conda/env_vars.d/<name>.json files, then conda-meta/state
 * (krait/env_state.h), as conda applies them. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "krait/activate.h"
#include "krait/fs.h"
#include "krait/json.h"

/* One env_vars.d file: a flat JSON object of strings. */
static krait_code read_env_vars_file(const char *path, krait_env_vars *out, krait_err *err) {
  krait_json *root = krait_json_parse_file(path, err);
  if (!root)
    return err ? err->code : KRAIT_E_PARSE;
  krait_code rc = root->type == KRAIT_JSON_OBJECT
                      ? KRAIT_OK
                      : krait_err_set(err, KRAIT_E_PARSE, "%s: expected a JSON object of variables", path);
  krait_json_foreach(m, rc ? NULL : root) {
    if (m->type != KRAIT_JSON_STRING || !*m->key || strchr(m->key, '=')) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: \"%s\" is not a variable name with a string value", path, m->key);
      break;
    }
    krait_env_vars_set(out, m->key, m->string);
  }
  krait_json_free(root);
  return rc;
}

static bool is_json_name(const char *n) {
  size_t len = strlen(n);
  return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".json") == 0;
}

krait_code krait_act_env_vars(const char *prefix, krait_env_vars *out, krait_err *err) {
  char *dir = krait_asprintf("%s/etc/conda/env_vars.d", prefix);
  krait_strv files = KRAIT_STRV_INIT;
  DIR *d = opendir(dir);
  if (d) {
    for (struct dirent *e; (e = readdir(d));)
      if (is_json_name(e->d_name))
        krait_strv_push(&files, e->d_name);
    closedir(d);
  }
  krait_strv_sort(&files);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < files.len && !rc; i++) {
    char *path = krait_path_join(dir, files.items[i]);
    rc = read_env_vars_file(path, out, err);
    free(path);
  }
  krait_strv_free(&files);
  free(dir);
  if (rc)
    return rc;
  /* conda-meta/state comes last: its values win over env_vars.d's */
  krait_env_vars state;
  rc = krait_env_state_read(prefix, &state, err);
  for (size_t i = 0; !rc && i < state.names.len; i++)
    krait_env_vars_set(out, state.names.items[i], state.values.items[i]);
  krait_env_vars_free(&state);
  return rc;
}
