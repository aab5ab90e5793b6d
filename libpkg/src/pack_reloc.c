/* What `krait pack` / `krait unpack` must rewrite when an environment moves:
 * the files conda-meta lists with a prefix placeholder, and the python entry
 * points krait generated (they name the prefix's python). Also finds the
 * python packages pip installed, which no conda record describes. */
#include <dirent.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/link.h"
#include "krait/meta.h"
#include "krait/pack.h"
#include "krait/prefix.h"

static int entry_cmp(const void *a, const void *b) {
  return strcmp(((const krait_reloc_entry *)a)->path, ((const krait_reloc_entry *)b)->path);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_python_dist_name(const char *name) {
  return ends_with(name, ".dist-info") || ends_with(name, ".egg-info") || ends_with(name, ".egg-link");
}

/* "lib/python3.11/site-packages/foo-1.0.dist-info/RECORD" -> "lib/python3.11/site-packages/foo-1.0.dist-info" */
static char *owned_dist_dir(const char *path) {
  const char *sp = strstr(path, "site-packages/");
  if (!sp)
    return NULL;
  const char *comp = sp + strlen("site-packages/");
  size_t clen = strcspn(comp, "/");
  char *name = krait_strndup(comp, clen);
  bool dist = is_python_dist_name(name);
  free(name);
  return dist ? krait_strndup(path, (size_t)(comp - path) + clen) : NULL;
}

static void add_entry(krait_reloc *r, size_t *cap, const krait_path_entry *pe, const char *owner) {
  if (r->len == *cap) {
    *cap = *cap ? *cap * 2 : 64;
    r->items = krait_realloc(r->items, *cap * sizeof *r->items);
  }
  krait_reloc_entry *e = &r->items[r->len++];
  e->path = krait_strdup(pe->path);
  e->package = owner;
  if (pe->type == KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT || !pe->prefix_placeholder) {
    e->mode = KRAIT_FILE_MODE_TEXT;
    e->room = 0;
  } else {
    e->mode = pe->file_mode;
    e->room = pe->file_mode == KRAIT_FILE_MODE_BINARY ? strlen(pe->prefix_placeholder) : 0;
  }
}

/* Every <prefix>/lib/python*\/site-packages entry that names a python
 * distribution no conda record owns is a pip install. */
static void find_pip(const char *prefix, const krait_strv *owned, krait_reloc *r) {
  char *pattern = krait_asprintf("%s/lib/python*/site-packages", prefix);
  glob_t g;
  if (glob(pattern, 0, NULL, &g) == 0) {
    size_t skip = strlen(prefix) + 1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
      DIR *d = opendir(g.gl_pathv[i]);
      if (!d)
        continue;
      krait_strv found = {0};
      struct dirent *de;
      while ((de = readdir(d)))
        if (is_python_dist_name(de->d_name))
          krait_strv_push(&found, de->d_name);
      closedir(d);
      krait_strv_sort(&found);
      for (size_t k = 0; k < found.len; k++) {
        char *rel = krait_asprintf("%s/%s", g.gl_pathv[i] + skip, found.items[k]);
        if (krait_strv_contains(owned, rel)) {
          free(rel);
          continue;
        }
        const char *n = found.items[k];
        krait_strv_push_owned(&r->pip, krait_strndup(n, strlen(n) - strlen(strrchr(n, '.'))));
        krait_strv_push_owned(&r->pip_paths, rel);
      }
      krait_strv_free(&found);
    }
  }
  globfree(&g);
  free(pattern);
}

krait_code krait_reloc_load(const char *prefix, krait_reloc *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_prefix_state st;
  if (krait_prefix_load(prefix, &st, err) != KRAIT_OK)
    return KRAIT_E_IO;
  if (!st.exists) {
    krait_prefix_state_free(&st);
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/ directory)", prefix);
  }
  size_t cap = 0;
  krait_strv owned = {0};
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < st.len && rc == KRAIT_OK; i++) {
    const krait_record *rec = &st.records[i].rec;
    krait_strv_push_owned(&out->owners, krait_asprintf("%s-%s-%s", rec->name, rec->version, rec->build));
  }
  for (size_t i = 0; i < st.len && rc == KRAIT_OK; i++) {
    krait_paths paths = KRAIT_PATHS_INIT;
    rc = krait_meta_read_paths(st.records[i].meta_path, &paths, err);
    for (size_t k = 0; rc == KRAIT_OK && k < paths.len; k++) {
      const krait_path_entry *pe = &paths.items[k];
      if (pe->prefix_placeholder || pe->type == KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT)
        add_entry(out, &cap, pe, out->owners.items[i]);
      char *dist = owned_dist_dir(pe->path);
      if (dist && !krait_strv_contains(&owned, dist))
        krait_strv_push_owned(&owned, dist);
      else
        free(dist);
    }
    krait_paths_free(&paths);
  }
  if (rc == KRAIT_OK) {
    if (out->len)
      qsort(out->items, out->len, sizeof *out->items, entry_cmp);
    find_pip(prefix, &owned, out);
  }
  krait_strv_free(&owned);
  krait_prefix_state_free(&st);
  if (rc != KRAIT_OK)
    krait_reloc_free(out);
  return rc;
}

void krait_reloc_free(krait_reloc *r) {
  for (size_t i = 0; i < r->len; i++)
    free(r->items[i].path);
  free(r->items);
  krait_strv_free(&r->owners);
  krait_strv_free(&r->pip);
  krait_strv_free(&r->pip_paths);
  memset(r, 0, sizeof *r);
}

const krait_reloc_entry *krait_reloc_find(const krait_reloc *r, const char *relpath) {
  if (!r->len)
    return NULL;
  krait_reloc_entry key = {.path = (char *)relpath};
  return bsearch(&key, r->items, r->len, sizeof *r->items, entry_cmp);
}

krait_code krait_reloc_check(const krait_reloc *r, const char *new_prefix, krait_err *err) {
  size_t n = strlen(new_prefix);
  for (size_t i = 0; i < r->len; i++)
    if (r->items[i].mode == KRAIT_FILE_MODE_BINARY && n > r->items[i].room)
      return krait_err_set(err, KRAIT_E_INVALID,
                           "destination prefix \"%s\" (%zu bytes) is longer than the binary prefix placeholder "
                           "(%zu bytes) of %s in package %s",
                           new_prefix, n, r->items[i].room, r->items[i].path, r->items[i].package);
  return KRAIT_OK;
}

krait_code krait_reloc_apply(const krait_reloc_entry *e, const char *old_prefix, const char *new_prefix,
                             krait_buf *data, krait_err *err) {
  if (strcmp(old_prefix, new_prefix) == 0 || !data->len)
    return KRAIT_OK;
  if (e->mode == KRAIT_FILE_MODE_BINARY) {
    /* a binary as installed holds old_prefix followed by the NUL padding
     * left from the longer placeholder */
    if (krait_replace_binary_strings(data->data, data->len, old_prefix, new_prefix, NULL, NULL) != KRAIT_OK)
      return krait_err_set(err, KRAIT_E_INVALID, "prefix \"%s\" does not fit into a binary string of %s (package %s)",
                           new_prefix, e->path, e->package);
    return KRAIT_OK;
  }
  krait_buf out = KRAIT_BUF_INIT;
  krait_replace_text(data->data, data->len, old_prefix, new_prefix, &out);
  krait_buf_free(data);
  *data = out;
  return KRAIT_OK;
}
