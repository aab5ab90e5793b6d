/* environment.yml (libyaml, selectors, pip lists, variables): parse, render
 * back, parse the rendering. */
#include "fuzz_env_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  krait_env_file f;
  if (fuzz_env_file(data, size, "environment.yml", true, &f)) {
    char *yaml = krait_env_file_render_yaml(&f);
    krait_env_file g;
    if (yaml) {
      fuzz_env_file((const uint8_t *)yaml, strlen(yaml), "rendered.yml", true, &g);
      krait_env_file_free(&g);
    }
    free(yaml);
  }
  krait_env_file_free(&f);
  return 0;
}
