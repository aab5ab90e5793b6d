/* THE hook where a solved transaction is carried out: hand the solution to
 * the library's transaction (krait/txn.h: fetch, verify, extract, then link
 * under the prefix lock with a journal) with the http(s) downloader from
 * repodata/. Only the glue between the command line and the library lives here. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/fetch_pkg.h"
#include "krait/fs.h"
#include "krait/prefix.h"
#include "krait/txn.h"

krait_code cli_execute_transaction(krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                                   const cli_args *args, krait_request_kind kind, krait_err *err) {
  return cli_execute_transaction_locked(ctx, prefix, sol, args, kind, NULL, false, err);
}

krait_code cli_execute_transaction_locked(krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                                          const cli_args *args, krait_request_kind kind, krait_lock *held_lock,
                                          bool prefix_was_new, krait_err *err) {
  krait_prefix_state installed;
  memset(&installed, 0, sizeof installed);
  krait_code rc = krait_prefix_load(prefix, &installed, err);
  if (rc)
    return rc;
  /* (`create` over an existing environment: sol->unlink already holds every
   * installed package, see add_replaced_env in transaction.c) */
  krait_cache_fetcher fetcher = krait_fetch_pkg_fetcher();
  krait_txn_plan plan = {
      .prefix = prefix,
      .link = sol->link,
      .n_link = sol->n_link,
      .unlink = sol->unlink,
      .n_unlink = sol->n_unlink,
      .installed = &installed,
      .requested_specs = (const char *const *)args->specs.items,
      .n_requested = args->specs.len,
      .is_remove = kind == KRAIT_REQ_REMOVE,
      .cmd_line = args->cmd_line,
      .fetcher = &fetcher,
      .environments_txt = NULL,
      .held_lock = held_lock,
      .prefix_was_new = prefix_was_new,
  };
  rc = krait_txn_execute(ctx, &plan, err);
  krait_prefix_state_free(&installed);
  return rc;
}
