/* THE hook where a solved transaction is carried out: download what is not
 * cached, extract, link into the prefix, write conda-meta and history.
 *
 * The installer (package cache + linking) is being built on other branches;
 * until it lands this refuses clearly, so `krait create/install/update/remove`
 * without --dry-run fail loudly instead of pretending. Replace the body with
 * the installer's entry point; callers (transaction.c) need no change. */
#include "cli.h"

bool cli_installer_available(void) { return false; }

krait_code cli_execute_transaction(krait_ctx *ctx, const char *prefix, const krait_solution *sol, krait_err *err) {
  (void)ctx;
  (void)sol;
  return krait_err_set(err, KRAIT_E_UNSUPPORTED,
                       "changing environments is not available yet in this build (nothing was done to %s); "
                       "use --dry-run to see the transaction",
                       prefix);
}
