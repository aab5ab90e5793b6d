/* The HTTP(S) half of package fetching, for the package cache (krait/cache.h).
 *
 * libpkg does not link libcurl, so krait_cache_prepare takes a downloader
 * callback; this is the libcurl one. Front ends pass
 *     krait_cache_fetcher f = krait_fetch_pkg_fetcher();
 *     krait_cache_prepare(ctx, records, n, &f, paths, &err);
 * The downloader is safe to call from several threads at once (one easy
 * handle per call). It follows redirects, fails on HTTP >= 400, gives up on a
 * stalled transfer (< 1 byte/s for 60 s), honours the usual proxy variables
 * and reports ctx->on_progress("download", <file name>, bytes, total). */
#ifndef KRAIT_FETCH_PKG_H
#define KRAIT_FETCH_PKG_H

#include "krait/cache.h"

/* krait_download_fn: url -> dest_path (created/truncated). `user` is unused.
 * Errors: KRAIT_E_NET naming the URL (credentials redacted) and the HTTP
 * status or curl's reason;
 * KRAIT_E_IO when dest_path cannot be written. A failed download may leave a
 * partial dest_path; the cache deletes it. */
KRAIT_API krait_code krait_fetch_pkg_download(void *user, const krait_ctx *ctx, const char *url,
                                              const char *dest_path, krait_err *err);

/* {krait_fetch_pkg_download, NULL} */
KRAIT_API krait_cache_fetcher krait_fetch_pkg_fetcher(void);

#endif
