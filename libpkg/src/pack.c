/* `krait pack`: walks an environment once (pack_walk.c) into the format's
 * writer, the files conda-meta says hold the prefix rewritten for the
 * destination. Output goes to a temporary file in the output's directory,
 * renamed over the output only when complete. */
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

/* fast; bench/pack_bench.sh: 178 MB of files -> 33 MB */
#define PACK_TAR_ZSTD_LEVEL 3

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

typedef struct pack_filter {
  const krait_strv *excludes;
  const char *skip_abs; /* the temporary output, when inside the env */
} pack_filter;

static bool pack_skip(pack_walk *w, const char *abs, const char *rel, const char *name) {
  const pack_filter *f = w->skip_ctx;
  if ((f->skip_abs && strcmp(abs, f->skip_abs) == 0) || strcmp(rel, KRAIT_PACK_MARKER) == 0)
    return true; /* our own output, or the marker of an earlier unpack */
  for (size_t i = 0; f->excludes && i < f->excludes->len; i++) {
    const char *g = f->excludes->items[i];
    if (fnmatch(g, rel, 0) == 0 || fnmatch(g, name, 0) == 0) {
      w->stats->excluded++;
      return true;
    }
  }
  return false;
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
  krait_reloc reloc = {0};
  pack_filter filter = {.excludes = o->excludes};
  pack_walk w = {.root = root,
                 .start = "",
                 .skip = pack_skip,
                 .skip_ctx = &filter,
                 .hardlinks = true,
                 .reloc = &reloc,
                 .reloc_to = dest,
                 .stats = stats};
  krait_code rc = KRAIT_OK;
  int fd = -1;
#ifndef KRAIT_WITH_SQUASHFS
  if (o->format == KRAIT_PACK_SQUASHFS) {
    rc = krait_err_set(err, KRAIT_E_INVALID,
                       "this krait was built without squashfs support (libsquashfs): use --format tar.zst");
    goto out;
  }
#endif
  if (!krait_is_dir(root)) {
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "environment %s does not exist", root);
    goto out;
  }
  if (dest[0] != '/') {
    rc = krait_err_set(err, KRAIT_E_INVALID, "--dest-prefix must be an absolute path, not \"%s\"", dest);
    goto out;
  }
  if ((rc = krait_reloc_load(root, &reloc, err)) != KRAIT_OK)
    goto out;
  if (reloc.pip.len && !o->ignore_pip) {
    rc = pip_refusal(&reloc, err);
    goto out;
  }
  if ((rc = krait_reloc_check(&reloc, dest, err)) != KRAIT_OK)
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
  filter.skip_abs = tmp;
#ifdef KRAIT_WITH_SQUASHFS
  if (o->format == KRAIT_PACK_SQUASHFS)
    w.sink = krait_pack_sqfs_sink(tmp, out_abs, err);
  else
#endif
    w.sink = krait_pack_tar_sink(fd, out_abs, o->format, PACK_TAR_ZSTD_LEVEL, true, err);
  if (!w.sink) {
    rc = err ? err->code : KRAIT_E_IO;
    goto out;
  }
  rc = krait_pack_walk(&w, err);
  if (rc == KRAIT_OK) {
    /* tells krait unpack which prefix the files now hold */
    krait_buf marker = KRAIT_BUF_INIT;
    krait_buf_printf(&marker, "%s\n", dest);
    struct stat st = {.st_mode = S_IFREG | 0644, .st_mtime = time(NULL), .st_nlink = 1};
    st.st_size = (off_t)marker.len;
    rc = krait_pack_sink_put(w.sink, KRAIT_PACK_MARKER, &st, marker.data, marker.len, err);
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
  krait_reloc_free(&reloc);
  free(root);
  free(dest);
  free(out_abs);
  return rc;
}
