/* The JSON layer: parse (yyjson), write back with the streaming writer,
 * parse again: same shape, and numbers never go through an undefined cast. */
#include "fuzz_util.h"
#include "krait/json.h"

static size_t count(const krait_json *j) {
  size_t n = 1;
  krait_json_foreach(c, j) n += count(c);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  krait_err err;
  krait_json *j = krait_json_parse((const char *)data, size, "fuzz.json", &err);
  if (!j)
    return 0;
  int64_t v;
  (void)krait_json_get_int(j, "size", &v);
  krait_buf out = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &out, size % 2 ? 2 : 0);
  krait_jw_value(&w, j);
  krait_json *again = krait_json_parse(out.data, out.len, "written.json", &err);
  FUZZ_ASSERT(again != NULL, "written JSON does not parse: %s\n%s", err.msg, out.data);
  FUZZ_ASSERT(count(again) == count(j), "written JSON has another shape");
  krait_json_free(again);
  krait_buf_free(&out);
  krait_json_free(j);
  return 0;
}
