/* Prefix replacement in text and binary files: the first input byte picks
 * the new prefix, the rest is the file. Binary mode keeps the length. */
#include "fuzz_util.h"
#include "krait/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static const char placeholder[] = "/opt/anaconda1anaconda2anaconda3";
  static const char *const prefixes[] = {"/p", "/opt/envs/x", "/a/much/longer/prefix/than/the/placeholder/is"};
  const char *prefix = prefixes[data[0] % 3];
  const char *body = (const char *)data + 1;
  size_t n = size - 1;
  krait_buf out = KRAIT_BUF_INIT;
  krait_replace_text(body, n, placeholder, prefix, &out);
  krait_buf_free(&out);
  char *copy = malloc(n ? n : 1);
  if (!copy)
    abort();
  memcpy(copy, body, n);
  size_t count = 0;
  krait_err err;
  if (krait_replace_binary(copy, n, placeholder, prefix, &count, &err) == KRAIT_OK)
    FUZZ_ASSERT(strlen(prefix) <= strlen(placeholder) || count == 0, "longer prefix replaced in binary");
  /* moving an installed binary (krait pack / unpack): a longer prefix grows
   * into the NULs after each string, never past the file */
  memcpy(copy, body, n);
  krait_replace_binary_strings(copy, n, "/opt/envs/x", prefix, &count, &err);
  free(copy);
  return 0;
}
