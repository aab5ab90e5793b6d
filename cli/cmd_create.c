/* krait create: solve specs for a new environment (ignoring whatever is in
 * the prefix) and carry out the transaction (cli_execute_transaction). */
#include "cmds.h"

int cmd_create(const cli_args *args) { return cli_run_transaction(args, KRAIT_REQ_INSTALL); }
