/* conda-meta/state: the environment variables an environment sets on
 * activation and `run` (written by `conda env config vars set` and from
 * environment.yml's `variables:`), conda's format {"env_vars": {...}}.
 *
 * Ownership: krait_env_state_read() fills a krait_env_vars the caller
 * releases with krait_env_vars_free(). */
#ifndef KRAIT_ENV_STATE_H
#define KRAIT_ENV_STATE_H

#include "krait/buf.h"
#include "krait/err.h"

typedef struct krait_env_vars {
  krait_strv names;  /* in file order */
  krait_strv values; /* values[i] belongs to names[i] */
} krait_env_vars;

/* Appends the pairs of <prefix>/conda-meta/state in file order. A missing
 * file, or one without "env_vars", adds nothing and is not an error;
 * malformed JSON is KRAIT_E_PARSE naming the file. A value that is not a
 * string is taken as its JSON text (conda writes strings). */
KRAIT_API krait_code krait_env_state_read(const char *prefix, krait_env_vars *out, krait_err *err);
/* Sets name=value: an existing name keeps its position. */
KRAIT_API void krait_env_vars_set(krait_env_vars *vars, const char *name, const char *value);
/* The value of name, or NULL. */
KRAIT_API const char *krait_env_vars_get(const krait_env_vars *vars, const char *name);
KRAIT_API void krait_env_vars_free(krait_env_vars *vars);

#endif
