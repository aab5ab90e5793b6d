/* krait: entry point; finds the command and hands it its parsed arguments. */
#include <stdio.h>
#include <stdlib.h>
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

static const cli_group top = {"krait", commands, sizeof commands / sizeof *commands};

const cli_command *cli_find_command(const char *name) { return cli_group_find(&top, name); }

const cli_command *cli_commands(size_t *n) {
  *n = top.n;
  return commands;
}

const char cli_main_help_epilog[] =
    "Configuration: .condarc files (see `krait info`), CONDA_* environment variables,\n"
    "KRAIT_ROOT_PREFIX (default ~/.krait), CONDA_OVERRIDE_<NAME> for virtual packages.\n";

static void print_main_help(FILE *f) {
  fputs("usage: krait [--version] [--help] COMMAND [options]\n\n"
        "krait is a conda-compatible package manager.\n\ncommands:\n",
        f);
  cli_group_print_list(&top, f);
  fprintf(f, "\nRun `krait COMMAND --help` for the options of a command.\n%s", cli_main_help_epilog);
}

/* argv[0] names the command (a user-facing or an internal one). */
static int run(int argc, char **argv) {
  const cli_command *cmd = cli_find_command(argv[0]);
  if (!cmd)
    cmd = cli_find_internal_command(argv[0]);
  if (!cmd)
    return cli_group_unknown(&top, argv[0]);
  return cli_group_run(cmd, "krait", NULL, argc, argv);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_main_help(stderr);
    return 1;
  }
  const char *first = argv[1];
  if (strcmp(first, "help") == 0 && argc > 2) {
    /* `krait help env export` is `krait env export --help`, word for word */
    static char help_flag[] = "--help";
    char **words = krait_calloc((size_t)argc, sizeof *words);
    for (int i = 2; i < argc; i++)
      words[i - 2] = argv[i];
    words[argc - 2] = help_flag;
    int status = run(argc - 1, words);
    free(words);
    return status;
  }
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
    print_main_help(stdout);
    return 0;
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    printf("%s\n", KRAIT_VERSION_STRING);
    return 0;
  }
  return run(argc - 1, argv + 1);
}
