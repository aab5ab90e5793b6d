/* What help, man pages and completions know about commands beyond their row in
 * main.c's table, and the internal commands that generate man pages and
 * completions. A command that parses its own arguments (run_raw) declares its
 * subcommands here, so `krait CMD --help`, `man krait-CMD` and the completions
 * show them; a command whose arguments are installed packages says so. Every
 * other command needs no line: its options come from args.c's table. */
#include <string.h>

#include "cli.h"
#include "cmds.h"

static const cli_command_doc docs[] = {
    {"package", krait_package_subcommands, CLI_POS_NONE},
    {"remove", NULL, CLI_POS_INSTALLED},
    {"uninstall", NULL, CLI_POS_INSTALLED},
    {"update", NULL, CLI_POS_INSTALLED},
};

static const cli_command internal[] = {
    {"__man", "[COMMAND | --dir DIR]", "Print the man page of krait or of a command.", 0, NULL, cli_cmd_man},
    {"__complete", "bash|zsh|fish", "Print a shell completion script.", 0, NULL, cli_cmd_complete},
    {"__values", "envs | packages [WORDS...]", "Print completion candidates, one a line.", 0, NULL,
     cli_cmd_values},
};

static const cli_command_doc *doc_of(const cli_command *cmd) {
  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
    if (strcmp(docs[i].command, cmd->name) == 0)
      return &docs[i];
  return NULL;
}

const cli_subcommand *cli_subcommands_of(const cli_command *cmd) {
  const cli_command_doc *d = doc_of(cmd);
  return d ? d->subcommands : NULL;
}

cli_positional cli_positional_of(const cli_command *cmd) {
  const cli_command_doc *d = doc_of(cmd);
  return d ? d->positional : CLI_POS_NONE;
}

const cli_command *cli_find_internal_command(const char *name) {
  for (size_t i = 0; i < sizeof internal / sizeof *internal; i++)
    if (strcmp(internal[i].name, name) == 0)
      return &internal[i];
  return NULL;
}
