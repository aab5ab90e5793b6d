/* Jupyter kernelspecs for environments (krait/kernelspec.h). */
#include "krait/kernelspec.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/fs.h"
#include "krait/json.h"

char *krait_kernel_user_dir(krait_err *err) {
  const char *jd = getenv("JUPYTER_DATA_DIR");
  if (jd && *jd)
    return krait_path_join(jd, "kernels");
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg && *xdg)
    return krait_asprintf("%s/jupyter/kernels", xdg);
  const char *home = getenv("HOME");
  if (!home || !*home) {
    krait_err_set(err, KRAIT_E_INVALID, "HOME is not set: cannot find Jupyter's user data dir (set JUPYTER_DATA_DIR)");
    return NULL;
  }
  return krait_asprintf("%s/.local/share/jupyter/kernels", home);
}

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool krait_kernel_name_valid(const char *name) {
  if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return false;
  for (const char *p = name; *p; p++)
    if (!name_char(*p))
      return false;
  return true;
}

char *krait_kernel_name_from(const char *label) {
  char *n = krait_strdup(label && *label ? label : "env");
  for (char *p = n; *p; p++) {
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
    else if (!name_char(*p))
      *p = '-';
  }
  if (!krait_kernel_name_valid(n)) {
    free(n);
    n = krait_strdup("env");
  }
  return n;
}

static void kernel_json(const krait_kernel_spec *s, krait_buf *out) {
  krait_jw w;
  krait_jw_init(&w, out, 1);
  char *python = krait_path_join(s->env_prefix, "bin/python");
  krait_jw_obj_begin(&w);
  krait_jw_key(&w, "argv");
  krait_jw_arr_begin(&w);
  const char *argv[] = {s->krait_exe, "run", "-p", s->env_prefix, python, "-m", "ipykernel_launcher", "-f",
                        "{connection_file}"};
  for (size_t i = 0; i < sizeof argv / sizeof *argv; i++)
    krait_jw_str(&w, argv[i]);
  krait_jw_arr_end(&w);
  krait_jw_kstr(&w, "display_name", s->display_name);
  krait_jw_kstr(&w, "language", "python");
  krait_jw_key(&w, "metadata");
  krait_jw_obj_begin(&w);
  krait_jw_kbool(&w, "debugger", true);
  krait_jw_key(&w, "krait");
  krait_jw_obj_begin(&w);
  krait_jw_kstr(&w, "prefix", s->env_prefix);
  krait_jw_obj_end(&w);
  krait_jw_obj_end(&w);
  krait_jw_obj_end(&w);
  krait_buf_putc(out, '\n');
  free(python);
}

/* The logos ipykernel installs in the env, copied beside kernel.json. */
static krait_code copy_logos(const char *env_prefix, const char *dest, krait_err *err) {
  char *src = krait_path_join(env_prefix, "share/jupyter/kernels/python3");
  DIR *d = opendir(src);
  krait_code rc = KRAIT_OK;
  if (d) {
    for (struct dirent *e; !rc && (e = readdir(d));) {
      if (strncmp(e->d_name, "logo-", 5) != 0)
        continue;
      char *from = krait_path_join(src, e->d_name), *to = krait_path_join(dest, e->d_name);
      krait_buf data = KRAIT_BUF_INIT;
      rc = krait_read_file(from, &data, err);
      if (!rc)
        rc = krait_write_file_atomic(to, data.data ? data.data : "", data.len, 0644, err);
      krait_buf_free(&data);
      free(from);
      free(to);
    }
    closedir(d);
  }
  free(src);
  return rc;
}

krait_code krait_kernel_install(const krait_kernel_spec *s, char **dir_out, krait_err *err) {
  if (!krait_kernel_name_valid(s->name))
    return krait_err_set(err, KRAIT_E_INVALID,
                         "invalid kernel name \"%s\": use lower-case letters, digits, '.', '_' and '-'", s->name);
  krait_code rc = krait_mkdir_p(s->kernels_dir, 0755, err);
  if (rc)
    return krait_err_prefix(err, "cannot create the kernels directory: ");
  char *final = krait_path_join(s->kernels_dir, s->name);
  char *tmp = krait_asprintf("%s/.%s.krait-XXXXXX", s->kernels_dir, s->name);
  if (!mkdtemp(tmp)) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot write a kernel in %s", s->kernels_dir);
    free(tmp);
    free(final);
    return rc;
  }
  chmod(tmp, 0755);
  krait_buf json = KRAIT_BUF_INIT;
  kernel_json(s, &json);
  char *path = krait_path_join(tmp, "kernel.json");
  rc = krait_write_file_atomic(path, json.data, json.len, 0644, err);
  free(path);
  krait_buf_free(&json);
  if (!rc)
    rc = copy_logos(s->env_prefix, tmp, err);
  /* replace an older kernel of the same name: Jupyter's `install --replace` */
  if (!rc && krait_path_exists(final))
    rc = krait_rm_rf(final, err);
  if (!rc && rename(tmp, final) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot move the kernel into %s", final);
  if (rc) {
    krait_err ignored;
    krait_rm_rf(tmp, &ignored);
    free(final);
  } else if (dir_out) {
    *dir_out = final;
  } else {
    free(final);
  }
  free(tmp);
  return rc;
}

static bool listed(const krait_kernel_list *l, const char *name) {
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i].name, name) == 0)
      return true;
  return false;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const krait_kernel_entry *)a)->name, ((const krait_kernel_entry *)b)->name);
}

void krait_kernel_list_dirs(const krait_strv *dirs, krait_kernel_list *out) {
  memset(out, 0, sizeof *out);
  size_t cap = 0;
  for (size_t i = 0; i < dirs->len; i++) {
    DIR *d = opendir(dirs->items[i]);
    if (!d)
      continue;
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.' || listed(out, e->d_name))
        continue;
      char *dir = krait_path_join(dirs->items[i], e->d_name);
      char *json_path = krait_path_join(dir, "kernel.json");
      krait_json *root = krait_path_exists(json_path) ? krait_json_parse_file(json_path, NULL) : NULL;
      free(json_path);
      if (!root || root->type != KRAIT_JSON_OBJECT) {
        krait_json_free(root);
        free(dir);
        continue;
      }
      if (out->len == cap) {
        cap = cap ? cap * 2 : 8;
        out->items = krait_realloc(out->items, cap * sizeof *out->items);
      }
      const krait_json *meta = krait_json_get_object(root, "metadata");
      const krait_json *k = meta ? krait_json_get_object(meta, "krait") : NULL;
      out->items[out->len++] = (krait_kernel_entry){
          krait_strdup(e->d_name), dir, krait_strdup(krait_json_get_str(root, "display_name")),
          krait_strdup(krait_json_get_str(root, "language")), krait_strdup(k ? krait_json_get_str(k, "prefix") : NULL)};
      krait_json_free(root);
    }
    closedir(d);
  }
  if (out->len)
    qsort(out->items, out->len, sizeof *out->items, by_name);
}

void krait_kernel_list_free(krait_kernel_list *l) {
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].name);
    free(l->items[i].dir);
    free(l->items[i].display_name);
    free(l->items[i].language);
    free(l->items[i].env_prefix);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

krait_code krait_kernel_remove(const char *kernels_dir, const char *name, krait_err *err) {
  if (!krait_kernel_name_valid(name))
    return krait_err_set(err, KRAIT_E_INVALID, "invalid kernel name \"%s\"", name);
  char *dir = krait_path_join(kernels_dir, name);
  char *json = krait_path_join(dir, "kernel.json");
  krait_code rc = krait_path_exists(json) ? krait_rm_rf(dir, err)
                                          : krait_err_set(err, KRAIT_E_NOTFOUND, "no kernel \"%s\" in %s", name,
                                                          kernels_dir);
  free(json);
  free(dir);
  return rc;
}
