/* krait/prefix_path.h: which paths read from inside a prefix may be touched;
 * krait/checkpoint.h: injected failures (this is a test build). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/prefix_path.h"

static void test_normal(void) {
  static const char *good[] = {"a", "a/b/c", "lib/python3.12/site-packages/x.py", "..a", "a/..b", ".hidden/x"};
  static const char *bad[] = {"", "/etc/passwd", "a//b", "./a", "a/./b", "..", "../x", "a/../../x", "a/", "a/.."};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK(krait_relpath_normal(good[i]), "\"%s\" should be normal", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK(!krait_relpath_normal(bad[i]), "\"%s\" should be refused", bad[i]);
  CHECK(!krait_relpath_normal(NULL), "NULL");
}

static void test_symlinks(void) {
  char tmpl[] = "/tmp/krait-pp-XXXXXX";
  char *base = mkdtemp(tmpl);
  CHECK(base != NULL, "mkdtemp");
  if (!base)
    return;
  char *prefix = krait_path_join(base, "env");
  char *outside = krait_path_join(base, "outside");
  char *lib = krait_path_join(prefix, "lib");
  krait_mkdir_p(lib, 0755, NULL);
  krait_mkdir_p(outside, 0755, NULL);
  char *out_link = krait_path_join(prefix, "share");
  char *in_link = krait_path_join(prefix, "lib64");
  CHECK(symlink(outside, out_link) == 0 && symlink("lib", in_link) == 0, "symlinks: %s", strerror(errno));
  krait_err err;
  CHECK(krait_prefix_path_check(prefix, NULL, "lib/x.so", "t", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "lib64/x.so", "t", &err) == KRAIT_OK, "link inside: %s", err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "not/yet/there.txt", "t", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "share", "t", &err) == KRAIT_OK, "the link itself: %s", err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "share/x", "rec", &err) == KRAIT_E_UNSAFE &&
            strstr(err.msg, "rec: ") && strstr(err.msg, "outside the prefix"),
        "through a link out: %s", err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "share/deeper/x", "t", &err) == KRAIT_E_UNSAFE, "deeper: %s",
        err.msg);
  CHECK(krait_prefix_path_check(prefix, NULL, "../outside/x", "t", &err) == KRAIT_E_UNSAFE, "dotdot");
  krait_rm_rf(base, NULL);
  free(prefix);
  free(outside);
  free(lib);
  free(out_link);
  free(in_link);
}

static void test_checkpoint_injection(void) {
  CHECK(krait_test_hooks_enabled(), "unit tests run in test builds (-DKRAIT_TEST_HOOKS=ON)");
  krait_err err;
  /* the variables are read once, at the first checkpoint */
  setenv("KRAIT_TEST_FAIL_AT", "unit-step:3:ENOSPC", 1);
  CHECK(krait_checkpoint("other-step", &err) == KRAIT_OK, "another step passes");
  CHECK(krait_checkpoint("unit-step", &err) == KRAIT_OK, "pass 1");
  CHECK(krait_checkpoint("unit-step", &err) == KRAIT_OK, "pass 2");
  CHECK(krait_checkpoint("unit-step", &err) == KRAIT_E_IO && strstr(err.msg, "injected failure at step unit-step") &&
            strstr(err.msg, "the disk is full"),
        "pass 3: %s", err.msg);
  CHECK(krait_checkpoint("unit-step", &err) == KRAIT_OK, "pass 4 passes again");
  CHECK(krait_interrupted() == 0, "no signal yet");
  krait_interrupt_request(15);
  CHECK(krait_checkpoint("any", &err) == KRAIT_E_CANCELLED && strstr(err.msg, "SIGTERM"), "%s", err.msg);
}

int main(void) {
  test_normal();
  test_symlinks();
  test_checkpoint_injection();
  return krait_test_finish("prefix_path");
}
