/* Reading the variables an environment sets on activation (see env_state.h). */
#include "krait/env_state.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/json.h"

/* A later definition of a name wins but keeps the position of the first. */
static void put(krait_strv *names, krait_strv *values, const char *name, const char *value) {
  for (size_t i = 0; i < names->len; i++)
    if (strcmp(names->items[i], name) == 0) {
      free(values->items[i]);
      values->items[i] = krait_strdup(value);
      return;
    }
  krait_strv_push(names, name);
  krait_strv_push(values, value);
}

/* The members of object `vars` (from file `path`) as pairs. */
static krait_code take_object(const krait_json *vars, const char *path, krait_strv *names, krait_strv *values,
                              krait_err *err) {
  if (vars->type != KRAIT_JSON_OBJECT)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: environment variables must be a JSON object", path);
  krait_json_foreach(m, vars) {
    if (m->type != KRAIT_JSON_STRING)
      return krait_err_set(err, KRAIT_E_PARSE, "%s: value of environment variable \"%s\" is not a string", path,
                           m->key);
    if (!*m->key || strchr(m->key, '='))
      return krait_err_set(err, KRAIT_E_PARSE, "%s: invalid environment variable name \"%s\"", path, m->key);
    put(names, values, m->key, m->string);
  }
  return KRAIT_OK;
}

/* Parses `path` if it exists; `member` NULL means the whole file is the object. */
static krait_code read_vars_file(const char *path, const char *member, krait_strv *names, krait_strv *values,
                                 krait_err *err) {
  if (!krait_path_exists(path))
    return KRAIT_OK;
  krait_json *root = krait_json_parse_file(path, err);
  if (!root)
    return err ? err->code : KRAIT_E_PARSE;
  krait_code rc = KRAIT_OK;
  const krait_json *vars = root;
  if (member) {
    if (root->type != KRAIT_JSON_OBJECT)
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: expected a JSON object", path);
    vars = rc ? NULL : krait_json_get(root, member);
  }
  if (!rc && vars && vars->type != KRAIT_JSON_NULL)
    rc = take_object(vars, path, names, values, err);
  krait_json_free(root);
  return rc;
}

krait_code krait_env_state_read(const char *prefix, krait_strv *names, krait_strv *values, krait_err *err) {
  char *path = krait_asprintf("%s/conda-meta/state", prefix);
  krait_code rc = read_vars_file(path, "env_vars", names, values, err);
  free(path);
  return rc;
}

static bool is_json_name(const char *n) {
  size_t len = strlen(n);
  return len > 5 && strcmp(n + len - 5, ".json") == 0 && n[0] != '.';
}

krait_code krait_env_state_activation_vars(const char *prefix, krait_strv *names, krait_strv *values,
                                           krait_err *err) {
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
    rc = read_vars_file(path, NULL, names, values, err);
    free(path);
  }
  krait_strv_free(&files);
  free(dir);
  if (!rc)
    rc = krait_env_state_read(prefix, names, values, err);
  return rc;
}
