/* A bounded regular-expression engine for the ^...$ patterns of MatchSpecs
 * (version, name, build fields).
 *
 * glibc's regcomp/regexec build automata whose size can explode: the spec
 * `^a+++++++++++++++++++++++++$` took more than 11 GB. Here a pattern
 * compiles to at most KRAIT_RX_MAX_INSNS instructions (counted repetitions
 * included) and matching runs them as a Pike VM: time linear in the text
 * times the program, memory a few arrays the size of the program. No
 * backtracking, no back-references.
 *
 * Syntax (the subset of Python's `re` conda users write): literals, `.`,
 * `[...]` classes with ranges, negation and [:alpha:]-style names, `\d \w \s`
 * (and upper-case negations) inside and outside classes, other `\x` escapes
 * as literals, `( )` and `(?: )` groups, `|`, `* + ? {m} {m,} {m,n}` with an
 * optional lazy `?` (irrelevant to a yes/no match), `^` and `$` as string
 * anchors. A quantifier on a quantifier ("multiple repeat") is refused as
 * Python refuses it. Matching is a search like regexec (patterns anchor
 * themselves with ^ and $). */
#ifndef KRAIT_RX_H
#define KRAIT_RX_H

#include <stdbool.h>

#include "krait/err.h"

#define KRAIT_RX_MAX_INSNS 20000

typedef struct krait_rx krait_rx;

/* Compiles pattern; errors name the pattern and what is wrong. */
KRAIT_API krait_code krait_rx_compile(const char *pattern, bool icase, krait_rx **out, krait_err *err);
KRAIT_API bool krait_rx_search(const krait_rx *rx, const char *text);
KRAIT_API void krait_rx_free(krait_rx *rx);

#endif
