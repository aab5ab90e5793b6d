/* The registry of known environments (~/.conda/environments.txt) and the
 * envs dirs: listing, naming, unregistering. */
#include "krait/envreg.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/text.h"

char *krait_envreg_default_path(void) { return krait_path_absolute("~/.conda/environments.txt"); }

static char *normalized(const char *p) {
  char *abs = krait_path_absolute(p);
  size_t n = strlen(abs);
  while (n > 1 && abs[n - 1] == '/')
    abs[--n] = '\0';
  return abs;
}

bool krait_is_env(const char *prefix) {
  char *meta = krait_path_join(prefix, "conda-meta");
  bool yes = krait_is_dir(meta);
  free(meta);
  return yes;
}

char *krait_env_name_of(const krait_ctx *ctx, const char *prefix) {
  char *p = normalized(prefix);
  char *name = NULL;
  char *root = ctx->root_prefix ? normalized(ctx->root_prefix) : NULL;
  if (root && strcmp(root, p) == 0)
    name = krait_strdup("base");
  for (size_t i = 0; !name && i < ctx->envs_dirs.len; i++) {
    char *d = normalized(ctx->envs_dirs.items[i]);
    size_t dl = strlen(d);
    if (strncmp(p, d, dl) == 0 && p[dl] == '/' && !strchr(p + dl + 1, '/'))
      name = krait_strdup(p + dl + 1);
    free(d);
  }
  free(root);
  free(p);
  return name;
}

static void add_env(const krait_ctx *ctx, krait_env_set *s, const char *prefix) {
  char *p = normalized(prefix);
  for (size_t i = 0; i < s->len; i++)
    if (strcmp(s->items[i].prefix, p) == 0) {
      free(p);
      return;
    }
  s->items = krait_realloc(s->items, (s->len + 1) * sizeof *s->items);
  s->items[s->len].prefix = p;
  s->items[s->len].name = krait_env_name_of(ctx, p);
  s->len++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

krait_code krait_env_list(const krait_ctx *ctx, const char *registry, krait_env_set *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  if (ctx->root_prefix && krait_is_env(ctx->root_prefix))
    add_env(ctx, out, ctx->root_prefix);
  for (size_t i = 0; i < ctx->envs_dirs.len; i++) {
    DIR *d = opendir(ctx->envs_dirs.items[i]);
    if (!d)
      continue; /* an envs dir not created yet holds no environment */
    krait_strv names = KRAIT_STRV_INIT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.')
        krait_strv_push(&names, e->d_name);
    closedir(d);
    if (names.len)
      qsort(names.items, names.len, sizeof *names.items, cmp_str);
    for (size_t j = 0; j < names.len; j++) {
      char *p = krait_path_join(ctx->envs_dirs.items[i], names.items[j]);
      if (krait_is_env(p))
        add_env(ctx, out, p);
      free(p);
    }
    krait_strv_free(&names);
  }
  char *path = registry ? krait_strdup(registry) : krait_envreg_default_path();
  krait_buf text = KRAIT_BUF_INIT, kept = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  if (krait_path_exists(path) && (rc = krait_read_file(path, &text, err)) == KRAIT_OK) {
    char *cursor = text.data;
    for (char *line; (line = krait_text_next_line(&cursor));) {
      size_t n = strlen(line);
      while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
      if (n) {
        if (krait_is_env(line)) {
          add_env(ctx, out, line);
          krait_buf_printf(&kept, "%s\n", line);
        } else {
          out->dropped++;
        }
      }
    }
    /* conda cleans the registry the same way; failing to is not an error */
    if (out->dropped)
      (void)krait_write_file_atomic(path, kept.data ? kept.data : "", kept.len, 0644, NULL);
  }
  krait_buf_free(&text);
  krait_buf_free(&kept);
  free(path);
  if (rc)
    krait_env_set_free(out);
  return rc;
}

void krait_env_set_free(krait_env_set *s) {
  for (size_t i = 0; i < s->len; i++) {
    free(s->items[i].prefix);
    free(s->items[i].name);
  }
  free(s->items);
  memset(s, 0, sizeof *s);
}

krait_code krait_env_unregister(const char *registry, const char *prefix, krait_err *err) {
  char *path = registry ? krait_strdup(registry) : krait_envreg_default_path();
  char *want = normalized(prefix);
  krait_buf text = KRAIT_BUF_INIT, kept = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  bool changed = false;
  if (krait_path_exists(path) && (rc = krait_read_file(path, &text, err)) == KRAIT_OK) {
    char *cursor = text.data;
    for (char *line; (line = krait_text_next_line(&cursor));) {
      size_t n = strlen(line);
      while (n > 1 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '/'))
        line[--n] = '\0';
      if (n && strcmp(line, want) == 0)
        changed = true;
      else if (n)
        krait_buf_printf(&kept, "%s\n", line);
    }
    if (changed)
      rc = krait_write_file_atomic(path, kept.data ? kept.data : "", kept.len, 0644, err);
  }
  krait_buf_free(&text);
  krait_buf_free(&kept);
  free(want);
  free(path);
  return rc;
}

/* Writable now, or creatable: the nearest existing ancestor is writable. */
static bool can_create_in(const char *dir) {
  char *p = krait_strdup(dir);
  for (;;) {
    if (krait_path_exists(p)) {
      bool ok = krait_is_dir(p) && access(p, W_OK | X_OK) == 0;
      free(p);
      return ok;
    }
    char *parent = krait_path_dirname(p);
    bool top = strcmp(parent, p) == 0;
    free(p);
    p = parent;
    if (top) {
      free(p);
      return false;
    }
  }
}

char *krait_envs_dir_for_create(const krait_ctx *ctx, krait_err *err) {
  krait_buf tried = KRAIT_BUF_INIT;
  for (size_t i = 0; i < ctx->envs_dirs.len; i++) {
    if (can_create_in(ctx->envs_dirs.items[i])) {
      krait_buf_free(&tried);
      return krait_strdup(ctx->envs_dirs.items[i]);
    }
    krait_buf_printf(&tried, "%s%s", i ? ", " : "", ctx->envs_dirs.items[i]);
  }
  krait_err_set(err, KRAIT_E_IO, "no writable envs dir to create the environment in (tried: %s); use -p PREFIX",
                tried.len ? krait_buf_str(&tried) : "none configured");
  krait_buf_free(&tried);
  return NULL;
}
