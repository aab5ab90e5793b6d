/* Helpers shared by the libFuzzer targets: inputs as C strings and as files
 * (for the loaders that read paths), in a per-process scratch directory. */
#ifndef KRAIT_FUZZ_UTIL_H
#define KRAIT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (embedded NULs end it early, as they would
 * for any C caller). Caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    abort();
  memcpy(s, data, size);
  s[size] = 0;
  return s;
}

/* A scratch directory of this process, made once, under $TMPDIR or /tmp. */
static inline const char *fuzz_scratch(void) {
  static char dir[256];
  if (!dir[0]) {
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/krait-fuzz-%ld-XXXXXX", t && *t ? t : "/tmp", (long)getpid());
    if (!mkdtemp(dir))
      abort();
  }
  return dir;
}

/* Writes data to <scratch>/<name> and returns that path (static buffer). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
    abort();
  return path;
}

/* A finding that is not a crash (a broken invariant): abort so libFuzzer
 * saves the input. */
#define FUZZ_ASSERT(cond, ...)                                                                       \
  do {                                                                                               \
    if (!(cond)) {                                                                                   \
      fprintf(stderr, "fuzz invariant failed: " __VA_ARGS__);                                        \
      fputc('\n', stderr);                                                                           \
      abort();                                                                                       \
    }                                                                                                \
  } while (0)

#endif
