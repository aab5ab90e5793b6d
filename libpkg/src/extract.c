/* Streaming, atomic and hostile-input-safe extraction of conda archives.
 * See krait/extract.h for the contract. */
/* _GNU_SOURCE (syncfs, mkdtemp) comes from the build flags */
#include "krait/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/extract_budget.h"
#include "krait/fs.h"
#include "extract_int.h"
#include "pool_int.h"

#define READ_BLOCK (256 * 1024)
#define MAX_LINK_HOPS 40

krait_archive_kind krait_archive_kind_of(const char *path) {
  size_t n = path ? strlen(path) : 0;
  if (n > 6 && strcmp(path + n - 6, ".conda") == 0)
    return KRAIT_ARCHIVE_CONDA;
  if (n > 8 && strcmp(path + n - 8, ".tar.bz2") == 0)
    return KRAIT_ARCHIVE_TAR_BZ2;
  return KRAIT_ARCHIVE_UNKNOWN;
}

/* A set of the symlink paths created so far (open addressing, no removal
 * but a "gone" mark). Every object in the partial tree comes from the archive,
 * so this set knows every symlink there: checking entry paths against it
 * replaces libarchive's SECURE_SYMLINKS, which costs an openat() per path
 * component of every entry. */
typedef struct linkset {
  char **slots; /* owned strings; NULL = empty */
  bool *gone;
  size_t cap, used;
} linkset;

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static size_t linkset_find(const linkset *ls, const char *s, size_t n) {
  if (!ls->cap)
    return SIZE_MAX;
  for (size_t i = hash_bytes(s, n) & (ls->cap - 1);; i = (i + 1) & (ls->cap - 1)) {
    if (!ls->slots[i])
      return SIZE_MAX;
    if (!ls->gone[i] && strlen(ls->slots[i]) == n && memcmp(ls->slots[i], s, n) == 0)
      return i;
  }
}

static void linkset_add(linkset *ls, const char *s) {
  if ((ls->used + 1) * 2 > ls->cap) {
    linkset bigger = {NULL, NULL, ls->cap ? ls->cap * 2 : 64, 0};
    bigger.slots = krait_calloc(bigger.cap, sizeof *bigger.slots);
    bigger.gone = krait_calloc(bigger.cap, sizeof *bigger.gone);
    for (size_t i = 0; i < ls->cap; i++) {
      if (ls->slots[i] && !ls->gone[i])
        linkset_add(&bigger, ls->slots[i]);
      free(ls->slots[i]);
    }
    free(ls->slots);
    free(ls->gone);
    *ls = bigger;
  }
  size_t n = strlen(s);
  size_t i = hash_bytes(s, n) & (ls->cap - 1);
  while (ls->slots[i])
    i = (i + 1) & (ls->cap - 1);
  ls->slots[i] = krait_strdup(s);
  ls->used++;
}

static void linkset_free(linkset *ls) {
  for (size_t i = 0; i < ls->cap; i++)
    free(ls->slots[i]);
  free(ls->slots);
  free(ls->gone);
  memset(ls, 0, sizeof *ls);
}

/* The first proper prefix of rel ("a" of "a/b/c") that is a symlink, or 0. */
static size_t symlink_prefix_len(const linkset *ls, const char *rel) {
  if (!ls->used)
    return 0;
  for (const char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/'))
    if (linkset_find(ls, rel, (size_t)(p - rel)) != SIZE_MAX)
      return (size_t)(p - rel);
  return 0;
}

/* State of one archive's extraction. */
typedef struct xstate {
  const krait_ctx *ctx;
  const char *pkg;    /* archive base name, for messages */
  const char *member; /* inner tarball of a .conda, for messages, or NULL */
  const char *root;   /* the partial directory entries go into */
  struct archive *disk;
  uint64_t bytes, entries, max_bytes, max_entries;
  uint64_t bomb_bytes;  /* payload beyond which the ratio limit applies (0 = no ratio limit) */
  krait_strv symlinks; /* relative paths of the symlinks created, re-checked at the end */
  linkset links;       /* the same paths, for "does this entry go through a symlink?" */
  bool verify;         /* hash files for the paths.json check */
  xdigests digests;    /* sha256 and size of every file written */
} xstate;

/* "pkg.conda: pkg-x.tar.zst: " or "pkg.tar.bz2: " */
static const char *where_sep(const xstate *st) { return st->member ? ": " : ""; }
static const char *where_member(const xstate *st) { return st->member ? st->member : ""; }

/* libarchive reports a full disk as "Write failed": say so, and where. */
static const char *disk_error(xstate *st) {
  static _Thread_local char msg[1024];
  int e = archive_errno(st->disk);
  const char *note = krait_errno_note(e);
  if (*note)
    snprintf(msg, sizeof msg, "%s: %s%s while writing into %s", archive_error_string(st->disk), strerror(e), note,
             st->root);
  else
    snprintf(msg, sizeof msg, "%s", archive_error_string(st->disk) ? archive_error_string(st->disk) : "write error");
  return msg;
}

#define XFAIL(st, err, code, fmt, ...)                                                               \
  krait_err_set((err), (code), "%s%s%s: " fmt, (st)->pkg, where_sep(st), where_member(st), __VA_ARGS__)

/* Normalises an archive path into `out` (relative, no "." components, no
 * duplicate slashes). Returns false when the path is unsafe (absolute or with
 * a ".." component). An empty result means "the root itself". */
static bool clean_relpath(const char *raw, krait_buf *out) {
  krait_buf_clear(out);
  if (raw[0] == '/')
    return false;
  const char *p = raw;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return false;
    if (len > 0 && !(len == 1 && p[0] == '.')) {
      if (out->len)
        krait_buf_putc(out, '/');
      krait_buf_append(out, p, len);
    }
    p += len;
    if (*p == '/')
      p++;
  }
  return true;
}

/* Lexical check that `target` of a symlink at relative path `link` stays
 * inside the root (the filesystem-aware check runs after extraction). */
static bool symlink_target_inside(const char *link, const char *target) {
  if (target[0] == '/')
    return false;
  long depth = 0;
  for (const char *s = link; *s; s++)
    if (*s == '/')
      depth++;
  const char *p = target;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0)
        return false;
    } else if (len > 0 && !(len == 1 && p[0] == '.')) {
      depth++;
    }
    p += len;
    if (*p == '/')
      p++;
  }
  return true;
}

/* Resolves the symlink at root/rel the way the kernel would, following the
 * symlinks it meets inside the extracted tree, and reports whether every
 * step stays inside root. Components that do not exist are taken lexically
 * (a dangling link inside the package is fine). */
static bool symlink_resolves_inside(const char *root, const char *rel) {
  krait_strv stack = KRAIT_STRV_INIT; /* current directory, as components below root */
  krait_buf rest = KRAIT_BUF_INIT;    /* what is left to walk */
  krait_buf path = KRAIT_BUF_INIT;
  bool inside = true;
  int hops = 0;
  char target[PATH_MAX];

  const char *last = strrchr(rel, '/');
  if (last) {
    char *dir = krait_strndup(rel, (size_t)(last - rel));
    krait_buf_puts(&rest, dir);
    krait_buf_putc(&rest, '/');
    free(dir);
  }
  {
    char *full = krait_path_join(root, rel);
    ssize_t len = readlink(full, target, sizeof target - 1);
    free(full);
    if (len < 0) {
      inside = true; /* not a symlink any more (replaced by a later entry) */
      goto done;
    }
    target[len] = 0;
  }
  if (target[0] == '/') {
    inside = false;
    goto done;
  }
  krait_buf_puts(&rest, target);

  while (rest.len) {
    /* pop the first component of rest */
    const char *s = rest.data;
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    char *comp = krait_strndup(s, len);
    size_t consumed = slash ? len + 1 : len;
    memmove(rest.data, rest.data + consumed, rest.len - consumed + 1);
    rest.len -= consumed;

    if (len == 0 || strcmp(comp, ".") == 0) {
      free(comp);
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      free(comp);
      if (stack.len == 0) {
        inside = false;
        goto done;
      }
      free(stack.items[--stack.len]);
      continue;
    }
    krait_strv_push_owned(&stack, comp);
    krait_buf_clear(&path);
    krait_buf_puts(&path, root);
    for (size_t i = 0; i < stack.len; i++) {
      krait_buf_putc(&path, '/');
      krait_buf_puts(&path, stack.items[i]);
    }
    ssize_t tl = readlink(path.data, target, sizeof target - 1);
    if (tl < 0)
      continue; /* a real directory/file, or missing: lexical from here */
    target[tl] = 0;
    if (target[0] == '/' || ++hops > MAX_LINK_HOPS) {
      inside = false;
      goto done;
    }
    free(stack.items[--stack.len]);
    /* rest = target + "/" + rest */
    krait_buf merged = KRAIT_BUF_INIT;
    krait_buf_puts(&merged, target);
    if (rest.len) {
      krait_buf_putc(&merged, '/');
      krait_buf_append(&merged, rest.data, rest.len);
    }
    krait_buf_free(&rest);
    rest = merged;
  }
done:
  krait_strv_free(&stack);
  krait_buf_free(&rest);
  krait_buf_free(&path);
  return inside;
}

/* True when root/rel exists as a regular file reached through real
 * directories only (no symlink anywhere on the way). */
static bool regular_file_without_symlinks(const char *root, const char *rel) {
  krait_buf path = KRAIT_BUF_INIT;
  krait_buf_puts(&path, root);
  const char *p = rel;
  bool ok = true;
  struct stat sb;
  while (*p && ok) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    krait_buf_putc(&path, '/');
    krait_buf_append(&path, p, len);
    if (lstat(path.data, &sb) != 0)
      ok = false;
    else if (slash ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
      ok = false;
    p += len;
    if (*p == '/')
      p++;
  }
  krait_buf_free(&path);
  return ok;
}

static const char *entry_path(struct archive_entry *e) {
  const char *p = archive_entry_pathname(e);
  return p ? p : archive_entry_pathname_utf8(e);
}

static const char *entry_symlink(struct archive_entry *e) {
  const char *p = archive_entry_symlink(e);
  return p ? p : archive_entry_symlink_utf8(e);
}

static const char *entry_hardlink(struct archive_entry *e) {
  const char *p = archive_entry_hardlink(e);
  return p ? p : archive_entry_hardlink_utf8(e);
}

static krait_code copy_data(xstate *st, struct archive *in, const char *rel, krait_err *err) {
  for (;;) {
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r = archive_read_data_block(in, &buf, &size, &offset);
    if (r == ARCHIVE_EOF)
      return KRAIT_OK;
    if (r < ARCHIVE_WARN)
      return XFAIL(st, err, KRAIT_E_PARSE, "entry '%s': %s", rel, archive_error_string(in));
    st->bytes += size;
    if (st->bytes > st->max_bytes || (uint64_t)offset + size > st->max_bytes)
      return XFAIL(st, err, KRAIT_E_UNSAFE,
                   "entry '%s': expands beyond the %llu-byte limit (decompression bomb?)", rel,
                   (unsigned long long)st->max_bytes);
    /* sparse holes count too: they become real bytes for whoever copies them */
    uint64_t expanded = st->bytes > (uint64_t)offset + size ? st->bytes : (uint64_t)offset + size;
    if (st->bomb_bytes && expanded > st->bomb_bytes)
      return XFAIL(st, err, KRAIT_E_UNSAFE,
                   "entry '%s': the archive expands to more than %llu bytes, over %u times its own size "
                   "(decompression bomb?)",
                   rel, (unsigned long long)st->bomb_bytes, (unsigned)KRAIT_EXTRACT_DEFAULT_MAX_RATIO);
    if (archive_write_data_block(st->disk, buf, size, offset) < ARCHIVE_OK)
      return XFAIL(st, err, KRAIT_E_IO, "entry '%s': %s", rel, disk_error(st));
    if (st->verify)
      xdigests_update(&st->digests, buf, size, (uint64_t)offset);
  }
}

/* Writes every entry of an open tar stream into st->root. */
static krait_code write_entries(xstate *st, struct archive *in, krait_err *err) {
  krait_buf rel = KRAIT_BUF_INIT, linkrel = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  struct archive_entry *e;
  for (;;) {
    int r = archive_read_next_header(in, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN) {
      rc = XFAIL(st, err, KRAIT_E_PARSE, "corrupt archive: %s", archive_error_string(in));
      break;
    }
    const char *raw = entry_path(e);
    if (!raw) {
      rc = XFAIL(st, err, KRAIT_E_PARSE, "entry #%llu has no usable path name", (unsigned long long)st->entries);
      break;
    }
    if (++st->entries > st->max_entries) {
      rc = XFAIL(st, err, KRAIT_E_UNSAFE, "more than %llu entries (archive bomb?)",
                 (unsigned long long)st->max_entries);
      break;
    }
    if (!clean_relpath(raw, &rel)) {
      rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s': path escapes the target directory", raw);
      break;
    }
    if (rel.len == 0)
      continue; /* "./" itself */
    size_t through = symlink_prefix_len(&st->links, rel.data);
    if (through) {
      rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s' would be written through the symlink '%.*s'", rel.data,
                 (int)through, rel.data);
      break;
    }
    size_t same = linkset_find(&st->links, rel.data, rel.len);
    if (same != SIZE_MAX) {
      /* a later entry replaces a symlink: remove the link first so nothing
       * (mkdir, chmod, utimes) is applied through it */
      char *old = krait_path_join(st->root, rel.data);
      unlink(old);
      free(old);
      st->links.gone[same] = true;
    }
    const char *hard = entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    char *full = krait_path_join(st->root, rel.data);
    char *hardfull = NULL;
    if (hard) {
      if (!clean_relpath(hard, &linkrel) || linkrel.len == 0) {
        rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s': hard link to '%s' escapes the target directory", rel.data,
                   hard);
      } else if (!regular_file_without_symlinks(st->root, linkrel.data)) {
        rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s': hard link to '%s', which is not a file extracted before it",
                   rel.data, hard);
      } else {
        hardfull = krait_path_join(st->root, linkrel.data);
        archive_entry_copy_hardlink(e, hardfull);
      }
    } else if (type == AE_IFLNK) {
      const char *target = entry_symlink(e);
      if (!target || !*target) {
        /* No filesystem can hold a symlink with an empty target (the .conda
         * of Anaconda's zlib-1.2.11-h7b6447c_3 has two). Dropping the entry
         * would leave the package without a path its paths.json lists; conda
         * (conda-package-handling) refuses such an archive too. */
        rc = XFAIL(st, err, KRAIT_E_PARSE,
                   "entry '%s' is a symlink with an empty target, which no filesystem can hold: the archive is "
                   "broken (conda refuses it too)",
                   rel.data);
      } else if (!symlink_target_inside(rel.data, target))
        rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s': symlink to '%s' points outside the target directory",
                   rel.data, target);
      else {
        krait_strv_push(&st->symlinks, rel.data);
        linkset_add(&st->links, rel.data);
      }
    } else if (type != AE_IFREG && type != AE_IFDIR) {
      const char *what = type == AE_IFCHR || type == AE_IFBLK ? "a device file"
                         : type == AE_IFIFO                    ? "a FIFO"
                         : type == AE_IFSOCK                   ? "a socket"
                                                               : "of an unknown type";
      rc = XFAIL(st, err, KRAIT_E_UNSAFE, "entry '%s' is %s, which a package may not contain", rel.data, what);
    }
    if (rc) {
      free(full);
      free(hardfull);
      break;
    }
    archive_entry_copy_pathname(e, full);
    /* exec bits yes, setuid/setgid/sticky no; directories stay writable for
     * us until libarchive's deferred fix-up sets their final mode. */
    archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
    r = archive_write_header(st->disk, e);
    bool hashing = st->verify && type == AE_IFREG && !hard;
    if (hashing)
      xdigests_begin(&st->digests);
    if (r < ARCHIVE_WARN) {
      rc = XFAIL(st, err, KRAIT_E_IO, "entry '%s': %s", rel.data, disk_error(st));
    } else if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 && type == AE_IFREG) {
      rc = copy_data(st, in, rel.data, err);
    }
    if (!rc && archive_write_finish_entry(st->disk) < ARCHIVE_WARN)
      rc = XFAIL(st, err, KRAIT_E_IO, "entry '%s': %s", rel.data, disk_error(st));
    if (!rc && hashing) {
      /* a trailing hole (sparse file) ends the file at its declared size */
      if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
        xdigests_update(&st->digests, "", 0, (uint64_t)archive_entry_size(e));
      xdigests_end(&st->digests, rel.data);
    }
    if (!rc && st->verify && hard)
      xdigests_alias(&st->digests, rel.data, linkrel.data);
    free(full);
    free(hardfull);
    if (rc)
      break;
  }
  krait_buf_free(&rel);
  krait_buf_free(&linkrel);
  return rc;
}

static struct archive *new_tar_reader(bool zstd_only) {
  struct archive *a = archive_read_new();
  if (!a)
    krait_oom();
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_filter_zstd(a);
  if (!zstd_only) {
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_xz(a);
  }
  archive_read_support_filter_none(a);
  return a;
}

static krait_code extract_tarball(xstate *st, const char *path, krait_err *err) {
  struct archive *in = new_tar_reader(false);
  krait_code rc;
  if (archive_read_open_filename(in, path, READ_BLOCK) != ARCHIVE_OK)
    rc = XFAIL(st, err, KRAIT_E_PARSE, "cannot read as a tarball: %s", archive_error_string(in));
  else
    rc = write_entries(st, in, err);
  archive_read_free(in);
  return rc;
}

/* The inner tarball of a .conda is read straight out of the zip stream. */
static la_ssize_t inner_read(struct archive *inner, void *user, const void **buf) {
  (void)inner;
  struct archive *outer = user;
  size_t size;
  la_int64_t offset;
  int r = archive_read_data_block(outer, buf, &size, &offset);
  if (r == ARCHIVE_EOF)
    return 0;
  if (r < ARCHIVE_WARN)
    return -1;
  return (la_ssize_t)size;
}

static bool has_prefix_suffix(const char *s, const char *prefix, const char *suffix) {
  size_t n = strlen(s), p = strlen(prefix), q = strlen(suffix);
  return n >= p + q && strncmp(s, prefix, p) == 0 && strcmp(s + n - q, suffix) == 0;
}

static krait_code extract_conda(xstate *st, const char *path, bool info_only, krait_err *err) {
  struct archive *zip = archive_read_new();
  if (!zip)
    krait_oom();
  /* The seekable reader trusts the central directory: it handles zip64 and
   * stored members written with data descriptors. */
  archive_read_support_format_zip_seekable(zip);
  krait_code rc = KRAIT_OK;
  bool saw_info = false;
  if (archive_read_open_filename(zip, path, READ_BLOCK) != ARCHIVE_OK) {
    rc = XFAIL(st, err, KRAIT_E_PARSE, "cannot read as a .conda (zip) file: %s", archive_error_string(zip));
    goto out;
  }
  struct archive_entry *e;
  for (;;) {
    int r = archive_read_next_header(zip, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN) {
      rc = XFAIL(st, err, KRAIT_E_PARSE, "corrupt .conda (zip) file: %s", archive_error_string(zip));
      goto out;
    }
    const char *name = entry_path(e);
    if (!name) { /* never skipped silently: it could be the pkg- member */
      rc = XFAIL(st, err, KRAIT_E_PARSE, "a member of the .conda (zip) file has no usable name%s", "");
      goto out;
    }
    /* tolerate members inside a directory (re-zipped packages) */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    bool is_info = has_prefix_suffix(base, "info-", ".tar.zst");
    bool is_pkg = has_prefix_suffix(base, "pkg-", ".tar.zst");
    if (!is_info && !(is_pkg && !info_only)) {
      krait_debug(st->ctx, "%s: member '%s' skipped", st->pkg, name);
      continue;
    }
    saw_info |= is_info;
    st->member = base;
    struct archive *inner = new_tar_reader(true);
    if (archive_read_open(inner, zip, NULL, inner_read, NULL) != ARCHIVE_OK)
      rc = XFAIL(st, err, KRAIT_E_PARSE, "not a zstd tarball: %s", archive_error_string(inner));
    else
      rc = write_entries(st, inner, err);
    archive_read_free(inner);
    st->member = NULL;
    if (rc)
      goto out;
  }
  if (!saw_info)
    rc = XFAIL(st, err, KRAIT_E_PARSE, "not a conda package: no info-*.tar.zst member%s", "");
out:
  archive_read_free(zip);
  return rc;
}

static krait_code fsync_dir(const char *dir, krait_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s", dir);
  int r = fsync(fd);
  int saved = errno;
  close(fd);
  /* some filesystems (and /proc-like ones) refuse fsync on directories */
  if (r != 0 && saved != EINVAL && saved != EROFS) {
    errno = saved;
    return krait_err_errno(err, KRAIT_E_IO, "fsync %s", dir);
  }
  return KRAIT_OK;
}

/* Makes the partial tree durable: one syncfs() of its filesystem instead of an
 * fsync per file (thousands of journal commits for a big package). */
static krait_code sync_tree(const char *dir, krait_err *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s", dir);
  int r = syncfs(fd);
  int saved = errno;
  close(fd);
  if (r != 0) {
    errno = saved;
    return krait_err_errno(err, KRAIT_E_IO, "syncing %s", dir);
  }
  return KRAIT_OK;
}

/* libarchive applies the archive's directory modes when the writer closes,
 * even after a failure; a 0555 directory would then stop a normal user from
 * deleting the partial tree. */
static int make_dir_writable(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)ftw;
  if (type == FTW_D && (sb->st_mode & 0700) != 0700)
    chmod(path, (sb->st_mode & 07777) | 0700);
  return 0;
}

static void remove_partial(const char *partial) {
  nftw(partial, make_dir_writable, 16, FTW_PHYS);
  krait_rm_rf(partial, NULL);
}

static bool dir_is_empty(const char *path) { return rmdir(path) == 0 || errno == ENOENT; }

/* Moves `partial` onto `dest`, swapping out an existing dest when allowed. */
static krait_code install_dir(const char *partial, const char *dest, bool replace, const char *pkg, krait_err *err) {
  if (rename(partial, dest) == 0)
    return KRAIT_OK;
  if (errno != EEXIST && errno != ENOTEMPTY && errno != ENOTDIR && errno != EISDIR)
    return krait_err_errno(err, KRAIT_E_IO, "%s: cannot move the extracted tree to %s", pkg, dest);
  struct stat sb;
  if (lstat(dest, &sb) == 0 && S_ISDIR(sb.st_mode) && dir_is_empty(dest) && rename(partial, dest) == 0)
    return KRAIT_OK;
  if (!replace)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: %s already exists and is not empty", pkg, dest);
  char *old = krait_asprintf("%s.krait-old-XXXXXX", dest);
  krait_code rc = KRAIT_OK;
  if (!mkdtemp(old) || rename(dest, old) != 0 || rename(partial, dest) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "%s: cannot replace %s", pkg, dest);
  else
    krait_rm_rf(old, NULL);
  free(old);
  return rc;
}

/* umask() can only be read by setting it, which races with threads creating
 * files; read it once, before the pool starts any (see krait_extract_many). */
static pthread_once_t g_umask_once = PTHREAD_ONCE_INIT;
static mode_t g_umask;
static void read_umask(void) {
  g_umask = umask(022);
  umask(g_umask);
}
static mode_t process_umask(void) {
  pthread_once(&g_umask_once, read_umask);
  return g_umask;
}

void krait_extract_before_threads(void) { process_umask(); }

static char *strip_trailing_slashes(const char *p) {
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    n--;
  return krait_strndup(p, n);
}

krait_code krait_extract_ex(const krait_ctx *ctx, const char *archive_path, const char *dest_dir,
                            const krait_extract_opts *opts, krait_err *err) {
  krait_extract_opts dflt = {0};
  if (!opts)
    opts = &dflt;
  const char *pkg = krait_path_basename(archive_path);
  krait_archive_kind kind = krait_archive_kind_of(archive_path);
  if (kind == KRAIT_ARCHIVE_UNKNOWN)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: not a conda package (expected .conda or .tar.bz2)",
                         archive_path);
  if (access(archive_path, R_OK) != 0)
    return krait_err_errno(err, KRAIT_E_NOTFOUND, "%s", archive_path);

  char *dest = strip_trailing_slashes(dest_dir);
  char *parent = krait_path_dirname(dest);
  krait_code rc = krait_mkdir_p(parent, 0777, err);
  char *partial = krait_asprintf("%s.krait-partial-XXXXXX", dest);
  if (!rc && !mkdtemp(partial))
    rc = krait_err_errno(err, KRAIT_E_IO, "%s: cannot create a temporary directory beside %s", pkg, dest);
  if (rc) {
    free(dest);
    free(parent);
    free(partial);
    return rc;
  }

  xstate st = {
      .ctx = ctx,
      .pkg = pkg,
      .root = partial,
      .max_bytes = opts->max_bytes ? opts->max_bytes : KRAIT_EXTRACT_DEFAULT_MAX_BYTES,
      .max_entries = opts->max_entries ? opts->max_entries : KRAIT_EXTRACT_DEFAULT_MAX_ENTRIES,
      .verify = !opts->no_verify && !opts->info_only,
  };
  /* the ratio limit: a small archive may not expand to more than
   * KRAIT_EXTRACT_DEFAULT_MAX_RATIO times its size, once past a floor that
   * keeps small, very compressible packages (all zeros, text) safe */
  struct stat archive_sb;
  if (!opts->no_ratio_limit && stat(archive_path, &archive_sb) == 0) {
    uint64_t by_ratio = (uint64_t)archive_sb.st_size * KRAIT_EXTRACT_DEFAULT_MAX_RATIO;
    uint64_t floor = opts->ratio_floor ? opts->ratio_floor : KRAIT_EXTRACT_RATIO_FLOOR;
    st.bomb_bytes = by_ratio > floor ? by_ratio : floor;
  }
  st.disk = archive_write_disk_new();
  if (!st.disk)
    krait_oom();
  archive_write_disk_set_options(st.disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                              ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  /* the decompressors live only while the entries are written */
  uint64_t need = opts->budget ? krait_extract_memory_need(archive_path) : 0;
  if (opts->budget && !krait_extract_budget_try_take(opts->budget, need)) {
    krait_debug(ctx, "%s: waiting for memory to extract it (needs %llu MiB)", pkg, (unsigned long long)(need >> 20));
    krait_extract_budget_take(opts->budget, need);
  }
  if (kind == KRAIT_ARCHIVE_CONDA)
    rc = extract_conda(&st, archive_path, opts->info_only, err);
  else
    rc = extract_tarball(&st, archive_path, err);
  if (opts->budget)
    krait_extract_budget_give(opts->budget, need);
  /* close applies the deferred directory modes and times */
  if (archive_write_close(st.disk) != ARCHIVE_OK && !rc)
    rc = krait_err_set(err, KRAIT_E_IO, "%s: finishing %s: %s", pkg, dest, disk_error(&st));
  archive_write_free(st.disk);

  for (size_t i = 0; !rc && i < st.symlinks.len; i++)
    if (!symlink_resolves_inside(partial, st.symlinks.items[i]))
      rc = krait_err_set(err, KRAIT_E_UNSAFE, "%s: entry '%s': symlink resolves outside the target directory", pkg,
                         st.symlinks.items[i]);
  if (!rc) {
    /* mkdtemp made it 0700; give it the mode a mkdir would have, keeping the
     * setgid bit a group cache's directory passed on (mkdir keeps it too) */
    struct stat pst;
    mode_t keep = lstat(partial, &pst) == 0 ? (pst.st_mode & S_ISGID) : 0;
    if (chmod(partial, keep | (0777 & ~process_umask())) != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "chmod %s", partial);
  }
  if (!rc && st.verify)
    rc = xdigests_verify(&st.digests, partial, pkg, err);
  if (!rc && opts->before_commit)
    rc = opts->before_commit(opts->before_commit_user, partial, err);
  if (!rc && !opts->no_sync)
    rc = sync_tree(partial, err);
  if (!rc)
    rc = install_dir(partial, dest, opts->replace, pkg, err);
  if (!rc && !opts->no_sync)
    rc = fsync_dir(parent, err);
  if (rc) {
    remove_partial(partial);
  } else {
    krait_debug(ctx, "extracted %s into %s (%llu entries, %llu bytes)", pkg, dest, (unsigned long long)st.entries,
                (unsigned long long)st.bytes);
  }
  krait_strv_free(&st.symlinks);
  linkset_free(&st.links);
  xdigests_free(&st.digests);
  free(dest);
  free(parent);
  free(partial);
  return rc;
}

krait_code krait_extract(const krait_ctx *ctx, const char *archive_path, const char *dest_dir, krait_err *err) {
  return krait_extract_ex(ctx, archive_path, dest_dir, NULL, err);
}

typedef struct many_state {
  const krait_ctx *ctx;
  krait_extract_job *jobs;
  size_t n;
  const krait_extract_opts *opts;
  atomic_size_t done;
} many_state;

static void many_one(void *user, size_t i) {
  many_state *m = user;
  krait_extract_job *j = &m->jobs[i];
  krait_err_clear(&j->err);
  j->code = krait_extract_ex(m->ctx, j->archive_path, j->dest_dir, m->opts, &j->err);
  size_t done = atomic_fetch_add(&m->done, 1) + 1;
  krait_ctx_progress(m->ctx, "extract", krait_path_basename(j->archive_path), (double)done, (double)m->n);
}

krait_code krait_extract_many(const krait_ctx *ctx, krait_extract_job *jobs, size_t n,
                              const krait_extract_opts *opts, krait_err *err) {
  krait_extract_before_threads();
  krait_extract_opts with_budget = opts ? *opts : (krait_extract_opts){0};
  krait_extract_budget budget;
  krait_extract_budget_init(&budget, ctx, NULL);
  if (!with_budget.budget)
    with_budget.budget = &budget;
  many_state m = {.ctx = ctx, .jobs = jobs, .n = n, .opts = &with_budget};
  atomic_init(&m.done, 0);
  krait_pool_run(krait_thread_count(ctx ? ctx->extract_threads : 0), n, many_one, &m);
  krait_extract_budget_destroy(&budget);
  for (size_t i = 0; i < n; i++)
    if (jobs[i].code) {
      if (err)
        *err = jobs[i].err;
      return jobs[i].code;
    }
  return KRAIT_OK;
}
