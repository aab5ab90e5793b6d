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
/* envconfig branch */
int cmd_config(const cli_args *args);                  /* cmd_config.c */
int cmd_env_list(const cli_args *args);   /* cmd_env_manage.c: rows of the env group */
int cmd_env_remove(const cli_args *args);
/* cmd_env_manage.c: prints the known environments (env list, info --envs) */
int cli_env_list_output(const cli_args *args, krait_ctx *ctx);
int cmd_clean(const cli_args *args);                   /* cmd_clean.c */
int cmd_repoquery(const cli_args *args);               /* cmd_repoquery.c */
int cli_list_revisions(const cli_args *args);          /* cmd_revisions.c: list --revisions */
int cli_install_revision(const cli_args *args);        /* cmd_revisions.c: install --revision N */
/* cmd_package.c: `krait package extract ...` (own argument parsing) */
int krait_cmd_package(krait_ctx *ctx, int argc, char **argv);
/* cmd_env.c: `krait env list|remove|export|create|update ...` (a subcommand table) */
int krait_cmd_env(krait_ctx *ctx, int argc, char **argv);
/* cmd_shell.c: `krait shell hook|init|deinit|activate|deactivate|reactivate|dispatch` */
int krait_cmd_shell(krait_ctx *ctx, int argc, char **argv);
/* cmd_shell.c: `krait activate|deactivate` typed without the shell hook: explains */
int krait_cmd_activate_unhooked(krait_ctx *ctx, int argc, char **argv);
/* cmd_run.c: `krait run -p|-n ENV CMD ARGS...` */
int krait_cmd_run(krait_ctx *ctx, int argc, char **argv);
/* cmd_kernel.c: `krait kernel install|list|remove` */
int krait_cmd_kernel(krait_ctx *ctx, int argc, char **argv);
extern const cli_subcommand krait_package_subcommands[];
/* What `--help`, the man pages and the completions say about the commands that
 * parse their own arguments (each declared beside its parser; command_docs.c). */
extern const cli_subcommand krait_shell_subcommands[];
extern const char krait_shell_details[];
extern const cli_flag_doc krait_activate_flags[]; /* [0] --stack (activate only), then -h */
extern const char krait_activate_details[];
extern const cli_flag_doc krait_run_flags[];
extern const char krait_run_details[];
extern const cli_subcommand krait_kernel_subcommands[];
extern const char krait_kernel_details[];
extern const cli_flag_doc krait_pack_flags[];
extern const char krait_pack_details[];
extern const cli_flag_doc krait_unpack_flags[];
extern const char krait_unpack_details[];
extern const cli_flag_doc krait_index_flags[];
extern const char krait_index_details[];
/* cmd_env.c: its rows ("env export", ...), for help, man pages and completions */
const cli_command *krait_env_subcommands(size_t *n);
/* cmd_env_module.c: `krait env module` (own option parsing: its --name is the module's name) */
int cli_env_module(krait_ctx *ctx, int argc, char **argv);
/* cmd_pack.c: `krait pack ...` and `krait unpack FILE DIR` */
int krait_cmd_pack(krait_ctx *ctx, int argc, char **argv);
int krait_cmd_unpack(krait_ctx *ctx, int argc, char **argv);
/* cmd_index.c: `krait index DIR` (own argument parsing) */
int krait_cmd_index(krait_ctx *ctx, int argc, char **argv);

#endif
