/* repodata.json loading: krait's loader (libsolv's conda reader with krait's
 * patches, then krait's own passes over the same bytes), and every record
 * read back. The load goes through a file, as in krait. */
#include <solv/pool.h>
#include <solv/repo.h>

#include "fuzz_util.h"
#include "krait/ctx.h"
#include "krait/record.h"
#include "krait/repodata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static krait_ctx *ctx;
  if (!ctx)
    ctx = krait_ctx_new();
  const char *path = fuzz_file("repodata.json", data, size);
  Pool *pool = krait_pool_new(ctx);
  krait_repodata_opts opts = {.no_solv_cache = true};
  Repo *repo = NULL;
  krait_err err;
  if (krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK && repo) {
    Id p;
    Solvable *s;
    FOR_REPO_SOLVABLES(repo, p, s) {
      krait_record r;
      if (krait_solvable_record(pool, p, &r, &err) == KRAIT_OK)
        free(krait_record_dist(&r));
      krait_record_free(&r);
    }
  }
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  return 0;
}
