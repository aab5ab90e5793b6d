/* krait: entry point; finds the command and hands it its parsed arguments. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

static const cli_command commands[] = {
    {"create", "(-n NAME | -p PREFIX) [options] [SPEC...]", "Create a new environment from the given specs.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_FORCE | OPT_SPECS | OPT_FILE_SHORT | OPT_CLONE, cmd_create, NULL},
    {"install", "[-n NAME | -p PREFIX] [options] (SPEC... | --file FILE | --revision N)",
     "Install packages into an existing environment.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_SPECS | OPT_FILE | OPT_REVISION, cmd_install, NULL},
    {"update", "[-n NAME | -p PREFIX] [options] (SPEC... | --all)",
     "Update packages of an environment to their newest allowed versions.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_ALL | OPT_SPECS, cmd_update, NULL},
    {"remove", "[-n NAME | -p PREFIX] [options] SPEC...",
     "Remove packages (and the packages that depend on them) from an environment.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_SPECS | OPT_PRUNE, cmd_remove, NULL},
    {"uninstall", "[-n NAME | -p PREFIX] [options] SPEC...", "Same as remove.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_SPECS | OPT_PRUNE, cmd_remove, NULL},
    {"list", "[-n NAME | -p PREFIX] [options] [REGEX]",
     "List the packages installed in an environment (names matching REGEX).", OPT_PREFIX | OPT_LIST | OPT_SPECS,
     cmd_list, NULL},
    {"search", "[options] SPEC", "List every package record matching SPEC in the channels.",
     OPT_CHANNELS | OPT_SPECS, cmd_search, NULL},
    {"info", "[options]", "Show the configuration, platform, virtual packages and directories.",
     OPT_PREFIX | OPT_CHANNELS | OPT_INFO, cmd_info, NULL},
    {"package", "SUBCOMMAND ...", "Work with package archives (extract, create a .conda).", 0, NULL,
     krait_cmd_package},
    {"env", "(list | remove | export | create | update) [options]",
     "Manage environments: list, remove, export to files, create/update from files.",
     0, NULL, krait_cmd_env},
    {"config", "(list [KEY...] | get KEY | set KEY VALUE | append KEY VALUE | prepend KEY VALUE | remove KEY VALUE | "
               "remove-key KEY) [--file F | --env | --system] [options]",
     "Show or edit .condarc settings in place (comments and order are kept).", OPT_CONFIG | OPT_PREFIX | OPT_SPECS,
     cmd_config, NULL},
    {"clean", "[-a] [--index-cache] [--tarballs] [--packages] [--locks] [options]",
     "Remove unused files from the package caches and say how much space that frees.", OPT_CLEAN | OPT_CONFIRM,
     cmd_clean, NULL},
    {"repoquery", "(depends | whoneeds | search) [--tree] [-p ENV | -c CHANNEL] SPEC",
     "Query the dependencies of packages in an environment or in channels.",
     OPT_REPOQUERY | OPT_PREFIX | OPT_CHANNELS | OPT_SPECS, cmd_repoquery, NULL},
    {"shell", "hook|init|deinit [-s SHELL]", "Shell integration: the hook behind `krait activate`/`deactivate`.", 0,
     NULL, krait_cmd_shell},
    {"activate", "ENV (after the shell hook)", "Activate an environment in this shell (needs `krait shell hook`).", 0,
     NULL, krait_cmd_activate_unhooked},
    {"deactivate", "(after the shell hook)", "Deactivate the active environment (needs `krait shell hook`).", 0, NULL,
     krait_cmd_activate_unhooked},
    {"run", "(-p PREFIX | -n NAME) [--cwd DIR] [--clean-env] CMD [ARGS...]",
     "Run a command in an activated environment (no shell hook needed).", 0, NULL, krait_cmd_run},
    {"kernel", "install|list|remove ...", "Jupyter kernels that run an environment's python through krait run.", 0,
     NULL, krait_cmd_kernel},
    {"pack", "(-p PREFIX | -n NAME) -o FILE [--format squashfs|tar.zst|tar.gz] [--dest-prefix PATH] ...",
     "Write an environment as one relocated file (squashfs or tar) for containers and parallel filesystems.", 0,
     NULL, krait_cmd_pack},
    {"unpack", "FILE DIR", "Unpack a tar pack into DIR, rewriting its prefixes for DIR.", 0, NULL, krait_cmd_unpack},
    {"index", "[--threads N] [--no-cache] DIR", "Write repodata (also sharded) and channeldata for a directory of packages.",
     0, NULL, krait_cmd_index},
};

#define N_COMMANDS (sizeof commands / sizeof *commands)

const cli_command *cli_find_command(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

const cli_command *cli_commands(size_t *n) {
  *n = N_COMMANDS;
  return commands;
}

const char cli_main_help_epilog[] =
    "Configuration: .condarc files (see `krait info`), CONDA_* environment variables,\n"
    "KRAIT_ROOT_PREFIX (default ~/.krait), CONDA_OVERRIDE_<NAME> for virtual packages.\n";

static void print_main_help(FILE *f) {
  fputs("usage: krait [--version] [--help] COMMAND [options]\n\n"
        "krait is a conda-compatible package manager.\n\ncommands:\n",
        f);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun `krait COMMAND --help` for the options of a command.\n%s", cli_main_help_epilog);
}

/* "unknown command "instal" (did you mean `install`?)" */
static int unknown_command(const char *name) {
  const char *names[N_COMMANDS];
  size_t n = 0;
  for (size_t i = 0; i < N_COMMANDS; i++)
    names[n++] = commands[i].name;
  const char *near = cli_nearest(name, names, n);
  if (near)
    fprintf(stderr, "krait: error: unknown command \"%s\" (did you mean `%s`?)\n", name, near);
  else
    fprintf(stderr, "krait: error: unknown command \"%s\" (see krait --help)\n", name);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_main_help(stderr);
    return 1;
  }
  const char *first = argv[1];
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
    if (argc > 2 && cli_find_command(argv[2])) {
      cli_print_command_help(cli_find_command(argv[2]), stdout);
      return 0;
    }
    print_main_help(stdout);
    return 0;
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    printf("%s\n", KRAIT_VERSION_STRING);
    return 0;
  }
  const cli_command *cmd = cli_find_command(first);
  if (!cmd)
    cmd = cli_find_internal_command(first);
  if (!cmd)
    return unknown_command(first);
  if (cmd->run_raw) {
    cli_args args;
    krait_err err;
    krait_err_clear(&err);
    memset(&args, 0, sizeof args);
    args.command = cmd->name;
    krait_ctx *ctx = cli_make_ctx(&args, &err);
    if (!ctx)
      return cli_fail(&args, &err);
    int status = cmd->run_raw(ctx, argc - 1, argv + 1);
    krait_ctx_free(ctx);
    return status;
  }
  return cli_run_command(cmd, "krait", argc - 1, argv + 1);
}
