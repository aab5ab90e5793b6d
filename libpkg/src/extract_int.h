/* Private to libpkg: call before starting threads that extract (reads the
 * process umask once, which cannot be done race-free later). */
#ifndef KRAIT_EXTRACT_INT_H
#define KRAIT_EXTRACT_INT_H

void krait_extract_before_threads(void);

/* ---- checking extracted files against info/paths.json (extract_verify.c) ----
 * Each regular file's sha256 and size are computed while it streams to disk
 * (no second read), then compared with paths.json before the tree is
 * committed, as conda's extra_safety_checks does. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krait/err.h"

typedef struct xdigest {
  char *rel;               /* owned */
  unsigned char sha256[32];
  uint64_t size;
  size_t order;            /* write order: a later entry for the same path wins */
} xdigest;

typedef struct xdigests {
  xdigest *items;
  size_t len, cap;
  void *md;                /* the open EVP_MD_CTX of the file being written, or NULL */
  uint64_t hashed;         /* bytes fed into md so far (holes of sparse files included) */
} xdigests;

void xdigests_begin(xdigests *d);
void xdigests_update(xdigests *d, const void *buf, size_t size, uint64_t offset);
void xdigests_end(xdigests *d, const char *rel);
/* A hard link: rel has the digest of target (written before it), if known. */
void xdigests_alias(xdigests *d, const char *rel, const char *target);
/* Compares the digests with <tree>/info/paths.json (nothing to do without
 * one, or for entries without sha256/size). pkg names the archive in errors. */
krait_code xdigests_verify(xdigests *d, const char *tree, const char *pkg, krait_err *err);
void xdigests_free(xdigests *d);

#endif
