/* krait_prefix_load: conda-meta records (CEP-32) and conda-meta/history. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/prefix.h"

static size_t index_of(const krait_strv *v, const char *s) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i], s) == 0) return i;
  return (size_t)-1;
}

static void test_rattler_conda_meta(void) {
  /* A conda-meta folder without a prefix around it: load its parent. */
  char *meta = krait_test_shared("prefix/rattler-conda-meta");
  if (!meta) return;
  char *tmp = krait_strdup("/tmp/krait-prefix-XXXXXX");
  CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
  char *link = krait_path_join(tmp, "conda-meta");
  CHECK(symlink(meta, link) == 0, "symlink");
  krait_prefix_state st;
  krait_err err = {0};
  CHECK(krait_prefix_load(tmp, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(st.exists, "conda-meta exists");
  CHECK(st.len >= 10, "records: %zu", st.len);
  const krait_prefix_record *bz = krait_prefix_find(&st, "bzip2");
  CHECK(bz != NULL, "bzip2 found");
  if (bz) {
    CHECK_STR(bz->rec.version, "1.0.8");
    CHECK_STR(bz->rec.build, "h93a5062_5");
    CHECK(bz->files.len > 0, "bzip2 lists its files");
    CHECK(bz->meta_path && strstr(bz->meta_path, "bzip2-1.0.8-h93a5062_5.json"), "meta_path %s", bz->meta_path);
  }
  CHECK(krait_prefix_find(&st, "no-such-package") == NULL, "absent name");
  krait_prefix_state_free(&st);
  unlink(link);
  rmdir(tmp);
  free(link);
  free(tmp);
  free(meta);
}

static void test_corrupt(void) {
  static const struct {
    const char *dir;
    const char *file;
  } cases[] = {
      {"prefix/conda-corrupt-conda-meta/json", "corrupt-1.2.3-hashhash.json"},
      {"prefix/conda-corrupt-conda-meta/unicode", "corrupt-1.2.3-hashhash.json"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *dir = krait_test_shared(cases[i].dir);
    if (!dir) continue;
    krait_prefix_state st;
    krait_err err = {0};
    CHECK(krait_prefix_load(dir, &st, &err) != KRAIT_OK, "%s must fail", cases[i].dir);
    CHECK(strstr(err.msg, cases[i].file) != NULL, "error names the file: %s", err.msg);
    free(dir);
  }
  /* "._name.json" AppleDouble files are not records. */
  char *dir = krait_test_shared("prefix/conda-corrupt-conda-meta/dot_underscore");
  if (dir) {
    krait_prefix_state st;
    krait_err err = {0};
    CHECK(krait_prefix_load(dir, &st, &err) == KRAIT_OK, "%s", err.msg);
    CHECK(st.len == 1, "one record, got %zu", st.len);
    if (st.len == 1) CHECK_STR(st.records[0].rec.name, "valid");
    krait_prefix_state_free(&st);
    free(dir);
  }
}

static void test_history(void) {
  char *dir = krait_test_shared("prefix/mamba-history/parse");
  if (dir) {
    krait_prefix_state st;
    krait_err err = {0};
    CHECK(krait_prefix_load(dir, &st, &err) == KRAIT_OK, "%s", err.msg);
    /* update/remove specs replayed in order: later removes drop xtl,
     * nlohmann_json, cpp-tabulate; wheel and xtl come back at the end. */
    CHECK(st.requested_specs.len == 3, "3 requested specs, got %zu", st.requested_specs.len);
    if (st.requested_specs.len == 3) {
      CHECK_STR(st.requested_specs.items[0], "openssl=3.5.0");
      CHECK_STR(st.requested_specs.items[1], "wheel=0.40.0");
      CHECK_STR(st.requested_specs.items[2], "xtl=0.8.0");
    }
    krait_prefix_state_free(&st);
    free(dir);
  }
  char *meta = krait_test_shared("prefix/mamba-history/parse_metadata/conda-meta/history");
  if (meta) {
    char *tmp = krait_strdup("/tmp/krait-prefix-XXXXXX");
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    char *cm = krait_path_join(tmp, "conda-meta");
    char *hist = krait_path_join(cm, "history");
    krait_buf text = KRAIT_BUF_INIT;
    krait_err err = {0};
    CHECK(krait_mkdir_p(cm, 0755, &err) == KRAIT_OK && krait_read_file(meta, &text, &err) == KRAIT_OK &&
              krait_write_file_atomic(hist, text.data, text.len, 0644, &err) == KRAIT_OK,
          "%s", err.msg);
    krait_prefix_state st;
    CHECK(krait_prefix_load(tmp, &st, &err) == KRAIT_OK, "%s", err.msg);
    /* The spec carries escaped quotes: ["pandas[version=\">=0.25.2,<3\"]"]. */
    CHECK(index_of(&st.requested_specs, "pandas[version=\">=0.25.2,<3\"]") != (size_t)-1,
          "pandas spec unescaped (%zu specs, first %s)", st.requested_specs.len,
          st.requested_specs.len ? st.requested_specs.items[0] : "-");
    CHECK(st.len == 0 && st.exists, "history only");
    krait_prefix_state_free(&st);
    krait_buf_free(&text);
    krait_rm_rf(tmp, NULL);
    free(hist);
    free(cm);
    free(tmp);
    free(meta);
  }
}

static void test_conda_history_files(void) {
  char *hist = krait_test_shared("prefix/conda-history/conda-tests-history");
  if (!hist) return;
  char *tmp = krait_strdup("/tmp/krait-prefix-XXXXXX");
  CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
  char *cm = krait_path_join(tmp, "conda-meta");
  char *dst = krait_path_join(cm, "history");
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err = {0};
  CHECK(krait_mkdir_p(cm, 0755, &err) == KRAIT_OK && krait_read_file(hist, &text, &err) == KRAIT_OK &&
            krait_write_file_atomic(dst, text.data, text.len, 0644, &err) == KRAIT_OK,
        "%s", err.msg);
  krait_prefix_state st;
  CHECK(krait_prefix_load(tmp, &st, &err) == KRAIT_OK, "%s", err.msg);
  /* Python-style single-quoted lists; one entry per name, the latest wins. */
  static const char *const want[] = {"cas-mirror", "grin", "pyflakes", "conda", "python 2.7*"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    CHECK(index_of(&st.requested_specs, want[i]) != (size_t)-1, "requested %s", want[i]);
  size_t conda_count = 0;
  for (size_t i = 0; i < st.requested_specs.len; i++) conda_count += strcmp(st.requested_specs.items[i], "conda") == 0;
  CHECK(conda_count == 1, "conda once, got %zu", conda_count);
  krait_prefix_state_free(&st);
  krait_buf_free(&text);
  krait_rm_rf(tmp, NULL);
  free(dst);
  free(cm);
  free(tmp);
  free(hist);
}

static void test_missing_prefix(void) {
  krait_prefix_state st;
  krait_err err = {0};
  CHECK(krait_prefix_load("/nonexistent/krait/prefix", &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(!st.exists && st.len == 0, "empty, exists=false");
  krait_prefix_state_free(&st);
}

int main(void) {
  char *probe = krait_test_shared("prefix");
  test_missing_prefix();
  if (!probe) {
    printf("shared prefix data absent: only the built-in checks ran\n");
    return krait_test_finish("test_prefix");
  }
  free(probe);
  test_rattler_conda_meta();
  test_corrupt();
  test_history();
  test_conda_history_files();
  return krait_test_finish("test_prefix");
}
