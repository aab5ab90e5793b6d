/* Virtual packages (CEP-30): detection per target subdir and CONDA_OVERRIDE_*. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "krait/platform.h"
#include "krait/virtpkg.h"

static const krait_virtpkg *find(const krait_virtpkgs *v, const char *name) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i].name, name) == 0) return &v->items[i];
  return NULL;
}

static void clear_overrides(void) {
  static const char *const vars[] = {"CONDA_OVERRIDE_CUDA", "CONDA_OVERRIDE_GLIBC", "CONDA_OVERRIDE_LINUX",
                                     "CONDA_OVERRIDE_ARCHSPEC", "CONDA_OVERRIDE_OSX", "CONDA_OVERRIDE_WIN"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
}

static bool numeric_dotted(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || *s == '.')) return false;
  return true;
}

/* Which names are present for a subdir (overrides pin anything machine-dependent). */
static void test_presence_per_subdir(void) {
  static const struct {
    const char *subdir;
    const char *present;
    const char *absent;
  } cases[] = {
      {"linux-64", "__unix __linux __glibc __archspec", "__osx __win"},
      {"linux-aarch64", "__unix __linux __glibc __archspec", "__osx __win"},
      {"osx-arm64", "__unix __osx __archspec", "__linux __glibc __win"},
      {"win-64", "__win __archspec", "__unix __linux __glibc __osx"},
  };
  clear_overrides();
  setenv("CONDA_OVERRIDE_CUDA", "", 1); /* no GPU probing in this test */
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    krait_virtpkgs v;
    krait_err err = {0};
    CHECK(krait_virtpkgs_detect(NULL, cases[i].subdir, &v, &err) == KRAIT_OK, "%s", err.msg);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", cases[i].present);
    for (char *p = buf; *p;) {
      char *sp = strchr(p, ' ');
      if (sp) *sp = '\0';
      CHECK(find(&v, p) != NULL, "%s present for %s", p, cases[i].subdir);
      p = sp ? sp + 1 : p + strlen(p);
    }
    snprintf(buf, sizeof buf, "%s", cases[i].absent);
    for (char *p = buf; *p;) {
      char *sp = strchr(p, ' ');
      if (sp) *sp = '\0';
      CHECK(find(&v, p) == NULL, "%s absent for %s", p, cases[i].subdir);
      p = sp ? sp + 1 : p + strlen(p);
    }
    CHECK(find(&v, "__cuda") == NULL, "empty CONDA_OVERRIDE_CUDA: no __cuda for %s", cases[i].subdir);
    krait_virtpkgs_free(&v);
  }
  clear_overrides();
}

static void test_overrides(void) {
  clear_overrides();
  setenv("CONDA_OVERRIDE_CUDA", "12.4", 1);
  setenv("CONDA_OVERRIDE_GLIBC", "2.17", 1);
  setenv("CONDA_OVERRIDE_LINUX", "5.10", 1);
  setenv("CONDA_OVERRIDE_ARCHSPEC", "x86_64_v3", 1);
  setenv("CONDA_OVERRIDE_OSX", "13.1", 1); /* ignored for linux */
  krait_virtpkgs v;
  krait_err err = {0};
  CHECK(krait_virtpkgs_detect(NULL, "linux-64", &v, &err) == KRAIT_OK, "%s", err.msg);
  const krait_virtpkg *p = find(&v, "__cuda");
  CHECK(p && strcmp(p->version, "12.4") == 0, "__cuda 12.4");
  if (p) {
    CHECK_STR(p->source, "override (CONDA_OVERRIDE_CUDA)");
    CHECK_STR(p->build, "0");
  }
  p = find(&v, "__glibc");
  CHECK(p && strcmp(p->version, "2.17") == 0, "__glibc 2.17");
  p = find(&v, "__linux");
  CHECK(p && strcmp(p->version, "5.10") == 0, "__linux 5.10");
  p = find(&v, "__archspec");
  CHECK(p && strcmp(p->build, "x86_64_v3") == 0 && strcmp(p->version, "1") == 0, "__archspec 1 x86_64_v3");
  CHECK(find(&v, "__osx") == NULL, "CONDA_OVERRIDE_OSX ignored for linux");
  krait_virtpkgs_free(&v);

  CHECK(krait_virtpkgs_detect(NULL, "osx-arm64", &v, &err) == KRAIT_OK, "%s", err.msg);
  p = find(&v, "__osx");
  CHECK(p && strcmp(p->version, "13.1") == 0, "__osx 13.1");
  CHECK(find(&v, "__glibc") == NULL, "CONDA_OVERRIDE_GLIBC ignored for osx");
  krait_virtpkgs_free(&v);

  /* Set but empty: the package is absent. */
  setenv("CONDA_OVERRIDE_GLIBC", "", 1);
  setenv("CONDA_OVERRIDE_CUDA", "", 1);
  CHECK(krait_virtpkgs_detect(NULL, "linux-64", &v, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(find(&v, "__glibc") == NULL, "empty CONDA_OVERRIDE_GLIBC removes __glibc");
  CHECK(find(&v, "__cuda") == NULL, "empty CONDA_OVERRIDE_CUDA removes __cuda");
  krait_virtpkgs_free(&v);
  clear_overrides();
}

static void test_native_detection(void) {
  const char *native = krait_native_subdir();
  if (strncmp(native, "linux-", 6) != 0) return;
  clear_overrides();
  setenv("CONDA_OVERRIDE_CUDA", "", 1);
  krait_virtpkgs v;
  krait_err err = {0};
  CHECK(krait_virtpkgs_detect(NULL, native, &v, &err) == KRAIT_OK, "%s", err.msg);
  const krait_virtpkg *p = find(&v, "__linux");
  CHECK(p && numeric_dotted(p->version) && strcmp(p->source, "detected") == 0, "__linux detected numeric: %s",
        p ? p->version : "-");
  p = find(&v, "__glibc");
  CHECK(p && numeric_dotted(p->version) && strchr(p->version, '.'), "__glibc major.minor: %s", p ? p->version : "-");
  p = find(&v, "__archspec");
  CHECK(p && p->build && *p->build, "__archspec build");
  if (p && strcmp(native, "linux-64") == 0)
    CHECK(strncmp(p->build, "x86_64", 6) == 0, "x86_64 level name: %s", p->build);
  krait_virtpkgs_free(&v);
  clear_overrides();
}

static void test_cuda_probe(void) {
  /* No assumption about a GPU: either no driver (NULL) or "major.minor". */
  char *v = krait_detect_cuda_version(5000);
  CHECK(v == NULL || (numeric_dotted(v) && strchr(v, '.')), "cuda version shape: %s", v ? v : "(none)");
  free(v);
}

int main(void) {
  test_presence_per_subdir();
  test_overrides();
  test_native_detection();
  test_cuda_probe();
  return krait_test_finish("test_virtpkg");
}
