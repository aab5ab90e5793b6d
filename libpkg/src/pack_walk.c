/* The one walk of a tree behind `krait pack` and `krait package create`
 * (see pack_int.h): names in order, hard links found by (device, inode),
 * prefix rewriting for the files the environment's records list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/fs.h"
#include "pack_int.h"

krait_code krait_pack_sink_put(pack_sink *s, const char *rel, const struct stat *st, const void *data, size_t len,
                               krait_err *err) {
  krait_code rc = s->file_begin(s, rel, st, len, err);
  if (rc == KRAIT_OK && len)
    rc = s->file_data(s, data, len, err);
  return rc == KRAIT_OK ? s->file_end(s, err) : rc;
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

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Streams st->st_size bytes of fd into the sink. */
static krait_code stream_fd(pack_sink *s, int fd, const char *abs, const struct stat *st, krait_err *err) {
  char buf[1 << 16];
  size_t left = (size_t)st->st_size;
  while (left) {
    ssize_t got = read(fd, buf, left < sizeof buf ? left : sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return krait_err_set(err, KRAIT_E_IO, "cannot read %s while packing: %s", abs,
                           got < 0 ? strerror(errno) : "the file shrank");
    krait_code rc = s->file_data(s, buf, (size_t)got, err);
    if (rc != KRAIT_OK)
      return rc;
    left -= (size_t)got;
  }
  return KRAIT_OK;
}

typedef struct walk_state {
  pack_walk *w;
  inode_map inodes;
} walk_state;

static krait_code walk_regular(walk_state *ws, const char *abs, const char *rel, const struct stat *st,
                               krait_err *err) {
  pack_walk *w = ws->w;
  const krait_reloc_entry *re = w->reloc ? krait_reloc_find(w->reloc, rel) : NULL;
  krait_code rc;
  if (re && strcmp(w->root, w->reloc_to) != 0) {
    krait_buf data = KRAIT_BUF_INIT;
    rc = krait_read_file(abs, &data, err);
    if (rc == KRAIT_OK)
      rc = krait_reloc_apply(re, w->root, w->reloc_to, &data, err);
    if (rc == KRAIT_OK)
      rc = krait_pack_sink_put(w->sink, rel, st, data.data, data.len, err);
    krait_buf_free(&data);
    w->stats->rewritten += rc == KRAIT_OK;
  } else {
    if (w->hardlinks && st->st_nlink > 1) {
      const char *first = inode_first_name(&ws->inodes, st->st_dev, st->st_ino, rel);
      if (first) {
        w->stats->hardlinks++;
        return w->sink->hardlink(w->sink, rel, first, st, err);
      }
    }
    int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", abs);
    rc = w->sink->file_begin(w->sink, rel, st, (size_t)st->st_size, err);
    if (rc == KRAIT_OK)
      rc = stream_fd(w->sink, fd, abs, st, err);
    if (rc == KRAIT_OK)
      rc = w->sink->file_end(w->sink, err);
    close(fd);
  }
  w->stats->files += rc == KRAIT_OK;
  w->stats->bytes += (unsigned long long)st->st_size;
  return rc;
}

static krait_code walk_dir(walk_state *ws, const char *abs_dir, const char *rel_dir, krait_err *err) {
  pack_walk *w = ws->w;
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
    if (w->skip && w->skip(w, abs, rel, names.items[i])) {
      /* left out */
    } else if (lstat(abs, &st) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot stat %s", abs);
    } else if (S_ISDIR(st.st_mode)) {
      rc = w->sink->dir(w->sink, rel, &st, err);
      w->stats->dirs++;
      if (rc == KRAIT_OK)
        rc = walk_dir(ws, abs, rel, err);
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
      rc = walk_regular(ws, abs, rel, &st, err);
    }
    /* sockets, fifos and devices have no place in an environment or package */
    free(abs);
    free(rel);
  }
  krait_strv_free(&names);
  return rc;
}

krait_code krait_pack_walk(pack_walk *w, krait_err *err) {
  walk_state ws = {.w = w};
  char *abs = *w->start ? krait_path_join(w->root, w->start) : krait_strdup(w->root);
  krait_code rc = walk_dir(&ws, abs, w->start, err);
  free(abs);
  inode_map_free(&ws.inodes);
  return rc;
}
