/* Configuration: .condarc files (YAML, read with libyaml) and CONDA_*
 * environment variables, applied onto a krait_ctx.
 *
 * Precedence, lowest to highest: built-in defaults (krait_ctx_new) <
 * condarc files (in search-path order, later files win) < environment
 * variables < command-line flags (applied by the front end afterwards).
 *
 * Lists follow conda's merge rule: a list given by several files is the
 * concatenation with the LATER file's items first, duplicates dropped (so a
 * user's ~/.condarc channels come before the system ones). A list set by any
 * file replaces the built-in default. Scalars: the last file wins.
 *
 * Recognised keys: channels, default_channels, channel_alias,
 * channel_priority, pkgs_dirs, envs_dirs, add_pip_as_python_dependency,
 * extract_threads, offline, always_yes, use_lockfiles, pinned_packages;
 * network: download_threads, remote_max_retries, remote_backoff_factor,
 * remote_connect_timeout_secs, remote_read_timeout_secs, repodata_max_bytes,
 * ssl_verify, client_ssl_cert, client_ssl_cert_key, proxy_servers.
 * Unknown keys are ignored; a malformed file or a value of the wrong type is
 * an error naming file:line. $VAR / ${VAR} in string values are expanded,
 * and a leading ~ in paths. A top-level key marked "#!final" (conda's
 * marker, e.g. "pkgs_dirs: #!final" in /etc/conda/.condarc) cannot be
 * changed by later files or by environment variables (flags still can).
 * conda's #!top / #!bottom list markers are not supported.
 *
 * Ownership: functions write into ctx (which owns everything it holds) or
 * into a caller-provided krait_strv the caller frees with krait_strv_free(). */
#ifndef KRAIT_CONFIG_H
#define KRAIT_CONFIG_H

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"

/* The candidate condarc paths in the order conda reads them (later ones
 * override earlier ones). For each configuration directory D in
 * /etc/conda, $XDG_CONFIG_HOME/conda, ~/.config/conda, ~/.conda,
 * $CONDA_PREFIX, $KRAIT_ROOT_PREFIX (ctx->root_prefix): D/.condarc,
 * D/condarc, then D/condarc.d/ *.yml|*.yaml in name order; ~/.condarc comes
 * after ~/.conda; $CONDARC is last. Duplicates are dropped; files need not
 * exist. */
KRAIT_API void krait_config_search_path(const krait_ctx *ctx, krait_strv *out);

/* Reads every existing file of krait_config_search_path(), applies them,
 * then re-applies environment variables so they keep precedence. Files read
 * are appended to ctx->condarc_files. */
KRAIT_API krait_code krait_config_load(krait_ctx *ctx, krait_err *err);

/* Same as krait_config_load() with an explicit file list (missing files are
 * skipped). */
KRAIT_API krait_code krait_config_load_files(krait_ctx *ctx, const char *const *paths, size_t n_paths,
                                             krait_err *err);

/* Applies CONDA_CHANNELS, CONDA_DEFAULT_CHANNELS, CONDA_CHANNEL_ALIAS,
 * CONDA_CHANNEL_PRIORITY, CONDA_PKGS_DIRS, CONDA_ENVS_DIRS,
 * CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY, CONDA_EXTRACT_THREADS, CONDA_OFFLINE,
 * CONDA_ALWAYS_YES, CONDA_USE_LOCKFILES, CONDA_PINNED_PACKAGES ('&'
 * separated, as conda) and CONDA_SUBDIR. Lists are ',' separated (':' too for
 * the directory lists). An invalid value is an error naming the variable;
 * the others are still applied. Recomputes ctx->repodata_cache_dir. */
KRAIT_API krait_code krait_config_apply_env(krait_ctx *ctx, krait_err *err);

/* Parses a channel_priority value ("strict", "flexible", "disabled"; also
 * conda's legacy booleans true = flexible, false = disabled). */
KRAIT_API krait_code krait_config_parse_priority(const char *text, krait_channel_priority *out, krait_err *err);
KRAIT_API const char *krait_config_priority_name(krait_channel_priority p);

/* ctx->channels with "defaults" replaced by ctx->default_channels, then
 * duplicates dropped. A "nodefaults" entry is removed (and makes "defaults"
 * expand to nothing). Appends to *out. */
KRAIT_API void krait_config_expand_channels(const krait_ctx *ctx, krait_strv *out);

/* $VAR and ${VAR} expanded as in .condarc values (unset ones left as
 * written). Caller frees. */
KRAIT_API char *krait_config_expand_vars(const char *s);

#endif
