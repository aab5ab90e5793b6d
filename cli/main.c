/* krait: entry point; finds the command and hands it its parsed arguments. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

static const cli_command commands[] = {
    {"create", "(-n NAME | -p PREFIX) [options] [SPEC...]", "Create a new environment from the given specs.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_FORCE | OPT_SPECS | OPT_FILE_SHORT | OPT_CLONE, cmd_create, NULL},
    {"install", "[-n NAME | -p PREFIX] [options] SPEC...", "Install packages into an existing environment.",
     OPT_PREFIX | OPT_CHANNELS | OPT_SOLVE | OPT_SPECS | OPT_FILE, cmd_install, NULL},
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
     OPT_PREFIX | OPT_CHANNELS, cmd_info, NULL},
    {"package", "extract [--force] [--info] ARCHIVE DIR", "Work with package archives (extract).", 0, NULL,
     krait_cmd_package},
    {"env", "(export | create | update) [options]", "Export environments to files and create/update them from files.",
     0, NULL, krait_cmd_env},
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

static void print_main_help(FILE *f) {
  fputs("usage: krait [--version] [--help] COMMAND [options]\n\n"
        "krait is a conda-compatible package manager.\n\ncommands:\n",
        f);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs("\nRun `krait COMMAND --help` for the options of a command.\n"
        "Configuration: .condarc files (see `krait info`), CONDA_* environment variables,\n"
        "KRAIT_ROOT_PREFIX (default ~/.krait), CONDA_OVERRIDE_<NAME> for virtual packages.\n",
        f);
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
  if (!cmd) {
    fprintf(stderr, "krait: error: unknown command \"%s\" (see krait --help)\n", first);
    return 1;
  }
  cli_args args;
  krait_err err;
  krait_err_clear(&err);
  int status;
  if (cmd->run_raw) {
    memset(&args, 0, sizeof args);
    args.command = cmd->name;
    krait_ctx *ctx = cli_make_ctx(&args, &err);
    if (!ctx)
      return cli_fail(&args, &err);
    status = cmd->run_raw(ctx, argc - 1, argv + 1);
    krait_ctx_free(ctx);
    return status;
  }
  if (cli_parse_args(cmd, argc - 2, argv + 2, &args, &err)) {
    /* the error may come before --json was reached: honour it anyway */
    for (int i = 2; i < argc; i++)
      args.json |= strcmp(argv[i], "--json") == 0;
    status = cli_fail(&args, &err);
  } else if (args.help) {
    cli_print_command_help(cmd, stdout);
    status = 0;
  } else {
    krait_buf line = KRAIT_BUF_INIT;
    for (int i = 0; i < argc; i++)
      krait_buf_printf(&line, "%s%s", i ? " " : "", i == 0 ? "krait" : argv[i]);
    args.cmd_line = krait_buf_steal(&line);
    status = cmd->run(&args);
  }
  cli_args_free(&args);
  return status;
}
