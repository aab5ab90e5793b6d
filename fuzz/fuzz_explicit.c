/* Explicit files (@EXPLICIT package URLs with #md5/#sha256) and spec lists:
 * parse, and render what parsed as an explicit file again. */
#include "fuzz_env_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  krait_env_file f;
  if (fuzz_env_file(data, size, "explicit.txt", false, &f) && f.kind == KRAIT_ENV_FILE_EXPLICIT) {
    const krait_record **recs = calloc(f.n_packages + 1, sizeof *recs);
    if (!recs)
      abort();
    for (size_t i = 0; i < f.n_packages; i++)
      recs[i] = &f.packages[i];
    krait_records_dependency_order(recs, f.n_packages);
    free(krait_explicit_render(recs, f.n_packages, "linux-64", size % 2));
    free(recs);
  }
  krait_env_file_free(&f);
  return 0;
}
