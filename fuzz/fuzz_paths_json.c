/* info/paths.json of a package. */
#include "fuzz_util.h"
#include "krait/json.h"
#include "krait/paths.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  krait_err err;
  krait_json *j = krait_json_parse((const char *)data, size, "paths.json", &err);
  if (!j)
    return 0;
  krait_paths p = KRAIT_PATHS_INIT;
  if (krait_paths_from_json(j, "paths.json", &p, &err) == KRAIT_OK)
    for (size_t i = 0; i < p.len; i++)
      (void)krait_path_type_name(p.items[i].type);
  krait_paths_free(&p);
  krait_json_free(j);
  return 0;
}
