/* Test helpers shared by test_extract.c and test_cache.c: build package
 * archives (also hostile ones) with libarchive's writers, and describe an
 * extracted tree as a sorted manifest to compare with bsdtar's/cph's. */
#ifndef KRAIT_TEST_ARCHIVE_FIXTURES_H
#define KRAIT_TEST_ARCHIVE_FIXTURES_H

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/fs.h"

/* One archive member. type: 'f' file, 'd' dir, 'l' symlink, 'h' hard link,
 * 'c' char device, 'p' FIFO. `data` is the content (f), the target (l, h). */
typedef struct ax_entry {
  const char *path;
  char type;
  const char *data;
  int mode;       /* 0 = 0644 (files) / 0755 (dirs) */
  long long size; /* f: > 0 = that many zero bytes instead of data */
} ax_entry;

static inline char *ax_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  char *t = krait_asprintf("%s/krait-%s-XXXXXX", base && *base ? base : "/tmp", tag);
  if (!mkdtemp(t)) {
    perror(t);
    exit(1);
  }
  return t;
}

static inline void ax_write_file(const char *path, const char *data, int mode) {
  char *dir = krait_path_dirname(path);
  krait_mkdir_p(dir, 0755, NULL);
  free(dir);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(data, f);
  fclose(f);
  chmod(path, (mode_t)mode);
}

static inline int ax_run(const char *cmd) {
  int r = system(cmd);
  return r == -1 ? -1 : WEXITSTATUS(r);
}

static inline bool ax_have(const char *tool) {
  char *cmd = krait_asprintf("command -v %s >/dev/null 2>&1", tool);
  bool ok = ax_run(cmd) == 0;
  free(cmd);
  return ok;
}

static inline void ax_add_entries(struct archive *a, const ax_entry *es, size_t n) {
  /* libarchive needs a UTF-8 locale to write non-ASCII names; the code under
   * test runs in the "C" locale, like a library inside an unconfigured program */
  setlocale(LC_CTYPE, "C.UTF-8");
  for (size_t i = 0; i < n; i++) {
    const ax_entry *e = &es[i];
    struct archive_entry *ae = archive_entry_new();
    archive_entry_update_pathname_utf8(ae, e->path);
    archive_entry_set_mtime(ae, 1234567890, 0);
    size_t len = 0;
    switch (e->type) {
    case 'd':
      archive_entry_set_filetype(ae, AE_IFDIR);
      archive_entry_set_perm(ae, (mode_t)(e->mode ? e->mode : 0755));
      break;
    case 'l':
      archive_entry_set_filetype(ae, AE_IFLNK);
      archive_entry_set_perm(ae, 0777);
      archive_entry_set_symlink(ae, e->data);
      break;
    case 'h':
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, 0644);
      archive_entry_set_hardlink(ae, e->data);
      break;
    case 'c':
      archive_entry_set_filetype(ae, AE_IFCHR);
      archive_entry_set_perm(ae, 0644);
      archive_entry_set_rdev(ae, makedev(1, 3));
      break;
    case 'p':
      archive_entry_set_filetype(ae, AE_IFIFO);
      archive_entry_set_perm(ae, 0644);
      break;
    default:
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, (mode_t)(e->mode ? e->mode : 0644));
      len = e->size > 0 ? (size_t)e->size : strlen(e->data ? e->data : "");
      archive_entry_set_size(ae, (la_int64_t)len);
    }
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
      fprintf(stderr, "fixture %s: %s\n", e->path, archive_error_string(a));
      exit(1);
    }
    if (e->type == 'f' && e->size > 0) {
      static const char zeros[65536];
      for (size_t done = 0; done < len;) {
        size_t chunk = len - done < sizeof zeros ? len - done : sizeof zeros;
        archive_write_data(a, zeros, chunk);
        done += chunk;
      }
    } else if (len) {
      archive_write_data(a, e->data, len);
    }
    archive_entry_free(ae);
  }
  setlocale(LC_CTYPE, "C");
}

/* A .tar.bz2 at path holding es. */
static inline void ax_make_tarbz2(const char *path, const ax_entry *es, size_t n) {
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_bzip2(a);
  if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
    fprintf(stderr, "%s: %s\n", path, archive_error_string(a));
    exit(1);
  }
  ax_add_entries(a, es, n);
  archive_write_close(a);
  archive_write_free(a);
}

/* A .tar.zst in memory (caller frees *out). */
static inline void ax_make_tarzst(const ax_entry *es, size_t n, char **out, size_t *out_len) {
  size_t cap = 64 << 20;
  char *buf = krait_malloc(cap);
  size_t used = 0;
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open_memory(a, buf, cap, &used);
  ax_add_entries(a, es, n);
  archive_write_close(a);
  archive_write_free(a);
  *out = buf;
  *out_len = used;
}

static inline void ax_zip_add(struct archive *z, const char *name, const char *data, size_t len) {
  struct archive_entry *ae = archive_entry_new();
  archive_entry_set_pathname(ae, name);
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0644);
  archive_entry_set_size(ae, (la_int64_t)len);
  archive_write_header(z, ae);
  archive_write_data(z, data, len);
  archive_entry_free(ae);
}

/* A .conda at path: stored zip with metadata.json, info-<dist>.tar.zst and
 * (unless pkg == NULL) pkg-<dist>.tar.zst; members under `subdir/` if given. */
static inline void ax_make_conda(const char *path, const char *dist, const char *subdir, const ax_entry *info,
                                 size_t n_info, const ax_entry *pkg, size_t n_pkg) {
  struct archive *z = archive_write_new();
  archive_write_set_format_zip(z);
  archive_write_set_option(z, "zip", "compression", "store");
  if (archive_write_open_filename(z, path) != ARCHIVE_OK) {
    fprintf(stderr, "%s: %s\n", path, archive_error_string(z));
    exit(1);
  }
  const char *pre = subdir ? subdir : "";
  const char *sep = subdir ? "/" : "";
  char *name = krait_asprintf("%s%smetadata.json", pre, sep);
  const char *meta = "{\"conda_pkg_format_version\": 2}";
  ax_zip_add(z, name, meta, strlen(meta));
  free(name);
  char *buf;
  size_t len;
  if (pkg) {
    ax_make_tarzst(pkg, n_pkg, &buf, &len);
    name = krait_asprintf("%s%spkg-%s.tar.zst", pre, sep, dist);
    ax_zip_add(z, name, buf, len);
    free(name);
    free(buf);
  }
  ax_make_tarzst(info, n_info, &buf, &len);
  name = krait_asprintf("%s%sinfo-%s.tar.zst", pre, sep, dist);
  ax_zip_add(z, name, buf, len);
  free(name);
  free(buf);
  archive_write_close(z);
  archive_write_free(z);
}

/* ---- tree manifests ---- */

static inline void ax_manifest_walk(const char *root, const char *rel, krait_strv *out) {
  char *dirpath = rel[0] ? krait_path_join(root, rel) : krait_strdup(root);
  DIR *d = opendir(dirpath);
  if (!d) {
    free(dirpath);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char *r = rel[0] ? krait_asprintf("%s/%s", rel, de->d_name) : krait_strdup(de->d_name);
    char *full = krait_path_join(root, r);
    struct stat sb;
    if (lstat(full, &sb) == 0) {
      if (S_ISDIR(sb.st_mode)) {
        krait_strv_push_owned(out, krait_asprintf("%s d", r));
        ax_manifest_walk(root, r, out);
      } else if (S_ISLNK(sb.st_mode)) {
        char t[4096];
        ssize_t n = readlink(full, t, sizeof t - 1);
        t[n > 0 ? n : 0] = 0;
        krait_strv_push_owned(out, krait_asprintf("%s l -> %s", r, t));
      } else {
        char hex[65] = "";
        krait_file_digest(full, "sha256", hex, sizeof hex, NULL);
        krait_strv_push_owned(out, krait_asprintf("%s f %o %lld %s", r, (unsigned)(sb.st_mode & 0777),
                                                  (long long)sb.st_size, hex));
      }
    }
    free(full);
    free(r);
  }
  closedir(d);
  free(dirpath);
}

/* Sorted lines "path d" / "path l -> target" / "path f mode size sha256". */
static inline void ax_manifest(const char *root, krait_strv *out) {
  ax_manifest_walk(root, "", out);
  krait_strv_sort(out);
}

/* Index of the first differing line, or -1 when equal. */
static inline long ax_manifest_diff(const krait_strv *a, const krait_strv *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  for (size_t i = 0; i < n; i++)
    if (strcmp(a->items[i], b->items[i]) != 0)
      return (long)i;
  return a->len == b->len ? -1 : (long)n;
}

/* Number of entries of dir whose name contains `needle`. */
static inline int ax_count_named(const char *dir, const char *needle) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strstr(de->d_name, needle))
      n++;
  closedir(d);
  return n;
}

#endif
