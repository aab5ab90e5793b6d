#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/buf.h"

int krait_test_passed;
int krait_test_failed;

char *krait_test_shared(const char *relpath) {
  const char *dir = getenv("KRAIT_SHARED_DIR");
  if (!dir || !*dir)
    return NULL;
  char *p = krait_asprintf("%s/data/%s", dir, relpath);
  if (access(p, R_OK) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

_Noreturn void krait_test_skip(const char *why) {
  printf("SKIPPED: %s\n", why);
  exit(77);
}

int krait_test_finish(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, krait_test_passed, krait_test_failed);
  return krait_test_failed ? 1 : 0;
}
