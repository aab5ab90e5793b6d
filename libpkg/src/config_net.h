/* Private: the network settings of .condarc and CONDA_* variables
 * (download_threads, remote_*, repodata_max_bytes, ssl_verify,
 * client_ssl_cert(_key)). proxy_servers, a mapping, is read by config.c. */
#ifndef KRAIT_CONFIG_NET_H
#define KRAIT_CONFIG_NET_H

#include <stdbool.h>

#include "krait/ctx.h"

/* True when key is one of the scalar network settings. */
bool krait_config_net_is_key(const char *key);
/* Sets key from its text. False when the value does not fit; *want then says
 * what it must be ("an integer >= 0", ...). */
bool krait_config_net_set(krait_ctx *ctx, const char *key, const char *value, const char **want);
/* Applies CONDA_<KEY> for every network setting, and HTTP(S)_PROXY-style
 * proxy_servers are left to libcurl. The first bad value is reported. */
krait_code krait_config_net_apply_env(krait_ctx *ctx, krait_err *err);

#endif
