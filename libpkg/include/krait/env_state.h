/* conda-meta/state: the environment variables an environment sets on
 * activation and `run` (`conda env config vars`, environment.yml's
 * `variables`). The file is conda's: one JSON object
 *     {"env_vars": {"NAME": "value", ...}}
 * written compactly as Python's json.dumps() does, so conda and krait read
 * each other's files. Other top-level keys of an existing file are kept.
 *
 * Ownership: krait_env_state_read() fills a krait_env_vars the caller releases
 * with krait_env_vars_free(); inputs are borrowed. */
#ifndef KRAIT_ENV_STATE_H
#define KRAIT_ENV_STATE_H

#include "krait/buf.h"
#include "krait/err.h"

typedef struct krait_env_vars {
  krait_strv names;  /* in file order */
  krait_strv values; /* values[i] belongs to names[i] */
} krait_env_vars;

/* Reads <prefix>/conda-meta/state. A missing file (or one without
 * "env_vars") is an empty set, not an error; a corrupt one is KRAIT_E_PARSE
 * naming the file. Non-string values are converted to their JSON text. */
KRAIT_API krait_code krait_env_state_read(const char *prefix, krait_env_vars *out, krait_err *err);
/* Replaces the "env_vars" of <prefix>/conda-meta/state atomically (other
 * keys of an existing file are kept); conda-meta/ must exist. */
KRAIT_API krait_code krait_env_state_write(const char *prefix, const krait_env_vars *vars, krait_err *err);
/* Sets name=value (replacing an existing name, keeping its position). */
KRAIT_API void krait_env_vars_set(krait_env_vars *vars, const char *name, const char *value);
/* The value of name, or NULL. */
KRAIT_API const char *krait_env_vars_get(const krait_env_vars *vars, const char *name);
KRAIT_API void krait_env_vars_free(krait_env_vars *vars);

#endif
