/* Small text codecs used by several parsers: hex digits, %XX decoding, and the
 * feature lists of conda records ("mkl debug", "mkl,debug", "mkl, debug"). */
#ifndef KRAIT_TEXT_H
#define KRAIT_TEXT_H

#include <stddef.h>

#include "krait/buf.h"

/* Value of one hex digit (0-15), or -1. */
KRAIT_API int krait_hex_digit(char c);
/* Appends s[0..n) to out with every valid "%XX" decoded (an invalid one is
 * kept as written, as browsers and conda do). */
KRAIT_API void krait_percent_decode(krait_buf *out, const char *s, size_t n);
/* Appends s to out with every control character (below 0x20, and 0x7f) as
 * "\xNN", so that text quoted into a message keeps it on one line. */
KRAIT_API void krait_text_put_printable(krait_buf *out, const char *s);
/* The next line of a text read in place: cuts it at '\n' (the caller trims
 * any '\r'), moves *cursor past it; NULL once the text (or *cursor) ends. */
KRAIT_API char *krait_text_next_line(char **cursor);
/* Appends each feature of a "a b" / "a,b" / "a, b" list to out. */
KRAIT_API void krait_features_split(krait_strv *out, const char *s);
/* The one spelling krait writes (conda's): features joined by a space. Caller frees. */
KRAIT_API char *krait_features_join(const krait_strv *features);

#endif
