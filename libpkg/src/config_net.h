/* Private: the network settings of .condarc and CONDA_* variables
 * (download_threads or conda's fetch_threads, remote_*, repodata_max_bytes, ssl_verify,
 * client_ssl_cert(_key)): the setter rckeys.c applies for the table's
 * KRAIT_RC_USE_NET keys (.condarc and their CONDA_<KEY> variables alike).
 * proxy_servers, a mapping, is read by config.c. */
#ifndef KRAIT_CONFIG_NET_H
#define KRAIT_CONFIG_NET_H

#include <stdbool.h>

#include "krait/ctx.h"

/* Sets key from its text. False when the value does not fit; *want then says
 * what it must be ("an integer >= 0", ...). */
bool krait_config_net_set(krait_ctx *ctx, const char *key, const char *value, const char **want);

#endif
