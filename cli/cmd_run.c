/* `krait run [-p PREFIX | -n NAME] [--cwd DIR] [--clean-env] CMD ARGS...`:
 * runs a command in an activated environment without a shell hook, the
 * form batch job scripts use. Glue over krait_act_plan_build (what changes)
 * and krait_run_process (fork, wait, forward signals).
 *
 * Exit status: the command's, 128+N when signal N ended it, 127 when the
 * command is not found, 126 when it cannot be executed, 1 when krait itself
 * fails (unknown env, bad option) before starting it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "cli.h"
#include "cmds.h"
#include "krait/run.h"

const cli_flag_doc krait_run_flags[] = {
    {"prefix", 'p', "PREFIX", "path of the environment"},
    {"name", 'n', "NAME", "name of the environment (in the envs dirs)"},
    {"cwd", 0, "DIR", "run the command in DIR"},
    {"clean-env", 0, NULL,
     "start from an almost empty environment (HOME, USER, LOGNAME, SHELL, TERM, LANG, LC_*, TZ, TMPDIR and a "
     "system PATH) instead of krait's own"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const char krait_run_details[] =
    "CMD runs in the activated environment: its bin/ first on PATH, CONDA_PREFIX and the other\n"
    "activation variables, the variables of conda-meta/state, and its etc/conda/activate.d/*.sh\n"
    "scripts sourced first. stdin/stdout/stderr are the command's; SIGTERM, SIGINT, SIGHUP,\n"
    "SIGQUIT, SIGUSR1 and SIGUSR2 sent to krait are passed on to it. Options end at CMD (or --).\n\n"
    "Exit status: the command's (128+N when signal N ended it); 127 command not found;\n"
    "126 not executable; 1 when krait fails before starting it.\n";

static int usage(FILE *f) {
  cli_print_command_help(cli_find_command("run"), f);
  return f == stdout ? 0 : 2;
}

typedef struct run_opts {
  const char *prefix;
  const char *name;
  const char *cwd;
  bool clean_env;
  int cmd_index; /* first argv index of the command */
} run_opts;

/* Options come before the command; everything from the command on is its own. */
static int parse(int argc, char **argv, run_opts *o, krait_err *err) {
  memset(o, 0, sizeof *o);
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || !a[1])
      break;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
      return usage(stdout) + 100;
    if (strcmp(a, "--clean-env") == 0) {
      o->clean_env = true;
      continue;
    }
    if (strcmp(a, "-p") == 0 || strcmp(a, "--prefix") == 0)
      slot = &o->prefix;
    else if (strcmp(a, "-n") == 0 || strcmp(a, "--name") == 0)
      slot = &o->name;
    else if (strcmp(a, "--cwd") == 0)
      slot = &o->cwd;
    else if (strncmp(a, "--prefix=", 9) == 0)
      o->prefix = a + 9;
    else if (strncmp(a, "--name=", 7) == 0)
      o->name = a + 7;
    else if (strncmp(a, "--cwd=", 6) == 0)
      o->cwd = a + 6;
    else if (a[1] == 'p' || a[1] == 'n') /* -pPREFIX, -nNAME */
      *(a[1] == 'p' ? &o->prefix : &o->name) = a + 2;
    else {
      krait_err_set(err, KRAIT_E_INVALID, "unknown option %s for krait run (see krait run --help)", a);
      return 1;
    }
    if (slot) {
      if (i + 1 >= argc) {
        krait_err_set(err, KRAIT_E_INVALID, "option %s needs a value", a);
        return 1;
      }
      *slot = argv[++i];
    }
  }
  o->cmd_index = i;
  if (i >= argc) {
    krait_err_set(err, KRAIT_E_INVALID, "krait run needs a command to run (see krait run --help)");
    return 1;
  }
  if (!o->prefix == !o->name) {
    krait_err_set(err, KRAIT_E_INVALID, "krait run needs exactly one of -p PREFIX or -n NAME");
    return 1;
  }
  return 0;
}

int krait_cmd_run(krait_ctx *ctx, int argc, char **argv) {
  krait_err err;
  krait_err_clear(&err);
  run_opts o;
  int st = parse(argc, argv, &o, &err);
  if (st >= 100)
    return 0;
  if (st)
    return cli_fail(NULL, &err);
  char *prefix = NULL, *name = NULL;
  if (cli_resolve_env(ctx, o.name, o.prefix, &prefix, &name, &err))
    return cli_fail(NULL, &err);

  int status = 1;
  cli_run_request rr = {.prefix = prefix, .name = o.name, .argv = argv + o.cmd_index, .cwd = o.cwd,
                        .clean_env = o.clean_env};
  if (cli_run_activated(&rr, &status, &err))
    cli_fail(NULL, &err);
  free(prefix);
  free(name);
  return status;
}
