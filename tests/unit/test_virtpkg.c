/* Virtual packages (CEP-30): detection per target subdir and CONDA_OVERRIDE_*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "krait/buf.h"
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

/* ---- __cuda through a stand-in driver (tests/unit/fake_libcuda.c) ----------
 * LD_LIBRARY_PATH is read once when a process starts, so each probe runs in a
 * fresh copy of this test (re-executed with "--probe MODE") whose environment
 * names the stand-in's directory. */

/* Child mode: prints what krait sees, one line. "detect" runs the whole
 * virtual-package detection (3 s probe timeout), "probe" only the probe with a
 * short timeout (for the hanging driver). */
static int probe_child(const char *mode) {
  if (strcmp(mode, "probe") == 0) {
    char *v = krait_detect_cuda_version(300);
    printf("%s\n", v ? v : "none");
    free(v);
    return 0;
  }
  krait_virtpkgs v;
  krait_err err = {0};
  if (krait_virtpkgs_detect(NULL, "linux-64", &v, &err) != KRAIT_OK) {
    printf("error %s\n", err.msg);
    return 1;
  }
  const krait_virtpkg *p = find(&v, "__cuda");
  if (p)
    printf("%s %s\n", p->version, p->source);
  else
    printf("none\n");
  krait_virtpkgs_free(&v);
  return 0;
}

/* Runs this test as a child with LD_LIBRARY_PATH=<fake dir>/<driver>, the
 * override (NULL = unset) and FAKE_CUDA_CALLED=<called_file>. Returns its
 * output line (caller frees) or NULL. */
static char *run_probe(const char *driver, const char *mode, const char *override, const char *called_file) {
  const char *fake = getenv("KRAIT_FAKE_CUDA_DIR");
  char *libdir = krait_asprintf("%s/%s", fake, driver);
  int fds[2];
  if (pipe(fds) != 0) {
    free(libdir);
    return NULL;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    setenv("LD_LIBRARY_PATH", libdir, 1);
    setenv("FAKE_CUDA_CALLED", called_file, 1);
    clear_overrides();
    if (override)
      setenv("CONDA_OVERRIDE_CUDA", override, 1);
    execl("/proc/self/exe", "test_virtpkg", "--probe", mode, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char buf[256];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
    got += (size_t)n;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  free(libdir);
  buf[got] = '\0';
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = '\0';
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? krait_strdup(buf) : NULL;
}

static bool driver_was_called(const char *called_file) {
  bool called = access(called_file, F_OK) == 0;
  unlink(called_file);
  return called;
}

static void test_cuda_stand_in_drivers(void) {
  if (!getenv("KRAIT_FAKE_CUDA_DIR")) {
    krait_test_missing("KRAIT_FAKE_CUDA_DIR (the stand-in libcuda.so.1 builds; run through ctest)");
    return;
  }
  char tmpl[] = "/tmp/krait-test-cuda-XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL, "mkdtemp");
  if (!dir)
    return;
  char *called = krait_asprintf("%s/called", dir);

  char *out = run_probe("ok", "detect", NULL, called);
  CHECK(out && strcmp(out, "12.4 detected") == 0, "driver reporting 12040: got \"%s\"", out ? out : "(no output)");
  CHECK(driver_was_called(called), "the ok driver's cuInit was called");
  free(out);

  out = run_probe("fail", "detect", NULL, called);
  CHECK(out && strcmp(out, "none") == 0, "cuInit failing: no __cuda, got \"%s\"", out ? out : "(no output)");
  CHECK(driver_was_called(called), "the failing driver's cuInit was called");
  free(out);

  out = run_probe("hang", "probe", NULL, called);
  CHECK(out && strcmp(out, "none") == 0, "cuInit hanging: probe gives up, got \"%s\"", out ? out : "(no output)");
  CHECK(driver_was_called(called), "the hanging driver's cuInit was called");
  free(out);

  /* CONDA_OVERRIDE_CUDA wins over every driver, which is then not even loaded. */
  static const char *const drivers[] = {"ok", "fail", "hang"};
  for (size_t i = 0; i < 3; i++) {
    out = run_probe(drivers[i], "detect", "11.8", called);
    CHECK(out && strcmp(out, "11.8 override (CONDA_OVERRIDE_CUDA)") == 0, "override beats the %s driver: \"%s\"",
          drivers[i], out ? out : "(no output)");
    CHECK(!driver_was_called(called), "with the override the %s driver is not consulted", drivers[i]);
    free(out);
    out = run_probe(drivers[i], "detect", "", called);
    CHECK(out && strcmp(out, "none") == 0, "empty override hides the %s driver: \"%s\"", drivers[i],
          out ? out : "(no output)");
    CHECK(!driver_was_called(called), "with an empty override the %s driver is not consulted", drivers[i]);
    free(out);
  }
  free(called);
  rmdir(dir);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--probe") == 0)
    return probe_child(argv[2]);
  test_presence_per_subdir();
  test_overrides();
  test_native_detection();
  test_cuda_stand_in_drivers();
  return krait_test_finish("test_virtpkg");
}
