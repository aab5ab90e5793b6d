/* Conda versions (CEP-33): parse, compare, print.
 *
 * Ownership: krait_version_parse() returns a version the caller releases with
 * krait_version_free(). krait_version_str() returns a heap string (free()). */
#ifndef KRAIT_VERSION_H
#define KRAIT_VERSION_H

#include "krait/err.h"

typedef struct krait_version krait_version;

/* Parses a version string ("1.2.3a1.post2+local", "1!2.0", ...). Rejects empty
 * strings, illegal characters and malformed epochs/locals with a message that
 * quotes the input. Leading/trailing whitespace is trimmed; case is folded for
 * comparison but the original text is kept for printing. */
KRAIT_API krait_code krait_version_parse(const char *text, krait_version **out, krait_err *err);
KRAIT_API void krait_version_free(krait_version *v);
/* <0, 0, >0 as a sorts before, equal to, after b (CEP-33 order). */
KRAIT_API int krait_version_cmp(const krait_version *a, const krait_version *b);
/* Compare two version strings; unparseable strings sort as plain strings after valid ones. */
KRAIT_API int krait_version_cmp_str(const char *a, const char *b);
/* The original text (as given, trimmed). Owned by v. */
KRAIT_API const char *krait_version_text(const krait_version *v);
/* conda's normalized internal representation, e.g. "[[0], [1], [2], [0, 'a', 1]]"
 * (matches the `parsed` column of shared/data/versions/rattler-parsed_versions.txt
 * style); caller frees. */
KRAIT_API char *krait_version_repr(const krait_version *v);
/* The local part ("+...") in the same form, "[]" when absent; caller frees. */
KRAIT_API char *krait_version_repr_local(const krait_version *v);
/* a starts with the components of prefix (used by "1.2.*" and "=1.2"). */
KRAIT_API int krait_version_startswith(const krait_version *v, const krait_version *prefix);
/* ~= compatible release: v >= base and v starts with base minus its last component. */
KRAIT_API int krait_version_compatible(const krait_version *v, const krait_version *base);

#endif
