/* The one context object every library call receives: configuration, paths
 * and the callbacks through which the library talks to its front end (the
 * library itself never prints).
 *
 * Ownership: krait_ctx_new() returns a context the caller frees with
 * krait_ctx_free(); every string and vector inside is owned by the context. */
#ifndef KRAIT_CTX_H
#define KRAIT_CTX_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef enum krait_channel_priority {
  KRAIT_PRIORITY_FLEXIBLE = 0, /* conda's default */
  KRAIT_PRIORITY_STRICT,
  KRAIT_PRIORITY_DISABLED,
} krait_channel_priority;

typedef enum krait_event_level {
  KRAIT_EV_DEBUG,
  KRAIT_EV_INFO,
  KRAIT_EV_WARNING,
  KRAIT_EV_NOTICE, /* for the user, shown by default like a warning (link-script messages, kept files) */
} krait_event_level;

typedef struct krait_ctx krait_ctx;

/* Receives a one-line human message. */
typedef void (*krait_event_fn)(void *user, krait_event_level level, const char *message);
/* Progress of a named task (download, extraction, link): done/total in units, total may be 0. */
typedef void (*krait_progress_fn)(void *user, const char *task, const char *item, double done, double total);

/* How long a command waits for a prefix or cache lock another process holds
 * before failing: long enough for a big install by another job to finish,
 * short enough that a lock on a hung NFS mount does not stall a batch job forever. */
#define KRAIT_LOCK_TIMEOUT_DEFAULT 600

struct krait_ctx {
  char *root_prefix;           /* KRAIT_ROOT_PREFIX, default ~/.krait */
  char *target_prefix;         /* the prefix a command acts on, or NULL */
  char *platform;              /* subdir to solve for (CONDA_SUBDIR / --platform), default native */
  krait_strv channels;         /* as configured/given, in priority order (names or URLs) */
  krait_strv default_channels; /* what "defaults" expands to */
  char *channel_alias;         /* https://conda.anaconda.org */
  krait_strv pkgs_dirs;        /* first writable one takes new entries */
  krait_strv envs_dirs;
  char *repodata_cache_dir;    /* <first pkgs dir>/cache */
  krait_channel_priority channel_priority;
  bool add_pip_as_python_dependency;
  bool offline;
  /* A solve loads only the records its specs and installed packages can
   * reach through depends (the rest cannot be installed): true unless a
   * library user or a test asks for every record. */
  bool repodata_reachable_only;
  bool always_yes;
  bool dry_run;
  bool use_lockfiles;
  int extract_threads;         /* 0 = number of cores */
  int lock_timeout_seconds;    /* lock_timeout / CONDA_LOCK_TIMEOUT; 0 = wait forever */
  krait_strv pinned_packages;
  krait_strv condarc_files;    /* which config files were read, in order */

  /* Network (used by the download engine, repodata/include/krait/net.h;
   * names and defaults as conda's): */
  int download_threads;               /* parallel transfers, default 8 */
  int remote_max_retries;             /* retries after the first try, default 3 */
  double remote_backoff_factor;       /* seconds; retry k waits factor * 2^(k-1) (+ jitter), default 1 */
  double remote_connect_timeout_secs; /* default 9.15 */
  double remote_read_timeout_secs;    /* a transfer with no byte for this long is retried, default 60 */
  long long repodata_max_bytes;       /* ceiling for one repodata download (decoded), default 2 GiB */
  char *ssl_verify;                   /* "true", "false" or a CA bundle path; default "true" */
  char *client_ssl_cert;              /* PEM certificate (may hold the key too), or NULL */
  char *client_ssl_cert_key;          /* its key, or NULL */
  krait_strv proxy_servers;           /* pairs: key ("http", "https", "all" or "scheme://host"), proxy URL */
  struct krait_secrets *secrets;      /* channel credentials, krait/secrets.h; never written out */
  void *net;                          /* the download engine, created on first use by repodata/ ... */
  void (*net_free)(void *net);        /* ... which sets this to free it with the context */

  krait_event_fn on_event;
  krait_progress_fn on_progress;
  void *user;
};

/* A context with built-in defaults and environment variables applied
 * (no config files read: see krait/config.h for that). */
KRAIT_API krait_ctx *krait_ctx_new(void);
KRAIT_API void krait_ctx_free(krait_ctx *ctx);
/* Emit a message through ctx->on_event (dropped when none is set). */
KRAIT_API void krait_ctx_event(const krait_ctx *ctx, krait_event_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define krait_warn(ctx, ...) krait_ctx_event((ctx), KRAIT_EV_WARNING, __VA_ARGS__)
#define krait_notice(ctx, ...) krait_ctx_event((ctx), KRAIT_EV_NOTICE, __VA_ARGS__)
#define krait_info(ctx, ...) krait_ctx_event((ctx), KRAIT_EV_INFO, __VA_ARGS__)
#define krait_debug(ctx, ...) krait_ctx_event((ctx), KRAIT_EV_DEBUG, __VA_ARGS__)
KRAIT_API void krait_ctx_progress(const krait_ctx *ctx, const char *task, const char *item, double done,
                                  double total);

#endif
