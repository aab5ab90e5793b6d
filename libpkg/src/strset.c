/* String set: FNV-1a hashing, linear probing, grown at half full. */
#include "krait/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* The slot holding s, or the empty slot where it belongs. */
static size_t find_slot(const char **slots, size_t cap, const char *s) {
  size_t i = (size_t)hash_str(s) & (cap - 1);
  while (slots[i] && strcmp(slots[i], s) != 0)
    i = (i + 1) & (cap - 1);
  return i;
}

static void grow(krait_strset *set) {
  size_t cap = set->cap ? set->cap * 2 : 64;
  const char **slots = krait_calloc(cap, sizeof *slots);
  for (size_t i = 0; i < set->cap; i++)
    if (set->slots[i])
      slots[find_slot(slots, cap, set->slots[i])] = set->slots[i];
  free(set->slots);
  set->slots = slots;
  set->cap = cap;
}

bool krait_strset_add(krait_strset *set, const char *s) {
  if ((set->len + 1) * 2 > set->cap)
    grow(set);
  size_t i = find_slot(set->slots, set->cap, s);
  if (set->slots[i])
    return false;
  set->slots[i] = s;
  set->len++;
  return true;
}

bool krait_strset_has(const krait_strset *set, const char *s) {
  return set->cap && set->slots[find_slot(set->slots, set->cap, s)] != NULL;
}

void krait_strset_free(krait_strset *set) {
  free(set->slots);
  set->slots = NULL;
  set->cap = set->len = 0;
}
