/* JSON parser/writer: round trips, escapes, and error positions. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  bad("{\"a\": 1,}", "f.json:1:8: invalid JSON: trailing comma");
  bad("{\n  \"a\": tru\n}", "f.json:2:8:");
  bad("[1 2]", "expected a comma or a closing bracket");
  bad("\"abc", "unexpected end of data");
  bad("{} x", "unexpected content after document");
  bad("", "f.json:1:1: invalid JSON");
  bad("1e999", "f.json:1:1: invalid JSON");
  bad("{\"info\":{\"a\":[\"x\"]", "unexpected end of data");

  /* numbers: `integer` only when exact, so nothing wraps or truncates */
  {
    static const struct {
      const char *text;
      bool is_int;
      int64_t value;
    } nums[] = {
        {"{\"n\":1e30}", false, 0},
        {"{\"n\":1.5}", false, 0},
        {"{\"n\":-1e300}", false, 0},
        {"{\"n\":9223372036854775808}", false, 0},
        {"{\"n\":18446744073709551615}", false, 0},
        {"{\"n\":123456789012345678901234567890}", false, 0},
        {"{\"n\":9223372036854775807}", true, INT64_MAX},
        {"{\"n\":-9223372036854775808}", true, INT64_MIN},
        {"{\"n\":1e3}", true, 1000},
        {"{\"n\":-0.0}", true, 0},
        {"{\"n\":\"7\"}", false, 0},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
      krait_err err;
      krait_json *j = krait_json_parse(nums[i].text, strlen(nums[i].text), "n.json", &err);
      CHECK(j != NULL, "%s parses", nums[i].text);
      int64_t got = 42;
      bool ok = krait_json_get_int(j, "n", &got);
      CHECK(ok == nums[i].is_int, "%s: get_int says %d", nums[i].text, ok);
      if (ok)
        CHECK(got == nums[i].value, "%s: got %lld", nums[i].text, (long long)got);
      /* writing it back never goes through an out-of-range cast (UBSan) */
      krait_buf b = KRAIT_BUF_INIT;
      krait_jw w;
      krait_jw_init(&w, &b, 0);
      krait_jw_value(&w, j);
      krait_jw_double(&w, j->child->number);
      krait_buf_free(&b);
      krait_json_free(j);
    }
  }

  /* nesting: deep but within the cap works, beyond it is a clean error */
  {
    krait_buf deep = KRAIT_BUF_INIT;
    for (int i = 0; i < 100000; i++)
      krait_buf_putc(&deep, '[');
    for (int i = 0; i < 100000; i++)
      krait_buf_putc(&deep, ']');
    krait_err err;
    krait_json *j = krait_json_parse(deep.data, deep.len, "deep.json", &err);
    CHECK(j == NULL && strstr(err.msg, "deep.json: invalid JSON: nesting deeper than"), "deep nesting refused: %s",
          j ? "parsed" : err.msg);
    krait_json_free(j);
    const char *ok = "[[[[{\"a\":[[1]]}]]]]";
    j = krait_json_parse(ok, strlen(ok), "ok.json", &err);
    CHECK(j && j->child->child->child->child->type == KRAIT_JSON_OBJECT, "moderate nesting parses");
    krait_json_free(j);
    krait_buf_free(&deep);
  }

  /* duplicate keys: the first wins (as before); bytes that are not UTF-8 pass */
  {
    const char *dup = "{\"a\":\"first\",\"a\":\"second\",\"p\":\"caf\xe9\"}";
    krait_err err;
    krait_json *j = krait_json_parse(dup, strlen(dup), "dup.json", &err);
    CHECK(j != NULL, "dup parses");
    CHECK_STR(krait_json_get_str(j, "a"), "first");
    CHECK_STR(krait_json_get_str(j, "p"), "caf\xe9");
    CHECK(j->len == 3, "three members");
    krait_json_free(j);
  }

  /* files are parsed in place; an error still names the file's line:column */
  {
    char path[] = "/tmp/krait-json-XXXXXX";
    int fd = mkstemp(path);
    static const char text[] = "{\n  \"a\": \"\\u00e9\\n\",\n  \"b\": [1, 2,, 3]\n}\n";
    CHECK(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1), "write %s", path);
    close(fd);
    krait_err err;
    krait_json *j = krait_json_parse_file(path, &err);
    CHECK(j == NULL && strstr(err.msg, path) && strstr(err.msg, ":3:"), "file error: %s", j ? "parsed" : err.msg);
    krait_json_free(j);
    static const char good[] = "{\"a\": \"caf\\u00e9\", \"n\": 5}";
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, good, sizeof good - 1) == (ssize_t)(sizeof good - 1), "rewrite %s", path);
    close(fd);
    j = krait_json_parse_file(path, &err);
    CHECK(j != NULL, "good file parses");
    CHECK_STR(krait_json_get_str(j, "a"), "caf\xc3\xa9");
    krait_json_free(j);
    unlink(path);
  }

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
