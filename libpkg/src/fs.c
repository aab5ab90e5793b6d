/* Filesystem helpers: whole-file reads, atomic writes, mkdir -p, rm -rf, digests. */
#include "krait/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

krait_code krait_read_file(const char *path, krait_buf *b, krait_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, errno == ENOENT ? KRAIT_E_NOTFOUND : KRAIT_E_IO, "cannot open %s", path);
  krait_buf_clear(b);
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    krait_buf_reserve(b, (size_t)st.st_size);
  for (;;) {
    krait_buf_reserve(b, 65536);
    ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      close(fd);
      return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", path);
    }
    if (n == 0)
      break;
    b->len += (size_t)n;
  }
  b->data[b->len] = '\0';
  close(fd);
  return KRAIT_OK;
}

static krait_code write_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                                krait_err *err) {
  char *tmp = krait_asprintf("%s.krait-tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    krait_err_errno(err, KRAIT_E_IO, "cannot create %s", tmp);
    free(tmp);
    return KRAIT_E_IO;
  }
  const char *p = data;
  size_t left = len;
  while (left) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      krait_err_errno(err, KRAIT_E_IO, "cannot write %s", tmp);
      close(fd);
      unlink(tmp);
      free(tmp);
      return KRAIT_E_IO;
    }
    p += n;
    left -= (size_t)n;
  }
  if (durable && fsync(fd) != 0 && errno != EINVAL) {
    krait_err_errno(err, KRAIT_E_IO, "cannot sync %s", tmp);
    close(fd);
    unlink(tmp);
    free(tmp);
    return KRAIT_E_IO;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    krait_err_errno(err, KRAIT_E_IO, "cannot rename %s to %s", tmp, path);
    unlink(tmp);
    free(tmp);
    return KRAIT_E_IO;
  }
  free(tmp);
  return KRAIT_OK;
}

krait_code krait_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                                   krait_err *err) {
  return write_replace(path, data, len, mode, true, err);
}

krait_code krait_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                          krait_err *err) {
  return write_replace(path, data, len, mode, false, err);
}

/* mkdir that creates missing ancestors, deepest existing one first: a path
 * whose parent exists costs one mkdir, not one per component from / (each a
 * round trip to the server on NFS/Lustre). 0 or -1 with errno. */
static int mkdir_parents_first(char *path, mode_t mode) {
  if (mkdir(path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return -1;
  char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return -1;
  *slash = '\0';
  int r = mkdir_parents_first(path, mode);
  *slash = '/';
  if (r != 0)
    return r;
  return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

krait_code krait_mkdir_p(const char *path, mode_t mode, krait_err *err) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return KRAIT_OK; /* the usual case: one stat */
  char *copy = krait_strdup(path);
  size_t n = strlen(copy);
  while (n > 1 && copy[n - 1] == '/')
    copy[--n] = '\0';
  if (mkdir_parents_first(copy, mode) != 0) {
    krait_err_errno(err, KRAIT_E_IO, "cannot create directory %s", copy);
    free(copy);
    return KRAIT_E_IO;
  }
  if (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)) {
    krait_err_set(err, KRAIT_E_IO, "cannot create directory %s: a file is in the way", copy);
    free(copy);
    return KRAIT_E_IO;
  }
  free(copy);
  return KRAIT_OK;
}

static int rm_one(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
  (void)sb;
  (void)ftwbuf;
  int rc = (typeflag == FTW_DP) ? rmdir(fpath) : unlink(fpath);
  if (rc != 0 && errno != ENOENT) {
    /* a read-only directory blocks unlink of its children: make it writable once */
    return -1;
  }
  return 0;
}

krait_code krait_rm_rf(const char *path, krait_err *err) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? KRAIT_OK : krait_err_errno(err, KRAIT_E_IO, "cannot stat %s", path);
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) != 0 && errno != ENOENT)
      return krait_err_errno(err, KRAIT_E_IO, "cannot remove %s", path);
    return KRAIT_OK;
  }
  if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot remove %s", path);
  return KRAIT_OK;
}

char *krait_path_join(const char *a, const char *b) {
  if (!a || !*a)
    return krait_strdup(b);
  if (b[0] == '/')
    return krait_strdup(b);
  /* by hand, not asprintf: an install joins two paths per file */
  size_t la = strlen(a), lb = strlen(b), sep = a[la - 1] == '/' ? 0 : 1;
  char *out = krait_malloc(la + sep + lb + 1);
  memcpy(out, a, la);
  out[la] = '/';
  memcpy(out + la + sep, b, lb + 1);
  return out;
}

char *krait_path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return krait_strdup(".");
  if (slash == path)
    return krait_strdup("/");
  return krait_strndup(path, (size_t)(slash - path));
}

const char *krait_path_basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool krait_path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

bool krait_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *krait_path_absolute(const char *path) {
  char *expanded;
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
    const char *home = getenv("HOME");
    expanded = krait_asprintf("%s%s", home ? home : "", path + 1);
  } else {
    expanded = krait_strdup(path);
  }
  if (expanded[0] == '/')
    return expanded;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd))
    return expanded;
  char *abs = krait_path_join(cwd, expanded);
  free(expanded);
  /* drop "./" components and a trailing "/." for tidy output */
  size_t n = strlen(abs);
  while (n > 2 && abs[n - 1] == '.' && abs[n - 2] == '/')
    abs[n -= 2] = '\0';
  return abs;
}

static void to_hex(const unsigned char *md, unsigned n, char *hex_out, size_t hex_cap) {
  static const char hx[] = "0123456789abcdef";
  size_t j = 0;
  for (unsigned i = 0; i < n && j + 2 < hex_cap; i++) {
    hex_out[j++] = hx[md[i] >> 4];
    hex_out[j++] = hx[md[i] & 15];
  }
  if (hex_cap)
    hex_out[j < hex_cap ? j : hex_cap - 1] = '\0';
}

void krait_digest_hex(const char *algo, const void *data, size_t len, char *hex_out, size_t hex_cap) {
  const EVP_MD *md = strcmp(algo, "md5") == 0 ? EVP_md5() : EVP_sha256();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data, len, out, &n, md, NULL);
  to_hex(out, n, hex_out, hex_cap);
}

krait_code krait_file_digest(const char *path, const char *algo, char *hex_out, size_t hex_cap,
                             krait_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot open %s", path);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, strcmp(algo, "md5") == 0 ? EVP_md5() : EVP_sha256(), NULL);
  unsigned char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      EVP_MD_CTX_free(ctx);
      close(fd);
      return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", path);
    }
    if (n == 0)
      break;
    EVP_DigestUpdate(ctx, buf, (size_t)n);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  close(fd);
  to_hex(out, len, hex_out, hex_cap);
  return KRAIT_OK;
}

krait_code krait_copy_fd(int in, int out, const char *src, const char *dst, krait_err *err) {
  if (ioctl(out, FICLONE, in) == 0)
    return KRAIT_OK;
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n == 0)
      return KRAIT_OK;
    if (n < 0 && errno != EINTR)
      break; /* EXDEV/ENOSYS/EINVAL: fall back to read/write from where we are */
  }
  char chunk[1 << 16];
  for (;;) {
    ssize_t r = read(in, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return krait_err_errno(err, KRAIT_E_IO, "reading %s", src);
    if (r == 0)
      return KRAIT_OK;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(out, chunk + off, (size_t)(r - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return krait_err_errno(err, KRAIT_E_IO, "writing %s", dst);
      off += w;
    }
  }
}
