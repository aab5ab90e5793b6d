/* Private: the transport settings every request of the download engine gets
 * (timeouts, redirects, User-Agent, netrc, proxies, TLS). See krait/net.h. */
#ifndef KRAIT_NET_OPTS_H
#define KRAIT_NET_OPTS_H

#include <curl/curl.h>

#include "krait/ctx.h"

/* Sets the options on c for a request of url (the real URL, secret included). */
void krait_net_apply_transport(const krait_ctx *ctx, CURL *c, const char *url);

#endif
