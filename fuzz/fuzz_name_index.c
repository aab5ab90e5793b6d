/* The name index cache file's blob (repodata/src/name_index.h) as untrusted
 * bytes: a cache directory may be shared or damaged, and the checksum is no
 * defence against a writer that recomputes it. Whatever the bytes, checking
 * them must not read outside them, and an index that passes must be safe to
 * walk (every name looked up, every dependency followed) and to load records
 * from: spans pointing anywhere in a small real repodata.json are either
 * that record or a one-line error. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "fuzz_util.h"
#include "krait/ctx.h"
#include "krait/repodata.h"
#include "name_index.h"

static const char REPODATA[] =
    "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{"
    "\"a-1-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\",\"depends\":[\"b >=1\"]},"
    "\"b-1-0.tar.bz2\":{\"name\":\"b\",\"version\":\"1\",\"build\":\"0\"}},"
    "\"packages.conda\":{\"a-1-0.conda\":{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *json;
  static int fd = -1;
  if (!json) {
    json = krait_strdup(fuzz_file("repodata.json", (const uint8_t *)REPODATA, sizeof REPODATA - 1));
    fd = open(json, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      abort();
  }
  /* the blob is mapped 8-aligned in krait: copy it so */
  uint64_t *blob = malloc(size / 8 * 8 + 8);
  if (!blob)
    abort();
  memcpy(blob, data, size);
  krait_name_index idx = {0};
  if (krait_name_index_view(&idx, (const char *)blob, size)) {
    size_t n = 0; /* names' record ranges may overlap in a forged index: count them as reachable.c does */
    for (uint32_t i = 0; i < idx.n_names; i++)
      n += idx.names[i].n_recs;
    krait_span_pick *picks = calloc(n + 1, sizeof *picks);
    n = 0;
    for (uint32_t i = 0; i < idx.n_names; i++) {
      const krait_name_ent *e = &idx.names[i];
      (void)krait_name_index_find(&idx, krait_name_of(&idx, e), e->name_len); /* may miss in a forged table */
      for (uint32_t d = 0; d < e->n_deps; d++)
        (void)idx.names[idx.deps[e->first_dep + d]].name_len;
      for (uint32_t k = 0; k < e->n_recs; k++)
        picks[n++] = (krait_span_pick){&idx.recs[e->first_rec + k], krait_name_of(&idx, e), e->name_len};
    }
    /* in file order, as reachable.c hands them over (a bad order is an error there too) */
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && picks[j - 1].rec->val_off > picks[j].rec->val_off; j--) {
        krait_span_pick t = picks[j];
        picks[j] = picks[j - 1];
        picks[j - 1] = t;
      }
    Pool *pool = pool_create();
    pool_setdisttype(pool, DISTTYPE_CONDA);
    Repo *repo = repo_create(pool, "fuzz");
    krait_err err;
    (void)krait_repo_add_json_spans(repo, fd, json, &idx, picks, n, &err);
    pool_free(pool);
    free(picks);
  }
  free(blob);
  return 0;
}
