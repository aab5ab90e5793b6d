/* Extracted files against info/paths.json: sha256 and size, computed while
 * the bytes stream to disk (see extract_int.h). A package whose paths.json
 * lies about a file is refused before its tree is committed. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/paths.h"
#include "extract_int.h"

static xdigest *push(xdigests *d, const char *rel) {
  if (d->len == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 64;
    d->items = krait_realloc(d->items, sizeof *d->items * d->cap);
  }
  xdigest *x = &d->items[d->len];
  memset(x, 0, sizeof *x);
  x->rel = krait_strdup(rel);
  x->order = d->len++;
  return x;
}

void xdigests_begin(xdigests *d) {
  if (!d->md) {
    d->md = EVP_MD_CTX_new();
    if (!d->md)
      krait_oom();
  }
  EVP_DigestInit_ex(d->md, EVP_sha256(), NULL);
  d->hashed = 0;
}

void xdigests_update(xdigests *d, const void *buf, size_t size, uint64_t offset) {
  static const unsigned char zeros[4096];
  /* a sparse file's hole reads as zeros: hash them as such */
  while (d->hashed < offset) {
    uint64_t gap = offset - d->hashed;
    size_t n = gap < sizeof zeros ? (size_t)gap : sizeof zeros;
    EVP_DigestUpdate(d->md, zeros, n);
    d->hashed += n;
  }
  EVP_DigestUpdate(d->md, buf, size);
  d->hashed += size;
}

void xdigests_end(xdigests *d, const char *rel) {
  xdigest *x = push(d, rel);
  unsigned int n = 0;
  EVP_DigestFinal_ex(d->md, x->sha256, &n);
  x->size = d->hashed;
}

void xdigests_alias(xdigests *d, const char *rel, const char *target) {
  for (size_t i = d->len; i > 0; i--) /* the latest entry of that path */
    if (strcmp(d->items[i - 1].rel, target) == 0) {
      xdigest copy = d->items[i - 1];
      xdigest *x = push(d, rel);
      memcpy(x->sha256, copy.sha256, sizeof x->sha256);
      x->size = copy.size;
      return;
    }
}

static int by_rel_then_order(const void *a, const void *b) {
  const xdigest *x = a, *y = b;
  int c = strcmp(x->rel, y->rel);
  if (c)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* The last-written digest of rel, or NULL. */
static const xdigest *find(const xdigests *d, const char *rel) {
  size_t lo = 0, hi = d->len;
  while (lo < hi) { /* first index with rel > key */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(d->items[mid].rel, rel) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > 0 && strcmp(d->items[lo - 1].rel, rel) == 0 ? &d->items[lo - 1] : NULL;
}

krait_code xdigests_verify(xdigests *d, const char *tree, const char *pkg, krait_err *err) {
  char *pj = krait_asprintf("%s/info/paths.json", tree);
  bool has = krait_path_exists(pj);
  free(pj);
  if (!has)
    return KRAIT_OK; /* legacy packages (info/files) carry no digests */
  krait_paths paths = KRAIT_PATHS_INIT;
  krait_code rc = krait_paths_read(tree, &paths, err);
  if (rc) {
    krait_err_prefix(err, "%s", pkg);
    return rc;
  }
  qsort(d->items, d->len, sizeof *d->items, by_rel_then_order);
  for (size_t i = 0; !rc && i < paths.len; i++) {
    const krait_path_entry *e = &paths.items[i];
    if (e->type != KRAIT_PATH_HARDLINK || (!e->sha256 && e->size < 0))
      continue;
    const xdigest *x = find(d, e->path);
    if (!x) {
      rc = krait_err_set(err, KRAIT_E_CHECKSUM, "%s: info/paths.json lists '%s', which the archive does not contain",
                         pkg, e->path);
      break;
    }
    if (e->size >= 0 && (uint64_t)e->size != x->size) {
      rc = krait_err_set(err, KRAIT_E_CHECKSUM, "%s: '%s' has %llu bytes, but info/paths.json says %lld", pkg,
                         e->path, (unsigned long long)x->size, (long long)e->size);
      break;
    }
    if (e->sha256) {
      char hex[65];
      for (int k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", x->sha256[k]);
      if (strcasecmp(hex, e->sha256) != 0)
        rc = krait_err_set(err, KRAIT_E_CHECKSUM, "%s: '%s' has sha256 %s, but info/paths.json says %s", pkg,
                           e->path, hex, e->sha256);
    }
  }
  krait_paths_free(&paths);
  return rc;
}

void xdigests_free(xdigests *d) {
  for (size_t i = 0; i < d->len; i++)
    free(d->items[i].rel);
  free(d->items);
  if (d->md)
    EVP_MD_CTX_free(d->md);
  memset(d, 0, sizeof *d);
}
