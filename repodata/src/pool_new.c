/* Pools in conda mode that report libsolv's warnings through the krait context. */
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/repodata.h"

/* libsolv hands over printf'd fragments that end in '\n' per message. */
static void forward_debug(Pool *pool, void *data, int type, const char *str) {
  (void)pool;
  const krait_ctx *ctx = data;
  size_t n = strlen(str);
  while (n && str[n - 1] == '\n')
    n--;
  if (!n)
    return;
  char *msg = krait_strndup(str, n);
  krait_ctx_event(ctx, (type & (SOLV_WARN | SOLV_ERROR | SOLV_FATAL)) ? KRAIT_EV_WARNING : KRAIT_EV_DEBUG,
                  "libsolv: %s", msg);
  free(msg);
}

Pool *krait_pool_new(const krait_ctx *ctx) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  pool_setdebugcallback(pool, forward_debug, (void *)ctx);
  pool_setdebugmask(pool, SOLV_WARN | SOLV_ERROR | SOLV_FATAL);
  return pool;
}
