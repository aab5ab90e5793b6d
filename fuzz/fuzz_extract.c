/* Archive extraction: the input is a .conda (zip) when it starts like one,
 * else a .tar.bz2 (any tar stream libarchive recognises); extracted into a
 * scratch directory that must hold nothing outside it afterwards. */
#include "fuzz_util.h"
#include "krait/extract.h"
#include "krait/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bool zip = size >= 2 && data[0] == 'P' && data[1] == 'K';
  const char *archive = fuzz_file(zip ? "fuzz-1-0.conda" : "fuzz-1-0.tar.bz2", data, size);
  char *dest = krait_path_join(fuzz_scratch(), "out");
  krait_extract_opts opts = {.no_sync = true, .replace = true, .max_bytes = (uint64_t)64 << 20,
                             .ratio_floor = (uint64_t)8 << 20};
  krait_err err;
  (void)krait_extract_ex(NULL, archive, dest, &opts, &err);
  (void)krait_rm_rf(dest, &err);
  free(dest);
  return 0;
}
