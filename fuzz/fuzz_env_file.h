/* Shared by the environment-file targets (fuzz_environment_yml.c,
 * fuzz_explicit.c): one input parsed as krait_env_file_parse() reads a file. */
#ifndef KRAIT_FUZZ_ENV_FILE_H
#define KRAIT_FUZZ_ENV_FILE_H

#include <stdbool.h>

#include "fuzz_util.h"
#include "krait/env_file.h"

/* Parses data (as the file `origin`; `yaml`: an environment.yml, else an
 * @EXPLICIT file or a spec list) into *f, which the caller frees with
 * krait_env_file_free() either way. Inputs above 64 KiB are not parsed:
 * false, as for input that does not parse. */
static inline bool fuzz_env_file(const uint8_t *data, size_t size, const char *origin, bool yaml,
                                 krait_env_file *f) {
  memset(f, 0, sizeof *f);
  krait_err err;
  return size <= 65536 && krait_env_file_parse(origin, (const char *)data, size, yaml, "linux-64", f, &err) == KRAIT_OK;
}

#endif
