/* conda-meta/state read/write (see krait/env_state.h). */
#include <stdlib.h>
#include <string.h>

#include "krait/env_state.h"
#include "krait/fs.h"
#include "krait/json.h"

static char *state_path(const char *prefix) { return krait_path_join(prefix, "conda-meta/state"); }

void krait_env_vars_free(krait_env_vars *vars) {
  krait_strv_free(&vars->names);
  krait_strv_free(&vars->values);
}

const char *krait_env_vars_get(const krait_env_vars *vars, const char *name) {
  for (size_t i = 0; i < vars->names.len; i++)
    if (strcmp(vars->names.items[i], name) == 0)
      return vars->values.items[i];
  return NULL;
}

void krait_env_vars_set(krait_env_vars *vars, const char *name, const char *value) {
  for (size_t i = 0; i < vars->names.len; i++)
    if (strcmp(vars->names.items[i], name) == 0) {
      free(vars->values.items[i]);
      vars->values.items[i] = krait_strdup(value);
      return;
    }
  krait_strv_push(&vars->names, name);
  krait_strv_push(&vars->values, value);
}

/* A file that exists must be a JSON object; a missing one is NULL, no error. */
static krait_code load_state(const char *path, krait_json **out, krait_err *err) {
  *out = NULL;
  if (!krait_path_exists(path))
    return KRAIT_OK;
  krait_json *j = krait_json_parse_file(path, err);
  if (!j)
    return err ? err->code : KRAIT_E_PARSE;
  if (j->type != KRAIT_JSON_OBJECT) {
    krait_json_free(j);
    return krait_err_set(err, KRAIT_E_PARSE, "%s: not a JSON object", path);
  }
  *out = j;
  return KRAIT_OK;
}

krait_code krait_env_state_read(const char *prefix, krait_env_vars *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  char *path = state_path(prefix);
  krait_json *j = NULL;
  krait_code rc = load_state(path, &j, err);
  if (rc || !j) {
    free(path);
    return rc;
  }
  const krait_json *vars = krait_json_get(j, "env_vars");
  if (vars && vars->type != KRAIT_JSON_OBJECT && vars->type != KRAIT_JSON_NULL) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: \"env_vars\" is not an object", path);
  } else {
    krait_json_foreach(v, vars) {
      if (v->type == KRAIT_JSON_STRING) {
        krait_env_vars_set(out, v->key, v->string);
      } else { /* conda stores what json gave it; we keep the text of the value */
        krait_buf b = KRAIT_BUF_INIT;
        krait_jw w;
        krait_jw_init(&w, &b, 0);
        krait_jw_value(&w, v);
        krait_env_vars_set(out, v->key, krait_buf_str(&b));
        krait_buf_free(&b);
      }
    }
  }
  krait_json_free(j);
  free(path);
  if (rc)
    krait_env_vars_free(out);
  return rc;
}

/* A JSON string literal (both tools read the other's escapes). */
static void put_str(krait_buf *b, const char *s) { krait_json_escape(b, s, strlen(s)); }

krait_code krait_env_state_write(const char *prefix, const krait_env_vars *vars, krait_err *err) {
  char *path = state_path(prefix);
  krait_json *old = NULL;
  krait_code rc = load_state(path, &old, err);
  if (rc) {
    free(path);
    return rc;
  }
  /* {"env_vars": {...}, <other keys as they were>} with json.dumps separators */
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "{\"env_vars\": {");
  for (size_t i = 0; i < vars->names.len; i++) {
    if (i)
      krait_buf_puts(&b, ", ");
    put_str(&b, vars->names.items[i]);
    krait_buf_puts(&b, ": ");
    put_str(&b, vars->values.items[i]);
  }
  krait_buf_putc(&b, '}');
  krait_json_foreach(m, old) {
    if (strcmp(m->key, "env_vars") == 0)
      continue;
    krait_buf_puts(&b, ", ");
    put_str(&b, m->key);
    krait_buf_puts(&b, ": ");
    krait_buf v = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &v, 0);
    krait_jw_value(&w, m);
    krait_buf_puts(&b, krait_buf_str(&v));
    krait_buf_free(&v);
  }
  krait_buf_putc(&b, '}');
  krait_json_free(old);
  rc = krait_write_file_atomic(path, b.data, b.len, 0644, err);
  krait_buf_free(&b);
  free(path);
  return rc;
}
