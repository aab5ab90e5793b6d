/* Modulefiles (krait/modulefile.h): module names, formats, the version from
 * conda-meta/history, and the Lua / Tcl text for a temporary env with a
 * state file and an activate.d script (quoting, the Tcl fallback recorded
 * by running the script in bash). Loading them in Lmod is tests/e2e. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/modulefile.h"

static void test_names_and_formats(void) {
  const char *good[] = {"proj", "proj/1.0", "a/b/c", "gcc+cuda/12.4-r1", "Env_2/2024-01-31", NULL};
  for (const char *const *g = good; *g; g++)
    CHECK(krait_module_name_valid(*g), "\"%s\" is valid", *g);
  const char *bad[] = {"", "/abs", "a//b", "a/", "../x", "a/..", ".hidden", "-opt", "a b", "a$b", "a[1]", NULL};
  for (const char *const *b = bad; *b; b++)
    CHECK(!krait_module_name_valid(*b), "\"%s\" is invalid", *b);
  krait_module_format f = KRAIT_MODULE_LUA;
  krait_err err = {0};
  CHECK(krait_module_format_parse("tcl", &f, &err) == KRAIT_OK && f == KRAIT_MODULE_TCL, "tcl");
  CHECK(krait_module_format_parse("yaml", &f, &err) == KRAIT_E_INVALID, "yaml refused");
  CHECK(strstr(err.msg, "\"yaml\"") != NULL, "names the value: %s", err.msg);
  CHECK_STR(krait_module_file_ext(KRAIT_MODULE_LUA), ".lua");
  CHECK_STR(krait_module_file_ext(KRAIT_MODULE_TCL), "");
}

static void put(const char *dir, const char *rel, const char *text) {
  krait_err err = {0};
  char *path = krait_path_join(dir, rel);
  char *parent = krait_path_dirname(path);
  CHECK(krait_mkdir_p(parent, 0755, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_write_file_atomic(path, text, strlen(text), 0644, &err) == KRAIT_OK, "%s", err.msg);
  free(parent);
  free(path);
}

static void test_render(void) {
  char *root = krait_strdup("/tmp/krait-modulefile-XXXXXX");
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  krait_err err = {0};
  char *version = NULL;
  CHECK(krait_module_version(root, &version, &err) == KRAIT_OK, "%s", err.msg);
  CHECK_STR(version, "0"); /* no history */
  free(version);
  put(root, "conda-meta/history",
      "==> 2023-05-01 09:00:00 <==\n# update specs: [\"numpy\"]\n+c/noarch::numpy-1-0\n"
      "==> 2024-02-29 10:00:00 <==\n# update specs: [\"scipy >=1\"]\n+c/noarch::scipy-1-0\n");
  put(root, "conda-meta/state", "{\"env_vars\": {\"SV\": \"$x [y] \\\"q\\\" \\u00fc\"}}");
  put(root, "etc/conda/activate.d/a.sh", "export FROM_SCRIPT=\"in-$CONDA_PREFIX\"\n"
                                         "export PATH=\"$CONDA_PREFIX/extra:$PATH\"\n");
  CHECK(krait_module_version(root, &version, &err) == KRAIT_OK, "%s", err.msg);
  CHECK_STR(version, "2024-02-29");
  free(version);

  krait_module_request req = {.prefix = root, .env_name = "proj", .module_name = "proj/1", .format = KRAIT_MODULE_LUA};
  krait_buf out = KRAIT_BUF_INIT;
  CHECK(krait_module_render(&req, &out, &err) == KRAIT_OK, "%s", err.msg);
  const char *lua = krait_buf_str(&out);
  char *want = krait_asprintf("source_sh(\"bash\", \"%s/etc/conda/activate.d/a.sh\")", root);
  CHECK(strstr(lua, want) != NULL, "source_sh line in:\n%s", lua);
  free(want);
  CHECK(strstr(lua, "pushenv(\"SV\", \"$x [y] \\\"q\\\" \xc3\xbc\")") != NULL, "state var quoted for Lua:\n%s", lua);
  CHECK(strstr(lua, "pushenv(\"CONDA_DEFAULT_ENV\", \"proj\")") != NULL, "default env");
  CHECK(strstr(lua, "numpy, scipy >=1") != NULL, "whatis lists the requested specs:\n%s", lua);

  krait_buf_clear(&out);
  req.format = KRAIT_MODULE_TCL;
  CHECK(krait_module_render(&req, &out, &err) == KRAIT_OK, "%s", err.msg);
  const char *tcl = krait_buf_str(&out);
  CHECK(strstr(tcl, "\"SV\" \"\\$x \\[y\\] \\\"q\\\" \\u00fc\"") != NULL, "state var quoted for Tcl:\n%s", tcl);
  want = krait_asprintf("$krait_setenv \"FROM_SCRIPT\" \"in-%s\"", root);
  CHECK(strstr(tcl, want) != NULL, "the script's variable recorded:\n%s", tcl);
  free(want);
  want = krait_asprintf("prepend-path \"PATH\" \"%s/extra\"", root);
  CHECK(strstr(tcl, want) != NULL, "the script's PATH entry recorded:\n%s", tcl);
  free(want);

  char *file = krait_path_join(root, "mod.tcl");
  CHECK(krait_write_file_atomic(file, out.data, out.len, 0644, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_module_file_is_ours(file), "marker found");
  char *hist = krait_path_join(root, "conda-meta/history");
  CHECK(!krait_module_file_is_ours(hist), "not ours");

  char *bogus = krait_path_join(root, "not-an-env");
  req.prefix = bogus;
  CHECK(krait_module_render(&req, &out, &err) == KRAIT_E_NOTFOUND, "no conda-meta");
  CHECK(strstr(err.msg, bogus) != NULL, "names the prefix: %s", err.msg);
  free(bogus);
  free(hist);
  free(file);
  krait_buf_free(&out);
  krait_rm_rf(root, &err);
  free(root);
}

int main(void) {
  test_names_and_formats();
  test_render();
  return krait_test_finish("modulefile");
}
