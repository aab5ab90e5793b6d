/* Jupyter kernelspecs (krait/kernelspec.h): names, install into a temporary
 * kernels dir, list, replace, remove. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/kernelspec.h"

static void test_names(void) {
  CHECK(krait_kernel_name_valid("py-3.12_x"), "valid");
  const char *bad[] = {"", ".", "..", "Upper", "a b", "a/b", NULL};
  for (const char *const *b = bad; *b; b++)
    CHECK(!krait_kernel_name_valid(*b), "\"%s\" is invalid", *b);
  char *n = krait_kernel_name_from("My Env/2");
  CHECK_STR(n, "my-env-2");
  free(n);
  n = krait_kernel_name_from("..");
  CHECK_STR(n, "env");
  free(n);
}

static void test_install_list_remove(void) {
  char *root = krait_strdup("/tmp/krait-kernels-XXXXXX");
  CHECK(mkdtemp(root) != NULL, "mkdtemp");
  krait_err err = {0};
  char *env = krait_path_join(root, "env");
  char *logo_dir = krait_path_join(env, "share/jupyter/kernels/python3");
  CHECK(krait_mkdir_p(logo_dir, 0755, &err) == KRAIT_OK, "%s", err.msg);
  char *logo = krait_path_join(logo_dir, "logo-32x32.png");
  CHECK(krait_write_file_atomic(logo, "PNG", 3, 0644, &err) == KRAIT_OK, "%s", err.msg);
  char *kernels = krait_path_join(root, "kernels");
  krait_kernel_spec spec = {.krait_exe = "/opt/krait/bin/krait", .env_prefix = env, .name = "proj",
                            .display_name = "Project \"one\"", .kernels_dir = kernels};
  char *dir = NULL;
  CHECK(krait_kernel_install(&spec, &dir, &err) == KRAIT_OK, "%s", err.msg);
  char *json_path = krait_path_join(dir ? dir : "", "kernel.json");
  krait_json *j = krait_json_parse_file(json_path, &err);
  CHECK(j != NULL, "%s", err.msg);
  if (j) {
    const krait_json *argv = krait_json_get_array(j, "argv");
    CHECK(argv && argv->len == 9, "argv has 9 items");
    CHECK_STR(argv && argv->child ? argv->child->string : NULL, "/opt/krait/bin/krait");
    CHECK_STR(krait_json_get_str(j, "display_name"), "Project \"one\"");
    krait_json_free(j);
  }
  char *copied = krait_path_join(dir ? dir : "", "logo-32x32.png");
  CHECK(krait_path_exists(copied), "logo copied");
  free(copied);
  spec.display_name = "again";
  CHECK(krait_kernel_install(&spec, NULL, &err) == KRAIT_OK, "replace: %s", err.msg);
  spec.name = "Bad Name";
  CHECK(krait_kernel_install(&spec, NULL, &err) == KRAIT_E_INVALID, "bad name refused");

  krait_strv dirs = KRAIT_STRV_INIT;
  krait_strv_push(&dirs, kernels);
  krait_strv_push(&dirs, "/nonexistent/kernels");
  krait_kernel_list l;
  krait_kernel_list_dirs(&dirs, &l);
  CHECK(l.len == 1, "one kernel (no temporary dirs left): %zu", l.len);
  if (l.len == 1) {
    CHECK_STR(l.items[0].name, "proj");
    CHECK_STR(l.items[0].display_name, "again");
    CHECK_STR(l.items[0].env_prefix, env);
  }
  krait_kernel_list_free(&l);
  CHECK(krait_kernel_remove(kernels, "proj", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_kernel_remove(kernels, "proj", &err) == KRAIT_E_NOTFOUND, "gone");
  krait_kernel_list_dirs(&dirs, &l);
  CHECK(l.len == 0, "empty");
  krait_kernel_list_free(&l);
  krait_strv_free(&dirs);
  free(json_path);
  free(dir);
  free(kernels);
  free(logo);
  free(logo_dir);
  free(env);
  krait_rm_rf(root, &err);
  free(root);
}

int main(void) {
  test_names();
  test_install_list_remove();
  return krait_test_finish("kernelspec");
}
