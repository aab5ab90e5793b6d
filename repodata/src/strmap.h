/* A string -> two ints map for the loader's per-parse tables (file-name
 * stems, distinct dependency strings): hundreds of thousands of lookups of
 * short strings per load. It owns copies of its keys (in one arena, addressed
 * by offset) and keeps each key's hash, so a probe compares the hash before
 * any bytes; the hash reads 8 bytes at a time. libsolv's Stringpool, used
 * before, hashed a byte at a time, compared bytes on every probe and grew
 * its arrays in fixed blocks: together a tenth of a cold load. */
#ifndef KRAIT_REPODATA_STRMAP_H
#define KRAIT_REPODATA_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct krait_strmap_slot {
  uint32_t hash;
  uint32_t key; /* offset of the key in the arena + 1 (0: empty slot) */
  int32_t a, b; /* the values, 0 for a new key */
} krait_strmap_slot;

typedef struct krait_strmap {
  krait_strmap_slot *slots; /* open addressing, linear probing, at most 3/4 full */
  size_t cap, len;
  char *arena; /* per key: its length (uint32_t, unaligned), then its bytes */
  size_t arena_len, arena_cap;
} krait_strmap;

#define KRAIT_STRMAP_INIT {NULL, 0, 0, NULL, 0, 0}

/* The slot of key s[0..len) (added, with a = b = 0, if new: *added tells).
 * The pointer is valid until the next call. NULL when the arena would pass
 * 4 GiB (the caller treats it as an allocation failure). */
krait_strmap_slot *krait_strmap_get(krait_strmap *m, const char *s, size_t len, bool *added);
/* Starts loading the slot where key s[0..len) would be into the cache, for a
 * krait_strmap_get of it a little later (a table of a few MB is a cache miss
 * per lookup otherwise). */
void krait_strmap_prefetch(const krait_strmap *m, const char *s, size_t len);
void krait_strmap_free(krait_strmap *m);
/* The hash the map uses (also the name index's, name_index.h). */
uint32_t krait_strmap_hash(const char *s, size_t len);

#endif
