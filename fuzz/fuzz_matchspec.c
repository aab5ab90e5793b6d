/* MatchSpecs: parse; what parses prints a canonical form that parses back
 * to the same fields (the round trip of issue 6, a hard invariant: a
 * mismatch aborts and libFuzzer saves the input); matching and the libsolv
 * string never crash; regexes stay bounded (krait/rx.h). */
#include "fuzz_util.h"
#include "krait/matchspec.h"
#include "krait/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  char *s = fuzz_cstr(data, size);
  krait_matchspec *a = NULL;
  krait_err err;
  if (krait_matchspec_parse(s, &a, &err) == KRAIT_OK) {
    FUZZ_ASSERT(krait_matchspec_roundtrip_check(a, &err) == KRAIT_OK, "round trip of \"%s\": %s", s, err.msg);
    free(krait_matchspec_solv_str(a));
    krait_record r;
    krait_record_init(&r);
    r.name = strdup("numpy");
    r.version = strdup("1.26.4");
    r.build = strdup("py311h64a7726_0");
    r.subdir = strdup("linux-64");
    (void)krait_matchspec_matches(a, &r);
    (void)krait_matchspec_match_version(a, "2.0.0rc1+local.1");
    krait_record_free(&r);
  }
  krait_matchspec_free(a);
  free(s);
  return 0;
}
