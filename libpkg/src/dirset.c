/* String hash set with open addressing (linear probing); see dirset.h. */
#include "dirset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static size_t slot(const krait_dirset *s, const char *key) {
  size_t i = (size_t)hash(key) & (s->cap - 1);
  while (s->keys[i] && strcmp(s->keys[i], key) != 0)
    i = (i + 1) & (s->cap - 1);
  return i;
}

unsigned krait_dirset_get(const krait_dirset *s, const char *key) {
  if (!s->len)
    return 0;
  size_t i = slot(s, key);
  return s->keys[i] ? s->flags[i] : 0;
}

static void grow(krait_dirset *s) {
  krait_dirset bigger = {.cap = s->cap ? s->cap * 2 : 64};
  bigger.keys = krait_calloc(bigger.cap, sizeof *bigger.keys);
  bigger.flags = krait_calloc(bigger.cap, sizeof *bigger.flags);
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->keys[i])
      continue;
    size_t j = slot(&bigger, s->keys[i]);
    bigger.keys[j] = s->keys[i];
    bigger.flags[j] = s->flags[i];
    bigger.len++;
  }
  free(s->keys);
  free(s->flags);
  *s = bigger;
}

void krait_dirset_put(krait_dirset *s, const char *key, unsigned flags) {
  if ((s->len + 1) * 2 > s->cap) /* keep the load at most 1/2 */
    grow(s);
  size_t i = slot(s, key);
  if (!s->keys[i]) {
    s->keys[i] = krait_strdup(key);
    s->len++;
  }
  s->flags[i] |= (unsigned char)flags;
}

void krait_dirset_clear(krait_dirset *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->keys[i]);
  free(s->keys);
  free(s->flags);
  memset(s, 0, sizeof *s);
}
