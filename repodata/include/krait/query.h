/* Querying channels without solving (`krait search`): every record of the
 * configured channels that matches a MatchSpec, all versions and builds.
 *
 * Channels are ctx->channels (with "defaults" expanded, see
 * krait_config_expand_channels), each read for ctx->platform and noarch (or
 * the subdirs the channel names explicitly). A channel for which no subdir
 * has repodata is an error naming it.
 *
 * Ownership: krait_query_search() fills a krait_query_result released with
 * krait_query_result_free(). */
#ifndef KRAIT_QUERY_H
#define KRAIT_QUERY_H

#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/record.h"

typedef struct krait_query_result {
  krait_record *records; /* sorted by name, then version, build number, build, channel order */
  size_t len;
} krait_query_result;

KRAIT_API krait_code krait_query_search(krait_ctx *ctx, const char *spec, krait_query_result *out, krait_err *err);
KRAIT_API void krait_query_result_free(krait_query_result *r);

/* Checks every local (file://, directory) channel of ctx->channels before a
 * solve: the directory exists and holds repodata.json for ctx->platform or
 * noarch (or its explicit subdirs). The solver treats a missing subdir as
 * empty, so without this a mistyped -c path surfaces as a confusing
 * "nothing provides ..." instead of naming the path. */
KRAIT_API krait_code krait_channels_check_local(krait_ctx *ctx, krait_err *err);

#endif
