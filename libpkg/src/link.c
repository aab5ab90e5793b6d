/* Linking one extracted package into a prefix and unlinking it (see
 * krait/link.h for the order of operations). */
#include "krait/link.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/prefix_path.h"
#include "dirset.h"
#include "link_exec.h"

/* A directory held open for linkat(): a hard link by two full paths walks
 * every component of both, for every file; that walk was a third of a warm
 * install's time. */
typedef struct held_dir {
  char *path; /* NULL: none held */
  size_t len; /* strlen(path): compared once per file */
  int fd;
} held_dir;

struct krait_linker {
  krait_ctx *ctx;
  char *prefix;
  krait_link_opts opts;
  krait_strv no_hardlink_dirs; /* pkgs dirs that cannot hard-link into prefix (already reported) */
  char *real_prefix;           /* realpath of prefix, once it exists */
  krait_dirset dirs;           /* directories known to resolve inside the prefix (see make_parents) */
  bool prefix_made;            /* the prefix directory exists */
  /* the last source (package cache) and destination directories of a fast
   * hard link (place_file); let go with l->dirs (forget_dirs) */
  held_dir src_dir, dst_dir;
};

static void held_dir_close(held_dir *h) {
  if (h->path && h->fd >= 0)
    close(h->fd);
  free(h->path);
  h->path = NULL;
  h->len = 0;
  h->fd = -1;
}

/* The directory path[0, len) opened (or still open), or -1. */
static int held_dir_fd(held_dir *h, const char *path, size_t len) {
  if (h->path && h->len == len && memcmp(h->path, path, len) == 0)
    return h->fd;
  held_dir_close(h);
#ifdef O_PATH
  int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
#else
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
#endif
  char *dir = krait_strndup(path, len);
  int fd = open(dir, flags);
  if (fd < 0) {
    free(dir);
    return -1;
  }
  h->path = dir;
  h->len = len;
  h->fd = fd;
  return fd;
}

/* What make_parents verified, and the directories held open, are let go
 * whenever the tree may have changed under them: a directory renamed away
 * and made again must not be linked into through its old descriptor. */
static void forget_dirs(krait_linker *l) {
  krait_dirset_clear(&l->dirs);
  held_dir_close(&l->src_dir);
  held_dir_close(&l->dst_dir);
}

/* link(src, dst) through the held directories (same result, same errno). */
static int link_held(krait_linker *l, const char *src, const char *dst) {
  const char *ss = strrchr(src, '/'), *ds = strrchr(dst, '/');
  int sfd = ss ? held_dir_fd(&l->src_dir, src, (size_t)(ss - src)) : -1;
  int dfd = sfd >= 0 && ds ? held_dir_fd(&l->dst_dir, dst, (size_t)(ds - dst)) : -1;
  if (dfd < 0)
    return link(src, dst);
  return linkat(sfd, ss + 1, dfd, ds + 1, 0);
}

/* ---- journal-aware filesystem changes ---- */

static krait_code announce(krait_linker *l, const char *rel, krait_err *err) {
  return l->opts.journal ? krait_journal_will_create(l->opts.journal, rel, err) : KRAIT_OK;
}

typedef struct link_job link_job;
static krait_code clobber_for_dir(link_job *j, const char *rel, krait_err *err);

/* Checks that the directory rel_dir (a symlink found at it) resolves inside
 * the prefix. */
static krait_code check_inside(krait_linker *l, const char *rel, const char *rel_dir, krait_err *err) {
  char *full = krait_path_join(l->prefix, rel_dir);
  char *real = realpath(full, NULL);
  if (!l->real_prefix)
    l->real_prefix = realpath(l->prefix, NULL);
  size_t n = l->real_prefix ? strlen(l->real_prefix) : 0;
  krait_code rc = KRAIT_OK;
  if (!real || !l->real_prefix || strncmp(real, l->real_prefix, n) != 0 || (real[n] != '/' && real[n] != '\0'))
    rc = krait_err_set(err, KRAIT_E_UNSAFE, "%s: %s resolves to %s, outside the prefix %s", rel, rel_dir,
                       real ? real : "?", l->prefix);
  free(real);
  free(full);
  return rc;
}

/* Creates the missing directories above rel (announcing each one). A file
 * in the way is a clobber (decided as for files, see handle_clobber) when a
 * job is given, else an error.
 *
 * A package may ship a symlink to a directory and files below it; writing
 * through a link that leads out of the prefix (lib/x -> /etc) is refused.
 * Walking down from the prefix, a real directory (lstat) inside a directory
 * that resolves inside the prefix resolves inside too, and so does one we just
 * created; only a symlink needs realpath(). What was verified is remembered
 * in l->dirs, so each directory costs one lstat per package instead of a
 * stat of every ancestor plus a realpath (a readlink per component) per file.
 * l->dirs is forgotten whenever the tree may have changed under it (a new
 * package, a link script, a path taken away). */
static krait_code make_parents(krait_linker *l, link_job *job, const char *rel, krait_err *err) {
  const char *slash = strrchr(rel, '/');
  if (!slash)
    return KRAIT_OK;
  char *dir = krait_strndup(rel, (size_t)(slash - rel));
  krait_code rc = KRAIT_OK;
  if (krait_dirset_get(&l->dirs, dir)) {
    free(dir);
    return KRAIT_OK;
  }
  for (char *p = dir;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (!krait_dirset_get(&l->dirs, dir)) {
      char *full = krait_path_join(l->prefix, dir);
      unsigned flags = KRAIT_DIR_VERIFIED;
      struct stat st;
      bool in_the_way = false;
      if (lstat(full, &st) != 0) {
        if ((rc = announce(l, dir, err)) == KRAIT_OK) {
          if (mkdir(full, 0755) == 0)
            flags |= KRAIT_DIR_FRESH;
          else if (errno == EEXIST) /* appeared meanwhile: judge it by where it leads */
            rc = check_inside(l, rel, dir, err);
          else
            rc = krait_err_errno(err, KRAIT_E_IO, "mkdir %s", full);
        }
      } else if (S_ISLNK(st.st_mode)) {
        struct stat target;
        if (stat(full, &target) == 0 && !S_ISDIR(target.st_mode))
          in_the_way = true;
        else /* a link to a directory (or dangling): only inside the prefix */
          rc = check_inside(l, rel, dir, err);
      } else if (!S_ISDIR(st.st_mode)) {
        in_the_way = true;
      }
      if (in_the_way) {
        if (!job)
          rc = krait_err_set(err, KRAIT_E_INVALID, "%s is in the way of %s: not a directory", full, rel);
        else if ((rc = clobber_for_dir(job, dir, err)) == KRAIT_OK && (rc = announce(l, dir, err)) == KRAIT_OK &&
                 mkdir(full, 0755) != 0)
          rc = krait_err_errno(err, KRAIT_E_IO, "mkdir %s", full);
        else if (rc == KRAIT_OK)
          flags |= KRAIT_DIR_FRESH;
      }
      if (rc == KRAIT_OK)
        krait_dirset_put(&l->dirs, dir, flags);
      free(full);
    }
    *p = saved;
    if (rc || saved == '\0')
      break;
  }
  free(dir);
  return rc;
}

/* Takes rel out of the prefix: moved aside when journaled, else deleted
 * (directories only when empty; *removed tells whether it went). */
static krait_code take_away(krait_linker *l, const char *rel, bool *removed, krait_err *err) {
  char *full = krait_path_join(l->prefix, rel);
  struct stat st;
  krait_code rc = KRAIT_OK;
  *removed = false;
  if (lstat(full, &st) != 0) {
    free(full);
    return KRAIT_OK;
  }
  bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir) {
    DIR *d = opendir(full);
    bool empty = true;
    for (struct dirent *de; d && empty && (de = readdir(d)) != NULL;)
      empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    if (d)
      closedir(d);
    if (!empty) {
      free(full);
      return KRAIT_OK;
    }
  }
  if (l->opts.journal)
    rc = krait_journal_set_aside(l->opts.journal, rel, err);
  else if ((is_dir ? rmdir(full) : unlink(full)) != 0 && errno != ENOENT)
    rc = krait_err_errno(err, KRAIT_E_IO, "remove %s", full);
  *removed = rc == KRAIT_OK;
  if (*removed) /* what make_parents verified may be gone */
    forget_dirs(l);
  free(full);
  return rc;
}

void krait_link_opts_init(krait_link_opts *o) {
  memset(o, 0, sizeof *o);
  o->compile_pyc = true;
  o->run_scripts = true;
}

void krait_link_result_free(krait_link_result *r) {
  krait_paths_free(&r->paths);
  krait_strv_free(&r->messages);
  krait_strv_free(&r->clobbered);
}

krait_linker *krait_linker_new(krait_ctx *ctx, const char *prefix, const krait_link_opts *opts) {
  krait_linker *l = krait_calloc(1, sizeof *l);
  l->ctx = ctx;
  l->src_dir.fd = l->dst_dir.fd = -1;
  l->prefix = krait_strdup(prefix);
  if (opts)
    l->opts = *opts;
  else
    krait_link_opts_init(&l->opts);
  return l;
}

void krait_linker_free(krait_linker *l) {
  if (!l)
    return;
  free(l->prefix);
  free(l->real_prefix);
  forget_dirs(l);
  krait_strv_free(&l->no_hardlink_dirs);
  free(l);
}

/* ---- prefix length check ---- */

static krait_code check_prefix_paths(const krait_paths *p, const char *pkg_dir, const char *prefix,
                                     krait_err *err) {
  size_t pl = strlen(prefix);
  for (size_t i = 0; i < p->len; i++) {
    const krait_path_entry *e = &p->items[i];
    if (e->type == KRAIT_PATH_HARDLINK && e->prefix_placeholder && e->file_mode == KRAIT_FILE_MODE_BINARY &&
        pl > strlen(e->prefix_placeholder))
      return krait_err_set(err, KRAIT_E_INVALID,
                           "%s: %s has a %zu-byte binary prefix placeholder but the prefix %s is %zu bytes: "
                           "use a shorter prefix",
                           pkg_dir, e->path, strlen(e->prefix_placeholder), prefix, pl);
  }
  return KRAIT_OK;
}

krait_code krait_link_check_prefix(const char *pkg_dir, const char *prefix, krait_err *err) {
  krait_paths p = KRAIT_PATHS_INIT;
  krait_code rc = krait_paths_read(pkg_dir, &p, err);
  if (rc == KRAIT_OK)
    rc = check_prefix_paths(&p, pkg_dir, prefix, err);
  krait_paths_free(&p);
  return rc;
}

/* ---- file placement ---- */

static krait_code copy_file(const char *src, const char *dst, mode_t mode, krait_err *err) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return krait_err_errno(err, KRAIT_E_IO, "open %s", src);
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    close(in);
    return krait_err_errno(err, KRAIT_E_IO, "create %s", dst);
  }
  krait_code rc = krait_copy_fd(in, out, src, dst, err);
  if (rc == KRAIT_OK && fchmod(out, mode & 07777) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "chmod %s", dst);
  close(in);
  if (close(out) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "close %s", dst);
  if (rc)
    unlink(dst);
  return rc;
}

static krait_code write_data(const char *dst, const void *data, size_t len, mode_t mode, krait_err *err) {
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0)
    return krait_err_errno(err, KRAIT_E_IO, "create %s", dst);
  krait_code rc = KRAIT_OK;
  for (size_t off = 0; off < len;) {
    ssize_t w = write(out, (const char *)data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "write %s", dst);
      break;
    }
    off += (size_t)w;
  }
  if (rc == KRAIT_OK && fchmod(out, mode & 07777) != 0)
    rc = krait_err_errno(err, KRAIT_E_IO, "chmod %s", dst);
  if (close(out) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "close %s", dst);
  if (rc)
    unlink(dst);
  return rc;
}

static bool hardlink_impossible(int e) {
  return e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EACCES;
}

struct link_job {
  krait_linker *l;
  const char *pkg_dir;
  const krait_record *rec;
  char *dist;
  char *pkgs_dir;
  krait_link_result *res;
  bool hardlinked_any;
  bool copied_for_fallback;
  krait_paths parents; /* directories we may have created, for rollback */
  /* the package's entries, to announce a run of them at once (see announce_run) */
  const krait_paths *entries;
  const char *site_packages; /* noarch: python, else NULL */
  size_t index;              /* entry being placed */
  size_t announced_to;       /* entries before this index were announced by announce_run */
};

/* Where entry i goes in the prefix (caller frees). */
static char *entry_rel(const link_job *j, size_t i) {
  const char *path = j->entries->items[i].path;
  return j->site_packages ? krait_noarch_python_path(path, j->site_packages) : krait_strdup(path);
}

static bool same_parent(const char *a, const char *b) {
  const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
  return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* Announces the plain hard link rel (entry j->index, in a fresh directory)
 * together with the entries right after it that go into the same directory:
 * one journal write for the run instead of one per file. Every line is in
 * the journal before any of those paths is created; a line whose path is
 * never created (an error stops the package first) is a no-op on rollback,
 * and nothing but this package's own paths can be below a fresh directory. */
static krait_code announce_run(link_job *j, const char *rel, krait_err *err) {
  krait_linker *l = j->l;
  if (!l->opts.journal)
    return KRAIT_OK;
  if (j->index < j->announced_to)
    return KRAIT_OK;
  krait_strv run = KRAIT_STRV_INIT;
  krait_strv_push(&run, rel);
  size_t end = j->index + 1;
  for (; end < j->entries->len && run.len < 1024; end++) {
    const krait_path_entry *pe = &j->entries->items[end];
    if (pe->type != KRAIT_PATH_HARDLINK || pe->prefix_placeholder || pe->no_link)
      break;
    char *next = entry_rel(j, end);
    bool same = same_parent(rel, next);
    if (same)
      krait_strv_push(&run, next);
    free(next);
    if (!same)
      break;
  }
  krait_code rc = krait_journal_will_create_many(l->opts.journal, (const char *const *)run.items, run.len, err);
  if (rc == KRAIT_OK)
    j->announced_to = end;
  krait_strv_free(&run);
  return rc;
}

static void note_parent(link_job *j, const char *rel) {
  char *parent = krait_path_dirname(rel);
  if (strcmp(parent, ".") != 0 && (!j->parents.len || strcmp(j->parents.items[j->parents.len - 1].path, parent) != 0))
    krait_paths_add(&j->parents, parent, KRAIT_PATH_DIRECTORY);
  free(parent);
}

/* Decides what to do about an existing path; false = skip this entry. */
static krait_code handle_clobber(link_job *j, const char *rel, const char *dst, bool want_dir, bool *skip,
                                 krait_err *err) {
  *skip = false;
  struct stat st;
  if (lstat(dst, &st) != 0)
    return KRAIT_OK;
  struct stat target;
  if (want_dir && stat(dst, &target) == 0 && S_ISDIR(target.st_mode))
    return KRAIT_OK; /* a directory, or a link to one (lib64 -> lib), serves as the directory */
  krait_linker *l = j->l;
  const char *owner = l->opts.owner_of ? l->opts.owner_of(l->opts.user, rel) : NULL;
  krait_clobber_action act = KRAIT_CLOBBER_OVERWRITE;
  if (l->opts.on_clobber)
    act = l->opts.on_clobber(l->opts.user, rel, owner, j->dist);
  else if (owner)
    krait_warn(l->ctx, "%s: %s is also provided by %s: overwriting it", j->dist, rel, owner);
  else
    krait_warn(l->ctx, "%s: %s already exists in %s and is not owned by any package: overwriting it", j->dist,
               rel, l->prefix);
  if (act == KRAIT_CLOBBER_SKIP) {
    *skip = true;
    return KRAIT_OK;
  }
  if (act == KRAIT_CLOBBER_FAIL)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: %s already exists in %s (owned by %s)", j->dist, rel,
                         l->prefix, owner ? owner : "no package");
  if (want_dir)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: %s is a file in %s but the package has a directory there",
                         j->dist, rel, l->prefix);
  bool removed = false;
  krait_code rc = take_away(l, rel, &removed, err);
  if (rc)
    return rc;
  if (!removed)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: cannot replace the non-empty directory %s with a file", j->dist,
                         dst);
  krait_strv_push(&j->res->clobbered, rel);
  return KRAIT_OK;
}

/* A file (or link) sits where the package needs a directory. */
static krait_code clobber_for_dir(link_job *j, const char *rel, krait_err *err) {
  krait_linker *l = j->l;
  const char *owner = l->opts.owner_of ? l->opts.owner_of(l->opts.user, rel) : NULL;
  krait_clobber_action act = KRAIT_CLOBBER_OVERWRITE;
  if (l->opts.on_clobber)
    act = l->opts.on_clobber(l->opts.user, rel, owner, j->dist);
  else
    krait_warn(l->ctx, "%s: needs a directory at %s where %s has a file: replacing it", j->dist, rel,
               owner ? owner : "an untracked path");
  if (act != KRAIT_CLOBBER_OVERWRITE)
    return krait_err_set(err, KRAIT_E_INVALID, "%s: %s is a file (owned by %s) but the package needs a directory",
                         j->dist, rel, owner ? owner : "no package");
  bool removed = false;
  krait_code rc = take_away(l, rel, &removed, err);
  if (rc == KRAIT_OK)
    krait_strv_push(&j->res->clobbered, rel);
  return rc;
}

static void set_prefix_digest(krait_path_entry *e, const char *dst) {
  char hex[65];
  struct stat st;
  if (stat(dst, &st) == 0 && S_ISREG(st.st_mode) && krait_file_digest(dst, "sha256", hex, sizeof hex, NULL) == 0)
    e->sha256_in_prefix = krait_strdup(hex);
}

static bool is_symlink(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Whether rel's directory was created by make_parents for this package. */
static bool parent_is_fresh(krait_linker *l, const char *rel) {
  const char *slash = strrchr(rel, '/');
  if (!slash)
    return false;
  char *dir = krait_strndup(rel, (size_t)(slash - rel));
  bool fresh = (krait_dirset_get(&l->dirs, dir) & KRAIT_DIR_FRESH) != 0;
  free(dir);
  return fresh;
}

/* A "softlink" entry of paths.json whose cache file is a regular file: the
 * archive disagrees with its own manifest (Anaconda's zlib-1.2.11-h7b6447c_3
 * .tar.bz2 has lib/libz.so and lib/libz.so.1 as empty regular files). conda
 * links every softlink entry with its "copy" method, which copies a regular
 * source as it is, and keeps paths.json's path_type, sha256 and size in the
 * record. krait does the same, says so, and records the digest of what is
 * really in the prefix as sha256_in_prefix. */
static krait_code place_softlink_as_file(link_job *j, const krait_path_entry *pe, const char *rel, const char *src,
                                         const char *dst, krait_path_entry **out, krait_err *err) {
  struct stat st;
  if (lstat(src, &st) != 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s: missing %s", j->dist, src);
  if (!S_ISREG(st.st_mode))
    return krait_err_set(err, KRAIT_E_INVALID,
                         "%s: %s: paths.json says softlink but the package holds neither a symlink nor a file there",
                         j->dist, rel);
  krait_warn(j->l->ctx,
             "%s: %s: paths.json says softlink but the archive holds a regular file of %lld bytes: installed as a "
             "copy of that file, as conda does",
             j->dist, rel, (long long)st.st_size);
  krait_code rc = copy_file(src, dst, st.st_mode, err);
  if (rc)
    return rc;
  krait_path_entry *e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_SOFTLINK);
  set_prefix_digest(e, dst);
  e->size = pe->size >= 0 ? pe->size : (int64_t)st.st_size;
  *out = e;
  return KRAIT_OK;
}

/* Places one entry of the package (a directory, symlink, hard link or copy). */
static krait_code place_file(link_job *j, const krait_path_entry *pe, const char *rel, krait_err *err) {
  krait_linker *l = j->l;
  char *src = krait_path_join(j->pkg_dir, pe->path);
  char *dst = krait_path_join(l->prefix, rel);
  char *parent = krait_path_dirname(dst);
  note_parent(j, rel);
  krait_code rc = krait_checkpoint(KRAIT_STEP_LINK_BEFORE, err);
  if (rc == KRAIT_OK)
    rc = make_parents(l, j, rel, err);
  bool skip = false;
  /* A plain hard link into a directory this package just created cannot
   * clobber anything but a path of this same package, so the lstat of the
   * destination is skipped: link() failing with EEXIST leads to the clobber
   * decision instead (the "C" line already written is right either way: all
   * below a fresh directory was created by this transaction). Nor is the
   * cache file stat'ed first: link() failing with ENOENT says it is missing. */
  bool fast = rc == KRAIT_OK && pe->type == KRAIT_PATH_HARDLINK && !pe->prefix_placeholder && !pe->no_link &&
              !l->opts.always_copy && !krait_strv_contains(&l->no_hardlink_dirs, j->pkgs_dir) &&
              parent_is_fresh(l, rel);
  if (rc == KRAIT_OK && !fast)
    rc = handle_clobber(j, rel, dst, pe->type == KRAIT_PATH_DIRECTORY, &skip, err);
  if (rc || skip)
    goto out;
  if (fast ? (rc = announce_run(j, rel, err)) != 0
           : !(pe->type == KRAIT_PATH_DIRECTORY && krait_is_dir(dst)) && (rc = announce(l, rel, err)) != 0)
    goto out;

  krait_path_entry *e = NULL;
  if (pe->type == KRAIT_PATH_DIRECTORY) {
    if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
      rc = krait_err_errno(err, KRAIT_E_IO, "mkdir %s", dst);
      goto out;
    }
    e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_DIRECTORY);
  } else if (pe->type == KRAIT_PATH_SOFTLINK && is_symlink(src)) {
    char target[4096];
    ssize_t n = readlink(src, target, sizeof target - 1);
    if (n < 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "readlink %s", src);
      goto out;
    }
    target[n] = '\0';
    if (symlink(target, dst) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "symlink %s -> %s", dst, target);
      goto out;
    }
    e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_SOFTLINK);
    set_prefix_digest(e, dst);
  } else if (pe->type == KRAIT_PATH_SOFTLINK) {
    if ((rc = place_softlink_as_file(j, pe, rel, src, dst, &e, err)) != 0)
      goto out;
  } else {
    struct stat st;
    memset(&st, 0, sizeof st);
    bool have_st = !fast;
    if (have_st && lstat(src, &st) != 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "%s: missing %s", j->dist, src);
      goto out;
    }
    if (pe->prefix_placeholder) {
      /* a private, rewritten copy: never a hard link into the cache */
      krait_buf data = KRAIT_BUF_INIT, out = KRAIT_BUF_INIT;
      rc = krait_read_file(src, &data, err);
      const char *bytes = NULL;
      size_t len = 0;
      char pkg_hex[65] = "";
      if (rc == KRAIT_OK && !pe->sha256) /* legacy packages: digest the cache file */
        krait_digest_hex("sha256", data.data ? data.data : "", data.len, pkg_hex, sizeof pkg_hex);
      size_t orig_len = data.len;
      if (rc == KRAIT_OK && pe->file_mode == KRAIT_FILE_MODE_BINARY) {
        rc = krait_replace_binary(data.data ? data.data : (char *)"", data.len, pe->prefix_placeholder, l->prefix,
                                  NULL, err);
        if (rc)
          krait_err_prefix(err, "%s: ", src);
        bytes = data.data;
        len = data.len;
      } else if (rc == KRAIT_OK) {
        krait_replace_text(data.data ? data.data : "", data.len, pe->prefix_placeholder, l->prefix, &out);
        bytes = out.data;
        len = out.len;
      }
      if (rc == KRAIT_OK)
        rc = write_data(dst, bytes ? bytes : "", len, st.st_mode, err);
      if (rc == KRAIT_OK) {
        char hex[65];
        krait_digest_hex("sha256", bytes ? bytes : "", len, hex, sizeof hex);
        e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_HARDLINK);
        e->sha256_in_prefix = krait_strdup(hex);
        if (*pkg_hex)
          e->sha256 = krait_strdup(pkg_hex);
        e->prefix_placeholder = krait_strdup(pe->prefix_placeholder);
        e->file_mode = pe->file_mode;
        /* like conda: size_in_bytes (like sha256) describes the package's file */
        e->size = pe->size >= 0 ? pe->size : (int64_t)orig_len;
      }
      krait_buf_free(&data);
      krait_buf_free(&out);
      if (rc)
        goto out;
    } else {
      bool copy = pe->no_link || l->opts.always_copy || krait_strv_contains(&l->no_hardlink_dirs, j->pkgs_dir);
      if (!copy) {
        int linked = fast ? link_held(l, src, dst) : link(src, dst);
        if (linked != 0 && errno == EEXIST && fast) {
          rc = handle_clobber(j, rel, dst, false, &skip, err);
          if (rc || skip)
            goto out;
          linked = link(src, dst);
        }
        int link_errno = errno;
        if (linked != 0 && link_errno == ENOENT && !have_st && lstat(src, &st) != 0) {
          rc = krait_err_errno(err, KRAIT_E_IO, "%s: missing %s", j->dist, src);
          goto out;
        }
        errno = link_errno;
        if (linked == 0) {
          j->hardlinked_any = true;
        } else if (hardlink_impossible(errno)) {
          krait_warn(l->ctx, "cannot hard-link from %s into %s (%s): copying files instead", j->pkgs_dir,
                     l->prefix, strerror(errno));
          krait_strv_push(&l->no_hardlink_dirs, j->pkgs_dir);
          copy = true;
          j->copied_for_fallback = true;
        } else {
          rc = krait_err_errno(err, KRAIT_E_IO, "link %s -> %s", src, dst);
          goto out;
        }
      } else if (!pe->no_link) {
        j->copied_for_fallback = true;
      }
      if ((copy || pe->size < 0) && !have_st) {
        if (lstat(src, &st) != 0) {
          rc = krait_err_errno(err, KRAIT_E_IO, "%s: missing %s", j->dist, src);
          goto out;
        }
        have_st = true;
      }
      if (copy && (rc = copy_file(src, dst, st.st_mode, err)) != 0)
        goto out;
      e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_HARDLINK);
      if (pe->sha256)
        e->sha256_in_prefix = krait_strdup(pe->sha256);
      else
        set_prefix_digest(e, dst);
      e->size = pe->size >= 0 ? pe->size : (int64_t)st.st_size;
    }
  }
  if (!e->sha256)
    e->sha256 = krait_strdup(pe->sha256 ? pe->sha256 : e->sha256_in_prefix);
  if (e->size < 0)
    e->size = pe->size;
  if (!e->prefix_placeholder && pe->prefix_placeholder && e->type != KRAIT_PATH_SOFTLINK) {
    e->prefix_placeholder = krait_strdup(pe->prefix_placeholder);
    e->file_mode = pe->file_mode;
  }
  e->no_link = pe->no_link;
out:
  if (rc == KRAIT_OK)
    rc = krait_checkpoint(KRAIT_STEP_LINK_AFTER, err);
  free(src);
  free(dst);
  free(parent);
  return rc;
}

/* ---- link scripts ---- */

/* Runs <root>/<bin_dir>/.<name>-<action>.sh when present. */
static krait_code run_script(krait_linker *l, const krait_record *rec, const char *action, const char *root,
                             const char *bin_dir, bool activate, krait_strv *messages, krait_err *err) {
  char *script = krait_asprintf("%s/%s/.%s-%s.sh", root, bin_dir, rec->name, action);
  if (!krait_path_exists(script)) {
    free(script);
    return KRAIT_OK;
  }
  char *sdir = krait_path_dirname(script);
  const char *path_env = getenv("PATH");
  krait_strv env = KRAIT_STRV_INIT;
  krait_strv_push_owned(&env, krait_asprintf("PREFIX=%s", l->prefix));
  /* CEP-34: SOURCE_DIR is the target environment, like PREFIX */
  krait_strv_push_owned(&env, krait_asprintf("SOURCE_DIR=%s", l->prefix));
  const char *root_prefix = l->ctx && l->ctx->root_prefix ? l->ctx->root_prefix : "";
  krait_strv_push_owned(&env, krait_asprintf("ROOT_PREFIX=%s", root_prefix));
  krait_strv_push_owned(&env, krait_asprintf("PKG_NAME=%s", rec->name));
  krait_strv_push_owned(&env, krait_asprintf("PKG_VERSION=%s", rec->version));
  krait_strv_push_owned(&env, krait_asprintf("PKG_BUILDNUM=%lld", (long long)rec->build_number));
  const char *shell = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
  krait_strv argv = KRAIT_STRV_INIT;
  krait_strv_push(&argv, shell);
  if (activate) {
    /* like conda, post-link and pre-unlink run in the activated environment:
     * CONDA_PREFIX, bin/ on PATH and the etc/conda/activate.d scripts sourced (in
     * code point order) before the script runs in a shell of its own */
    krait_strv_push_owned(&env, krait_asprintf("CONDA_PREFIX=%s", l->prefix));
    krait_strv_push_owned(&env, krait_asprintf("PATH=%s:%s/bin:%s", sdir, l->prefix,
                                               path_env ? path_env : "/usr/bin:/bin"));
    krait_strv_push(&argv, "-c");
    krait_strv_push_owned(
        &argv, krait_asprintf("script=$1; shift; for f in \"$@\"; do . \"$f\"; done; exec %s \"$script\"", shell));
    krait_strv_push(&argv, "krait-link-script");
    krait_strv_push(&argv, script);
    char *act = krait_asprintf("%s/etc/conda/activate.d", l->prefix);
    krait_strv found = KRAIT_STRV_INIT;
    DIR *d = opendir(act);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
      size_t n = strlen(de->d_name);
      if (n > 3 && strcmp(de->d_name + n - 3, ".sh") == 0)
        krait_strv_push_owned(&found, krait_asprintf("%s/%s", act, de->d_name));
    }
    if (d)
      closedir(d);
    krait_strv_sort(&found);
    for (size_t i = 0; i < found.len; i++)
      krait_strv_push(&argv, found.items[i]);
    krait_strv_free(&found);
    free(act);
  } else {
    krait_strv_push_owned(&env, krait_asprintf("PATH=%s:%s", sdir, path_env ? path_env : "/usr/bin:/bin"));
    krait_strv_push(&argv, script);
  }
  krait_strv_push_owned(&argv, NULL);
  krait_buf output = KRAIT_BUF_INIT;
  int status = 0;
  krait_code rc = krait_run_capture(argv.items, &env, &output, &status, err);
  krait_strv_free(&argv);
  if (rc == KRAIT_OK && status != 0) {
    /* the tail of the output usually says why */
    const char *o = krait_buf_str(&output);
    size_t n = strlen(o);
    const char *tail = n > 400 ? o + n - 400 : o;
    rc = krait_err_set(err, KRAIT_E_SCRIPT, "%s-%s-%s: %s script %s exited with status %d%s%s", rec->name,
                       rec->version, rec->build, action, script, status, *tail ? ": " : "", tail);
  } else if (rc == KRAIT_OK && output.len) {
    krait_debug(l->ctx, "%s %s output: %s", rec->name, action, krait_buf_str(&output));
  }
  /* scripts leave messages for the user in $PREFIX/.messages.txt */
  char *msgs = krait_path_join(l->prefix, ".messages.txt");
  krait_buf m = KRAIT_BUF_INIT;
  if (krait_path_exists(msgs) && krait_read_file(msgs, &m, NULL) == KRAIT_OK) {
    if (m.len) {
      krait_notice(l->ctx, "%s: %s", rec->name, krait_buf_str(&m));
      if (messages)
        krait_strv_push(messages, krait_buf_str(&m));
    }
    unlink(msgs);
  }
  krait_buf_free(&m);
  free(msgs);
  krait_buf_free(&output);
  krait_strv_free(&env);
  free(sdir);
  free(script);
  return rc;
}

/* conda shows the files a package ships in info/prelink_messages/ (license
 * notices, "you must accept ...") to the user before linking it: each one,
 * in name order, as a notice and in the link result's messages. */
static void show_prelink_messages(krait_linker *l, const char *pkg_dir, const char *dist, krait_strv *messages) {
  char *dir = krait_path_join(pkg_dir, "info/prelink_messages");
  DIR *d = opendir(dir);
  krait_strv names = KRAIT_STRV_INIT;
  for (struct dirent *de; d && (de = readdir(d)) != NULL;)
    if (de->d_name[0] != '.')
      krait_strv_push(&names, de->d_name);
  if (d)
    closedir(d);
  krait_strv_sort(&names);
  for (size_t i = 0; i < names.len; i++) {
    char *path = krait_path_join(dir, names.items[i]);
    krait_buf text = KRAIT_BUF_INIT;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && krait_read_file(path, &text, NULL) == KRAIT_OK && text.len) {
      krait_notice(l->ctx, "%s: message (info/prelink_messages/%s):\n%s", dist, names.items[i], krait_buf_str(&text));
      krait_strv_push(messages, krait_buf_str(&text));
    }
    krait_buf_free(&text);
    free(path);
  }
  krait_strv_free(&names);
  free(dir);
}

/* ---- noarch: python ---- */

/* bin/pythonX.Y as conda writes it; bin/python only for an env that lacks
 * the versioned name but has the plain one. */
static char *python_exe(krait_linker *l) {
  char *versioned = krait_asprintf("%s/bin/python%s", l->prefix, l->opts.python_version);
  char *plain = krait_asprintf("%s/bin/python", l->prefix);
  if (!krait_path_exists(versioned) && krait_path_exists(plain)) {
    free(versioned);
    return plain;
  }
  free(plain);
  return versioned;
}

static krait_code write_entry_points(link_job *j, krait_err *err) {
  char *lj = krait_path_join(j->pkg_dir, "info/link.json");
  krait_code rc = KRAIT_OK;
  if (!krait_path_exists(lj)) {
    free(lj);
    return KRAIT_OK;
  }
  krait_json *root = krait_json_parse_file(lj, err);
  if (!root) {
    free(lj);
    return err ? err->code : KRAIT_E_PARSE;
  }
  const krait_json *eps = krait_json_get_array(krait_json_get_object(root, "noarch"), "entry_points");
  char *py = python_exe(j->l);
  krait_buf script = KRAIT_BUF_INIT;
  krait_json_foreach(ep, eps) {
    char *cmd = NULL;
    if (ep->type != KRAIT_JSON_STRING || !krait_entry_point_script(ep->string, py, &cmd, &script)) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: bad entry point \"%s\" (want \"cmd = module:func\")", lj,
                         ep->type == KRAIT_JSON_STRING ? ep->string : "?");
      break;
    }
    char *rel = krait_asprintf("bin/%s", cmd);
    char *dst = krait_path_join(j->l->prefix, rel);
    char *parent = krait_path_dirname(dst);
    bool skip = false;
    note_parent(j, rel);
    rc = make_parents(j->l, j, rel, err);
    if (rc == KRAIT_OK)
      rc = handle_clobber(j, rel, dst, false, &skip, err);
    if (rc == KRAIT_OK && !skip && (rc = announce(j->l, rel, err)) == KRAIT_OK)
      rc = write_data(dst, script.data, script.len, 0755, err);
    if (rc == KRAIT_OK && !skip) {
      char hex[65];
      krait_digest_hex("sha256", script.data, script.len, hex, sizeof hex);
      krait_path_entry *e = krait_paths_add(&j->res->paths, rel, KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT);
      e->sha256_in_prefix = krait_strdup(hex);
      e->size = (int64_t)script.len;
    }
    free(parent);
    free(dst);
    free(rel);
    free(cmd);
    if (rc)
      break;
  }
  krait_buf_free(&script);
  free(py);
  krait_json_free(root);
  free(lj);
  return rc;
}

/* Appends the .pyc files python wrote for "<dir>/<stem>.py": every
 * "<dir>/__pycache__/<stem>.<tag>[.opt-N].pyc" (the tag is the
 * interpreter's, e.g. cpython-311 or pypy39, so it is found, not guessed). */
static void record_pycs(const char *prefix, const char *py_rel, krait_paths *out) {
  const char *base = krait_path_basename(py_rel);
  size_t dir_len = (size_t)(base - py_rel), stem_len = strlen(base) - 3;
  char *cache_rel = krait_asprintf("%.*s__pycache__", (int)dir_len, py_rel);
  char *cache = krait_path_join(prefix, cache_rel);
  DIR *d = opendir(cache);
  krait_strv found = KRAIT_STRV_INIT;
  for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
    size_t n = strlen(de->d_name);
    if (n > stem_len + 5 && strncmp(de->d_name, base, stem_len) == 0 && de->d_name[stem_len] == '.' &&
        strcmp(de->d_name + n - 4, ".pyc") == 0)
      krait_strv_push_owned(&found, krait_asprintf("%s/%s", cache_rel, de->d_name));
  }
  if (d)
    closedir(d);
  krait_strv_sort(&found);
  for (size_t i = 0; i < found.len; i++)
    krait_paths_add(out, found.items[i], KRAIT_PATH_PYC_FILE);
  krait_strv_free(&found);
  free(cache);
  free(cache_rel);
}

/* "<dir>/__pycache__/<stem>.cpython-XY.pyc" for "<dir>/<stem>.py" */
static char *cpython_pyc(const char *py_rel, const char *pyver) {
  const char *base = krait_path_basename(py_rel);
  krait_buf tag = KRAIT_BUF_INIT;
  for (const char *s = pyver; *s; s++)
    if (*s != '.')
      krait_buf_putc(&tag, *s);
  char *r = krait_asprintf("%.*s__pycache__/%.*s.cpython-%s.pyc", (int)(base - py_rel), py_rel,
                           (int)(strlen(base) - 3), base, krait_buf_str(&tag));
  krait_buf_free(&tag);
  return r;
}

static krait_code compile_pyc(link_job *j, const char *site_packages, krait_err *err) {
  krait_linker *l = j->l;
  krait_strv py = KRAIT_STRV_INIT;
  size_t sp_len = strlen(site_packages);
  for (size_t i = 0; i < j->res->paths.len; i++) {
    const krait_path_entry *e = &j->res->paths.items[i];
    size_t n = strlen(e->path);
    if (e->type == KRAIT_PATH_HARDLINK && n > 3 && strcmp(e->path + n - 3, ".py") == 0 &&
        strncmp(e->path, site_packages, sp_len) == 0 && e->path[sp_len] == '/')
      krait_strv_push(&py, e->path);
  }
  if (!py.len) {
    krait_strv_free(&py);
    return KRAIT_OK;
  }
  char *exe = python_exe(l);
  krait_code rc = KRAIT_OK;
  if (access(exe, X_OK) != 0) {
    krait_warn(l->ctx, "%s: no python at %s: .pyc files not compiled", j->dist, exe);
    goto out;
  }
  /* python chooses the names; announce the usual CPython ones up front (the
   * others found afterwards are announced then) */
  for (size_t i = 0; rc == KRAIT_OK && l->opts.journal && i < py.len; i++) {
    char *expected = cpython_pyc(py.items[i], l->opts.python_version);
    if ((rc = make_parents(l, NULL, expected, err)) == KRAIT_OK)
      rc = announce(l, expected, err);
    free(expected);
  }
  if (rc)
    goto out;
  krait_buf list = KRAIT_BUF_INIT;
  for (size_t i = 0; i < py.len; i++)
    krait_buf_printf(&list, "%s/%s\n", l->prefix, py.items[i]);
  /* the list goes to a temp file outside the prefix: nothing to clean there after a crash */
  const char *tmpdir = getenv("TMPDIR");
  char *list_path = krait_asprintf("%s/krait-pyc-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd = mkstemp(list_path);
  if (fd < 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot create a temp file %s", list_path);
  } else {
    if (write(fd, list.data, list.len) != (ssize_t)list.len)
      rc = krait_err_errno(err, KRAIT_E_IO, "write %s", list_path);
    close(fd);
    if (rc)
      unlink(list_path);
  }
  krait_buf_free(&list);
  if (rc == KRAIT_OK) {
    char *argv[] = {exe, (char *)"-Wi", (char *)"-m", (char *)"compileall", (char *)"-q", (char *)"-l",
                    (char *)"-i", list_path, NULL};
    krait_strv env = KRAIT_STRV_INIT;
    krait_buf output = KRAIT_BUF_INIT;
    int status = 0;
    rc = krait_run_capture(argv, &env, &output, &status, err);
    if (rc == KRAIT_OK && status != 0)
      krait_warn(l->ctx, "%s: compiling .pyc files failed (status %d): %s", j->dist, status,
                 krait_buf_str(&output));
    krait_buf_free(&output);
    unlink(list_path);
  }
  free(list_path);
  size_t first_pyc = j->res->paths.len;
  for (size_t i = 0; rc == KRAIT_OK && i < py.len; i++)
    record_pycs(l->prefix, py.items[i], &j->res->paths);
  for (size_t i = first_pyc; rc == KRAIT_OK && l->opts.journal && i < j->res->paths.len; i++)
    rc = announce(l, j->res->paths.items[i].path, err);
out:
  free(exe);
  krait_strv_free(&py);
  return rc;
}

/* ---- unlink ---- */

static int depth_desc(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t dx = 0, dy = 0;
  for (const char *s = x; *s; s++)
    dx += *s == '/';
  for (const char *s = y; *s; s++)
    dy += *s == '/';
  if (dx != dy)
    return dx > dy ? -1 : 1;
  return strcmp(y, x);
}

/* Removes the paths (files first) then every directory left empty; through
 * the journal (moved aside) when `journaled`. */
static krait_code remove_paths(krait_linker *l, const krait_paths *paths, bool journaled, krait_err *err) {
  /* the list comes from conda-meta, which anyone able to write into the env
   * may have edited: every path is checked before the first one is touched */
  if (!l->real_prefix)
    l->real_prefix = realpath(l->prefix, NULL);
  char *verified_dir = NULL; /* files of one directory come together: resolve it once */
  for (size_t i = 0; i < paths->len; i++) {
    const char *p = paths->items[i].path;
    const char *slash = p ? strrchr(p, '/') : NULL;
    size_t dir_len = slash ? (size_t)(slash - p) : 0;
    if (verified_dir && krait_relpath_normal(p) && strlen(verified_dir) == dir_len &&
        strncmp(p, verified_dir, dir_len) == 0)
      continue;
    krait_code bad = krait_prefix_path_check(l->prefix, l->real_prefix, p, "conda-meta record", err);
    free(verified_dir);
    verified_dir = NULL;
    if (bad)
      return bad;
    verified_dir = krait_strndup(p, dir_len);
  }
  free(verified_dir);
  krait_code rc = KRAIT_OK;
  krait_strv dirs = KRAIT_STRV_INIT;
  for (size_t i = 0; i < paths->len; i++) {
    const krait_path_entry *e = &paths->items[i];
    if (journaled && rc == KRAIT_OK && (rc = krait_checkpoint(KRAIT_STEP_UNLINK_BEFORE, err)) != KRAIT_OK)
      break;
    char *full = krait_path_join(l->prefix, e->path);
    struct stat st;
    if (lstat(full, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        if (!krait_strv_contains(&dirs, e->path))
          krait_strv_push(&dirs, e->path);
      } else if (e->type == KRAIT_PATH_DIRECTORY) {
        /* recorded as a directory, now something else: not ours to delete */
      } else if (journaled) {
        bool removed;
        krait_code r = take_away(l, e->path, &removed, err);
        if (r && rc == KRAIT_OK)
          rc = r;
      } else if (unlink(full) != 0 && errno != ENOENT && rc == KRAIT_OK) {
        rc = krait_err_errno(err, KRAIT_E_IO, "remove %s", full);
      }
    }
    free(full);
    /* python may have cached bytecode of a module we remove (optimised
     * levels, other interpreters) that was never recorded: it goes too */
    size_t plen = strlen(e->path);
    if (plen > 3 && strcmp(e->path + plen - 3, ".py") == 0 && e->type != KRAIT_PATH_DIRECTORY) {
      krait_paths pycs = KRAIT_PATHS_INIT;
      record_pycs(l->prefix, e->path, &pycs);
      for (size_t k = 0; k < pycs.len; k++) {
        bool removed;
        char *pf = krait_path_join(l->prefix, pycs.items[k].path);
        if (journaled)
          take_away(l, pycs.items[k].path, &removed, NULL);
        else
          unlink(pf);
        free(pf);
      }
      krait_paths_free(&pycs);
    }
    /* every ancestor is a candidate for removal once empty */
    char *d = krait_strdup(e->path);
    for (char *slash = strrchr(d, '/'); slash; slash = strrchr(d, '/')) {
      *slash = '\0';
      if (krait_strv_contains(&dirs, d))
        break;
      krait_strv_push(&dirs, d);
    }
    free(d);
    if (journaled && rc == KRAIT_OK && (rc = krait_checkpoint(KRAIT_STEP_UNLINK_AFTER, err)) != KRAIT_OK)
      break;
  }
  if (dirs.len)
    qsort(dirs.items, dirs.len, sizeof *dirs.items, depth_desc);
  for (size_t i = 0; i < dirs.len; i++) {
    if (journaled) {
      bool removed;
      krait_code r = take_away(l, dirs.items[i], &removed, err);
      if (r && rc == KRAIT_OK)
        rc = r;
    } else {
      char *full = krait_path_join(l->prefix, dirs.items[i]);
      rmdir(full); /* fails harmlessly when something else still lives there */
      free(full);
    }
  }
  krait_strv_free(&dirs);
  return rc;
}

krait_code krait_linker_unlink(krait_linker *l, const krait_record *rec, const krait_paths *installed,
                               krait_err *err) {
  if (l->opts.run_scripts) {
    krait_code rc = run_script(l, rec, "pre-unlink", l->prefix, "bin", true, NULL, err);
    if (rc)
      return rc;
  }
  return remove_paths(l, installed, l->opts.journal != NULL, err);
}

/* ---- link ---- */

krait_code krait_linker_link(krait_linker *l, const char *pkg_dir, const krait_record *rec, krait_link_result *out,
                             krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_paths pkg = KRAIT_PATHS_INIT;
  krait_code rc = krait_paths_read(pkg_dir, &pkg, err);
  if (rc)
    return rc;
  link_job j = {.l = l, .pkg_dir = pkg_dir, .rec = rec, .res = out, .entries = &pkg};
  j.dist = krait_record_dist(rec);
  j.pkgs_dir = krait_path_dirname(pkg_dir);
  bool noarch_py = rec->noarch && strcmp(rec->noarch, "python") == 0;
  char *sp = NULL;
  if ((rc = check_prefix_paths(&pkg, pkg_dir, l->prefix, err)) != 0)
    goto done;
  if (noarch_py) {
    if (!l->opts.python_version || !*l->opts.python_version) {
      rc = krait_err_set(err, KRAIT_E_INVALID, "%s is noarch: python but no python version is known for %s",
                         j.dist, l->prefix);
      goto done;
    }
    sp = l->opts.python_site_packages_path
             ? krait_strdup(l->opts.python_site_packages_path)
             : krait_asprintf("lib/python%s/site-packages", l->opts.python_version);
    j.site_packages = sp;
  }
  if (!l->prefix_made && (rc = krait_mkdir_p(l->prefix, 0755, err)) != 0)
    goto done;
  l->prefix_made = true;
  show_prelink_messages(l, pkg_dir, j.dist, &out->messages);
  /* pre-link runs from the cache, before any file is in place */
  const char *pkg_bin = noarch_py ? "python-scripts" : "bin";
  if (l->opts.run_scripts && (rc = run_script(l, rec, "pre-link", pkg_dir, pkg_bin, false, &out->messages, err)) != 0)
    goto done;
  forget_dirs(l); /* the previous package (and its scripts) may have changed the tree */
  for (size_t i = 0; i < pkg.len && rc == KRAIT_OK; i++) {
    char *rel = noarch_py ? krait_noarch_python_path(pkg.items[i].path, sp) : krait_strdup(pkg.items[i].path);
    if (strcmp(rel, "conda-meta") == 0 || strncmp(rel, "conda-meta/", 11) == 0)
      rc = krait_err_set(err, KRAIT_E_UNSAFE, "%s: %s: packages may not write conda-meta/ (CEP-34)", j.dist, rel);
    else {
      j.index = i;
      rc = place_file(&j, &pkg.items[i], rel, err);
    }
    free(rel);
  }
  if (rc == KRAIT_OK && noarch_py) {
    if (l->opts.compile_pyc)
      rc = compile_pyc(&j, sp, err);
    if (rc == KRAIT_OK)
      rc = write_entry_points(&j, err);
  }
  if (rc == KRAIT_OK && l->opts.run_scripts)
    rc = run_script(l, rec, "post-link", l->prefix, "bin", true, &out->messages, err);
  if (rc) {
    krait_err_prefix(err, "while linking %s: ", j.dist);
    /* (with a journal, the transaction's rollback also restores what was moved aside) */
    remove_paths(l, &out->paths, false, NULL);
    remove_paths(l, &j.parents, false, NULL); /* only those left empty go */
    krait_link_result_free(out);
    memset(out, 0, sizeof *out);
    goto done;
  }
  out->link_type = (j.copied_for_fallback && !j.hardlinked_any) ? KRAIT_LINK_COPY : KRAIT_LINK_HARDLINK;
done:
  free(sp);
  free(j.dist);
  free(j.pkgs_dir);
  krait_paths_free(&j.parents);
  krait_paths_free(&pkg);
  return rc;
}
