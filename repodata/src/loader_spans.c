/* The loader's span mode (loader_int.h): the records a solve reaches, read
 * by their spans in the JSON and added exactly as a full load adds them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <solv/util.h>

#include "loader_int.h"

/* ---- the records a solve reaches (reachable.c), by their spans ---- */

#define CHUNK_GAP (64u << 10)  /* records closer than this are read in one pread */
#define CHUNK_MAX (16u << 20)

static krait_code span_changed(loader *ld, const krait_name_rec *r) {
  ld->w.rc = krait_err_set(ld->w.err, KRAIT_E_PARSE,
                           "%s: the record at byte %llu is not where krait's name index of the file says: the file "
                           "was changed while krait was reading it; run the command again",
                           ld->w.path, (unsigned long long)r->val_off);
  return ld->w.rc;
}

static bool pread_all(int fd, char *buf, size_t len, uint64_t at) {
  while (len) {
    ssize_t n = pread(fd, buf, len, (off_t)at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    buf += n, len -= (size_t)n, at += (uint64_t)n;
  }
  return true;
}

/* One record of a chunk read at file offset `base`: its key, then its value,
 * each checked to be where the index says, then added as a full load would. */
static krait_code add_span(loader *ld, char *buf, size_t len, uint64_t base, const krait_span_pick *pk,
                           krait_buf *kfn) {
  const krait_name_rec *r = pk->rec;
  size_t v = (size_t)(r->val_off - base), k = v - r->key_back;
  const char *key = NULL;
  if (r->key_back) {
    size_t end = buf[k] == '"' ? krait_ld_skip_string(buf, k, v) : v;
    size_t after = krait_ld_skip_ws(buf, end, v);
    if (end >= v || after >= v || buf[after] != ':' || krait_ld_skip_ws(buf, after + 1, v) != v)
      return span_changed(ld, r);
    if (!krait_ld_decode_string(buf + k, end - k, kfn))
      return span_changed(ld, r);
    key = krait_buf_str(kfn);
  }
  yyjson_read_err e;
  yyjson_doc *doc = yyjson_read_opts(buf + v, len - v, PARSE_FLAGS, ld->w.alc_block ? &ld->w.alc : NULL, &e);
  if (!doc && e.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION) /* a record larger than the block */
    doc = yyjson_read_opts(buf + v, len - v, PARSE_FLAGS, NULL, &e);
  yyjson_val *rec = doc ? yyjson_doc_get_root(doc) : NULL;
  yyjson_val *name = rec && yyjson_is_obj(rec) ? krait_ld_record_name(rec) : NULL;
  bool same = rec && yyjson_is_obj(rec) && yyjson_doc_get_read_size(doc) == r->val_len && name &&
              yyjson_get_len(name) == pk->name_len && memcmp(yyjson_get_str(name), pk->name, pk->name_len) == 0;
  if (same) {
    /* a record read before info.subdir in the file did not know it yet */
    ld->subdir = r->val_off > ld->subdir_at ? ld->subdir_final : NULL;
    krait_ld_add_record(ld, rec, key, r->val_off, r->val_len);
  }
  yyjson_doc_free(doc);
  return same ? KRAIT_OK : span_changed(ld, r);
}

krait_code krait_repo_add_json_spans(Repo *repo, int fd, const char *path, const krait_name_index *idx,
                                     const krait_span_pick *picks, size_t n, krait_err *err) {
  krait_repo_meta unused;
  loader ld;
  krait_ld_init(&ld, fd, path, &unused, err);
  free(ld.w.buf); /* chunks are read into a buffer of their own */
  ld.w.buf = NULL;
  krait_ld_start_pool(&ld, repo);
  ld.subdir_final = idx->solv_subdir;
  ld.subdir_at = idx->solv_subdir_at;
  /* the index is a cache file: every span must lie inside the JSON before
   * any offset arithmetic trusts it */
  struct stat sb;
  uint64_t size = fstat(fd, &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
  for (size_t i = 0; i < n && !ld.w.rc; i++) {
    const krait_name_rec *r = picks[i].rec;
    if (r->key_back > r->val_off || r->val_off > size || r->val_len > size - r->val_off ||
        (i && r->val_off - r->key_back < picks[i - 1].rec->val_off + picks[i - 1].rec->val_len))
      span_changed(&ld, r);
  }
  char *buf = NULL;
  size_t cap = 0;
  krait_buf kfn = KRAIT_BUF_INIT;
  for (size_t i = 0; i < n && !ld.w.rc;) {
    /* the chunk: from this record's key to the end of the last record near enough */
    uint64_t start = picks[i].rec->val_off - picks[i].rec->key_back, end = picks[i].rec->val_off + picks[i].rec->val_len;
    size_t j = i + 1;
    for (; j < n; j++) {
      const krait_name_rec *r = picks[j].rec;
      if (r->val_off - r->key_back > end + CHUNK_GAP || r->val_off + r->val_len - start > CHUNK_MAX)
        break;
      if (r->val_off + r->val_len > end)
        end = r->val_off + r->val_len;
    }
    size_t len = (size_t)(end - start);
    if (len + YYJSON_PADDING_SIZE > cap) {
      cap = len + YYJSON_PADDING_SIZE;
      free(buf);
      buf = krait_malloc(cap);
    }
    if (!pread_all(fd, buf, len, start)) {
      ld.w.rc = krait_err_set(err, KRAIT_E_PARSE, "%s: the file is shorter than krait's name index of it says: it "
                              "was changed while krait was reading it; run the command again", path);
      break;
    }
    memset(buf + len, 0, YYJSON_PADDING_SIZE);
    for (; i < j && !ld.w.rc; i++)
      add_span(&ld, buf, len, start, &picks[i], &kfn);
  }
  free(buf);
  krait_buf_free(&kfn);
  ld.subdir = ld.subdir_final; /* the delayed locations get the file's subdir */
  krait_ld_finish(&ld);
  ld.subdir = NULL; /* borrowed from idx */
  solv_free(ld.subdirmismatchfn);
  return ld.w.rc;
}
