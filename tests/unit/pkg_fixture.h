/* Helpers shared by the link/meta/paths tests: scratch directories, archive
 * extraction with the system tools (cph, bsdtar) and writing package trees
 * file by file. Everything returned is heap-allocated; callers free(). */
#ifndef KRAIT_TEST_PKG_FIXTURE_H
#define KRAIT_TEST_PKG_FIXTURE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/record.h"

/* A fresh directory under $TMPDIR (or /tmp) or under `base` when given. */
static inline char *fx_tmpdir(const char *base) {
  const char *t = base ? base : getenv("TMPDIR");
  char *tmpl = krait_asprintf("%s/krait-test-XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(tmpl)) {
    free(tmpl);
    return NULL;
  }
  return tmpl;
}

/* Extracts a .conda (cph) or .tar.bz2 (bsdtar) into dest; false on failure. */
static inline bool fx_extract(const char *archive, const char *dest) {
  if (krait_mkdir_p(dest, 0755, NULL) != 0)
    return false;
  size_t n = strlen(archive);
  char *cmd = n > 6 && strcmp(archive + n - 6, ".conda") == 0
                  ? krait_asprintf("cph x '%s' --dest '%s' >/dev/null 2>&1", archive, dest)
                  : krait_asprintf("bsdtar -xf '%s' -C '%s' 2>/dev/null", archive, dest);
  int rc = system(cmd);
  free(cmd);
  return rc == 0;
}

/* Writes dir/rel (creating parents) with the given bytes and mode. */
static inline bool fx_write(const char *dir, const char *rel, const void *data, size_t len, mode_t mode) {
  char *path = krait_path_join(dir, rel);
  char *parent = krait_path_dirname(path);
  bool ok = krait_mkdir_p(parent, 0755, NULL) == 0 &&
            krait_write_file_atomic(path, data, len, mode, NULL) == 0 && chmod(path, mode) == 0;
  free(parent);
  free(path);
  return ok;
}

static inline bool fx_write_str(const char *dir, const char *rel, const char *text, mode_t mode) {
  return fx_write(dir, rel, text, strlen(text), mode);
}

/* Contents of dir/rel into b; false when unreadable. */
static inline bool fx_read(const char *dir, const char *rel, krait_buf *b) {
  char *path = dir ? krait_path_join(dir, rel) : krait_strdup(rel);
  bool ok = krait_read_file(path, b, NULL) == 0;
  free(path);
  return ok;
}

/* A record from <pkg_dir>/info/index.json. */
static inline bool fx_record(const char *pkg_dir, const char *fn, krait_record *r) {
  char *p = krait_path_join(pkg_dir, "info/index.json");
  krait_json *root = krait_json_parse_file(p, NULL);
  free(p);
  krait_record_init(r);
  bool ok = root && krait_record_from_json(r, root, fn, NULL) == 0;
  krait_json_free(root);
  return ok;
}

static inline bool fx_exists(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  bool e = krait_path_exists(p);
  free(p);
  return e;
}

static inline ino_t fx_ino(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  struct stat st;
  ino_t r = lstat(p, &st) == 0 ? st.st_ino : 0;
  free(p);
  return r;
}

#endif
