/* The commands, one per cmd_<name>.c; each returns the process exit status. */
#ifndef KRAIT_CLI_CMDS_H
#define KRAIT_CLI_CMDS_H

#include "cli.h"

int cmd_create(const cli_args *args);
int cmd_install(const cli_args *args);
int cmd_update(const cli_args *args);
int cmd_remove(const cli_args *args);
int cmd_search(const cli_args *args);
int cmd_info(const cli_args *args);
int cmd_list(const cli_args *args);
/* cmd_package.c: `krait package extract ...` (own argument parsing) */
int krait_cmd_package(krait_ctx *ctx, int argc, char **argv);
/* cmd_shell.c: `krait shell hook|init|deinit|activate|deactivate|reactivate|dispatch` */
int krait_cmd_shell(krait_ctx *ctx, int argc, char **argv);
/* cmd_shell.c: `krait activate|deactivate` typed without the shell hook: explains */
int krait_cmd_activate_unhooked(krait_ctx *ctx, int argc, char **argv);
/* cmd_run.c: `krait run -p|-n ENV CMD ARGS...` */
int krait_cmd_run(krait_ctx *ctx, int argc, char **argv);
/* cmd_kernel.c: `krait kernel install|list|remove` */
int krait_cmd_kernel(krait_ctx *ctx, int argc, char **argv);

#endif
