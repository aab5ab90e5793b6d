/* conda-meta/history as revisions: real micromamba histories from
 * ../shared/data/prefix/mamba-history, old-style full-state blocks, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/history.h"

static bool has(const krait_strv *v, const char *s) { return krait_strv_contains(v, s); }

static void test_synthetic(void) {
  char dir[] = "/tmp/krait-test-history-XXXXXX";
  if (!mkdtemp(dir)) {
    CHECK(0, "mkdtemp");
    return;
  }
  char *meta = krait_path_join(dir, "conda-meta");
  char *path = krait_path_join(meta, "history");
  krait_mkdir_p(meta, 0755, NULL);
  const char *text = "==> 2016-01-01 00:00:00 <==\n"
                     "python-2.7.11-0\n"   /* old conda: the whole state, no signs */
                     "zlib-1.2.8-0\n"
                     "==> 2016-02-01 00:00:00 <==\n"
                     "# cmd: conda install numpy\n"
                     "+defaults::numpy-1.10.4-py27_0\n"
                     "-zlib-1.2.8-0\n"
                     "+zlib-1.2.8-3\n";
  krait_write_file_atomic(path, text, strlen(text), 0644, NULL);
  krait_history h;
  krait_err err;
  CHECK(krait_history_read(dir, &h, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(h.len == 2, "2 revisions, got %zu", h.len);
  if (h.len == 2) {
    CHECK(h.revs[0].full_state && !h.revs[1].full_state, "full state flags");
    CHECK_STR(h.revs[1].cmd, "conda install numpy");
    CHECK_STR(h.revs[0].date, "2016-01-01 00:00:00");
  }
  krait_strv st = KRAIT_STRV_INIT;
  CHECK(krait_history_state(&h, 1, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(st.len == 3 && has(&st, "zlib-1.2.8-3") && has(&st, "defaults::numpy-1.10.4-py27_0") &&
            has(&st, "python-2.7.11-0"),
        "state after rev 1 (%zu dists)", st.len);
  krait_strv_free(&st);
  CHECK(krait_history_state(&h, 2, &st, &err) == KRAIT_E_NOTFOUND && strstr(err.msg, "last one is 1"), "%s", err.msg);
  krait_strv_free(&st);
  krait_history_free(&h);

  const char *bad = "+numpy-1.0-0\n==> 2016 <==\n";
  krait_write_file_atomic(path, bad, strlen(bad), 0644, NULL);
  CHECK(krait_history_read(dir, &h, &err) == KRAIT_E_PARSE && strstr(err.msg, "history:1:"), "%s", err.msg);
  /* no history at all: no revisions, not an error */
  unlink(path);
  CHECK(krait_history_read(dir, &h, &err) == KRAIT_OK && h.len == 0, "missing history");
  krait_history_free(&h);

  krait_hist_dist d;
  CHECK(krait_hist_dist_parse("https://conda.anaconda.org/conda-forge/linux-64::cpp-tabulate-1.0-hc9558a2_0", &d),
        "url dist");
  CHECK_STR(d.channel, "https://conda.anaconda.org/conda-forge");
  CHECK_STR(d.subdir, "linux-64");
  CHECK_STR(d.name, "cpp-tabulate");
  CHECK_STR(d.version, "1.0");
  CHECK_STR(d.build, "hc9558a2_0");
  krait_hist_dist_free(&d);
  CHECK(krait_hist_dist_parse("conda-forge::_libgcc_mutex-0.1-conda_forge", &d) && !d.subdir, "short channel");
  CHECK_STR(d.channel, "conda-forge");
  CHECK_STR(d.name, "_libgcc_mutex");
  krait_hist_dist_free(&d);
  CHECK(!krait_hist_dist_parse("nodashes", &d), "not a dist");
  free(path);
  free(meta);
  krait_rm_rf(dir, NULL);
}

static void test_mamba_histories(void) {
  char *parse = krait_test_shared("prefix/mamba-history/parse");
  char *segv = krait_test_shared("prefix/mamba-history/parse_segfault");
  if (!parse || !segv)
    krait_test_skip("../shared/data/prefix/mamba-history not found (set KRAIT_SHARED_DIR)");
  krait_history h;
  krait_err err;
  CHECK(krait_history_read(parse, &h, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(h.len == 8, "8 revisions, got %zu", h.len);
  krait_strv st = KRAIT_STRV_INIT;
  /* rev 3 removes a dist written as a URL that rev 2 added as "conda-forge::" */
  CHECK(krait_history_state(&h, 3, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(has(&st, "conda-forge::cpp-tabulate-1.5-hf52228f_1"), "upgrade added");
  bool old_gone = true;
  for (size_t i = 0; i < st.len; i++)
    old_gone &= strstr(st.items[i], "cpp-tabulate-1.0") == NULL;
  CHECK(old_gone, "the 1.0 build is gone after rev 3");
  krait_strv_free(&st);
  CHECK(krait_history_state(&h, 7, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(has(&st, "conda-forge::xtl-0.8.0-h84d6215_0") && has(&st, "conda-forge::wheel-0.40.0-pyhd8ed1ab_1"),
        "last revision adds");
  bool removed = true;
  for (size_t i = 0; i < st.len; i++)
    removed &= strstr(st.items[i], "nlohmann_json") == NULL && strstr(st.items[i], "xtl-0.7.2") == NULL;
  CHECK(removed, "rev 6 removals applied");
  krait_strv_free(&st);
  CHECK(h.revs[0].cmd && strstr(h.revs[0].cmd, "micromamba install nlohmann_json"), "cmd kept");
  krait_history_free(&h);
  /* a hostile file (30 kB comment, header without a date) reads without a crash */
  CHECK(krait_history_read(segv, &h, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(h.len == 1, "one revision, got %zu", h.len);
  krait_history_free(&h);
  free(parse);
  free(segv);
}

int main(void) {
  test_synthetic();
  test_mamba_histories();
  return krait_test_finish("history");
}
