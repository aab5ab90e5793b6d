/* The msgpack side of CEP-16 sharded repodata, shared by `krait index`
 * (writing shards and the shard index) and the client (reading them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "chindex_int.h"

static bool hex_to_bin(const char *hex, size_t n, unsigned char *out) {
  if (n % 2)
    return false;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v = 0;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1)
      return false;
    out[i] = (unsigned char)v;
  }
  return true;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n) {
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, s, n);
}

static void pack_value(msgpack_packer *pk, const krait_json *v, bool checksums_as_bin) {
  switch (v->type) {
  case KRAIT_JSON_NULL: msgpack_pack_nil(pk); break;
  case KRAIT_JSON_BOOL: v->boolean ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
  case KRAIT_JSON_NUMBER:
    if (v->number == (double)v->integer)
      msgpack_pack_int64(pk, v->integer);
    else
      msgpack_pack_double(pk, v->number);
    break;
  case KRAIT_JSON_STRING: pack_str(pk, v->string, v->len); break;
  case KRAIT_JSON_ARRAY:
    msgpack_pack_array(pk, v->len);
    for (const krait_json *c = v->child; c; c = c->next)
      pack_value(pk, c, false);
    break;
  case KRAIT_JSON_OBJECT:
    msgpack_pack_map(pk, v->len);
    for (const krait_json *c = v->child; c; c = c->next) {
      pack_str(pk, c->key, strlen(c->key));
      unsigned char bin[64];
      bool digest = checksums_as_bin && c->type == KRAIT_JSON_STRING &&
                    (!strcmp(c->key, "md5") || !strcmp(c->key, "sha256")) && c->len <= 128 &&
                    hex_to_bin(c->string, c->len, bin);
      if (digest) {
        msgpack_pack_bin(pk, c->len / 2);
        msgpack_pack_bin_body(pk, bin, c->len / 2);
      } else {
        pack_value(pk, c, false);
      }
    }
    break;
  }
}

void krait_mp_pack_record(msgpack_packer *pk, const krait_json *rec) { pack_value(pk, rec, true); }

void krait_mp_write_json(krait_jw *w, const msgpack_object *o) {
  switch (o->type) {
  case MSGPACK_OBJECT_NIL: krait_jw_null(w); break;
  case MSGPACK_OBJECT_BOOLEAN: krait_jw_bool(w, o->via.boolean); break;
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    /* no repodata field exceeds int64 (sizes, timestamps in ms); beyond it the
     * value is kept as a double rather than wrapped */
    if (o->via.u64 <= (uint64_t)INT64_MAX)
      krait_jw_int(w, (int64_t)o->via.u64);
    else
      krait_jw_double(w, (double)o->via.u64);
    break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER: krait_jw_int(w, o->via.i64); break;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64: krait_jw_double(w, o->via.f64); break;
  case MSGPACK_OBJECT_STR: krait_jw_strn(w, o->via.str.ptr, o->via.str.size); break;
  case MSGPACK_OBJECT_BIN: {
    char *hex = krait_malloc(2 * (size_t)o->via.bin.size + 1);
    for (uint32_t i = 0; i < o->via.bin.size; i++)
      snprintf(hex + 2 * i, 3, "%02x", (unsigned char)o->via.bin.ptr[i]);
    hex[2 * (size_t)o->via.bin.size] = '\0';
    krait_jw_str(w, hex);
    free(hex);
    break;
  }
  case MSGPACK_OBJECT_ARRAY:
    krait_jw_arr_begin(w);
    for (uint32_t i = 0; i < o->via.array.size; i++)
      krait_mp_write_json(w, &o->via.array.ptr[i]);
    krait_jw_arr_end(w);
    break;
  case MSGPACK_OBJECT_MAP:
    krait_jw_obj_begin(w);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
      const msgpack_object_kv *kv = &o->via.map.ptr[i];
      if (kv->key.type != MSGPACK_OBJECT_STR)
        continue; /* repodata keys are strings; anything else is not ours to show */
      char *key = krait_strndup(kv->key.via.str.ptr, kv->key.via.str.size);
      krait_jw_key(w, key);
      free(key);
      krait_mp_write_json(w, &kv->val);
    }
    krait_jw_obj_end(w);
    break;
  default: krait_jw_null(w); break; /* ext: not used by CEP-16 */
  }
}

const msgpack_object *krait_mp_get(const msgpack_object *map, const char *key) {
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  size_t n = strlen(key);
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, key, n) == 0)
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

krait_code krait_zstd_compress_mem(const void *data, size_t len, int level, krait_buf *out, krait_err *err) {
  size_t cap = ZSTD_compressBound(len);
  krait_buf_reserve(out, cap);
  size_t got = ZSTD_compress(out->data + out->len, cap, data, len, level ? level : ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(got))
    return krait_err_set(err, KRAIT_E_IO, "zstd: %s", ZSTD_getErrorName(got));
  out->len += got;
  return KRAIT_OK;
}

krait_code krait_zstd_decompress_mem(const void *data, size_t len, size_t max_out, krait_buf *out,
                                     const char *what, krait_err *err) {
  ZSTD_DStream *ds = ZSTD_createDStream();
  if (!ds)
    krait_oom();
  ZSTD_inBuffer ib = {data, len, 0};
  krait_code rc = KRAIT_OK;
  for (;;) {
    krait_buf_reserve(out, 1 << 16);
    ZSTD_outBuffer ob = {out->data + out->len, out->cap - out->len - 1, 0};
    size_t left = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(left)) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: zstd: %s", what, ZSTD_getErrorName(left));
      break;
    }
    out->len += ob.pos;
    if (out->len > max_out) {
      rc = krait_err_set(err, KRAIT_E_INVALID, "%s: decompresses to more than %zu bytes", what, max_out);
      break;
    }
    if (left == 0 && ib.pos == ib.size)
      break; /* frame complete, input consumed */
    if (ib.pos == ib.size && ob.pos < ob.size) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s: truncated zstd stream", what);
      break;
    }
  }
  ZSTD_freeDStream(ds);
  if (rc == KRAIT_OK) {
    krait_buf_reserve(out, 1);
    out->data[out->len] = '\0';
  }
  return rc;
}
