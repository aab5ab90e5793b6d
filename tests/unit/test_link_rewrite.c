/* Link-time rewriting as pure functions: text and binary placeholder replacement, noarch
 * paths, python X.Y, entry-point scripts. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/ctx.h"
#include "krait/link.h"
#include "krait/meta.h"
#include "link_fixture.h"
#include "pkg_fixture.h"

static void test_replace_text_table(void) {
  static const struct {
    const char *in, *ph, *prefix, *want;
  } cases[] = {
      {"a /PH/b /PH\n", "/PH", "/env", "a /env/b /env\n"},
      {"no placeholder", "/PH", "/env", "no placeholder"},
      {"#!/PH/bin/python -u\nx=/PH\n", "/PH", "/env", "#!/env/bin/python -u\nx=/env\n"},
      {"#!/PH/bin/python -u\n", "/PH", "/my env", "#!/usr/bin/env python -u\n"},
      {"#!/PH/bin/perl\n", "/PH", "/a/b", "#!/a/b/bin/perl\n"},
      {"#!/bin/sh\n/PH\n", "/PH", "/with space", "#!/bin/sh\n/with space\n"},
      {"#!/PH/bin/python", "/PH", "/p", "#!/p/bin/python"},
      {"", "/PH", "/p", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    krait_buf out = KRAIT_BUF_INIT;
    krait_replace_text(cases[i].in, strlen(cases[i].in), cases[i].ph, cases[i].prefix, &out);
    CHECK_STR(krait_buf_str(&out), cases[i].want);
    krait_buf_free(&out);
  }
  /* shebang limit: 127 bytes is fine, 128 is not */
  char prefix[200];
  size_t base = strlen("#!") + strlen("/bin/python");
  memset(prefix, 'p', sizeof prefix);
  prefix[0] = '/';
  prefix[127 - base] = '\0';
  krait_buf out = KRAIT_BUF_INIT;
  krait_replace_text("#!/PH/bin/python\n", 17, "/PH", prefix, &out);
  CHECK(strncmp(krait_buf_str(&out), "#!/ppp", 6) == 0 && out.len == 128, "127-byte shebang kept (%zu)", out.len);
  prefix[127 - base] = 'p';
  prefix[128 - base] = '\0';
  krait_replace_text("#!/PH/bin/python -E\n", 20, "/PH", prefix, &out);
  CHECK_STR(krait_buf_str(&out), "#!/usr/bin/env python -E\n");
  krait_buf_free(&out);
}

static void test_replace_binary_direct(void) {
  char data[] = "xx/PHPH/lib\0yy/PHPH\0/PH";
  size_t len = sizeof data - 1, count = 0;
  krait_err err = {0};
  CHECK(krait_replace_binary(data, len, "/PHPH", "/e", &count, &err) == 0, "%s", err.msg);
  static const char want[] = "xx/e/lib\0\0\0\0yy/e\0\0\0\0/PH";
  CHECK(count == 2 && memcmp(data, want, len) == 0, "binary rewrite, %zu strings", count);
  char two[] = "/PHPH:/PHPH\0";
  CHECK(krait_replace_binary(two, sizeof two - 1, "/PHPH", "/ab", &count, NULL) == 0 && count == 1 &&
            memcmp(two, "/ab:/ab\0\0\0\0\0", 12) == 0,
        "two placeholders in one string padded twice");
  char unterminated[] = "a/PHPH";
  CHECK(krait_replace_binary(unterminated, 6, "/PHPH", "/x", &count, NULL) == 0 && count == 0 &&
            memcmp(unterminated, "a/PHPH", 6) == 0,
        "placeholder without a terminating NUL left alone");
  char shortbuf[] = "/PH\0";
  CHECK(krait_replace_binary(shortbuf, 4, "/PH", "/long", &count, &err) == KRAIT_E_INVALID &&
            strstr(err.msg, "/long") && strstr(err.msg, "longer"),
        "too long: %s", err.msg);
}

/* Moving an installed binary: the new prefix may be longer than the old one
 * and then takes the NULs the longer placeholder left after the string. */
static void test_replace_binary_strings_grow(void) {
  char data[] = "x/ab/lib\0\0\0\0y/ab\0\0\0";
  size_t len = sizeof data - 1, count = 0;
  krait_err err = {0};
  CHECK(krait_replace_binary_strings(data, len, "/ab", "/abcd", &count, &err) == 0, "%s", err.msg);
  static const char want[] = "x/abcd/lib\0\0y/abcd\0";
  CHECK(count == 2 && memcmp(data, want, len) == 0, "grown into the padding, %zu strings", count);
  char shrink[] = "/abcd/x\0z";
  CHECK(krait_replace_binary_strings(shrink, sizeof shrink - 1, "/abcd", "/a", &count, NULL) == 0 && count == 1 &&
            memcmp(shrink, "/a/x\0\0\0\0z", 9) == 0,
        "shorter: padded with NULs");
  char full[] = "/ab/lib\0/ab";
  CHECK(krait_replace_binary_strings(full, sizeof full - 1, "/ab", "/abcdef", &count, &err) == KRAIT_E_INVALID &&
            strstr(err.msg, "/abcdef") && strstr(err.msg, "does not fit"),
        "no room: %s", err.msg);
}

static void test_noarch_paths(void) {
  static const struct {
    const char *in, *sp, *want;
  } cases[] = {
      {"site-packages/a/b.py", "lib/python3.11/site-packages", "lib/python3.11/site-packages/a/b.py"},
      {"site-packages/x", "lib/python3.13t/site-packages", "lib/python3.13t/site-packages/x"},
      {"python-scripts/tool", "lib/python3.11/site-packages", "bin/tool"},
      {"share/doc/x", "lib/python3.11/site-packages", "share/doc/x"},
      {"site-packagesX/y", "sp", "site-packagesX/y"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = krait_noarch_python_path(cases[i].in, cases[i].sp);
    CHECK_STR(got, cases[i].want);
    free(got);
  }
}

static void test_entry_point_text(void) {
  char *cmd = NULL;
  krait_buf s = KRAIT_BUF_INIT;
  CHECK(krait_entry_point_script("my-tool = pkg.cli:main", "/env/bin/python3.11", &cmd, &s), "parse");
  CHECK_STR(cmd, "my-tool");
  CHECK(strncmp(krait_buf_str(&s), "#!/env/bin/python3.11\n", 22) == 0, "shebang: %s", krait_buf_str(&s));
  CHECK(strstr(krait_buf_str(&s), "from pkg.cli import main\n") && strstr(krait_buf_str(&s), "sys.exit(main())"),
        "body");
  free(cmd);
  cmd = NULL;
  CHECK(krait_entry_point_script("t=m:obj.method", "/a b/bin/python", &cmd, &s), "dotted func");
  CHECK(strncmp(krait_buf_str(&s), "#!/bin/sh\n'''exec' \"/a b/bin/python\" \"$0\" \"$@\" #'''\n", 50) == 0,
        "trampoline: %s", krait_buf_str(&s));
  CHECK(strstr(krait_buf_str(&s), "from m import obj\n") && strstr(krait_buf_str(&s), "sys.exit(obj.method())"),
        "dotted import");
  free(cmd);
  static const char *const bad[] = {"nocolon = mod", "= m:f", "x = m:", "../x = m:f", "x = m;rm:f", "x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cmd = NULL;
    CHECK(!krait_entry_point_script(bad[i], "/p/bin/python", &cmd, &s) && cmd == NULL, "rejects %s", bad[i]);
  }
  krait_buf_free(&s);
}

static void test_python_xy(void) {
  static const struct {
    const char *in, *want;
  } cases[] = {{"3.11.9", "3.11"}, {"3.13.0rc1", "3.13"}, {"2.7", "2.7"}, {"1!3.12.1", "3.12"},
               {"3", NULL},        {"abc", NULL},        {"3.x", NULL}, {"310.1000.2", "310.1000"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = krait_python_xy(cases[i].in);
    if (cases[i].want)
      CHECK_STR(got, cases[i].want);
    else
      CHECK(got == NULL, "%s -> %s", cases[i].in, got);
    free(got);
  }
}

int main(void) {
  test_replace_text_table();
  test_replace_binary_direct();
  test_replace_binary_strings_grow();
  test_noarch_paths();
  test_entry_point_text();
  test_python_xy();
  return krait_test_finish("link_rewrite");
}
