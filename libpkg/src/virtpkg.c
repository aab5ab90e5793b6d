/* Virtual packages (CEP-30): what this machine offers, or what the user says
 * it offers through CONDA_OVERRIDE_<NAME>. */
#include "krait/virtpkg.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "krait/buf.h"
#include "krait/platform.h"

static bool has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static void push(krait_virtpkgs *v, size_t *cap, const char *name, const char *version, const char *build,
                 const char *source) {
  if (v->len == *cap) {
    *cap = *cap ? *cap * 2 : 8;
    v->items = krait_realloc(v->items, *cap * sizeof *v->items);
  }
  krait_virtpkg *p = &v->items[v->len++];
  p->name = krait_strdup(name);
  p->version = krait_strdup(version);
  p->build = krait_strdup(build);
  p->source = krait_strdup(source);
}

/* CONDA_OVERRIDE_<name>: returns 0 when unset, 1 when set (value in *val; an
 * empty value means "absent"). */
static int override_of(const char *upper, const char **val, char *source, size_t cap) {
  char var[40]; /* "CONDA_OVERRIDE_" + a short name, so "override (VAR)" fits source[] */
  snprintf(var, sizeof var, "CONDA_OVERRIDE_%s", upper);
  const char *v = getenv(var);
  if (!v) return 0;
  *val = v;
  snprintf(source, cap, "override (%s)", var);
  return 1;
}

/* Leading "N.N[.N[.N]]" of a kernel release like "6.8.0-45-generic". */
static char *numeric_release(const char *release) {
  size_t n = 0;
  int dots = 0;
  while (release[n] && ((release[n] >= '0' && release[n] <= '9') || release[n] == '.')) {
    if (release[n] == '.') {
      if (dots == 3 || release[n + 1] < '0' || release[n + 1] > '9') break;
      dots++;
    }
    n++;
  }
  return n ? krait_strndup(release, n) : NULL;
}

static char *major_minor(const char *version) {
  const char *dot = strchr(version, '.');
  if (!dot) return krait_strdup(version);
  const char *end = dot + 1;
  while (*end >= '0' && *end <= '9') end++;
  return krait_strndup(version, (size_t)(end - version));
}

/* x86-64 microarchitecture levels from /proc/cpuinfo flags (the psABI level
 * definitions): archspec names the generic levels x86_64_v2..v4. */
static char *x86_level(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return NULL;
  char line[8192];
  char *flags = NULL;
  while (fgets(line, sizeof line, f)) {
    if (has_prefix(line, "flags")) {
      char *colon = strchr(line, ':');
      if (colon) flags = krait_asprintf(" %s ", colon + 1);
      break;
    }
  }
  fclose(f);
  if (!flags) return NULL;
  char *nl = strchr(flags, '\n');
  if (nl) *nl = ' ';
  static const char *const v2[] = {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", NULL};
  static const char *const v3[] = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave", NULL};
  static const char *const v4[] = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", NULL};
  const char *const *levels[] = {v2, v3, v4};
  int level = 1;
  for (int l = 0; l < 3; l++) {
    bool all = true;
    for (const char *const *flag = levels[l]; *flag; flag++) {
      char needle[32];
      snprintf(needle, sizeof needle, " %s ", *flag);
      if (!strstr(flags, needle)) all = false;
    }
    if (!all) break;
    level = l + 2;
  }
  free(flags);
  return level == 1 ? krait_strdup("x86_64") : krait_asprintf("x86_64_v%d", level);
}

/* Appendix A of CEP-30: the naive subdir -> archspec mapping. */
static const char *naive_archspec(const char *subdir) {
  const char *dash = strrchr(subdir, '-');
  const char *arch = dash ? dash + 1 : subdir;
  if (strcmp(arch, "32") == 0) return "x86";
  if (strcmp(arch, "64") == 0) return "x86_64";
  if (strcmp(arch, "arm64") == 0) return "aarch64";
  if (strcmp(subdir, "zos-z") == 0) return "z";
  return arch;
}

typedef int (*cu_init_fn)(unsigned int);
typedef int (*cu_version_fn)(int *);

static void cuda_child(int fd) {
  static const char *const paths[] = {"libcuda.so.1", "libcuda.so", "/usr/lib64/nvidia/libcuda.so.1",
                                      "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1",
                                      "/usr/lib/aarch64-linux-gnu/libcuda.so.1", NULL};
  /* CUDA_VISIBLE_DEVICES="" would hide the GPUs and make cuInit fail, yet
   * the driver's supported version does not depend on it. */
  unsetenv("CUDA_VISIBLE_DEVICES");
  void *h = NULL;
  for (size_t i = 0; paths[i] && !h; i++) h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
  if (!h) _exit(1);
  cu_init_fn init = (cu_init_fn)(uintptr_t)dlsym(h, "cuInit");
  cu_version_fn get = (cu_version_fn)(uintptr_t)dlsym(h, "cuDriverGetVersion");
  int v = 0;
  if (!init || !get || init(0) != 0 || get(&v) != 0 || v <= 0) _exit(1);
  char out[32];
  int n = snprintf(out, sizeof out, "%d.%d", v / 1000, (v % 1000) / 10);
  if (write(fd, out, (size_t)n) != n) _exit(1);
  _exit(0);
}

char *krait_detect_cuda_version(int timeout_ms) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  /* A child process: a broken driver may crash or hang in cuInit, and
   * libcuda leaves threads and state behind that we do not want in krait. */
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  if (pid == 0) {
    close(fds[0]);
    cuda_child(fds[1]);
  }
  close(fds[1]);
  char buf[32];
  size_t got = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool timed_out = false;
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed >= timeout_ms) {
      timed_out = true;
      break;
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    int r = poll(&p, 1, (int)(timeout_ms - elapsed));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == sizeof buf - 1) break;
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || got == 0) return NULL;
  buf[got] = '\0';
  return krait_strdup(buf);
}

krait_code krait_virtpkgs_detect(const krait_ctx *ctx, const char *subdir, krait_virtpkgs *out, krait_err *err) {
  (void)ctx;
  (void)err;
  out->items = NULL;
  out->len = 0;
  size_t cap = 0;
  const char *native = krait_native_subdir();
  bool linux_target = has_prefix(subdir, "linux-");
  bool osx_target = has_prefix(subdir, "osx-");
  bool win_target = has_prefix(subdir, "win-");
  bool native_target = strcmp(native, subdir) == 0;
  char source[64];
  const char *val = NULL;

  if (linux_target || osx_target || has_prefix(subdir, "freebsd-") || has_prefix(subdir, "emscripten-"))
    push(out, &cap, "__unix", "0", "0", "default");
  if (win_target) {
    if (override_of("WIN", &val, source, sizeof source)) {
      if (*val) push(out, &cap, "__win", val, "0", source);
    } else {
      push(out, &cap, "__win", "0", "0", "default");
    }
  }
  if (linux_target) {
    if (override_of("LINUX", &val, source, sizeof source)) {
      if (*val) push(out, &cap, "__linux", val, "0", source);
    } else {
      struct utsname u;
      char *rel = (native_target && uname(&u) == 0) ? numeric_release(u.release) : NULL;
      push(out, &cap, "__linux", rel ? rel : "0", "0", rel ? "detected" : "default");
      free(rel);
    }
    if (override_of("GLIBC", &val, source, sizeof source)) {
      if (*val) push(out, &cap, "__glibc", val, "0", source);
    } else {
      char *v = NULL;
#if defined(__GLIBC__)
      if (native_target) v = major_minor(gnu_get_libc_version());
#endif
      push(out, &cap, "__glibc", v ? v : "2.17", "0", v ? "detected" : "default");
      free(v);
    }
  }
  if (osx_target) {
    if (override_of("OSX", &val, source, sizeof source)) {
      if (*val) push(out, &cap, "__osx", val, "0", source);
    } else {
      push(out, &cap, "__osx", "0", "0", "default");
    }
  }
  if (override_of("CUDA", &val, source, sizeof source)) {
    if (*val) push(out, &cap, "__cuda", val, "0", source);
  } else if (native_target && (linux_target || win_target)) {
    char *v = krait_detect_cuda_version(3000);
    if (v) push(out, &cap, "__cuda", v, "0", "detected");
    free(v);
  }
  if (override_of("ARCHSPEC", &val, source, sizeof source)) {
    if (*val) push(out, &cap, "__archspec", "1", val, source);
  } else if (strcmp(subdir, "noarch") != 0) {
    char *arch = NULL;
    if (native_target && strcmp(naive_archspec(subdir), "x86_64") == 0) arch = x86_level();
    if (arch) {
      push(out, &cap, "__archspec", "1", arch, "detected");
    } else {
      push(out, &cap, "__archspec", "0", naive_archspec(subdir), "default");
    }
    free(arch);
  }
  return KRAIT_OK;
}

void krait_virtpkgs_free(krait_virtpkgs *v) {
  if (!v) return;
  for (size_t i = 0; i < v->len; i++) {
    free(v->items[i].name);
    free(v->items[i].version);
    free(v->items[i].build);
    free(v->items[i].source);
  }
  free(v->items);
  v->items = NULL;
  v->len = 0;
}
