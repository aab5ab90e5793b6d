/* conda-meta/<dist>.json records: the record fields, its paths_data and
 * files, and writing the record back. */
#include "fuzz_util.h"
#include "krait/json.h"
#include "krait/paths.h"
#include "krait/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  krait_err err;
  krait_json *j = krait_json_parse((const char *)data, size, "conda-meta.json", &err);
  if (!j)
    return 0;
  krait_record r;
  krait_record_init(&r);
  if (krait_record_from_json(&r, j, NULL, &err) == KRAIT_OK) {
    krait_buf out = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &out, 2);
    krait_jw_obj_begin(&w);
    krait_record_write_fields(&w, &r);
    krait_jw_obj_end(&w);
    krait_json *again = krait_json_parse(out.data, out.len, "record.json", &err);
    FUZZ_ASSERT(again != NULL, "written record does not parse: %s", err.msg);
    krait_json_free(again);
    krait_buf_free(&out);
    free(krait_record_dist(&r));
  }
  krait_record_free(&r);
  const krait_json *pd = krait_json_get_object(j, "paths_data");
  if (pd) {
    krait_paths p = KRAIT_PATHS_INIT;
    (void)krait_paths_from_json(pd, "paths_data", &p, &err);
    krait_paths_free(&p);
  }
  krait_strv files = KRAIT_STRV_INIT;
  krait_json_get_strv(j, "files", &files);
  krait_strv_free(&files);
  krait_json_free(j);
  return 0;
}
