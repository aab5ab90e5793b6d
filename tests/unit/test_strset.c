/* krait_strset, and the .condarc list merges that use it: 100,000 channels
 * over two files (half of them duplicates) load and de-duplicate in order.
 * With pairwise comparisons this took more than a minute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/config.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/strset.h"

static void test_set(void) {
  krait_strset set = KRAIT_STRSET_INIT;
  CHECK(!krait_strset_has(&set, "a"), "empty set has nothing");
  krait_strv keep = KRAIT_STRV_INIT;
  for (int i = 0; i < 5000; i++)
    krait_strv_push_owned(&keep, krait_asprintf("s%d", i % 2500));
  int added = 0;
  for (size_t i = 0; i < keep.len; i++)
    added += krait_strset_add(&set, keep.items[i]);
  CHECK(added == 2500 && set.len == 2500, "added %d, len %zu", added, set.len);
  CHECK(krait_strset_has(&set, "s2499") && !krait_strset_has(&set, "s2500"), "membership");
  CHECK(!krait_strset_add(&set, "s0") && krait_strset_add(&set, ""), "re-adding and the empty string");
  krait_strset_free(&set);
  krait_strv_free(&keep);
}

static void test_condarc_many_channels(void) {
  char dir[] = "/tmp/krait-strset-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  static const char *const vars[] = {"CONDA_CHANNELS", "CONDA_DEFAULT_CHANNELS", "CONDARC"};
  for (size_t i = 0; i < 3; i++)
    unsetenv(vars[i]);
  krait_buf sys = KRAIT_BUF_INIT, user = KRAIT_BUF_INIT;
  krait_buf_puts(&sys, "channels:\n");
  krait_buf_puts(&user, "channels:\n");
  for (int i = 0; i < 100000; i++) {
    krait_buf_printf(&sys, "  - c%d\n", i);
    krait_buf_printf(&user, "  - c%d\n", 99999 - (i % 50000)); /* c99999..c50000, each twice */
  }
  char *sys_path = krait_path_join(dir, "sys.condarc"), *user_path = krait_path_join(dir, "user.condarc");
  krait_err err;
  CHECK(krait_write_file_atomic_nosync(sys_path, sys.data, sys.len, 0644, &err) == KRAIT_OK, "write");
  CHECK(krait_write_file_atomic_nosync(user_path, user.data, user.len, 0644, &err) == KRAIT_OK, "write");
  const char *paths[] = {sys_path, user_path};
  krait_ctx *ctx = krait_ctx_new();
  krait_code rc = krait_config_load_files(ctx, paths, 2, &err);
  CHECK(rc == KRAIT_OK, "load: %s", rc ? err.msg : "");
  /* later file first, first occurrence kept: c99999..c50000, then c0..c49999 */
  CHECK(ctx->channels.len == 100000, "channels: %zu", ctx->channels.len);
  if (ctx->channels.len == 100000) {
    CHECK_STR(ctx->channels.items[0], "c99999");
    CHECK_STR(ctx->channels.items[49999], "c50000");
    CHECK_STR(ctx->channels.items[50000], "c0");
    CHECK_STR(ctx->channels.items[99999], "c49999");
  }
  krait_strv expanded = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &expanded);
  CHECK(expanded.len == 100000, "expanded: %zu", expanded.len);
  krait_strv_free(&expanded);
  krait_ctx_free(ctx);
  krait_rm_rf(dir, &err);
  free(sys_path);
  free(user_path);
  krait_buf_free(&sys);
  krait_buf_free(&user);
}

int main(void) {
  test_set();
  test_condarc_many_channels();
  return krait_test_finish("strset");
}
