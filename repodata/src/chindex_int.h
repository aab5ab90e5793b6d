/* Private interfaces of `krait index` (chindex*.c) and the sharded repodata
 * format shared with the client (shards*.c). */
#ifndef KRAIT_CHINDEX_INT_H
#define KRAIT_CHINDEX_INT_H

#include <msgpack.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/json.h"

/* Reads one archive: the conda-index record (compact JSON, keys sorted) and
 * the package name. Refuses (KRAIT_E_INVALID) an archive whose index.json
 * name-version-build differs from its file name. Caller frees both. */
krait_code krait_chindex_read_archive(const char *path, const char *fn, char **record_json, char **name,
                                      krait_err *err);

/* CEP-16 msgpack: packs a JSON value; inside records (depth 1 below the
 * packages maps) md5 and sha256 hex strings become bin, as the CEP asks. */
void krait_mp_pack_record(msgpack_packer *pk, const krait_json *rec);
/* Writes a msgpack value as JSON; bin values (md5, sha256) become lower-case
 * hex strings, so a shard record reads back as its repodata.json record. */
void krait_mp_write_json(krait_jw *w, const msgpack_object *o);
/* zstd helpers over memory (level 0 = zstd's default). Decompression is
 * bounded by max_out bytes. */
krait_code krait_zstd_compress_mem(const void *data, size_t len, int level, krait_buf *out, krait_err *err);
krait_code krait_zstd_decompress_mem(const void *data, size_t len, size_t max_out, krait_buf *out,
                                     const char *what, krait_err *err);
/* Finds key in a msgpack map (str keys), or NULL. */
const msgpack_object *krait_mp_get(const msgpack_object *map, const char *key);

#endif
