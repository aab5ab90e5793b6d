#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/buf.h"

int krait_test_passed;
int krait_test_failed;
int krait_test_skipped;

bool krait_test_require_all(void) {
  const char *ci = getenv("CI"), *all = getenv("KRAIT_REQUIRE_ALL");
  return (ci && strcmp(ci, "true") == 0) || (all && strcmp(all, "1") == 0);
}

void krait_test_missing(const char *why) {
  if (krait_test_require_all()) {
    krait_test_failed++;
    fprintf(stderr, "FAILED (missing in CI, where every test must run): %s\n", why);
    return;
  }
  krait_test_skipped++;
  printf("SKIPPED: %s\n", why);
}

char *krait_test_shared(const char *relpath) {
  const char *dir = getenv("KRAIT_SHARED_DIR");
  char *p = dir && *dir ? krait_asprintf("%s/data/%s", dir, relpath) : NULL;
  if (p && access(p, R_OK) == 0)
    return p;
  free(p);
  char *why = krait_asprintf("shared data %s absent (KRAIT_SHARED_DIR=%s)", relpath, dir ? dir : "");
  krait_test_missing(why);
  free(why);
  return NULL;
}

bool krait_test_need_tool(const char *tool) {
  char *cmd = krait_asprintf("command -v '%s' >/dev/null 2>&1", tool);
  int r = system(cmd);
  free(cmd);
  if (r == 0)
    return true;
  char *why = krait_asprintf("tool %s not found on PATH", tool);
  krait_test_missing(why);
  free(why);
  return false;
}

_Noreturn void krait_test_skip(const char *why) {
  krait_test_missing(why);
  exit(krait_test_finish("(stopped early)"));
}

int krait_test_finish(const char *suite) {
  printf("%s: %d passed, %d failed, %d skipped\n", suite, krait_test_passed, krait_test_failed,
         krait_test_skipped);
  if (krait_test_failed)
    return 1;
  return krait_test_skipped ? 77 : 0;
}
