/* libsolv's own conda reader as krait used it before loader.c: kept only as
 * the oracle that tests/unit/test_repodata_loader.c compares the loader with,
 * record by record, and as the reference point of bench/. Not used by any
 * command. */
#include <stdio.h>
#include <string.h>

#include <solv/repo_conda.h>

#include "krait/json.h"
#include "repodata_int.h"

krait_code krait_repo_add_json_libsolv(Repo *repo, const char *path, char *text, size_t len, krait_repo_meta *meta,
                                       krait_err *err) {
  memset(meta, 0, sizeof(*meta));
  if (len == 0)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: empty repodata file", path);
  krait_repo_meta_scan(text, len, meta);
  FILE *fp = fmemopen(text, len, "r");
  if (!fp)
    return krait_err_errno(err, KRAIT_E_IO, "%s: fmemopen", path);
  int ret = repo_add_conda(repo, fp, 0);
  fclose(fp);
  if (ret != 0) {
    krait_repo_meta_free(meta);
    return krait_err_set(err, KRAIT_E_PARSE, "%s: not a repodata file: %s", path, pool_errstr(repo->pool));
  }
  krait_repo_add_extras(repo, text, len);
  return KRAIT_OK;
}
