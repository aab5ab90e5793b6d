/* `krait clean`: finding what the package caches hold that nothing needs
 * (see krait/clean.h for what counts as in use). */
#include "krait/clean.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/json.h"

const char *krait_clean_kind_name(krait_clean_kind k) {
  switch (k) {
  case KRAIT_CLEAN_INDEX_CACHE:
    return "index_cache";
  case KRAIT_CLEAN_TARBALLS:
    return "tarballs";
  case KRAIT_CLEAN_PACKAGES:
    return "packages";
  case KRAIT_CLEAN_LOCKS:
    return "locks";
  }
  return "?";
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Apparent size of a tree; *linked set when a regular file has other links. */
static int64_t tree_bytes(const char *path, bool *linked) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0;
  if (!S_ISDIR(st.st_mode)) {
    if (S_ISREG(st.st_mode) && st.st_nlink > 1 && linked)
      *linked = true;
    return (int64_t)st.st_size;
  }
  int64_t total = 0;
  DIR *d = opendir(path);
  if (!d)
    return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char *child = krait_path_join(path, e->d_name);
    total += tree_bytes(child, linked);
    free(child);
  }
  closedir(d);
  return total;
}

static void add_item(krait_clean_plan *p, const char *path, krait_clean_kind kind, int64_t bytes) {
  p->items = krait_realloc(p->items, (p->len + 1) * sizeof *p->items);
  p->items[p->len++] = (krait_clean_item){krait_strdup(path), kind, bytes};
  p->total_bytes += bytes;
}

/* A lock file is stale when nobody holds a lock on it (conda's and mamba's
 * byte 21 or any other). */
static bool lock_is_free(const char *path) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  bool free_ = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
  close(fd);
  return free_;
}

/* The extracted package dirs the environments use: by their records'
 * extracted_package_dir, and by name-version-build. */
static void used_packages(const krait_strv *envs, krait_strv *paths, krait_strv *dists) {
  for (size_t i = 0; i < envs->len; i++) {
    char *meta = krait_path_join(envs->items[i], "conda-meta");
    DIR *d = opendir(meta);
    if (!d) {
      free(meta);
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.' || !ends_with(e->d_name, ".json"))
        continue;
      krait_strv_push_owned(dists, krait_strndup(e->d_name, strlen(e->d_name) - 5));
      char *rec = krait_path_join(meta, e->d_name);
      krait_json *root = krait_json_parse_file(rec, NULL);
      const char *epd = root ? krait_json_get_str(root, "extracted_package_dir") : NULL;
      if (epd && *epd)
        krait_strv_push_owned(paths, krait_path_absolute(epd));
      krait_json_free(root);
      free(rec);
    }
    closedir(d);
    free(meta);
  }
}

static void scan_pkgs_dir(const char *dir, unsigned what, const krait_strv *used_paths, const krait_strv *used_dists,
                          krait_clean_plan *p) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  krait_strv names = KRAIT_STRV_INIT;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      krait_strv_push(&names, e->d_name);
  closedir(d);
  krait_strv_sort(&names);
  for (size_t i = 0; i < names.len; i++) {
    const char *name = names.items[i];
    char *path = krait_path_join(dir, name);
    struct stat st;
    if (lstat(path, &st) != 0) {
      free(path);
      continue;
    }
    if (S_ISDIR(st.st_mode) && strcmp(name, "cache") == 0) {
      if (what & KRAIT_CLEAN_INDEX_CACHE)
        add_item(p, path, KRAIT_CLEAN_INDEX_CACHE, tree_bytes(path, NULL));
    } else if (S_ISREG(st.st_mode) && (ends_with(name, ".lock") || ends_with(name, ".conda_lock"))) {
      if ((what & KRAIT_CLEAN_LOCKS) && lock_is_free(path))
        add_item(p, path, KRAIT_CLEAN_LOCKS, (int64_t)st.st_size);
    } else if (S_ISREG(st.st_mode) && (ends_with(name, ".conda") || ends_with(name, ".tar.bz2") ||
                                       ends_with(name, ".partial") || ends_with(name, ".partial.json"))) {
      /* .partial(.json): a download a killed run left for the next one to resume */
      if (what & KRAIT_CLEAN_TARBALLS)
        add_item(p, path, KRAIT_CLEAN_TARBALLS, (int64_t)st.st_size);
    } else if (S_ISDIR(st.st_mode) && (what & KRAIT_CLEAN_PACKAGES)) {
      char *index = krait_path_join(path, "info/index.json");
      bool is_pkg = krait_path_exists(index);
      free(index);
      if (is_pkg) {
        char *real = krait_path_absolute(path);
        bool linked = false;
        int64_t bytes = tree_bytes(path, &linked);
        if (krait_strv_contains(used_paths, real) || krait_strv_contains(used_dists, name) || linked)
          krait_strv_push(&p->kept_packages, path);
        else
          add_item(p, path, KRAIT_CLEAN_PACKAGES, bytes);
        free(real);
      }
    }
    free(path);
  }
  krait_strv_free(&names);
}

krait_code krait_clean_plan_make(const krait_ctx *ctx, unsigned what, const krait_strv *env_prefixes,
                                 krait_clean_plan *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_strv envs = KRAIT_STRV_INIT, used_paths = KRAIT_STRV_INIT, used_dists = KRAIT_STRV_INIT;
  if (what & KRAIT_CLEAN_PACKAGES) {
    if (env_prefixes) {
      krait_strv_copy(&envs, env_prefixes);
    } else {
      krait_env_set set;
      krait_code rc = krait_env_list(ctx, NULL, &set, err);
      if (rc)
        return rc;
      for (size_t i = 0; i < set.len; i++)
        krait_strv_push(&envs, set.items[i].prefix);
      krait_env_set_free(&set);
    }
    used_packages(&envs, &used_paths, &used_dists);
  }
  for (size_t i = 0; i < ctx->pkgs_dirs.len; i++) {
    const char *dir = ctx->pkgs_dirs.items[i];
    if (krait_is_dir(dir) && access(dir, W_OK | X_OK) == 0)
      scan_pkgs_dir(dir, what, &used_paths, &used_dists, out);
  }
  krait_strv_free(&envs);
  krait_strv_free(&used_paths);
  krait_strv_free(&used_dists);
  return KRAIT_OK;
}

krait_code krait_clean_execute(const krait_clean_plan *plan, krait_err *err) {
  for (size_t i = 0; i < plan->len; i++) {
    krait_code rc = krait_rm_rf(plan->items[i].path, err);
    if (rc)
      return krait_err_prefix(err, "while cleaning %s: ", plan->items[i].path);
  }
  return KRAIT_OK;
}

void krait_clean_plan_free(krait_clean_plan *plan) {
  for (size_t i = 0; i < plan->len; i++)
    free(plan->items[i].path);
  free(plan->items);
  krait_strv_free(&plan->kept_packages);
  memset(plan, 0, sizeof *plan);
}
