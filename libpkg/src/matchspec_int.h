/* What the MatchSpec parser (matchspec.c) and printer (matchspec_str.c) must
 * agree on for str(spec) to read back as the same spec (issue 6). Internal. */
#ifndef KRAIT_MATCHSPEC_INT_H
#define KRAIT_MATCHSPEC_INT_H

#include <stddef.h>

/* A spec string read as one package archive (a URL or path ending in .conda
 * or .tar.bz2) rather than as positional fields. */
int krait_ms_archive_like(const char *s, size_t n);
/* How much of the channel text s[0..n) stays the channel when a trailing
 * "/<known subdir>" is split off ("chan/linux-64" -> 4); n when none is. */
size_t krait_ms_channel_len(const char *s, size_t n);
/* A "^...$" pattern: matched as a regex, so never lower-cased. */
int krait_ms_is_regex(const char *s);

#endif
