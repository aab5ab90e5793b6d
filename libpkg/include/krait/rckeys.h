/* The .condarc keys krait knows, with the type conda gives each one, so
 * `krait config` can refuse unknown keys (naming the nearest known one) and
 * write values of the right YAML type.
 *
 * The table lists conda's own settings too (those krait does not act on are
 * kept so that a .condarc shared with conda can still be edited with krait). */
#ifndef KRAIT_RCKEYS_H
#define KRAIT_RCKEYS_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"

typedef enum krait_rc_type {
  KRAIT_RC_STRING, /* a scalar string */
  KRAIT_RC_BOOL,   /* true / false (yes/no/on/off accepted on input) */
  KRAIT_RC_INT,
  KRAIT_RC_FLOAT,
  KRAIT_RC_LIST,   /* a sequence of strings */
  KRAIT_RC_MAP,    /* a mapping (edited only by hand or with remove-key) */
} krait_rc_type;

/* What a key sets in krait_ctx (the one place config parsing, CONDA_*
 * variables, `krait config` and the merged view learn it from). */
typedef enum krait_rc_use {
  KRAIT_RC_UNUSED,       /* conda's key, kept for editing: krait does not act on it */
  KRAIT_RC_USE_LIST,     /* a krait_strv; files merge as conda's SequenceParameter */
  KRAIT_RC_USE_DIRS,     /* the same, items made absolute; an empty list keeps the default */
  KRAIT_RC_USE_STRING,   /* a char * */
  KRAIT_RC_USE_BOOL,     /* a bool */
  KRAIT_RC_USE_INT,      /* an int */
  KRAIT_RC_USE_SECONDS,  /* an int >= 0 (0 = wait forever) */
  KRAIT_RC_USE_PRIORITY, /* a krait_channel_priority */
  KRAIT_RC_USE_NET,      /* a network setting (range-checked, see config_net.c) */
  KRAIT_RC_USE_PROXIES,  /* the proxy_servers mapping (scheme -> URL pairs) */
} krait_rc_use;

typedef struct krait_rc_key {
  const char *name;
  krait_rc_type type;
  const char *choices;  /* allowed values of a string key, "a|b|c", or NULL = any */
  krait_rc_use use;
  size_t ctx_offset;    /* where in krait_ctx it goes (with a use other than UNUSED/NET/PROXIES) */
  const char *env;      /* the CONDA_* variable that overrides the files, or NULL */
  const char *env_seps; /* a list variable's item separators (also splitting `def`) */
  const char *def;      /* krait's default as text, or NULL (none, or computed: dirs, platform) */
} krait_rc_key;

/* Every known key, in the table's order; *n gets the count. */
KRAIT_API const krait_rc_key *krait_rc_keys(size_t *n);

/* The known key called `name`, or NULL. */
KRAIT_API const krait_rc_key *krait_rc_key_find(const char *name);
/* The known key nearest to `name` by edit distance (always one). */
KRAIT_API const char *krait_rc_key_nearest(const char *name);
/* krait_rc_key_find() or an error: unknown key "chanels" (did you mean "channels"?). */
KRAIT_API const krait_rc_key *krait_rc_key_require(const char *name, krait_err *err);
KRAIT_API const char *krait_rc_type_name(krait_rc_type t);
/* Whether `value` is one of k->choices (true when the key has none). */
KRAIT_API bool krait_rc_value_allowed(const krait_rc_key *k, const char *value);
/* Checks a scalar value against the rule krait applies it with; false with
 * *want saying what it must be ("true or false", "an integer from 1 to 256", ...). */
KRAIT_API bool krait_rc_value_ok(const krait_rc_key *k, const char *value, const char **want);
/* Sets k's field of ctx from its text (a scalar key krait uses); false + *want as above. */
KRAIT_API bool krait_rc_apply_scalar(krait_ctx *ctx, const krait_rc_key *k, const char *value, const char **want);
/* Splits a list value (a CONDA_* variable, a default) on k->env_seps; dirs made absolute. */
KRAIT_API void krait_rc_split_list(const krait_rc_key *k, const char *value, krait_strv *out);
/* Calls each(k, value, user) for every key whose CONDA_* variable is set and
 * not empty, in table order. */
KRAIT_API void krait_rc_foreach_env(void (*each)(const krait_rc_key *k, const char *value, void *user), void *user);
/* Sets every key that has a default (krait_ctx_new). */
KRAIT_API void krait_rc_apply_defaults(krait_ctx *ctx);
/* The top-level keys a .condarc text marks "#!final" ("channels: #!final"),
 * appended to out once each. libyaml drops comments, so the text is scanned. */
KRAIT_API void krait_rc_final_keys(const char *text, krait_strv *out);
/* conda's boolean spellings: true/false, yes/no, on/off, 1/0, y/n (any case). */
KRAIT_API bool krait_rc_parse_bool(const char *s, bool *out);

#endif
