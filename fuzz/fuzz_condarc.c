/* .condarc files (libyaml): every key krait reads, merged with a second
 * copy of itself (the list merges), then channels expanded. */
#include "fuzz_util.h"
#include "krait/config.h"
#include "krait/ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  const char *path = fuzz_file("condarc", data, size);
  const char *paths[] = {path, path};
  krait_ctx *ctx = krait_ctx_new();
  krait_err err;
  if (krait_config_load_files(ctx, paths, 2, &err) == KRAIT_OK) {
    krait_strv out = KRAIT_STRV_INIT;
    krait_config_expand_channels(ctx, &out);
    krait_strv_free(&out);
  }
  krait_ctx_free(ctx);
  return 0;
}
