/* The name index of a repodata.json: building, lookup and the cache file
 * (see name_index.h). */
#include "name_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"

#define INDEX_FORMAT 1
#define HEADER_MAX 8192
#define MAGIC "KRNIDX1"

/* The blob's head; the arrays follow in this order, each padded to 8 bytes. */
typedef struct blob_head {
  char magic[8];
  uint32_t n_names, n_recs, n_deps, table_cap, strings_len, pad;
} blob_head;

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* A checksum of the blob (8 bytes at a time, multiply and fold; a few ms for
 * conda-forge's 12 MB): the structure is bounds-checked on reading, but a
 * damaged name or offset inside the bounds would hide records silently. */
static uint64_t blob_sum(const char *p, size_t len) {
  const uint64_t k = 0x9E3779B97F4A7C15ULL;
  uint64_t h = (uint64_t)len * k;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  for (; len; p++, len--)
    h = (h ^ (unsigned char)*p) * k;
  return h ^ (h >> 32);
}

/* ---- building ---- */

static void *grow_array(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return p;
  size_t cap2 = *cap ? *cap * 2 : 1024;
  while (cap2 < need)
    cap2 *= 2;
  *cap = cap2;
  return krait_realloc(p, cap2 * size);
}

static uint32_t name_id(krait_name_builder *b, const char *name, size_t len) {
  bool added;
  krait_strmap_slot *slot = krait_strmap_get(&b->names, name, len, &added);
  if (!slot || b->n_names == UINT32_MAX - 1) {
    b->failed = true;
    return UINT32_MAX;
  }
  if (!added)
    return (uint32_t)slot->a;
  slot->a = (int32_t)b->n_names;
  size_t cap = b->names_cap;
  b->name_key = grow_array(b->name_key, &cap, (size_t)b->n_names + 1, sizeof *b->name_key);
  b->names_cap = (uint32_t)cap;
  b->name_key[b->n_names] = slot->key;
  return b->n_names++;
}

/* name[0, len) is the name of index id */
static bool is_name(const krait_name_builder *b, uint32_t id, const char *name, size_t len) {
  const char *key = b->names.arena + b->name_key[id] - 1; /* a uint32_t length, then the bytes */
  uint32_t l;
  memcpy(&l, key, sizeof l);
  return l == len && memcmp(key + sizeof l, name, len) == 0;
}

static void dep_names_push(krait_dep_names *d, const char *name, size_t len) {
  if (d->len + len > UINT32_MAX)
    return; /* not remembered: the next record looks its names up */
  size_t cap = d->cap;
  d->text = grow_array(d->text, &cap, d->len + len, 1);
  d->cap = cap;
  cap = d->n_cap;
  d->end = grow_array(d->end, &cap, (size_t)d->n + 1, sizeof *d->end);
  d->n_cap = (uint32_t)cap;
  memcpy(d->text + d->len, name, len);
  d->len += len;
  d->end[d->n++] = (uint32_t)d->len;
}

static bool dep_names_at(const krait_dep_names *d, uint32_t i, const char *name, size_t len) {
  if (i >= d->n)
    return false;
  uint32_t from = i ? d->end[i - 1] : 0;
  return d->end[i] - from == len && memcmp(d->text + from, name, len) == 0;
}

uint32_t krait_name_builder_add(krait_name_builder *b, const char *name, size_t len, const krait_name_rec *rec) {
  if (b->failed)
    return UINT32_MAX;
  bool same = b->have_last && is_name(b, b->last_id, name, len);
  uint32_t id = same ? b->last_id : name_id(b, name, len);
  if (id == UINT32_MAX || b->n_recs >= UINT32_MAX - 1) {
    b->failed = true;
    return UINT32_MAX;
  }
  size_t cap = b->recs_cap;
  b->recs = grow_array(b->recs, &b->recs_cap, b->n_recs + 1, sizeof *b->recs);
  if (cap != b->recs_cap)
    b->rec_name = krait_realloc(b->rec_name, b->recs_cap * sizeof *b->rec_name);
  b->recs[b->n_recs] = *rec;
  b->rec_name[b->n_recs++] = id;
  b->have_last = true;
  b->last_id = id;
  b->same_as_before = same;
  b->cur ^= 1;
  b->deps_of[b->cur].len = 0;
  b->deps_of[b->cur].n = 0;
  b->dep_at = 0;
  return id;
}

static void add_pair(krait_name_builder *b, uint32_t of, uint32_t d);

void krait_name_builder_dep(krait_name_builder *b, uint32_t of, const char *dep, size_t len) {
  if (b->failed || of == UINT32_MAX || !len)
    return;
  if (b->have_last && of == b->last_id) {
    /* the record before, of the same name, had this dependency name at the
     * same place: it was recorded then (or before that) */
    bool seen = b->same_as_before && dep_names_at(&b->deps_of[b->cur ^ 1], b->dep_at, dep, len);
    b->dep_at++;
    dep_names_push(&b->deps_of[b->cur], dep, len);
    if (seen)
      return;
  }
  uint32_t d = name_id(b, dep, len);
  if (d != UINT32_MAX)
    add_pair(b, of, d);
}

/* Records that name `of` depends on name d, once. */
static void add_pair(krait_name_builder *b, uint32_t of, uint32_t d) {
  /* the records of a name are mostly next to each other (repodata is sorted
   * by file name), so "the last name that depended on d" settles most
   * repeats without the pair table */
  if (d >= b->last_of_cap) {
    size_t cap = b->last_of_cap ? b->last_of_cap : 1024;
    while (cap <= d)
      cap *= 2;
    b->last_of = krait_realloc(b->last_of, cap * sizeof *b->last_of);
    memset(b->last_of + b->last_of_cap, 0xff, (cap - b->last_of_cap) * sizeof *b->last_of);
    b->last_of_cap = cap;
  }
  if (b->last_of[d] == of)
    return;
  b->last_of[d] = of;
  uint32_t pair[2] = {of, d};
  bool added;
  krait_strmap_slot *slot = krait_strmap_get(&b->pairs, (const char *)pair, sizeof pair, &added);
  if (!slot) {
    b->failed = true;
    return;
  }
  if (!added)
    return;
  size_t cap = b->pairs_cap;
  b->pair_name = grow_array(b->pair_name, &cap, b->n_pairs + 1, sizeof *b->pair_name);
  if (cap != b->pairs_cap)
    b->pair_dep = krait_realloc(b->pair_dep, cap * sizeof *b->pair_dep);
  b->pairs_cap = cap;
  b->pair_name[b->n_pairs] = of;
  b->pair_dep[b->n_pairs++] = d;
}

void krait_name_builder_merge(krait_name_builder *into, const krait_name_builder *from) {
  if (from->failed)
    into->failed = true;
  if (into->failed)
    return;
  uint32_t *map = krait_calloc((size_t)from->n_names + 1, sizeof *map);
  for (uint32_t i = 0; i < from->n_names && !into->failed; i++) {
    uint32_t l;
    memcpy(&l, from->names.arena + from->name_key[i] - 1, sizeof l);
    map[i] = name_id(into, from->names.arena + from->name_key[i] - 1 + sizeof l, l);
  }
  for (size_t r = 0; r < from->n_recs && !into->failed; r++) {
    size_t cap = into->recs_cap;
    into->recs = grow_array(into->recs, &into->recs_cap, into->n_recs + 1, sizeof *into->recs);
    if (cap != into->recs_cap)
      into->rec_name = krait_realloc(into->rec_name, into->recs_cap * sizeof *into->rec_name);
    into->recs[into->n_recs] = from->recs[r];
    into->rec_name[into->n_recs++] = map[from->rec_name[r]];
  }
  for (size_t p = 0; p < from->n_pairs && !into->failed; p++)
    add_pair(into, map[from->pair_name[p]], map[from->pair_dep[p]]);
  free(map);
}

void krait_name_builder_free(krait_name_builder *b) {
  krait_strmap_free(&b->names);
  krait_strmap_free(&b->pairs);
  free(b->name_key);
  free(b->rec_name);
  free(b->recs);
  free(b->pair_name);
  free(b->pair_dep);
  free(b->last_of);
  for (int i = 0; i < 2; i++) {
    free(b->deps_of[i].text);
    free(b->deps_of[i].end);
  }
  memset(b, 0, sizeof *b);
}


bool krait_name_builder_finish(krait_name_builder *b, krait_name_index *idx) {
  if (b->failed) {
    krait_name_builder_free(b);
    return false;
  }
  uint32_t nn = b->n_names, table_cap = 16;
  while (table_cap < 2 * (size_t)nn)
    table_cap *= 2;
  size_t strings_len = 0;
  for (uint32_t i = 0; i < nn; i++) {
    uint32_t l;
    memcpy(&l, b->names.arena + b->name_key[i] - 1, sizeof l);
    strings_len += l;
  }
  if (strings_len >= UINT32_MAX) {
    krait_name_builder_free(b);
    return false;
  }
  size_t off_names = pad8(sizeof(blob_head)), off_recs = off_names + pad8((size_t)nn * sizeof(krait_name_ent));
  size_t off_deps = off_recs + pad8(b->n_recs * sizeof(krait_name_rec));
  size_t off_table = off_deps + pad8(b->n_pairs * sizeof(uint32_t));
  size_t off_strings = off_table + pad8((size_t)table_cap * sizeof(uint32_t));
  size_t total = off_strings + pad8(strings_len);
  char *blob = krait_calloc(1, total);
  blob_head head = {.n_names = nn, .n_recs = (uint32_t)b->n_recs, .n_deps = (uint32_t)b->n_pairs,
                    .table_cap = table_cap, .strings_len = (uint32_t)strings_len};
  memcpy(head.magic, MAGIC, sizeof head.magic);
  memcpy(blob, &head, sizeof head);
  krait_name_ent *names = (krait_name_ent *)(blob + off_names);
  krait_name_rec *recs = (krait_name_rec *)(blob + off_recs);
  uint32_t *deps = (uint32_t *)(blob + off_deps), *table = (uint32_t *)(blob + off_table);
  char *strings = blob + off_strings;

  /* counting sorts by name: each name's records stay in file order */
  size_t at = 0;
  for (uint32_t i = 0; i < nn; i++) {
    uint32_t l;
    memcpy(&l, b->names.arena + b->name_key[i] - 1, sizeof l);
    memcpy(strings + at, b->names.arena + b->name_key[i] - 1 + sizeof l, l);
    names[i].name_off = (uint32_t)at;
    names[i].name_len = l;
    at += l;
    uint32_t slot = krait_strmap_hash(strings + names[i].name_off, l) & (table_cap - 1);
    while (table[slot])
      slot = (slot + 1) & (table_cap - 1);
    table[slot] = i + 1;
  }
  for (size_t r = 0; r < b->n_recs; r++)
    names[b->rec_name[r]].n_recs++;
  for (size_t p = 0; p < b->n_pairs; p++)
    names[b->pair_name[p]].n_deps++;
  uint32_t rec_at = 0, dep_at = 0;
  for (uint32_t i = 0; i < nn; i++) {
    names[i].first_rec = rec_at, rec_at += names[i].n_recs, names[i].n_recs = 0;
    names[i].first_dep = dep_at, dep_at += names[i].n_deps, names[i].n_deps = 0;
  }
  for (size_t r = 0; r < b->n_recs; r++) {
    krait_name_ent *e = &names[b->rec_name[r]];
    recs[e->first_rec + e->n_recs++] = b->recs[r];
  }
  for (size_t p = 0; p < b->n_pairs; p++) {
    krait_name_ent *e = &names[b->pair_name[p]];
    deps[e->first_dep + e->n_deps++] = b->pair_dep[p];
  }
  krait_name_builder_free(b);
  idx->owned = blob;
  return krait_name_index_view(idx, blob, total);
}

/* ---- the blob, built or mapped ---- */

/* Points idx's arrays into blob after checking that every offset and count
 * in it stays inside it: a cache file is read as untrusted bytes. */
bool krait_name_index_view(krait_name_index *idx, const char *blob, size_t len) {
  blob_head head;
  if (len < sizeof head)
    return false;
  memcpy(&head, blob, sizeof head);
  if (memcmp(head.magic, MAGIC, sizeof head.magic) != 0 || !head.table_cap ||
      (head.table_cap & (head.table_cap - 1)) || head.table_cap < head.n_names)
    return false;
  size_t off_names = pad8(sizeof(blob_head)), off_recs = off_names + pad8((size_t)head.n_names * sizeof(krait_name_ent));
  size_t off_deps = off_recs + pad8((size_t)head.n_recs * sizeof(krait_name_rec));
  size_t off_table = off_deps + pad8((size_t)head.n_deps * sizeof(uint32_t));
  size_t off_strings = off_table + pad8((size_t)head.table_cap * sizeof(uint32_t));
  if (off_strings + head.strings_len > len)
    return false;
  const krait_name_ent *names = (const krait_name_ent *)(blob + off_names);
  const uint32_t *deps = (const uint32_t *)(blob + off_deps), *table = (const uint32_t *)(blob + off_table);
  for (uint32_t i = 0; i < head.n_names; i++) {
    const krait_name_ent *e = &names[i];
    if ((uint64_t)e->name_off + e->name_len > head.strings_len || (uint64_t)e->first_rec + e->n_recs > head.n_recs ||
        (uint64_t)e->first_dep + e->n_deps > head.n_deps)
      return false;
  }
  for (uint32_t i = 0; i < head.n_deps; i++)
    if (deps[i] >= head.n_names)
      return false;
  for (uint32_t i = 0; i < head.table_cap; i++)
    if (table[i] > head.n_names)
      return false;
  idx->names = names;
  idx->recs = (const krait_name_rec *)(blob + off_recs);
  idx->deps = deps;
  idx->table = table;
  idx->strings = blob + off_strings;
  idx->n_names = head.n_names;
  idx->n_recs = head.n_recs;
  idx->n_deps = head.n_deps;
  idx->table_cap = head.table_cap;
  idx->strings_len = head.strings_len;
  return true;
}

const krait_name_ent *krait_name_index_find(const krait_name_index *idx, const char *name, size_t len) {
  if (!idx->table_cap)
    return NULL;
  uint32_t slot = krait_strmap_hash(name, len) & (idx->table_cap - 1);
  /* at most table_cap probes: a mapped table need not have an empty slot */
  for (uint32_t n = 0; n < idx->table_cap && idx->table[slot]; n++, slot = (slot + 1) & (idx->table_cap - 1)) {
    const krait_name_ent *e = &idx->names[idx->table[slot] - 1];
    if (e->name_len == len && memcmp(idx->strings + e->name_off, name, len) == 0)
      return e;
  }
  return NULL;
}

unsigned krait_dep_name(const char *dep, size_t len, const char **name, size_t *name_len, size_t *cut_len) {
  /* pool_conda_matchspec's name: after the last ':' of the string, up to
   * the first space or operator */
  const char *end = dep + len, *colon = memrchr(dep, ':', len);
  if (colon)
    dep = colon + 1;
  while (dep < end && *dep == ' ') /* (an empty name to libsolv: following more is harmless) */
    dep++;
  /* 1: the name ends here; 2: an upper-case letter; 4: '[' or ';' */
  static const unsigned char kind[256] = {
      [' '] = 1, ['='] = 1, ['<'] = 1, ['>'] = 1, ['!'] = 1, ['~'] = 1, ['['] = 4, [';'] = 4,
      ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2, ['H'] = 2, ['I'] = 2,
      ['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2,
      ['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2};
  size_t n = 0, cut = 0;
  unsigned seen = 0, k;
  while (dep + n < end && (k = kind[(unsigned char)dep[n]]) != 1) {
    if (k == 4 && !(seen & 4))
      cut = n;
    seen |= k;
    n++;
  }
  *name = dep;
  *name_len = n;
  *cut_len = seen & 4 ? cut : n;
  return seen & 6;
}

void krait_name_index_free(krait_name_index *idx) {
  if (idx->map)
    munmap(idx->map, idx->map_len);
  free(idx->owned);
  free(idx->solv_subdir);
  krait_repo_meta_free(&idx->meta);
  memset(idx, 0, sizeof *idx);
}

/* ---- the cache file ---- */

static size_t blob_len(const krait_name_index *idx) {
  return pad8(sizeof(blob_head)) + pad8((size_t)idx->n_names * sizeof(krait_name_ent)) +
         pad8((size_t)idx->n_recs * sizeof(krait_name_rec)) + pad8((size_t)idx->n_deps * sizeof(uint32_t)) +
         pad8((size_t)idx->table_cap * sizeof(uint32_t)) + pad8(idx->strings_len);
}

static void write_file(const krait_ctx *ctx, const krait_name_index *idx, const char *index_path,
                       const krait_solv_stamp *stamp, const char *sha256) {
  krait_buf hdr = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &hdr, 0);
  krait_jw_obj_begin(&w);
  krait_jw_kint(&w, "krait_names", INDEX_FORMAT);
  krait_cache_header_put(&w, stamp, sha256, &idx->meta);
  krait_jw_kstr(&w, "solv_subdir", idx->solv_subdir);
  krait_jw_kint(&w, "solv_subdir_at", (int64_t)idx->solv_subdir_at);
  /* the blob is contiguous from the head on, whether built or mapped */
  const char *blob = (const char *)idx->names - pad8(sizeof(blob_head));
  char sum[17];
  snprintf(sum, sizeof sum, "%016llx", (unsigned long long)blob_sum(blob, blob_len(idx)));
  krait_jw_kstr(&w, "blob_sum", sum);
  krait_jw_obj_end(&w);
  while ((hdr.len + 1) % 8)
    krait_buf_putc(&hdr, ' ');
  krait_buf_putc(&hdr, '\n');
  krait_err err;
  krait_buf all = KRAIT_BUF_INIT;
  krait_buf_append(&all, hdr.data, hdr.len);
  krait_buf_append(&all, blob, blob_len(idx));
  char *dir = krait_path_dirname(index_path);
  if (hdr.len > HEADER_MAX)
    krait_debug(ctx, "not caching %s: header too long", index_path);
  else if (krait_mkdir_p(dir, 0755, &err) != KRAIT_OK ||
           krait_write_file_atomic_nosync(index_path, all.data, all.len, 0644, &err) != KRAIT_OK)
    krait_debug(ctx, "not caching %s: %s", index_path, err.msg);
  free(dir);
  krait_buf_free(&all);
  krait_buf_free(&hdr);
}

void krait_name_index_write(const krait_ctx *ctx, const krait_name_index *idx, const char *index_path, int json_fd,
                            const char *json_path, const krait_solv_stamp *stamp) {
  char hex[65];
  if (krait_solv_stamp_cacheable(ctx, index_path, json_fd, json_path, stamp, hex))
    write_file(ctx, idx, index_path, stamp, hex);
}

bool krait_name_index_read(const krait_ctx *ctx, const char *index_path, int json_fd, const krait_solv_stamp *stamp,
                           krait_name_index *idx) {
  memset(idx, 0, sizeof *idx);
  int fd = open(index_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  void *map = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return false;
  idx->map = map;
  idx->map_len = (size_t)st.st_size;
  const char *base = map, *nl = memchr(base, '\n', idx->map_len < HEADER_MAX ? idx->map_len : HEADER_MAX);
  krait_json *h = nl ? krait_json_parse(base, (size_t)(nl - base), index_path, NULL) : NULL;
  int64_t format = 0, subdir_at = 0;
  const char *source = h ? krait_json_get_str(h, "source") : NULL, *sha = h ? krait_json_get_str(h, "sha256") : NULL;
  bool ok = h && krait_json_get_int(h, "krait_names", &format) && format == INDEX_FORMAT && source &&
            strcmp(source, stamp->text) == 0 && sha && krait_json_get_int(h, "solv_subdir_at", &subdir_at) &&
            subdir_at >= 0;
  size_t head_len = nl ? (size_t)(nl - base) + 1 : 0;
  const char *sum = h ? krait_json_get_str(h, "blob_sum") : NULL;
  char actual[17];
  if (ok && head_len % 8 == 0)
    snprintf(actual, sizeof actual, "%016llx",
             (unsigned long long)blob_sum(base + head_len, idx->map_len - head_len));
  if (ok && (head_len % 8 || !sum || strcmp(sum, actual) != 0 || !krait_name_index_view(idx, base + head_len, idx->map_len - head_len))) {
    krait_debug(ctx, "%s: damaged name index, rebuilding it", index_path);
    ok = false;
  } else if (!ok)
    krait_debug(ctx, "%s: stale or foreign name index, rebuilding it", index_path);
  char hex[65] = "";
  if (ok && *sha && (!krait_file_sha256_fd(json_fd, hex) || strcmp(hex, sha) != 0)) {
    krait_debug(ctx, "%s: source changed within its mtime tick, rebuilding it", index_path);
    ok = false;
  }
  if (ok) {
    const krait_json *bic = krait_json_get(h, "base_is_channel");
    idx->meta.base_url = krait_strdup(krait_json_get_str(h, "base_url"));
    idx->meta.subdir = krait_strdup(krait_json_get_str(h, "subdir"));
    idx->meta.base_is_channel = bic && bic->type == KRAIT_JSON_BOOL && bic->boolean;
    idx->solv_subdir = krait_strdup(krait_json_get_str(h, "solv_subdir"));
    idx->solv_subdir_at = (uint64_t)subdir_at;
    /* a racy entry whose source has aged: drop the hash, so later reads are cheap */
    if (*sha && !krait_solv_stamp_racy(stamp))
      write_file(ctx, idx, index_path, stamp, "");
  }
  krait_json_free(h);
  if (!ok)
    krait_name_index_free(idx);
  return ok;
}
