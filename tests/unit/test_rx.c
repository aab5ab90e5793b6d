/* The bounded regex engine (krait/rx.h): what it matches, what it refuses,
 * and that hostile MatchSpec regexes stay small and fast. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/matchspec.h"
#include "krait/rx.h"

static void expect(const char *pat, bool icase, const char *text, bool want) {
  krait_rx *rx = NULL;
  krait_err err;
  krait_code rc = krait_rx_compile(pat, icase, &rx, &err);
  CHECK(rc == KRAIT_OK, "compile %s: %s", pat, rc ? err.msg : "");
  if (rc)
    return;
  bool got = krait_rx_search(rx, text);
  CHECK(got == want, "%s on \"%s\": got %d, want %d", pat, text, got, want);
  krait_rx_free(rx);
}

static void refused(const char *pat, const char *want_msg) {
  krait_rx *rx = NULL;
  krait_err err;
  krait_code rc = krait_rx_compile(pat, true, &rx, &err);
  CHECK(rc != KRAIT_OK && rx == NULL, "%s compiled", pat);
  if (rc)
    CHECK(strstr(err.msg, want_msg) != NULL, "%s: message \"%s\" lacks \"%s\"", pat, err.msg, want_msg);
  krait_rx_free(rx);
}

static long max_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int main(void) {
  /* the patterns conda users write, and POSIX/Python features around them */
  expect("^1\\.2\\..*$", true, "1.2.3", true);
  expect("^1\\.2\\..*$", true, "1.23", false);
  expect("^(1\\.7|1\\.8)\\.[0-9]+$", true, "1.8.12", true);
  expect("^(1\\.7|1\\.8)\\.[0-9]+$", true, "1.9.1", false);
  expect("^2\\.(0|1)\\.\\d+$", true, "2.1.33", true);
  expect("^py3[0-9]+_\\w+$", true, "py311_cpython", true);
  expect("^PY3.*$", true, "py311", true);
  expect("^PY3.*$", false, "py311", false);
  expect("^[^a-c]x$", true, "dx", true);
  expect("^[^a-c]x$", true, "Bx", false); /* case-insensitive negated class */
  expect("^[[:digit:]]{2,3}$", true, "123", true);
  expect("^[[:digit:]]{2,3}$", true, "1234", false);
  expect("^a{2}b{1,}c?$", true, "aabbb", true);
  expect("^a{2}b{1,}c?$", true, "abbb", false);
  expect("^(?:ab)+$", true, "ababab", true);
  expect("^(ab)*?$", true, "", true);
  expect("^x{,2}$", true, "x{,2}", true); /* not a count: literal braces, as Python */
  expect("^a|b$", true, "zzb", true);
  expect("^$", true, "", true);
  expect("^(a*)*$", true, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", false);
  expect("b", true, "abc", true); /* search, like regexec */
  expect("^[]a]+$", true, "]a]", true);
  expect("^[a\\-z]+$", true, "-", true);

  refused("^a+++++++++++++++++++++++++$", "multiple repeat");
  refused("^a**$", "multiple repeat");
  refused("^*a$", "nothing to repeat");
  refused("^(a$", "missing )");
  refused("^a)$", "unbalanced )");
  refused("^[a$", "unterminated [ class");
  refused("^[z-a]$", "bad character range");
  refused("^(a)\\1$", "back-references");
  refused("^a{5,2}$", "n < m");
  refused("^a{1001}$", "above 1000");
  refused("^(?=a)$", "(?: )");
  refused("^(((a{1000}){1000}){1000})$", "too complex");
  {
    krait_buf deep = KRAIT_BUF_INIT;
    for (int i = 0; i < 200; i++)
      krait_buf_putc(&deep, '(');
    for (int i = 0; i < 200; i++)
      krait_buf_putc(&deep, ')');
    refused(krait_buf_str(&deep), "nested too deeply");
    krait_buf_free(&deep);
  }

  /* hostile specs through the MatchSpec parser: each is refused or answered
   * with the process growing by no more than a few MB. The (a|b)*a(a|b){20}
   * family makes a DFA of 2^20 states; glibc's regcomp built > 11 GB for
   * the a+++ spec. */
  long before = max_rss_kb();
  static const char *const specs[] = {
      "pkg ^a+++++++++++++++++++++++++$",
      "pkg ^(a|b)*a(a|b){20}$",
      "pkg ^((a|aa)+)+$",
      "pkg ^(a*)*(b*)*(c*)*(d*)*$",
      "pkg ^(.*.*.*.*.*.*.*.*.*.*)x$",
  };
  krait_buf text = KRAIT_BUF_INIT;
  for (int i = 0; i < 4000; i++)
    krait_buf_putc(&text, i % 3 ? 'a' : 'b');
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    krait_matchspec *ms = NULL;
    krait_err err;
    if (krait_matchspec_parse(specs[i], &ms, &err) == KRAIT_OK) {
      krait_matchspec_match_version(ms, krait_buf_str(&text));
      krait_matchspec_match_version(ms, "1.2.3");
      krait_matchspec_free(ms);
    } else {
      CHECK(strstr(err.msg, "regex") != NULL, "%s: refused with \"%s\"", specs[i], err.msg);
    }
  }
  krait_buf_free(&text);
  long grown_kb = max_rss_kb() - before;
  CHECK(grown_kb < 16 * 1024, "hostile regexes grew the process by %ld KiB", grown_kb);
  return krait_test_finish("rx");
}
