/* The HTTP(S) half of package fetching, for the package cache (krait/cache.h).
 *
 * libpkg does not link libcurl, so krait_cache_prepare takes a downloader;
 * this one goes through the context's download engine (krait/net.h: parallel
 * transfers, retries, resume, bounded and verified bodies). Front ends pass
 *     krait_cache_fetcher f = krait_fetch_pkg_fetcher();
 *     krait_cache_prepare(ctx, records, n, &f, paths, &err);
 * and the cache hands every archive to download_many at once, extracting
 * each as soon as it is verified. */
#ifndef KRAIT_FETCH_PKG_H
#define KRAIT_FETCH_PKG_H

#include "krait/cache.h"

/* krait_download_fn: url -> dest_path (created/truncated). `user` is unused;
 * ctx may be NULL (default settings). Errors: KRAIT_E_NET (or
 * KRAIT_E_NOTFOUND for 404/410) naming the URL (credentials redacted), the
 * HTTP status or curl's reason and the number of tries; KRAIT_E_IO when
 * dest_path cannot be written. A failed download may leave a partial
 * dest_path; the cache deletes it. */
KRAIT_API krait_code krait_fetch_pkg_download(void *user, const krait_ctx *ctx, const char *url,
                                              const char *dest_path, krait_err *err);

/* krait_download_many_fn: all jobs in parallel, each bounded by its record's
 * size and checked against its sha256 (else md5). */
KRAIT_API void krait_fetch_pkg_download_many(void *user, const krait_ctx *ctx, const krait_fetch_job *jobs,
                                             size_t n, krait_fetched_fn done, void *done_user);

/* {krait_fetch_pkg_download, NULL, krait_fetch_pkg_download_many} */
KRAIT_API krait_cache_fetcher krait_fetch_pkg_fetcher(void);

#endif
