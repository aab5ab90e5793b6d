/* Minimal table-driven test harness: CHECK records a failure and continues;
 * the closing line is "N passed, N failed, N skipped" (read by CI).
 *
 * Nothing may go quiet: a sub-test whose tool or data is missing calls
 * krait_test_missing(), which in CI (CI=true or KRAIT_REQUIRE_ALL=1) is a
 * failure and elsewhere (a user's clone without ../shared) a counted skip
 * whose reason is printed; the test then exits 77 (ctest SKIP) unless
 * something failed. */
#ifndef KRAIT_TEST_HARNESS_H
#define KRAIT_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>

extern int krait_test_passed;
extern int krait_test_failed;
extern int krait_test_skipped;

#define CHECK(cond, ...)                                                                            \
  do {                                                                                              \
    if (cond) {                                                                                     \
      krait_test_passed++;                                                                          \
    } else {                                                                                        \
      krait_test_failed++;                                                                          \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);                      \
      fprintf(stderr, __VA_ARGS__);                                                                 \
      fputc('\n', stderr);                                                                          \
    }                                                                                               \
  } while (0)

#define CHECK_STR(got, want)                                                                        \
  do {                                                                                              \
    const char *g_ = (got), *w_ = (want);                                                           \
    CHECK(g_ && w_ && strcmp(g_, w_) == 0, "got \"%s\", want \"%s\"", g_ ? g_ : "(null)",           \
          w_ ? w_ : "(null)");                                                                      \
  } while (0)

/* Path of a file under ../shared/data (caller frees), or NULL after
 * krait_test_missing() naming it: absent data never passes quietly. */
char *krait_test_shared(const char *relpath);
/* True in CI (CI=true or KRAIT_REQUIRE_ALL=1): nothing may be skipped there. */
bool krait_test_require_all(void);
/* A sub-test cannot run because `why` (a tool or data set) is missing: a
 * failure in CI, else a counted skip. The caller returns afterwards. */
void krait_test_missing(const char *why);
/* Whether `tool` is on PATH; if not, krait_test_missing() naming it. */
bool krait_test_need_tool(const char *tool);
/* The whole test cannot run: krait_test_missing(why), the summary, then exit
 * (77 outside CI). */
_Noreturn void krait_test_skip(const char *why);
/* Prints the summary line and returns the process exit code. */
int krait_test_finish(const char *suite);

#endif
