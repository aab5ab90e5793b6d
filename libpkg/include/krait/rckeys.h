/* The .condarc keys krait knows, with the type conda gives each one, so
 * `krait config` can refuse unknown keys (naming the nearest known one) and
 * write values of the right YAML type.
 *
 * The table lists conda's own settings too (those krait does not act on are
 * kept so that a .condarc shared with conda can still be edited with krait). */
#ifndef KRAIT_RCKEYS_H
#define KRAIT_RCKEYS_H

#include <stdbool.h>

#include "krait/err.h"

typedef enum krait_rc_type {
  KRAIT_RC_STRING, /* a scalar string */
  KRAIT_RC_BOOL,   /* true / false (yes/no/on/off accepted on input) */
  KRAIT_RC_INT,
  KRAIT_RC_FLOAT,
  KRAIT_RC_LIST,   /* a sequence of strings */
  KRAIT_RC_MAP,    /* a mapping (edited only by hand or with remove-key) */
} krait_rc_type;

typedef struct krait_rc_key {
  const char *name;
  krait_rc_type type;
  const char *choices; /* allowed values of a string key, "a|b|c", or NULL = any */
} krait_rc_key;

/* The known key called `name`, or NULL. */
KRAIT_API const krait_rc_key *krait_rc_key_find(const char *name);
/* The known key nearest to `name` by edit distance (always one). */
KRAIT_API const char *krait_rc_key_nearest(const char *name);
/* krait_rc_key_find() or an error: unknown key "chanels" (did you mean "channels"?). */
KRAIT_API const krait_rc_key *krait_rc_key_require(const char *name, krait_err *err);
KRAIT_API const char *krait_rc_type_name(krait_rc_type t);
/* Whether `value` is one of k->choices (true when the key has none). */
KRAIT_API bool krait_rc_value_allowed(const krait_rc_key *k, const char *value);
/* conda's boolean spellings: true/false, yes/no, on/off, 1/0, y/n (any case). */
KRAIT_API bool krait_rc_parse_bool(const char *s, bool *out);

#endif
