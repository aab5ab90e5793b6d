/* JSON parser/writer: round trips, escapes, and error positions. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "krait/json.h"

static void roundtrip(const char *in, const char *want) {
  krait_err err;
  krait_json *j = krait_json_parse(in, strlen(in), "t", &err);
  CHECK(j != NULL, "parse %s: %s", in, j ? "" : err.msg);
  if (!j)
    return;
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 0);
  krait_jw_value(&w, j);
  CHECK_STR(krait_buf_str(&b), want);
  krait_buf_free(&b);
  krait_json_free(j);
}

static void bad(const char *in, const char *want_msg) {
  krait_err err;
  krait_err_clear(&err);
  krait_json *j = krait_json_parse(in, strlen(in), "f.json", &err);
  CHECK(j == NULL, "should fail: %s", in);
  krait_json_free(j);
  CHECK(strstr(err.msg, want_msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, want_msg);
}

int main(void) {
  roundtrip("{}", "{}");
  roundtrip("[]", "[]");
  roundtrip(" {\"a\" : [1, 2.5, -3e2, true, false, null, \"x\"]} ", "{\"a\":[1,2.5,-300,true,false,null,\"x\"]}");
  roundtrip("\"\\u00e9\\ud83d\\ude00\\n\\\"\"", "\"\xc3\xa9\xf0\x9f\x98\x80\\n\\\"\"");
  roundtrip("{\"k\":{\"n\":1700000000000}}", "{\"k\":{\"n\":1700000000000}}");
  bad("{\"a\": 1,}", "f.json:1:9:");
  bad("{\n  \"a\": tru\n}", "f.json:2:8:");
  bad("[1 2]", "expected ',' or ']'");
  bad("\"abc", "unterminated string");
  bad("{} x", "trailing characters");
  bad("", "unexpected end of input");

  /* pretty writer */
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_obj_begin(&w);
  krait_jw_kstr(&w, "a", "b");
  krait_jw_key(&w, "l");
  krait_jw_arr_begin(&w);
  krait_jw_int(&w, 1);
  krait_jw_arr_end(&w);
  krait_jw_key(&w, "e");
  krait_jw_arr_begin(&w);
  krait_jw_arr_end(&w);
  krait_jw_obj_end(&w);
  CHECK_STR(krait_buf_str(&b), "{\n  \"a\": \"b\",\n  \"l\": [\n    1\n  ],\n  \"e\": []\n}");
  krait_buf_free(&b);
  return krait_test_finish("json");
}
