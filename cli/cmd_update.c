/* krait update: move the named packages (or --all) to their newest allowed versions. */
#include "cmds.h"

int cmd_update(const cli_args *args) {
  return cli_run_transaction(args, args->all ? KRAIT_REQ_UPDATE_ALL : KRAIT_REQ_UPDATE);
}
