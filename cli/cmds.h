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
extern const cli_subcommand krait_package_subcommands[];
/* cmd_env.c: `krait env export|create|update ...` (a subcommand table) */
int krait_cmd_env(krait_ctx *ctx, int argc, char **argv);
/* its rows ("env export", ...), for help, man pages and completions */
const cli_command *krait_env_subcommands(size_t *n);

#endif
