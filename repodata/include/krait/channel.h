/* Channels: what a user writes after -c (a name, a URL, a file:// URL or a
 * plain directory) turned into a base URL plus a display name.
 *
 * Ownership: krait_channel_parse() fills a struct whose strings the caller
 * releases with krait_channel_free(). */
#ifndef KRAIT_CHANNEL_H
#define KRAIT_CHANNEL_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/secrets.h"

typedef struct krait_channel {
  char *url;       /* base URL, no trailing slash, no subdir: https://conda.anaconda.org/conda-forge, file:///abs/dir */
  char *name;      /* how conda names it in records and output: "conda-forge" for channel_alias channels, else the URL */
  krait_strv subdirs; /* subdirs given explicitly ("conda-forge/linux-64"); empty = platform + noarch */
} krait_channel;

/* "conda-forge", "conda-forge/linux-64", "https://host/path", "file:///x",
 * "/abs/dir", "./rel/dir", "~/dir". A plain directory becomes the file:// URL
 * of its absolute path. "defaults" must be expanded by the caller (error).
 * A trailing known subdir ("…/linux-64", "…/noarch") is moved to `subdirs`. */
KRAIT_API krait_code krait_channel_parse(const krait_ctx *ctx, const char *text, krait_channel *out, krait_err *err);
KRAIT_API void krait_channel_free(krait_channel *ch);
/* True if the spec's channel text (the part before "::", possibly with a
 * "/subdir") names this channel: by name, by URL or by local path. */
KRAIT_API bool krait_channel_matches(const krait_channel *ch, const krait_ctx *ctx, const char *text);
/* True for file:// channels (read in place, no download). */
KRAIT_API bool krait_channel_is_local(const krait_channel *ch);
/* The local directory of a file:// URL (percent-decoded), or NULL for other
 * schemes. Caller frees. */
KRAIT_API char *krait_file_url_to_path(const char *url);

/* krait_url_redact() (url with credentials hidden) lives in krait/secrets.h. */

#endif
