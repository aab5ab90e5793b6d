/* Internal to the env_file_*.c files. */
#ifndef KRAIT_ENV_FILE_INT_H
#define KRAIT_ENV_FILE_INT_H

#include "krait/env_file.h"

/* environment.yml parsing (env_file_yaml.c): fills out (zeroed by the caller). */
krait_code krait_env_yaml_parse(const char *origin, const char *text, size_t len, const char *platform,
                                krait_env_file *out, krait_err *err);
/* Evaluates a conda-build style selector expression ("linux64 and not
 * aarch64") for platform. Returns 1 true, 0 false, -1 error (err filled). */
int krait_selector_eval(const char *expr, const char *platform, krait_err *err);

#endif
