/* `krait pack`: walks an environment once, in name order, and streams every
 * entry into the format's writer. Files conda-meta says hold the prefix are
 * read whole and rewritten for the destination; every other file is copied
 * in 64 KiB pieces, so memory stays bounded by the largest rewritten file
 * plus one name per hard-linked inode. Output goes to a temporary file in the
 * output's directory, renamed over the output only when complete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "krait/fs.h"
#include "krait/pack.h"
#include "pack_int.h"

bool krait_pack_format_parse(const char *s, krait_pack_format *out) {
  if (strcmp(s, "tar.zst") == 0 || strcmp(s, "tzst") == 0)
    *out = KRAIT_PACK_TAR_ZST;
  else if (strcmp(s, "tar.gz") == 0 || strcmp(s, "tgz") == 0)
    *out = KRAIT_PACK_TAR_GZ;
  else if (strcmp(s, "squashfs") == 0 || strcmp(s, "sqsh") == 0 || strcmp(s, "sqfs") == 0)
    *out = KRAIT_PACK_SQUASHFS;
  else
    return false;
  return true;
}

/* (device, inode) -> the first name written, for files with several names. */
typedef struct inode_slot {
  dev_t dev;
  ino_t ino;
  char *rel; /* NULL = empty slot */
} inode_slot;

typedef struct inode_map {
  inode_slot *slots;
  size_t cap, len;
} inode_map;

static size_t inode_hash(dev_t d, ino_t i) { return (size_t)((uint64_t)i * 0x9E3779B97F4A7C15ull ^ (uint64_t)d); }

static inode_slot *inode_lookup(inode_map *m, dev_t d, ino_t i) {
  size_t k = inode_hash(d, i) & (m->cap - 1);
  while (m->slots[k].rel && !(m->slots[k].dev == d && m->slots[k].ino == i))
    k = (k + 1) & (m->cap - 1);
  return &m->slots[k];
}

/* The first name of (d, i), or NULL after remembering rel as it. */
static const char *inode_first_name(inode_map *m, dev_t d, ino_t i, const char *rel) {
  if (2 * (m->len + 1) > m->cap) {
    inode_map grown = {krait_calloc(m->cap ? m->cap * 2 : 1024, sizeof(inode_slot)), m->cap ? m->cap * 2 : 1024, 0};
    for (size_t k = 0; k < m->cap; k++)
      if (m->slots[k].rel) {
        *inode_lookup(&grown, m->slots[k].dev, m->slots[k].ino) = m->slots[k];
        grown.len++;
      }
    free(m->slots);
    *m = grown;
  }
  inode_slot *s = inode_lookup(m, d, i);
  if (s->rel)
    return s->rel;
  s->dev = d;
  s->ino = i;
  s->rel = krait_strdup(rel);
  m->len++;
  return NULL;
}

static void inode_map_free(inode_map *m) {
  for (size_t k = 0; k < m->cap; k++)
    free(m->slots[k].rel);
  free(m->slots);
}

typedef struct walker {
  const krait_pack_opts *o;
  const char *root;     /* the env as its files name it */
  const char *dest;     /* the prefix the pack is for */
  const char *skip_abs; /* the temporary output, when inside the env */
  krait_reloc reloc;
  pack_sink *sink;
  inode_map inodes;
  krait_pack_stats *stats;
} walker;

static bool excluded(const walker *w, const char *rel, const char *name) {
  if (!w->o->excludes)
    return false;
  for (size_t i = 0; i < w->o->excludes->len; i++) {
    const char *g = w->o->excludes->items[i];
    if (fnmatch(g, rel, 0) == 0 || fnmatch(g, name, 0) == 0)
      return true;
  }
  return false;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static krait_code pack_regular(walker *w, const char *abs, const char *rel, const struct stat *st, krait_err *err) {
  const krait_reloc_entry *re = krait_reloc_find(&w->reloc, rel);
  if (re && strcmp(w->root, w->dest) != 0) {
    krait_buf data = KRAIT_BUF_INIT;
    krait_code rc = krait_read_file(abs, &data, err);
    if (rc == KRAIT_OK)
      rc = krait_reloc_apply(re, w->root, w->dest, &data, err);
    if (rc == KRAIT_OK)
      rc = w->sink->file(w->sink, rel, st, -1, &data, err);
    krait_buf_free(&data);
    w->stats->rewritten += rc == KRAIT_OK;
    w->stats->files += rc == KRAIT_OK;
    w->stats->bytes += (unsigned long long)st->st_size;
    return rc;
  }
  if (st->st_nlink > 1) {
    const char *first = inode_first_name(&w->inodes, st->st_dev, st->st_ino, rel);
    if (first) {
      w->stats->hardlinks++;
      return w->sink->hardlink(w->sink, rel, first, st, err);
    }
  }
  int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", abs);
  krait_code rc = w->sink->file(w->sink, rel, st, fd, NULL, err);
  close(fd);
  w->stats->files++;
  w->stats->bytes += (unsigned long long)st->st_size;
  return rc;
}

static krait_code walk(walker *w, const char *abs_dir, const char *rel_dir, krait_err *err) {
  DIR *d = opendir(abs_dir);
  if (!d)
    return krait_err_errno(err, KRAIT_E_IO, "cannot read directory %s", abs_dir);
  krait_strv names = {0};
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      krait_strv_push(&names, de->d_name);
  closedir(d);
  if (names.len)
    qsort(names.items, names.len, sizeof *names.items, name_cmp);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < names.len && rc == KRAIT_OK; i++) {
    char *abs = krait_path_join(abs_dir, names.items[i]);
    char *rel = *rel_dir ? krait_asprintf("%s/%s", rel_dir, names.items[i]) : krait_strdup(names.items[i]);
    struct stat st;
    if ((w->skip_abs && strcmp(abs, w->skip_abs) == 0) || strcmp(rel, KRAIT_PACK_MARKER) == 0) {
      /* our own output, or the marker of an earlier unpack */
    } else if (excluded(w, rel, names.items[i])) {
      w->stats->excluded++;
    } else if (lstat(abs, &st) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot stat %s", abs);
    } else if (S_ISDIR(st.st_mode)) {
      rc = w->sink->dir(w->sink, rel, &st, err);
      w->stats->dirs++;
      if (rc == KRAIT_OK)
        rc = walk(w, abs, rel, err);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(abs, target, sizeof target - 1);
      if (n < 0) {
        rc = krait_err_errno(err, KRAIT_E_IO, "cannot read symlink %s", abs);
      } else {
        target[n] = '\0';
        rc = w->sink->symlink(w->sink, rel, target, &st, err);
        w->stats->symlinks++;
      }
    } else if (S_ISREG(st.st_mode)) {
      rc = pack_regular(w, abs, rel, &st, err);
    }
    /* sockets, fifos and devices have no place in an environment: left out */
    free(abs);
    free(rel);
  }
  krait_strv_free(&names);
  return rc;
}

static char *strip_slashes(const char *p) {
  char *s = krait_strdup(p);
  size_t n = strlen(s);
  while (n > 1 && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

static krait_code pip_refusal(const krait_reloc *r, krait_err *err) {
  krait_buf names = KRAIT_BUF_INIT;
  for (size_t i = 0; i < r->pip.len; i++)
    krait_buf_printf(&names, "%s%s", i ? ", " : "", r->pip.items[i]);
  krait_err_set(err, KRAIT_E_INVALID,
                "the environment has packages installed by pip that krait cannot relocate: %s "
                "(--ignore-pip packs their files unchanged)",
                krait_buf_str(&names));
  krait_buf_free(&names);
  return KRAIT_E_INVALID;
}

krait_code krait_pack(const krait_pack_opts *o, krait_pack_stats *stats, krait_err *err) {
  krait_pack_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  char *abs_root = krait_path_absolute(o->prefix);
  char *root = strip_slashes(abs_root);
  free(abs_root);
  char *dest = strip_slashes(o->dest_prefix ? o->dest_prefix : root);
  char *out_abs = krait_path_absolute(o->output);
  char *tmp = NULL;
  walker w = {.o = o, .root = root, .dest = dest, .stats = stats};
  krait_code rc = KRAIT_OK;
  int fd = -1;
  if (!krait_is_dir(root)) {
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "environment %s does not exist", root);
    goto out;
  }
  if (dest[0] != '/') {
    rc = krait_err_set(err, KRAIT_E_INVALID, "--dest-prefix must be an absolute path, not \"%s\"", dest);
    goto out;
  }
  if ((rc = krait_reloc_load(root, &w.reloc, err)) != KRAIT_OK)
    goto out;
  if (w.reloc.pip.len && !o->ignore_pip) {
    rc = pip_refusal(&w.reloc, err);
    goto out;
  }
  if ((rc = krait_reloc_check(&w.reloc, dest, err)) != KRAIT_OK)
    goto out;
  if (krait_is_dir(out_abs)) {
    rc = krait_err_set(err, KRAIT_E_INVALID, "output %s is a directory", out_abs);
    goto out;
  }
  tmp = krait_asprintf("%s.krait-part-%ld", out_abs, (long)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot write %s", out_abs);
    free(tmp);
    tmp = NULL;
    goto out;
  }
  w.skip_abs = tmp;
  w.sink = o->format == KRAIT_PACK_SQUASHFS ? krait_pack_sqfs_sink(tmp, out_abs, err)
                                            : krait_pack_tar_sink(fd, out_abs, o->format, err);
  if (!w.sink) {
    rc = err ? err->code : KRAIT_E_IO;
    goto out;
  }
  rc = walk(&w, root, "", err);
  if (rc == KRAIT_OK) {
    /* tells krait unpack which prefix the files now hold */
    krait_buf marker = KRAIT_BUF_INIT;
    krait_buf_printf(&marker, "%s\n", dest);
    struct stat st = {.st_mode = S_IFREG | 0644, .st_mtime = time(NULL), .st_nlink = 1};
    st.st_size = (off_t)marker.len;
    rc = w.sink->file(w.sink, KRAIT_PACK_MARKER, &st, -1, &marker, err);
    krait_buf_free(&marker);
  }
  if (rc == KRAIT_OK)
    rc = w.sink->finish(w.sink, err);
  if (rc == KRAIT_OK && fsync(fd) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot write %s", out_abs);
  if (rc == KRAIT_OK) {
    int closed = close(fd);
    fd = -1;
    if (closed != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot write %s", out_abs);
  }
  if (rc == KRAIT_OK && rename(tmp, out_abs) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot rename %s to %s", tmp, out_abs);
out:
  if (w.sink)
    w.sink->destroy(w.sink);
  if (fd >= 0)
    close(fd);
  if (tmp && rc != KRAIT_OK)
    unlink(tmp);
  free(tmp);
  inode_map_free(&w.inodes);
  krait_reloc_free(&w.reloc);
  free(root);
  free(dest);
  free(out_abs);
  return rc;
}
