/* Reading conda-meta/state (see krait/env_state.h). */
#include "krait/env_state.h"

#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/json.h"

void krait_env_vars_set(krait_env_vars *v, const char *name, const char *value) {
  for (size_t i = 0; i < v->names.len; i++)
    if (strcmp(v->names.items[i], name) == 0) {
      free(v->values.items[i]);
      v->values.items[i] = krait_strdup(value);
      return;
    }
  krait_strv_push(&v->names, name);
  krait_strv_push(&v->values, value);
}

const char *krait_env_vars_get(const krait_env_vars *v, const char *name) {
  for (size_t i = 0; i < v->names.len; i++)
    if (strcmp(v->names.items[i], name) == 0)
      return v->values.items[i];
  return NULL;
}

void krait_env_vars_free(krait_env_vars *v) {
  krait_strv_free(&v->names);
  krait_strv_free(&v->values);
}

/* The members of `member` of the JSON object in `path`, if the file exists. */
static krait_code read_state_file(const char *path, const char *member, krait_env_vars *out, krait_err *err) {
  if (!krait_path_exists(path))
    return KRAIT_OK;
  krait_json *root = krait_json_parse_file(path, err);
  if (!root)
    return err ? err->code : KRAIT_E_PARSE;
  krait_code rc = KRAIT_OK;
  const krait_json *vars = root;
  if (member)
    vars = root->type == KRAIT_JSON_OBJECT ? krait_json_get(root, member) : NULL;
  if (vars && vars->type != KRAIT_JSON_NULL && vars->type != KRAIT_JSON_OBJECT)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: %s must be a JSON object", path,
                       member ? member : "the file");
  if (!rc && root->type != KRAIT_JSON_OBJECT)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: expected a JSON object", path);
  if (!rc && vars && vars->type == KRAIT_JSON_OBJECT) {
    krait_json_foreach(m, vars) {
      if (!*m->key || strchr(m->key, '=')) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "%s: invalid environment variable name \"%s\"", path, m->key);
        break;
      }
      if (m->type == KRAIT_JSON_STRING) {
        krait_env_vars_set(out, m->key, m->string);
      } else {
        krait_buf text = KRAIT_BUF_INIT;
        krait_jw w;
        krait_jw_init(&w, &text, 0);
        krait_jw_value(&w, m);
        krait_env_vars_set(out, m->key, krait_buf_str(&text));
        krait_buf_free(&text);
      }
    }
  }
  krait_json_free(root);
  return rc;
}

krait_code krait_env_state_read(const char *prefix, krait_env_vars *out, krait_err *err) {
  char *path = krait_asprintf("%s/conda-meta/state", prefix);
  krait_code rc = read_state_file(path, "env_vars", out, err);
  free(path);
  return rc;
}
