/* Which installed package owns a prefix path: an open-addressing hash map
 * relpath -> dist, used to report clobbering. Owns its keys and values. */
#ifndef KRAIT_TXN_OWNERS_H
#define KRAIT_TXN_OWNERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct txn_owners {
  char **keys;
  char **values;
  uint64_t *hashes; /* of keys[i]: a probe compares these before the strings */
  size_t cap;
  size_t len;
} txn_owners;

void txn_owners_init(txn_owners *m);
void txn_owners_free(txn_owners *m);
void txn_owners_set(txn_owners *m, const char *path, const char *dist);
void txn_owners_remove(txn_owners *m, const char *path);
const char *txn_owners_get(const txn_owners *m, const char *path);

#endif
