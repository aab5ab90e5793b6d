/* krait install: add specs to an existing environment, keeping what is
 * installed unless a spec says otherwise. */
#include "cmds.h"

int cmd_install(const cli_args *args) { return cli_run_transaction(args, KRAIT_REQ_INSTALL); }
