/* String map for the loader: see strmap.h. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

/* 8 bytes at a time, each word mixed in by a multiply (a variant of the
 * "multiply and fold" hashes); the tail is read as one short word. Only
 * spreading matters here: the table is private to one parse. */
uint32_t krait_strmap_hash(const char *s, size_t len) {
  const uint64_t k = 0x9E3779B97F4A7C15ULL;
  uint64_t h = (uint64_t)len * k;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * k;
    h ^= h >> 32;
    s += 8;
    len -= 8;
  }
  if (len) {
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * k;
    h ^= h >> 32;
  }
  h *= k;
  return (uint32_t)(h >> 32);
}

static const char *key_bytes(const krait_strmap *m, uint32_t key, uint32_t *len) {
  memcpy(len, m->arena + key - 1, sizeof(*len));
  return m->arena + key - 1 + sizeof(*len);
}

static void grow(krait_strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 1024;
  krait_strmap_slot *slots = krait_calloc(cap, sizeof(*slots));
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->slots[i].key)
      continue;
    size_t j = m->slots[i].hash & (cap - 1);
    while (slots[j].key)
      j = (j + 1) & (cap - 1);
    slots[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
}

krait_strmap_slot *krait_strmap_get(krait_strmap *m, const char *s, size_t len, bool *added) {
  *added = false;
  if ((m->len + 1) * 4 > m->cap * 3)
    grow(m);
  uint32_t h = krait_strmap_hash(s, len);
  size_t i = h & (m->cap - 1);
  for (; m->slots[i].key; i = (i + 1) & (m->cap - 1)) {
    if (m->slots[i].hash != h)
      continue;
    uint32_t klen;
    const char *k = key_bytes(m, m->slots[i].key, &klen);
    if (klen == len && memcmp(k, s, len) == 0)
      return &m->slots[i];
  }
  size_t need = sizeof(uint32_t) + len;
  if (m->arena_len + need >= UINT32_MAX || len > UINT32_MAX)
    return NULL;
  if (m->arena_len + need > m->arena_cap) {
    m->arena_cap = m->arena_cap ? m->arena_cap * 2 : 1 << 16;
    while (m->arena_len + need > m->arena_cap)
      m->arena_cap *= 2;
    m->arena = krait_realloc(m->arena, m->arena_cap);
  }
  uint32_t len32 = (uint32_t)len;
  memcpy(m->arena + m->arena_len, &len32, sizeof(len32));
  memcpy(m->arena + m->arena_len + sizeof(len32), s, len);
  m->slots[i] = (krait_strmap_slot){.hash = h, .key = (uint32_t)m->arena_len + 1};
  m->arena_len += need;
  m->len++;
  *added = true;
  return &m->slots[i];
}

void krait_strmap_prefetch(const krait_strmap *m, const char *s, size_t len) {
  if (m->cap)
    __builtin_prefetch(&m->slots[krait_strmap_hash(s, len) & (m->cap - 1)]);
}

void krait_strmap_free(krait_strmap *m) {
  free(m->slots);
  free(m->arena);
  *m = (krait_strmap)KRAIT_STRMAP_INIT;
}
