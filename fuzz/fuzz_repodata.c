/* repodata.json loading: krait's loader and every record read back; then the
 * way a solve loads the same file (indexed by name, then the records of every
 * name by their spans, repodata/src/reachable.c), which must accept and
 * reject exactly what the full load does, in the same words. The loads go
 * through a file, as in krait. */
#include <solv/pool.h>
#include <solv/repo.h>

#include "fuzz_util.h"
#include "krait/ctx.h"
#include "krait/record.h"
#include "krait/repodata.h"
#include "repodata_int.h"

/* The reachable load of every name in `names`; its result code, err filled. */
static krait_code load_reachable(krait_ctx *ctx, const char *path, const krait_strv *names, krait_err *err) {
  Pool *pool = krait_pool_new(ctx);
  krait_repodata_opts opts = {.no_solv_cache = true, .names_only = true};
  Repo *repo = NULL;
  krait_code rc = krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, err);
  if (rc == KRAIT_OK)
    rc = krait_repodata_fill_reachable(ctx, pool, names, err);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static krait_ctx *ctx;
  if (!ctx)
    ctx = krait_ctx_new();
  const char *path = fuzz_file("repodata.json", data, size);
  Pool *pool = krait_pool_new(ctx);
  krait_repodata_opts opts = {.no_solv_cache = true};
  Repo *repo = NULL;
  krait_err err, reach_err;
  krait_strv names = KRAIT_STRV_INIT;
  krait_code rc = krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err);
  if (rc == KRAIT_OK && repo) {
    Id p;
    Solvable *s;
    FOR_REPO_SOLVABLES(repo, p, s) {
      krait_record r;
      if (krait_solvable_record(pool, p, &r, &err) == KRAIT_OK)
        free(krait_record_dist(&r));
      krait_record_free(&r);
      if (s->name && !krait_strv_contains(&names, pool_id2str(pool, s->name)))
        krait_strv_push(&names, pool_id2str(pool, s->name));
    }
  }
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  krait_code reach = load_reachable(ctx, path, &names, &reach_err);
  if ((rc == KRAIT_OK) != (reach == KRAIT_OK) || (rc != KRAIT_OK && strcmp(err.msg, reach_err.msg) != 0)) {
    fprintf(stderr, "full load: %s\nreachable load: %s\n", rc ? err.msg : "ok", reach ? reach_err.msg : "ok");
    abort();
  }
  krait_strv_free(&names);
  return 0;
}
