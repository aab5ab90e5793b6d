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
    {"package", krait_package_subcommands, NULL, CLI_POS_NONE, NULL, NULL},
    {"env", NULL, krait_env_subcommands, CLI_POS_NONE, NULL, NULL},
    {"remove", NULL, NULL, CLI_POS_INSTALLED, NULL, NULL},
    {"uninstall", NULL, NULL, CLI_POS_INSTALLED, NULL, NULL},
    {"update", NULL, NULL, CLI_POS_INSTALLED, NULL, NULL},
    {"shell", krait_shell_subcommands, NULL, CLI_POS_NONE, NULL, krait_shell_details},
    {"activate", NULL, NULL, CLI_POS_NONE, krait_activate_flags, krait_activate_details},
    {"deactivate", NULL, NULL, CLI_POS_NONE, krait_activate_flags + 1, krait_activate_details},
    {"run", NULL, NULL, CLI_POS_NONE, krait_run_flags, krait_run_details},
    {"kernel", krait_kernel_subcommands, NULL, CLI_POS_NONE, NULL, krait_kernel_details},
    {"pack", NULL, NULL, CLI_POS_NONE, krait_pack_flags, krait_pack_details},
    {"unpack", NULL, NULL, CLI_POS_NONE, krait_unpack_flags, krait_unpack_details},
    {"index", NULL, NULL, CLI_POS_NONE, krait_index_flags, krait_index_details},
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

size_t cli_subcommand_count(const cli_command *cmd) {
  const cli_command_doc *d = doc_of(cmd);
  size_t n = 0;
  if (d && d->group)
    d->group(&n);
  else if (d && d->subcommands)
    while (d->subcommands[n].name)
      n++;
  return n;
}

void cli_subcommand_view(const cli_command *cmd, size_t i, cli_sub_view *out) {
  const cli_command_doc *d = doc_of(cmd);
  memset(out, 0, sizeof *out);
  if (d && d->group) {
    size_t n;
    const cli_command *row = &d->group(&n)[i];
    out->name = cli_group_word(row);
    out->usage = row->usage;
    out->summary = row->summary;
    out->n_flags = cli_command_flags(row, out->flags, CLI_MAX_FLAGS);
    return;
  }
  const cli_subcommand *sub = &d->subcommands[i];
  out->name = sub->name;
  out->usage = sub->usage;
  out->summary = sub->summary;
  out->positional = sub->positional;
  for (const cli_flag_doc *o = sub->flags; o && o->long_name && out->n_flags < CLI_MAX_FLAGS; o++)
    out->flags[out->n_flags++] = *o;
}

void cli_foreach_subcommand(const cli_command *cmd, void (*each)(const cli_command *cmd, const cli_sub_view *sub,
                                                                 void *user),
                            void *user) {
  cli_sub_view sub;
  size_t n = cli_subcommand_count(cmd);
  for (size_t i = 0; i < n; i++) {
    cli_subcommand_view(cmd, i, &sub);
    each(cmd, &sub, user);
  }
}

const cli_flag_doc *cli_own_flags(const cli_command *cmd) {
  const cli_command_doc *d = doc_of(cmd);
  return d ? d->flags : NULL;
}

const char *cli_command_details(const cli_command *cmd) {
  const cli_command_doc *d = doc_of(cmd);
  return d ? d->details : NULL;
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
