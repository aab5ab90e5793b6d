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
/* cmd_env.c: `krait env export|create|update ...` (a subcommand table) */
int krait_cmd_env(krait_ctx *ctx, int argc, char **argv);
/* cmd_index.c: `krait index DIR` (own argument parsing) */
int krait_cmd_index(krait_ctx *ctx, int argc, char **argv);

#endif
