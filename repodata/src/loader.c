/* The repodata loader: reads a repodata.json once, front to back, through a
 * window of a few MB, and fills the libsolv pool directly. The top-level
 * structure (members of the root object and of `packages`) is walked here;
 * each record is parsed by yyjson in place inside the window and turned into
 * a solvable with the same pool calls, in the same order, as libsolv 0.7.32's
 * repo_add_conda (ext/repo_conda.c, with krait's patches), so the pool is the
 * same record by record (tests/unit/test_repodata_loader.c proves it against
 * that reader over every repodata file in shared/data). What libsolv drops
 * is not copied: each solvable gets the byte span of its record's text
 * (repodata_int.h), read back when a record is needed (record_span.c);
 * info/metadata are read for base_url and subdir on the way.
 *
 * Memory: the window (grown only for a single value larger than it), one
 * record's yyjson document at a time, and the pool itself: never the file.
 *
 * The same walk also builds a name index (loader_scan.c) and adds single
 * records by their spans (loader_spans.c); loader_int.h is what they share. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

#include <solv/conda.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/strpool.h>
#include <solv/util.h>

#include "krait/buf.h"
#include "krait/record.h"
#include "loader_int.h"

/* bytes read at a time; it grows for a longer value. 1 MB, not 4: each
 * fresh page costs a fault (~3 us on the VMs measured), and a 4 MB window
 * per scanning thread was 1,500 more of them in a cold solve for no gain */
#define WINDOW_MIN (1u << 20)
#define ALC_BLOCK (256u << 10) /* yyjson's documents: a record's takes a few KB */

/* libsolv's tokenizer rejects a "\u0000" escape anywhere in the file (it
 * keeps NUL-terminated strings); so does the loader, checked as bytes arrive. */
static bool has_nul_escape(const char *buf, size_t from, size_t len) {
  /* memchr to each backslash (rare in repodata), not memmem for the whole
   * escape: memmem was 3% of a cold load */
  const char *p = buf + from, *end = buf + len;
  while ((p = memchr(p, '\\', (size_t)(end - p)))) {
    if (end - p < 6)
      return false; /* the next read checks these bytes again (from len - 5) */
    if (memcmp(p, "\\u0000", 6) == 0) {
      size_t at = (size_t)(p - buf), run = 1; /* backslashes ending at p: an odd run starts an escape */
      while (run <= at && buf[at - run] == '\\')
        run++;
      if (run % 2 == 1)
        return true;
    }
    p++;
  }
  return false;
}

static krait_code fail(window *w, const char *what);
/* Drops [0, pos) and reads more; grows when nothing could be dropped.
 * Returns false at end of file (or on error, with w->rc set). */
static bool refill(window *w) {
  if (w->eof || w->rc)
    return false;
  if (w->pos > 0) {
    memmove(w->buf, w->buf + w->pos, w->len - w->pos);
    w->base += w->pos;
    w->len -= w->pos;
    w->pos = 0;
  }
  if (w->len == w->cap) {
    w->cap *= 2;
    w->buf = krait_realloc(w->buf, w->cap + YYJSON_PADDING_SIZE);
  }
  for (;;) {
    /* by offset, not the fd's position: a second thread may read the same fd (split scan) */
    ssize_t n = pread(w->fd, w->buf + w->len, w->cap - w->len, (off_t)(w->base + w->len));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      w->rc = krait_err_errno(w->err, KRAIT_E_IO, "%s: read", w->path);
      return false;
    }
    if (n == 0) {
      w->eof = true;
      return false;
    }
    size_t from = w->len >= 5 ? w->len - 5 : 0;
    w->len += (size_t)n;
    if (has_nul_escape(w->buf, from, w->len)) {
      w->pos = (size_t)((const char *)memmem(w->buf + from, w->len - from, "\\u0000", 6) - w->buf);
      fail(w, "a \\u0000 escape (libsolv's reader rejects NUL in strings)");
      return false;
    }
    return true;
  }
}

/* Line and column (1-based) of file offset `at`: counted only on the error
 * path, by reading the file again, so the hot path never counts newlines. */
static void line_col(const char *path, size_t at, size_t *line, size_t *col) {
  *line = 1;
  *col = 1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  char block[1 << 14];
  size_t off = 0;
  ssize_t n;
  while (off < at && (n = read(fd, block, sizeof(block))) > 0)
    for (ssize_t i = 0; i < n && off < at; i++, off++) {
      if (block[i] == '\n')
        ++*line, *col = 1;
      else
        ++*col;
    }
  close(fd);
}

static krait_code fail(window *w, const char *what) {
  if (!w->rc) {
    size_t line, col;
    line_col(w->path, w->base + w->pos, &line, &col);
    w->rc = krait_err_set(w->err, KRAIT_E_PARSE, "%s:%zu:%zu: not a repodata file: %s", w->path, line, col, what);
  }
  return w->rc;
}

size_t krait_ld_skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    i++;
  return i;
}

/* Skips whitespace; returns the next byte or -1 at the end of the file. */
static int peek(window *w) {
  for (;;) {
    w->pos = krait_ld_skip_ws(w->buf, w->pos, w->len);
    if (w->pos < w->len)
      return (unsigned char)w->buf[w->pos];
    if (!refill(w))
      return -1;
  }
}

/* Index just past the string starting at s[i] == '"', or n if it does not
 * end before n: memchr to each quote, then an odd run of backslashes before
 * it means escaped. (A bytes-at-a-time scan was a tenth of a cold load.) */
size_t krait_ld_skip_string(const char *s, size_t i, size_t n) {
  size_t from = i + 1;
  for (;;) {
    const char *q = from < n ? memchr(s + from, '"', n - from) : NULL;
    if (!q)
      return n;
    size_t j = (size_t)(q - s), k = j;
    while (k > from && s[k - 1] == '\\')
      k--;
    if ((j - k) % 2 == 0)
      return j + 1;
    from = j + 1;
  }
}

/* Index just past the JSON value starting at s[i], or n when it does not end
 * before n. */
static size_t skip_json_value(const char *s, size_t i, size_t n) {
  if (i >= n)
    return n;
  if (s[i] == '"')
    return krait_ld_skip_string(s, i, n);
  if (s[i] != '{' && s[i] != '[') {
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
      i++;
    return i;
  }
  size_t depth = 0;
  while (i < n) {
    char c = s[i];
    if (c == '"') {
      i = krait_ld_skip_string(s, i, n);
      continue;
    }
    if (c == '{' || c == '[')
      depth++;
    else if ((c == '}' || c == ']') && --depth == 0)
      return i + 1;
    i++;
  }
  return n;
}

/* Makes the whole JSON value at the cursor lie inside the window; returns
 * its end offset (0 on error). */
static size_t value_span(window *w) {
  for (;;) {
    size_t end = skip_json_value(w->buf, w->pos, w->len);
    if (end < w->len || (w->eof && end > w->pos && w->buf[w->pos] != '"' && w->buf[w->pos] != '{' &&
                         w->buf[w->pos] != '['))
      return end;
    if (!refill(w)) {
      fail(w, "unexpected end of file");
      return 0;
    }
  }
}

/* Reads [pos, len) of the window again from the file: in-place parsing
 * rewrites the bytes it went through (string terminators, unescaping), so a
 * value cut off by the window's end must be read afresh before more of it. */
static bool reread_tail(window *w) {
  size_t at = w->pos;
  while (at < w->len) {
    ssize_t n = pread(w->fd, w->buf + at, w->len - at, (off_t)(w->base + at));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      w->rc = krait_err_errno(w->err, KRAIT_E_IO, "%s: read", w->path);
      return false;
    }
    at += (size_t)n;
  }
  return true;
}

/* A value parsed in place by yyjson, which stops at the value's end
 * (STOP_WHEN_DONE) and says where that is: the value is read once, not
 * scanned for its end first and then parsed (that scan was a tenth of a
 * cold load). Its strings point into the window, so nothing may refill the
 * window before parsed_done(). */
static yyjson_val *parse_value(window *w, parsed *pv) {
  for (;;) {
    memset(w->buf + w->len, 0, YYJSON_PADDING_SIZE); /* yyjson's in-place contract: zeros after the input */
    yyjson_read_err e;
    pv->doc = yyjson_read_opts(w->buf + w->pos, w->len - w->pos, PARSE_FLAGS, w->alc_block ? &w->alc : NULL, &e);
    if (!pv->doc && e.code == YYJSON_READ_ERROR_MEMORY_ALLOCATION) /* a record larger than the block */
      pv->doc = yyjson_read_opts(w->buf + w->pos, w->len - w->pos, PARSE_FLAGS, NULL, &e);
    if (pv->doc) {
      w->pos += yyjson_doc_get_read_size(pv->doc);
      return yyjson_doc_get_root(pv->doc);
    }
    if (e.code != YYJSON_READ_ERROR_UNEXPECTED_END || w->eof) {
      w->pos += e.pos;
      fail(w, e.code == YYJSON_READ_ERROR_UNEXPECTED_END ? "unexpected end of file" : e.msg);
      return NULL;
    }
    /* the value goes on past the window (once per window, about) */
    if (!reread_tail(w))
      return NULL;
    if (!refill(w)) {
      fail(w, "unexpected end of file");
      return NULL;
    }
  }
}

static void parsed_done(parsed *pv) {
  yyjson_doc_free(pv->doc);
  pv->doc = NULL;
}

static bool skip_value(window *w) {
  size_t end = value_span(w);
  w->pos = end ? end : w->pos;
  return end != 0;
}

bool krait_ld_decode_string(const char *s, size_t len, krait_buf *out) {
  krait_buf_clear(out);
  if (len < 2 || s[0] != '"' || s[len - 1] != '"')
    return false;
  if (!memchr(s + 1, '\\', len - 2)) {
    krait_buf_append(out, s + 1, len - 2);
    return true;
  }
  /* decode escapes like libsolv's tokenizer (rare: a copy is fine) */
  yyjson_doc *d = yyjson_read(s, len, YYJSON_READ_ALLOW_INVALID_UNICODE);
  yyjson_val *r = d ? yyjson_doc_get_root(d) : NULL;
  bool ok = r && yyjson_is_str(r);
  if (ok)
    krait_buf_append(out, yyjson_get_str(r), yyjson_get_len(r));
  yyjson_doc_free(d);
  return ok;
}

/* Reads a member name at the cursor (after '{' or ','), decoded, into key,
 * and the ':' after it. */
static bool read_key(window *w, krait_buf *key) {
  if (peek(w) != '"')
    return fail(w, "expected a member name"), false;
  size_t end = value_span(w);
  if (!end)
    return false;
  if (!krait_ld_decode_string(w->buf + w->pos, end - w->pos, key))
    return fail(w, "bad member name"), false;
  w->pos = end;
  if (peek(w) != ':')
    return fail(w, "expected ':'"), false;
  w->pos++;
  return peek(w) >= 0 || (fail(w, "unexpected end of file"), false);
}

/* After a member or element: true if another follows (',' consumed), false at
 * the closing bracket (consumed) or on error. */
static bool next_member(window *w, int close) {
  int c = peek(w);
  w->pos++;
  if (c == ',')
    return true;
  if (c != close)
    fail(w, "expected ',' or a closing bracket");
  return false;
}

/* The .conda/.tar.bz2 pairing entry of a file name (NULL for another
 * extension, or when the table cannot grow). */
static size_t fn_stem(const char *fn, size_t l, Id *fntype) {
  if (l > 6 && !memcmp(fn + l - 6, ".conda", 6))
    return *fntype = 2, l - 6;
  if (l > 8 && !memcmp(fn + l - 8, ".tar.bz2", 8))
    return *fntype = 1, l - 8;
  return 0;
}

static krait_strmap_slot *fn2data(loader *ld, const char *fn, Id *fntype) {
  size_t stem = fn_stem(fn, strlen(fn), fntype);
  bool added;
  return stem ? krait_strmap_get(&ld->fns, fn, stem, &added) : NULL;
}

/* A record's key is its file name, normally: its entry in the pairing table
 * is fetched into the cache while the record is parsed. */
static void prefetch_fn(loader *ld, const krait_buf *key) {
  Id type;
  size_t stem = fn_stem(key->data, key->len, &type);
  if (stem)
    krait_strmap_prefetch(&ld->fns, key->data, stem);
}

/* ---- one record ---- */

static bool is_key(yyjson_val *k, const char *name) { return yyjson_equals_str(k, name); }

/* A string value as a pool Id, its length known (no strlen). */
static Id intern(loader *ld, yyjson_val *v) {
  return pool_strn2id(ld->pool, yyjson_get_str(v), (unsigned)yyjson_get_len(v), 1);
}

/* pool_conda_matchspec once per distinct dependency string: repodata repeats
 * the same few thousand strings hundreds of thousands of times, and the
 * matchspec parse (plus its string and relation lookups) is the same every
 * time, so a later occurrence takes the first one's Id from the map. */
static Id dep_id(loader *ld, yyjson_val *e) {
  const char *str = yyjson_get_str(e);
  size_t len = yyjson_get_len(e);
  if (!len)
    return 0; /* as libsolv: an empty string is no dependency */
  bool added;
  krait_strmap_slot *slot = krait_strmap_get(&ld->deps, str, len, &added);
  if (slot && !added)
    return slot->a;
  Id id = pool_conda_matchspec(ld->pool, str);
  if (slot)
    slot->a = id;
  return id;
}

/* A depends/constrains array: each string's dependency goes to the
 * solvable's own array at *depp (requires), or, with depp NULL, to the
 * repodata idarray `keyname` (constrains), as repo_conda.c's parse_deps and
 * parse_otherdeps do. */
static void add_dep_array(loader *ld, yyjson_val *arr, Offset *depp, Id handle, Id keyname) {
  yyjson_val *e;
  yyjson_arr_iter it = yyjson_arr_iter_with(arr);
  while ((e = yyjson_arr_iter_next(&it))) {
    Id id = yyjson_is_str(e) ? dep_id(ld, e) : 0;
    if (id && depp)
      *depp = repo_addid_dep(ld->repo, *depp, id, 0);
    else if (id)
      repodata_add_idarray(ld->data, handle, keyname, id);
  }
}

/* repodata_set_checksum without its byte-at-a-time decode: the hex digits
 * through a table; like libsolv, a value whose first 2*len characters are
 * not all hex digits is ignored. */
static void set_checksum(Repodata *data, Id handle, Id keyname, Id type, yyjson_val *v) {
  static signed char nibble[256];
  if (!nibble['1']) {
    memset(nibble, -1, sizeof(nibble));
    for (int c = 0; c < 10; c++)
      nibble['0' + c] = (signed char)c;
    for (int c = 0; c < 6; c++)
      nibble['a' + c] = nibble['A' + c] = (signed char)(10 + c);
  }
  const unsigned char *hex = (const unsigned char *)yyjson_get_str(v);
  size_t n = type == REPOKEY_TYPE_MD5 ? 16 : 32;
  if (yyjson_get_len(v) < 2 * n)
    return;
  unsigned char bin[32];
  for (size_t i = 0; i < n; i++) {
    int hi = nibble[hex[2 * i]], lo = nibble[hex[2 * i + 1]];
    if (hi < 0 || lo < 0)
      return;
    bin[i] = (unsigned char)(hi << 4 | lo);
  }
  repodata_set_bin_checksum(data, handle, keyname, type, bin);
}

static void add_trackfeatures_array(loader *ld, yyjson_val *arr, Id handle) {
  yyjson_val *e;
  yyjson_arr_iter it = yyjson_arr_iter_with(arr);
  while ((e = yyjson_arr_iter_next(&it))) {
    if (!yyjson_is_str(e))
      continue;
    const char *p = yyjson_get_str(e), *pe;
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      continue;
    for (pe = p + strlen(p) - 1; pe > p; pe--)
      if (*pe != ' ' && *pe != '\t')
        break;
    repodata_add_idarray(ld->data, handle, SOLVABLE_TRACK_FEATURES,
                         pool_strn2id(ld->pool, p, (unsigned)(pe - p + 1), 1));
  }
}

static void add_trackfeatures_string(loader *ld, const char *p, Id handle) {
  for (; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == ',')
      continue;
    const char *pe = p + 1;
    while (*pe && *pe != ' ' && *pe != '\t' && *pe != ',')
      pe++;
    repodata_add_idarray(ld->data, handle, SOLVABLE_TRACK_FEATURES, pool_strn2id(ld->pool, p, (unsigned)(pe - p), 1));
    p = pe - 1;
  }
}

/* The record members libsolv's reader looks at (a chain of strcmp per
 * member was a tenth of a cold load: see field_of). */
typedef enum field {
  F_BUILD,
  F_BUILD_NUMBER,
  F_DEPENDS,
  F_REQUIRES,
  F_CONSTRAINS,
  F_LICENSE,
  F_MD5,
  F_SHA256,
  F_NAME,
  F_VERSION,
  F_FN,
  F_SUBDIR,
  F_SIZE,
  F_TIMESTAMP,
  F_TRACK_FEATURES,
} field;

/* Each key, and the JSON type libsolv's reader takes it in (YYJSON_TYPE_RAW:
 * a number; NONE: any type, decided where it is used). */
typedef struct field_def {
  const char *name;
  size_t len;
  field f;
  yyjson_type type;
} field_def;

static const field_def FIELDS[] = {
#define FIELD(lit, f, t) [f] = {lit, sizeof(lit) - 1, f, YYJSON_TYPE_##t}
    FIELD("name", F_NAME, STR),
    FIELD("version", F_VERSION, STR),
    FIELD("build", F_BUILD, STR),
    FIELD("build_number", F_BUILD_NUMBER, RAW),
    FIELD("depends", F_DEPENDS, ARR),
    FIELD("requires", F_REQUIRES, ARR),
    FIELD("constrains", F_CONSTRAINS, ARR),
    FIELD("license", F_LICENSE, STR),
    FIELD("md5", F_MD5, STR),
    FIELD("sha256", F_SHA256, STR),
    FIELD("fn", F_FN, STR),
    FIELD("subdir", F_SUBDIR, STR),
    FIELD("size", F_SIZE, RAW),
    FIELD("timestamp", F_TIMESTAMP, RAW),
    FIELD("track_features", F_TRACK_FEATURES, NONE),
#undef FIELD
};

/* The entry of FIELDS naming k, or NULL: by length, then a compare of a
 * constant length the compiler turns into a few integer compares (a table
 * walk with memcmp calls was 5% of a cold load). */
static const field_def *field_of(yyjson_val *k) {
  const char *s = yyjson_get_str(k);
#define KEY(lit, f)                                                                                                  \
  if (memcmp(s, lit, sizeof(lit) - 1) == 0)                                                                          \
    return &FIELDS[f];
  switch (yyjson_get_len(k)) {
  case 2:
    KEY("fn", F_FN) break;
  case 3:
    KEY("md5", F_MD5) break;
  case 4:
    KEY("name", F_NAME) KEY("size", F_SIZE) break;
  case 5:
    KEY("build", F_BUILD) break;
  case 6:
    KEY("sha256", F_SHA256) KEY("subdir", F_SUBDIR) break;
  case 7:
    KEY("version", F_VERSION) KEY("depends", F_DEPENDS) KEY("license", F_LICENSE) break;
  case 8:
    KEY("requires", F_REQUIRES) break;
  case 9:
    KEY("timestamp", F_TIMESTAMP) break;
  case 10:
    KEY("constrains", F_CONSTRAINS) break;
  case 12:
    KEY("build_number", F_BUILD_NUMBER) break;
  case 14:
    KEY("track_features", F_TRACK_FEATURES) break;
  default:
    break;
  }
#undef KEY
  return NULL;
}

/* repo_conda.c's parse_package, member for member. kfn: the record's key in
 * `packages` (NULL for the array form); span_*: where its text is in the file. */
void krait_ld_add_record(loader *ld, yyjson_val *obj, const char *kfn, unsigned long long span_offset,
                       unsigned long long span_length) {
  Pool *pool = ld->pool;
  Repodata *data = ld->data;
  Id handle = repo_add_solvable(ld->repo);
  Solvable *s = pool_id2solvable(pool, handle);
  const char *fn = NULL, *subdir = NULL;
  yyjson_val *k, *v;
  yyjson_obj_iter it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    v = yyjson_obj_iter_get_val(k);
    const field_def *fd = field_of(k);
    if (!fd)
      continue;
    if (fd->type != YYJSON_TYPE_NONE && yyjson_get_type(v) != fd->type)
      continue; /* libsolv's reader skips a member of another type */
    const char *str = yyjson_get_str(v), *num = yyjson_get_raw(v);
    switch (fd->f) {
    case F_BUILD:
      repodata_add_poolstr_array(data, handle, SOLVABLE_BUILDFLAVOR, str);
      break;
    case F_BUILD_NUMBER:
      repodata_set_str(data, handle, SOLVABLE_BUILDVERSION, num);
      break;
    case F_DEPENDS:
    case F_REQUIRES:
      add_dep_array(ld, v, &s->requires, handle, 0);
      break;
    case F_CONSTRAINS:
      add_dep_array(ld, v, NULL, handle, SOLVABLE_CONSTRAINS);
      break;
    case F_LICENSE:
      repodata_add_poolstr_array(data, handle, SOLVABLE_LICENSE, str);
      break;
    case F_MD5:
      set_checksum(data, handle, SOLVABLE_PKGID, REPOKEY_TYPE_MD5, v);
      break;
    case F_SHA256:
      set_checksum(data, handle, SOLVABLE_CHECKSUM, REPOKEY_TYPE_SHA256, v);
      break;
    case F_NAME:
      s->name = intern(ld, v);
      break;
    case F_VERSION:
      s->evr = intern(ld, v);
      break;
    case F_FN:
      fn = fn ? fn : str;
      break;
    case F_SUBDIR:
      subdir = subdir ? subdir : str;
      break;
    case F_SIZE:
      repodata_set_num(data, handle, SOLVABLE_DOWNLOADSIZE, strtoull(num, NULL, 10));
      break;
    case F_TIMESTAMP: {
      unsigned long long ts = strtoull(num, NULL, 10);
      repodata_set_num(data, handle, SOLVABLE_BUILDTIME, ts > 253402300799ULL ? ts / 1000 : ts);
      break;
    }
    case F_TRACK_FEATURES:
      if (str)
        add_trackfeatures_string(ld, str, handle);
      else if (yyjson_is_arr(v))
        add_trackfeatures_array(ld, v, handle);
      break;
    }
  }
  /* where the record is, for what libsolv does not keep (record_span.c) */
  repodata_set_num(data, handle, ld->k_span_offset, span_offset);
  repodata_set_num(data, handle, ld->k_span_length, span_length);

  /* a record's own subdir that differs from info.subdir is replaced by it */
  if (subdir && ld->subdir && strcmp(subdir, ld->subdir) != 0) {
    if (!ld->nsubdirmismatch++)
      ld->subdirmismatchfn = solv_strdup(fn ? fn : kfn ? kfn : "?");
    subdir = ld->subdir;
  }
  krait_strmap_slot *fndata = NULL;
  Id fntype = 0;
  if (fn || kfn) {
    const char *f = fn ? fn : kfn;
    if (subdir || ld->subdir)
      repodata_set_location(data, handle, 0, subdir ? subdir : ld->subdir, f);
    else { /* no subdir known yet: set once the whole file was read */
      queue_push2(&ld->delayed, handle, stringpool_str2id(&ld->delayed_fn, f, 1));
    }
    fndata = fn2data(ld, f, &fntype);
  }
  if (!s->evr)
    s->evr = 1;
  if (s->name)
    s->provides = repo_addid_dep(ld->repo, s->provides, pool_rel2id(pool, s->name, s->evr, REL_EQ, 1), 0);

  if (!fndata)
    return;
  /* .conda over .tar.bz2 of the same file name, whichever came first */
  if (fndata->a && fndata->a > fntype) {
    if (ld->delayed.count && ld->delayed.elements[ld->delayed.count - 2] == handle)
      queue_truncate(&ld->delayed, ld->delayed.count - 2);
    repo_free_solvable(ld->repo, handle, 1);
    return;
  }
  if (fndata->a && fndata->a < fntype) {
    Id old = fndata->b;
    Solvable tmp = pool->solvables[handle];
    pool->solvables[handle] = pool->solvables[old];
    pool->solvables[old] = tmp;
    repodata_swap_attrs(data, handle, old);
    /* the delayed location follows the record (libsolv's move_xdata) */
    for (int i = 0; i < ld->delayed.count; i += 2)
      if (ld->delayed.elements[i] == old)
        ld->delayed.elements[i] = 0;
    if (ld->delayed.count && ld->delayed.elements[ld->delayed.count - 2] == handle)
      ld->delayed.elements[ld->delayed.count - 2] = old;
    repo_free_solvable(ld->repo, handle, 1);
    handle = old;
  }
  fndata->a = fntype;
  fndata->b = handle;
}

/* ---- the top level (repo_conda.c's parse_main) ---- */

/* info/metadata: libsolv's subdir (first info.subdir string; a different
 * second one is an error), and base_url/subdir for krait (info wins over the
 * early metadata spelling). */
void krait_repo_meta_take(krait_repo_meta *out, const char *base, const char *subdir, bool is_metadata) {
  if (base && *base && (!out->base_url || !is_metadata)) {
    free(out->base_url);
    out->base_url = krait_strdup(base);
    out->base_is_channel = is_metadata;
  }
  if (subdir && *subdir && (!out->subdir || !is_metadata)) {
    free(out->subdir);
    out->subdir = krait_strdup(subdir);
  }
}

static void take_meta(loader *ld, yyjson_val *obj, bool is_metadata) {
  krait_repo_meta_take(ld->meta, yyjson_get_str(yyjson_obj_get(obj, "base_url")),
                       yyjson_get_str(yyjson_obj_get(obj, "subdir")), is_metadata);
}

static bool take_info(loader *ld, yyjson_val *obj) {
  take_meta(ld, obj, false);
  yyjson_val *k, *v;
  yyjson_obj_iter it = yyjson_obj_iter_with(obj);
  while ((k = yyjson_obj_iter_next(&it))) {
    v = yyjson_obj_iter_get_val(k);
    if (!yyjson_is_str(v) || !is_key(k, "subdir"))
      continue;
    if (!ld->subdir) {
      ld->subdir = krait_strdup(yyjson_get_str(v));
      ld->subdir_at = ld->w.base + ld->w.pos;
    } else if (strcmp(ld->subdir, yyjson_get_str(v)) != 0)
      return fail(&ld->w, "info.subdir given twice, differently"), false;
  }
  return true;
}

/* The members of a records object or array from the first one on; true when
 * its closing bracket ended them (consumed). */
bool krait_ld_parse_members(loader *ld, bool array) {
  window *w = &ld->w;
  int close = array ? ']' : '}';
  bool closed = false;
  krait_buf kfn = KRAIT_BUF_INIT;
  do {
    size_t key_start = (peek(w), w->base + w->pos);
    /* where the second half of a split scan starts: its records are taken whole */
    if (ld->split && !array && krait_ld_split_take(ld, key_start)) {
      closed = true;
      break;
    }
    if (!array && !read_key(w, &kfn))
      break;
    if (peek(w) == '{') {
      parsed pv;
      if (!array && !ld->names)
        prefetch_fn(ld, &kfn);
      size_t start = w->base + w->pos; /* a file offset: parse_value may move the window */
      yyjson_val *rec = parse_value(w, &pv);
      if (!rec)
        break;
      if (ld->names)
        krait_ld_index_record(ld, rec, array ? 0 : start - key_start, start, w->base + w->pos - start);
      else
        krait_ld_add_record(ld, rec, array ? NULL : krait_buf_str(&kfn), start, w->base + w->pos - start);
      parsed_done(&pv);
    } else if (!skip_value(w))
      break;
    if (!next_member(w, close)) {
      closed = !w->rc;
      break;
    }
  } while (true);
  krait_buf_free(&kfn);
  return closed;
}

static void parse_records(loader *ld, bool array) {
  window *w = &ld->w;
  int close = array ? ']' : '}';
  w->pos++; /* '{' or '[' */
  if (peek(w) == close) {
    w->pos++;
    return;
  }
  krait_ld_parse_members(ld, array);
}

static bool is_records_key(const char *k) { return strcmp(k, "packages") == 0 || strcmp(k, "packages.conda") == 0; }

bool krait_ld_parse_later_records(loader *ld, size_t *stop) {
  window *w = &ld->w;
  krait_buf key = KRAIT_BUF_INIT;
  for (;;) {
    int c = peek(w);
    *stop = w->base + w->pos;
    if (c != ',')
      break; /* the root's '}', or what is wrong there, is the caller's */
    w->pos++;
    c = read_key(w, &key) ? peek(w) : -1;
    if (w->rc || !is_records_key(krait_buf_str(&key)) || (c != '{' && c != '['))
      break;
    parse_records(ld, c == '[');
    if (w->rc)
      break;
  }
  krait_buf_free(&key);
  return !w->rc;
}

static void parse_root(loader *ld) {
  window *w = &ld->w;
  if (peek(w) != '{') {
    fail(w, "repository does not start with an object");
    return;
  }
  w->pos++;
  if (peek(w) == '}')
    return;
  krait_buf key = KRAIT_BUF_INIT;
  do {
    if (!read_key(w, &key))
      break;
    const char *k = krait_buf_str(&key);
    int c = peek(w);
    if (is_records_key(k) && (c == '{' || c == '['))
      parse_records(ld, c == '[');
    else if (c == '{' && (strcmp(k, "info") == 0 || strcmp(k, "metadata") == 0)) {
      bool is_info = k[0] == 'i';
      parsed pv;
      yyjson_val *obj = parse_value(w, &pv);
      if (obj && is_info)
        take_info(ld, obj);
      else if (obj)
        take_meta(ld, obj, true);
      parsed_done(&pv);
    } else
      skip_value(w);
  } while (!w->rc && next_member(w, '}'));
  krait_buf_free(&key);
}

void krait_ld_finish(loader *ld) {
  if (ld->nsubdirmismatch)
    /* only a warning: the records were kept under info.subdir (libsolv's words) */
    pool_debug(ld->pool, SOLV_WARN,
               "repo_add_conda: %d record%s with a subdir other than info.subdir '%s' (first: %s); using '%s'\n",
               ld->nsubdirmismatch, ld->nsubdirmismatch == 1 ? "" : "s", ld->subdir, ld->subdirmismatchfn,
               ld->subdir);
  for (int i = 0; i < ld->delayed.count; i += 2)
    if (ld->delayed.elements[i])
      repodata_set_location(ld->data, ld->delayed.elements[i], 0, ld->subdir,
                            stringpool_id2str(&ld->delayed_fn, ld->delayed.elements[i + 1]));
  /* what only the parse needed goes before internalizing, the peak of a
   * load (every record's attributes beside their internalized copy); the
   * file-name table alone is tens of MB at conda-forge size */
  free(ld->w.buf);
  ld->w.buf = NULL;
  free(ld->w.alc_block);
  ld->w.alc_block = NULL;
  stringpool_free(&ld->delayed_fn);
  krait_strmap_free(&ld->fns);
  krait_strmap_free(&ld->deps);
  queue_free(&ld->delayed);
  if (ld->data)
    repodata_internalize(ld->data);
}

/* libsolv grows its relation hash a block at a time, rehashing everything
 * each time; sized once from the file size instead (conda-forge records are
 * 600-700 bytes of JSON, each bringing about one new relation, its
 * name=version provide; an overestimate only costs table space: 4 bytes a
 * slot). (The string hashes cannot be sized from outside: libsolv keeps
 * stringpool_resize_hash private.) */
#define RECORD_BYTES 512
static void presize(loader *ld) {
  struct stat sb;
  if (fstat(ld->w.fd, &sb) != 0 || sb.st_size < 64 * RECORD_BYTES)
    return;
  long long records = sb.st_size / RECORD_BYTES;
  if (records > (1 << 24))
    records = 1 << 24;
  pool_resize_rels_hash(ld->pool, (int)records);
}

void krait_repo_meta_free(krait_repo_meta *m) {
  free(m->base_url);
  free(m->subdir);
  memset(m, 0, sizeof(*m));
}

krait_code krait_repo_add_json_file(Repo *repo, const char *path, krait_repo_meta *meta, krait_err *err) {
  memset(meta, 0, sizeof(*meta));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "%s: cannot open repodata", path);
  krait_code rc = krait_repo_add_json_fd(repo, fd, path, meta, err);
  close(fd);
  return rc;
}

/* The loader state for the JSON open at fd, read from its current offset. */
void krait_ld_init(loader *ld, int fd, const char *path, krait_repo_meta *meta, krait_err *err) {
  memset(meta, 0, sizeof(*meta));
  memset(ld, 0, sizeof(*ld));
  ld->w.fd = fd;
  /* spans are file offsets: the window starts where the fd stands */
  off_t at = lseek(fd, 0, SEEK_CUR);
  ld->w.base = at > 0 ? (size_t)at : 0;
  ld->w.path = path;
  ld->w.err = err;
  ld->w.cap = WINDOW_MIN;
  ld->w.buf = krait_malloc(ld->w.cap + YYJSON_PADDING_SIZE);
  ld->w.alc_block = krait_malloc(ALC_BLOCK);
  if (!yyjson_alc_pool_init(&ld->w.alc, ld->w.alc_block, ALC_BLOCK)) {
    free(ld->w.alc_block);
    ld->w.alc_block = NULL;
  }
  ld->meta = meta;
  stringpool_init_empty(&ld->delayed_fn);
  queue_init(&ld->delayed);
}

void krait_ld_start_pool(loader *ld, Repo *repo) {
  ld->pool = repo->pool;
  ld->repo = repo;
  ld->data = repo_add_repodata(repo, 0);
  ld->k_span_offset = pool_str2id(ld->pool, KRAIT_KEY_SPAN_OFFSET, 1);
  ld->k_span_length = pool_str2id(ld->pool, KRAIT_KEY_SPAN_LENGTH, 1);
}

/* The whole file, then what only the parse needed is released. */
krait_code krait_ld_run(loader *ld) {
  if (peek(&ld->w) < 0 && !ld->w.rc)
    krait_err_set(ld->w.err, KRAIT_E_PARSE, "%s: empty repodata file", ld->w.path), ld->w.rc = KRAIT_E_PARSE;
  else
    parse_root(ld);
  krait_ld_finish(ld);
  solv_free(ld->subdirmismatchfn);
  if (ld->w.rc)
    krait_repo_meta_free(ld->meta);
  return ld->w.rc;
}

krait_code krait_repo_add_json_fd(Repo *repo, int fd, const char *path, krait_repo_meta *meta, krait_err *err) {
  loader ld;
  krait_ld_init(&ld, fd, path, meta, err);
  krait_ld_start_pool(&ld, repo);
  presize(&ld);
  krait_code rc = krait_ld_run(&ld);
  free(ld.subdir);
  return rc;
}

