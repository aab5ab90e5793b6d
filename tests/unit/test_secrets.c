/* Channel credentials: redaction of URLs and text, and the secret put back
 * for downloads from what the context remembered (krait/secrets.h). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/channel.h"
#include "krait/ctx.h"
#include "krait/secrets.h"

static void check_redact(const char *url, const char *want) {
  char *got = krait_url_redact(url);
  CHECK_STR(got, want);
  free(got);
}

int main(void) {
  check_redact("https://conda.anaconda.org/t/tk-123-abc/chan/noarch/x.conda",
               "https://conda.anaconda.org/t/<TOKEN>/chan/noarch/x.conda");
  check_redact("https://alice:s3cr%40t@host:8443/chan", "https://alice:***@host:8443/chan");
  check_redact("https://u:p@h/t/tok", "https://u:***@h/t/<TOKEN>");
  check_redact("https://host/chan/t/", "https://host/chan/t/"); /* an empty segment is no token */
  check_redact("https://host/plain", "https://host/plain");
  check_redact("https://bob@host/c", "https://bob@host/c"); /* a user without password is no secret */

  CHECK(krait_url_has_secret("https://h/t/abc/c"), "token");
  CHECK(krait_url_has_secret("http://a:b@h/c"), "password");
  CHECK(!krait_url_has_secret("https://h/t/<TOKEN>/c"), "redacted token");
  CHECK(!krait_url_has_secret("https://h/c"), "plain");

  char *text = krait_text_redact("krait create -c https://h/t/SECRET/c -c 'http://u:PW@h2/x' pkg");
  CHECK(text && !strstr(text, "SECRET") && !strstr(text, "PW@"), "text: %s", text ? text : "");
  CHECK(text && strstr(text, "https://h/t/<TOKEN>/c") && strstr(text, "'http://u:***@h2/x'"), "text: %s", text ? text : "");
  free(text);

  /* what a channel parse remembers comes back for URLs below its redacted form, only */
  krait_ctx *ctx = krait_ctx_new();
  krait_channel ch;
  krait_err err;
  CHECK(krait_channel_parse(ctx, "https://h/t/SECRET/chan", &ch, &err) == KRAIT_OK, "%s", err.msg);
  krait_channel_free(&ch);
  CHECK(krait_channel_parse(ctx, "https://u:PW@other/c2/", &ch, &err) == KRAIT_OK, "%s", err.msg);
  krait_channel_free(&ch);
  char *r = krait_secrets_restore(ctx->secrets, "https://h/t/<TOKEN>/chan/noarch/a.conda");
  CHECK_STR(r, "https://h/t/SECRET/chan/noarch/a.conda");
  free(r);
  r = krait_secrets_restore(ctx->secrets, "https://h/t/<TOKEN>/chan2/noarch/a.conda");
  CHECK_STR(r, "https://h/t/<TOKEN>/chan2/noarch/a.conda"); /* another channel: no match */
  free(r);
  r = krait_secrets_restore(ctx->secrets, "https://u:***@other/c2/linux-64/b.conda");
  CHECK_STR(r, "https://u:PW@other/c2/linux-64/b.conda");
  free(r);
  r = krait_secrets_restore(ctx->secrets, "https://plain/x");
  CHECK_STR(r, "https://plain/x");
  free(r);
  krait_ctx_free(ctx);
  return krait_test_finish("secrets");
}
