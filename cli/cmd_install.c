/* krait install: add specs to an existing environment, keeping what is
 * installed unless a spec says otherwise. */
#include "cmds.h"

int cmd_install(const cli_args *args) {
  if (args->revision) /* conda's rollback: cmd_revisions.c */
    return cli_install_revision(args);
  return cli_run_transaction(args, KRAIT_REQ_INSTALL);
}
