/* Native subdir detection: compile-time architecture, run-time OS. */
#include "krait/platform.h"

#include <string.h>

const char *krait_native_subdir(void) {
#if defined(__linux__)
#if defined(__x86_64__)
  return "linux-64";
#elif defined(__aarch64__)
  return "linux-aarch64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "linux-ppc64le";
#elif defined(__s390x__)
  return "linux-s390x";
#elif defined(__i386__)
  return "linux-32";
#else
  return "linux-64";
#endif
#elif defined(__APPLE__)
#if defined(__aarch64__)
  return "osx-arm64";
#else
  return "osx-64";
#endif
#else
  return "linux-64";
#endif
}

int krait_subdir_known(const char *s) {
  static const char *const known[] = {"noarch", "linux-64", "linux-32", "linux-aarch64", "linux-armv6l",
                                      "linux-armv7l", "linux-ppc64le", "linux-ppc64", "linux-s390x",
                                      "linux-riscv64", "osx-64", "osx-arm64", "win-64", "win-32",
                                      "win-arm64", "emscripten-wasm32", "wasi-wasm32", "zos-z"};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (strcmp(s, known[i]) == 0)
      return 1;
  return 0;
}
