/* Channel credentials: kept in memory, never written or printed.
 *
 * A channel URL may carry a secret: an anaconda.org token (".../t/<tok>/...")
 * or a password ("https://user:pass@host/..."). Everything krait stores or
 * shows uses the redacted form (conda's "/t/<TOKEN>/", and "user:***@host"),
 * so records in conda-meta, repodata_record.json, history, urls.txt, the
 * repodata cache state and every message are safe to share. When a redacted
 * URL is fetched, the secret is supplied again from configuration: the
 * context remembers every channel URL it parsed that carried one
 * (krait_secrets_remember) and krait_secrets_restore swaps the redacted
 * prefix back.
 *
 * Ownership: a krait_secrets belongs to its krait_ctx (ctx->secrets), created
 * with the context and freed with it. It is safe to use from several threads. */
#ifndef KRAIT_SECRETS_H
#define KRAIT_SECRETS_H

#include <stdbool.h>

#include "krait/err.h"

typedef struct krait_secrets krait_secrets;

KRAIT_API krait_secrets *krait_secrets_new(void);
KRAIT_API void krait_secrets_free(krait_secrets *s);

/* url with credentials hidden: "user:pass@" -> "user:***@", "/t/<tok>/" ->
 * "/t/<TOKEN>/". Caller frees. */
KRAIT_API char *krait_url_redact(const char *url);
/* text (a command line, a history entry...) with every URL in it redacted
 * as by krait_url_redact. Caller frees. */
KRAIT_API char *krait_text_redact(const char *text);
/* True when url carries a token or a password. */
KRAIT_API bool krait_url_has_secret(const char *url);

/* Remembers a URL that carries a secret (no-op for one that does not), so
 * URLs below its redacted form can be restored. s may be NULL (no-op). */
KRAIT_API void krait_secrets_remember(krait_secrets *s, const char *url);
/* url with the secret put back when it starts with the redacted form of a
 * remembered URL (longest match); otherwise a copy of url. Caller frees. */
KRAIT_API char *krait_secrets_restore(const krait_secrets *s, const char *url);

#endif
