/* Minimal table-driven test harness: CHECK records a failure and continues;
 * the closing line is "N passed, N failed" (read by CI). Data-dependent tests
 * call krait_test_skip() when ../shared is absent (exit 77 = ctest SKIP). */
#ifndef KRAIT_TEST_HARNESS_H
#define KRAIT_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>

extern int krait_test_passed;
extern int krait_test_failed;

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

/* Path of a file under ../shared/data (caller frees), or NULL if absent. */
char *krait_test_shared(const char *relpath);
/* Prints why and exits 77. */
_Noreturn void krait_test_skip(const char *why);
/* Prints the summary line and returns the process exit code. */
int krait_test_finish(const char *suite);

#endif
