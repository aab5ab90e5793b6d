/* krait remove: take packages (and what depends on them) out of an environment. */
#include "cmds.h"

int cmd_remove(const cli_args *args) { return cli_run_transaction(args, KRAIT_REQ_REMOVE); }
