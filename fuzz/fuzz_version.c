/* Versions: parse, print, compare (ordering must be a total preorder on what
 * parses: reflexive and antisymmetric for the two halves of the input). */
#include "fuzz_util.h"
#include "krait/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstr(data, size);
  char *half = s + strlen(s) / 2;
  char *second = strdup(half);
  *half = 0;
  krait_version *a = NULL, *b = NULL;
  krait_err err;
  if (krait_version_parse(s, &a, &err) == KRAIT_OK) {
    FUZZ_ASSERT(krait_version_cmp(a, a) == 0, "%s != itself", s);
    free(krait_version_repr(a));
    free(krait_version_repr_local(a));
  }
  if (krait_version_parse(second, &b, &err) == KRAIT_OK && a) {
    int ab = krait_version_cmp(a, b), ba = krait_version_cmp(b, a);
    FUZZ_ASSERT((ab > 0) == (ba < 0) && (ab == 0) == (ba == 0), "cmp(%s, %s) not antisymmetric", s, second);
    (void)krait_version_startswith(a, b);
  }
  krait_version_free(a);
  krait_version_free(b);
  free(second);
  free(s);
  return 0;
}
