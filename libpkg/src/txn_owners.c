/* Path -> owning package map (linear probing; removal by tombstone-free backshift). */
#include "txn_owners.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

void txn_owners_init(txn_owners *m) { memset(m, 0, sizeof *m); }

void txn_owners_free(txn_owners *m) {
  for (size_t i = 0; i < m->cap; i++) {
    free(m->keys[i]);
    free(m->values[i]);
  }
  free(m->keys);
  free(m->values);
  free(m->hashes);
  memset(m, 0, sizeof *m);
}

/* The slot of path (hash h): its own, or the empty one it would take. The
 * keys of a prefix share long prefixes ("lib/python3.12/..."), so a string
 * compared on every probe step was most of a warm install's lookups. */
static size_t slot_of(const txn_owners *m, const char *path, uint64_t h) {
  size_t i = (size_t)(h & (m->cap - 1));
  while (m->keys[i] && (m->hashes[i] != h || strcmp(m->keys[i], path) != 0))
    i = (i + 1) & (m->cap - 1);
  return i;
}

static void grow(txn_owners *m) {
  txn_owners old = *m;
  m->cap = old.cap ? old.cap * 2 : 256;
  m->len = 0;
  m->keys = krait_calloc(m->cap, sizeof *m->keys);
  m->values = krait_calloc(m->cap, sizeof *m->values);
  m->hashes = krait_calloc(m->cap, sizeof *m->hashes);
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i]) {
      size_t s = slot_of(m, old.keys[i], old.hashes[i]);
      m->keys[s] = old.keys[i];
      m->values[s] = old.values[i];
      m->hashes[s] = old.hashes[i];
      m->len++;
    }
  free(old.keys);
  free(old.values);
  free(old.hashes);
}

void txn_owners_set(txn_owners *m, const char *path, const char *dist) {
  if ((m->len + 1) * 2 > m->cap)
    grow(m);
  uint64_t h = hash_str(path);
  size_t s = slot_of(m, path, h);
  if (m->keys[s]) {
    free(m->values[s]);
  } else {
    m->keys[s] = krait_strdup(path);
    m->hashes[s] = h;
    m->len++;
  }
  m->values[s] = krait_strdup(dist);
}

const char *txn_owners_get(const txn_owners *m, const char *path) {
  if (!m->cap)
    return NULL;
  size_t s = slot_of(m, path, hash_str(path));
  return m->keys[s] ? m->values[s] : NULL;
}

void txn_owners_remove(txn_owners *m, const char *path) {
  if (!m->cap)
    return;
  size_t i = slot_of(m, path, hash_str(path));
  if (!m->keys[i])
    return;
  free(m->keys[i]);
  free(m->values[i]);
  m->keys[i] = m->values[i] = NULL;
  m->len--;
  /* backshift the cluster after i so lookups never stop at the hole */
  for (size_t j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
    size_t home = (size_t)(m->hashes[j] & (m->cap - 1));
    bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (!between) {
      m->keys[i] = m->keys[j];
      m->values[i] = m->values[j];
      m->hashes[i] = m->hashes[j];
      m->keys[j] = m->values[j] = NULL;
      i = j;
    }
  }
}
