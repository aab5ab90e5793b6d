/* Channels: what a user writes after -c (a name, a URL, a file:// URL or a
 * plain directory) turned into a base URL plus a display name.
 *
 * Ownership: krait_channel_parse() fills a struct whose strings the caller
 * releases with krait_channel_free(). */
#ifndef KRAIT_CHANNEL_H
#define KRAIT_CHANNEL_H

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_channel {
  char *url;       /* base URL, no trailing slash, no subdir: https://conda.anaconda.org/conda-forge, file:///abs/dir */
  char *name;      /* how conda names it in records and output: "conda-forge" for channel_alias channels, else the URL */
  krait_strv subdirs; /* subdirs given explicitly ("conda-forge/linux-64"); empty = platform + noarch */
} krait_channel;

/* "conda-forge", "https://host/path", "file:///x", "/abs/dir", "./rel/dir", "defaults" is expanded by the caller. */
KRAIT_API krait_code krait_channel_parse(const krait_ctx *ctx, const char *text, krait_channel *out, krait_err *err);
KRAIT_API void krait_channel_free(krait_channel *ch);
/* True if the spec's channel text names this channel (by name or URL). */
KRAIT_API int krait_channel_matches(const krait_channel *ch, const krait_ctx *ctx, const char *text);

#endif
