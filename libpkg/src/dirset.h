/* A small string hash set of prefix-relative directories, with a flag per
 * entry: what the linker already knows about a directory so that it does not
 * ask the filesystem again for every file (on NFS/Lustre every stat, mkdir
 * and readlink is a network round trip). Internal to libpkg.
 *
 * Ownership: the set owns copies of its keys; krait_dirset_clear() frees them
 * and the table. A zeroed krait_dirset is an empty set. */
#ifndef KRAIT_DIRSET_H
#define KRAIT_DIRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct krait_dirset {
  char **keys;
  unsigned char *flags;
  size_t cap; /* 0 or a power of two */
  size_t len;
} krait_dirset;

/* Flags of a known directory: VERIFIED = a directory (or a link to one) whose
 * real path is inside the prefix; FRESH = also created by the linker in the
 * current package, so nothing but that package's own files can be below it. */
enum { KRAIT_DIR_VERIFIED = 1, KRAIT_DIR_FRESH = 2 };

/* The flags of key, 0 when unknown. */
unsigned krait_dirset_get(const krait_dirset *s, const char *key);
/* Adds key (or ORs flags into an existing entry). */
void krait_dirset_put(krait_dirset *s, const char *key, unsigned flags);
/* Forgets everything (the set stays usable). */
void krait_dirset_clear(krait_dirset *s);

#endif
