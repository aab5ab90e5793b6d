/* environment.yml (libyaml, selectors, pip lists, variables): parse, render
 * back, parse the rendering. */
#include "fuzz_util.h"
#include "krait/env_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  krait_env_file f;
  memset(&f, 0, sizeof f);
  krait_err err;
  if (krait_env_file_parse("environment.yml", (const char *)data, size, true, "linux-64", &f, &err) == KRAIT_OK) {
    char *yaml = krait_env_file_render_yaml(&f);
    krait_env_file g;
    memset(&g, 0, sizeof g);
    if (yaml && krait_env_file_parse("rendered.yml", yaml, strlen(yaml), true, "linux-64", &g, &err) == KRAIT_OK)
      krait_env_file_free(&g);
    free(yaml);
  }
  krait_env_file_free(&f);
  return 0;
}
