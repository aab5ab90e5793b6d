/* The environment variables an environment asks for on activation:
 * conda-meta/state, conda's format {"env_vars": {"NAME": "value", ...}}
 * (written by `conda env config vars set` and by environment.yml's
 * `variables:`), and the JSON files packages ship in etc/conda/env_vars.d/.
 *
 * Ownership: the caller owns the two vectors it passes and frees them with
 * krait_strv_free(); names[i] goes with values[i]. */
#ifndef KRAIT_ENV_STATE_H
#define KRAIT_ENV_STATE_H

#include "krait/buf.h"
#include "krait/err.h"

/* Appends the pairs of <prefix>/conda-meta/state in file order. A missing
 * file, or one without "env_vars", adds nothing and is not an error; a value
 * that is not a string, or malformed JSON, is an error naming the file. */
KRAIT_API krait_code krait_env_state_read(const char *prefix, krait_strv *names, krait_strv *values,
                                          krait_err *err);

/* What activation sets, in conda's order: every etc/conda/env_vars.d/<name>.json
 * (sorted by name), then conda-meta/state, a later value of a name replacing
 * an earlier one in place. */
KRAIT_API krait_code krait_env_state_activation_vars(const char *prefix, krait_strv *names, krait_strv *values,
                                                     krait_err *err);

#endif
