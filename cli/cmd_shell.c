/* `krait shell hook|init|deinit|activate|deactivate|reactivate|dispatch`:
 * glue between the command line and libpkg's activation (krait/activate.h,
 * krait/shell_hook.h). activate/deactivate/reactivate print commands for
 * the hook's shell function to evaluate; they are not meant to be typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "cli.h"
#include "cmds.h"
#include "krait/fs.h"
#include "krait/shell_hook.h"

#define SHELL_FLAG {"shell", 's', "SHELL", "bash, zsh, fish, tcsh or posix (default: from $SHELL)"}
#define HELP_FLAG {"help", 'h', NULL, "show this help"}

static const cli_flag_doc hook_flags[] = {SHELL_FLAG, HELP_FLAG, {NULL, 0, NULL, NULL}};

static const cli_flag_doc rc_flags[] = {
    SHELL_FLAG,
    {"rc-file", 0, "FILE", "the startup file (default: the shell's own, e.g. ~/.bashrc)"},
    {"dry-run", 0, NULL, "show the change, write nothing"},
    HELP_FLAG,
    {NULL, 0, NULL, NULL},
};

static const cli_flag_doc activate_flags[] = {
    SHELL_FLAG,
    {"stack", 0, NULL, "keep the active environment's bin/ on PATH"},
    HELP_FLAG,
    {NULL, 0, NULL, NULL},
};

const cli_subcommand krait_shell_subcommands[] = {
    {"hook", "[-s SHELL]", "Print the code that defines the `krait` shell function (evaluate it in the shell).",
     hook_flags, NULL},
    {"init", "[-s SHELL] [--rc-file FILE] [--dry-run]",
     "Add a marked block evaluating the hook to the shell's startup file.", rc_flags, NULL},
    {"deinit", "[-s SHELL] [--rc-file FILE] [--dry-run]", "Remove the block init added.", rc_flags, NULL},
    {"activate", "[-s SHELL] [--stack] ENV",
     "Print the commands the shell function evaluates to activate ENV (a name or a path).", activate_flags, "ENV"},
    {"deactivate", "[-s SHELL]", "Print the commands that deactivate the active environment.", hook_flags, NULL},
    {"reactivate", "[-s SHELL]", "Print the commands that activate the active environment again.", hook_flags, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const char krait_shell_details[] =
    "After eval \"$(krait shell hook -s bash)\" (fish: krait shell hook -s fish | source),\n"
    "`krait activate ENV` and `krait deactivate` change the current shell. Startup files:\n"
    "~/.bashrc, ~/.zshrc, ~/.config/fish/config.fish, ~/.tcshrc, ~/.profile.\n";

const cli_flag_doc krait_activate_flags[] = {
    {"stack", 0, NULL, "keep the active environment's bin/ on PATH"},
    HELP_FLAG,
    {NULL, 0, NULL, NULL},
};

const char krait_activate_details[] =
    "These work through krait's shell function; evaluate the hook first:\n"
    "  eval \"$(krait shell hook -s bash)\"      # bash; also zsh, posix\n"
    "  krait shell hook -s fish | source        # fish\n"
    "  eval \"`krait shell hook -s tcsh`\"        # tcsh\n"
    "or add it to your startup file with `krait shell init -s SHELL`.\n"
    "In job scripts, `krait run -p ENV CMD...` needs no hook.\n";

static int usage(FILE *f) {
  cli_print_command_help(cli_find_command("shell"), f);
  return f == stdout ? 0 : 2;
}

typedef struct shell_opts {
  krait_shell shell;
  bool shell_given;
  bool stack;
  bool dry_run;
  bool after_scripts; /* hidden: second phase, deactivate.d scripts already sourced */
  const char *rc_file;
  const char *positional[4];
  int npos;
} shell_opts;

static krait_shell default_shell(void) {
  const char *sh = getenv("SHELL");
  krait_shell s = KRAIT_SHELL_POSIX;
  if (sh && *sh)
    krait_shell_parse(krait_path_basename(sh), &s, NULL);
  return s;
}

/* Options anywhere among argv[from..argc). Returns 0, or an exit status. */
static int parse(int argc, char **argv, int from, shell_opts *o, krait_err *err) {
  memset(o, 0, sizeof *o);
  o->shell = default_shell();
  for (int i = from; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    if (strcmp(a, "-s") == 0 || strcmp(a, "--shell") == 0 || strcmp(a, "--rc-file") == 0) {
      if (i + 1 >= argc) {
        krait_err_set(err, KRAIT_E_INVALID, "option %s needs a value", a);
        return 1;
      }
      value = argv[++i];
    } else if (strncmp(a, "--shell=", 8) == 0) {
      value = a + 8;
    }
    if (value && strcmp(a, "--rc-file") == 0) {
      o->rc_file = value;
    } else if (value) {
      if (krait_shell_parse(value, &o->shell, err))
        return 1;
      o->shell_given = true;
    } else if (strcmp(a, "--stack") == 0) {
      o->stack = true;
    } else if (strcmp(a, "--dry-run") == 0) {
      o->dry_run = true;
    } else if (strcmp(a, "--after-scripts") == 0) {
      o->after_scripts = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      return usage(stdout) + 100; /* 100: help shown */
    } else if (a[0] == '-' && a[1]) {
      krait_err_set(err, KRAIT_E_INVALID, "unknown option %s for krait shell %s (see krait shell --help)", a,
                    argv[1]);
      return 1;
    } else if (o->npos < 4) {
      o->positional[o->npos++] = a;
    } else {
      krait_err_set(err, KRAIT_E_INVALID, "krait shell %s: unexpected argument \"%s\"", argv[1], a);
      return 1;
    }
  }
  return 0;
}

/* Prints the commands of an activation plan; 0 or 1. */
static int print_plan(krait_ctx *ctx, krait_act_kind kind, const shell_opts *o, krait_err *err) {
  krait_act_request req;
  memset(&req, 0, sizeof req);
  req.kind = kind;
  req.stack = o->stack;
  req.script_ext = krait_shell_script_ext(o->shell);
  req.change_prompt = cli_change_prompt();
  req.deactivate_scripts_ran = o->after_scripts;
  char *prefix = NULL, *name = NULL;
  if (kind == KRAIT_ACT_ACTIVATE) {
    if (o->npos > 1) {
      krait_err_set(err, KRAIT_E_INVALID, "krait activate takes one environment (a name or a path), got %d",
                    o->npos);
      return 1;
    }
    const char *arg = o->npos ? o->positional[0] : "base"; /* conda: no argument means base */
    bool path = cli_env_arg_is_path(arg);
    if (cli_resolve_env(ctx, path ? NULL : arg, path ? arg : NULL, &prefix, &name, err))
      return 1;
    req.prefix = prefix;
    req.env_name = name;
  } else if (o->npos) {
    krait_err_set(err, KRAIT_E_INVALID, "krait %s takes no argument (got \"%s\")",
                  kind == KRAIT_ACT_DEACTIVATE ? "deactivate" : "reactivate", o->positional[0]);
    return 1;
  }
  krait_envmap env = KRAIT_ENVMAP_INIT;
  krait_envmap_from_environ(&env, NULL);
  krait_act_plan plan;
  krait_buf out = KRAIT_BUF_INIT;
  int status = 1;
  if (!krait_act_plan_build(&req, &env, &plan, err)) {
    if (krait_act_needs_two_phases(&plan)) {
      /* the deactivate.d scripts first, then the changes computed after them */
      char *exe = cli_self_exe();
      const char *argv[9];
      int n = 0;
      argv[n++] = exe;
      argv[n++] = "shell";
      argv[n++] = kind == KRAIT_ACT_ACTIVATE ? "activate" : "deactivate";
      argv[n++] = "--after-scripts";
      if (o->stack)
        argv[n++] = "--stack";
      argv[n++] = "-s";
      argv[n++] = krait_shell_name(o->shell);
      if (kind == KRAIT_ACT_ACTIVATE)
        argv[n++] = o->npos ? o->positional[0] : "base";
      argv[n] = NULL;
      krait_act_render_first_phase(&plan, o->shell, argv, &out);
      fwrite(out.data ? out.data : "", 1, out.len, stdout);
      status = 0;
      free(exe);
    } else if (!krait_act_render(&plan, o->shell, &out, err)) {
      fwrite(out.data ? out.data : "", 1, out.len, stdout);
      status = 0;
    }
    krait_act_plan_free(&plan);
  }
  krait_buf_free(&out);
  krait_envmap_free(&env);
  free(prefix);
  free(name);
  return status;
}

static int do_rc(const shell_opts *o, bool add, krait_err *err) {
  char *path = o->rc_file ? krait_path_absolute(o->rc_file) : krait_shell_rc_path(o->shell, err);
  if (!path)
    return 1;
  char *exe = cli_self_exe();
  krait_buf body = KRAIT_BUF_INIT;
  krait_shell_rc_line(o->shell, exe, &body);
  int status = 0;
  if (o->dry_run) {
    if (add)
      printf("would add to %s:\n%s\n%s%s\n", path, KRAIT_RC_BEGIN, krait_buf_str(&body), KRAIT_RC_END);
    else
      printf("would remove krait's block from %s\n", path);
  } else {
    bool changed;
    krait_code rc = add ? krait_shell_rc_add(path, krait_buf_str(&body), &changed, err)
                        : krait_shell_rc_remove(path, &changed, err);
    if (rc)
      status = 1;
    else if (add)
      printf(changed ? "added krait's shell hook to %s (open a new shell to use `krait activate`)\n"
                     : "%s already evaluates krait's shell hook: nothing changed\n",
             path);
    else
      printf(changed ? "removed krait's shell hook from %s\n" : "%s has no krait block: nothing changed\n", path);
  }
  krait_buf_free(&body);
  free(exe);
  free(path);
  return status;
}

/* csh has no functions: the alias evals what this prints, either the
 * activation commands or the krait command line itself, quoted. */
static int dispatch(krait_ctx *ctx, int argc, char **argv, krait_err *err) {
  if (argc < 4 || strcmp(argv[2], "-s") != 0 || krait_shell_parse(argv[3], &(krait_shell){0}, err)) {
    if (!err->code)
      krait_err_set(err, KRAIT_E_INVALID, "usage: krait shell dispatch -s SHELL ARGS...");
    puts("(exit 2);");
    return 2;
  }
  const char *sub = argc > 4 ? argv[4] : "";
  if (strcmp(sub, "activate") == 0 || strcmp(sub, "deactivate") == 0 || strcmp(sub, "reactivate") == 0) {
    shell_opts o;
    int st = parse(argc, argv, 5, &o, err);
    if (!st && !o.shell_given)
      krait_shell_parse(argv[3], &o.shell, NULL);
    if (!st)
      st = print_plan(ctx,
                      sub[0] == 'a' ? KRAIT_ACT_ACTIVATE : sub[0] == 'd' ? KRAIT_ACT_DEACTIVATE : KRAIT_ACT_REACTIVATE,
                      &o, err);
    if (st)
      printf("(exit %d);\n", st >= 100 ? 0 : st);
    return st >= 100 ? 0 : st;
  }
  krait_shell sh;
  krait_shell_parse(argv[3], &sh, NULL);
  krait_buf line = KRAIT_BUF_INIT;
  char *exe = cli_self_exe();
  krait_shell_quote(sh, exe, &line);
  for (int i = 4; i < argc; i++) {
    krait_buf_putc(&line, ' ');
    krait_shell_quote(sh, argv[i], &line);
  }
  printf("%s;\n", krait_buf_str(&line));
  free(exe);
  krait_buf_free(&line);
  return 0;
}

int krait_cmd_shell(krait_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return usage(stderr);
  krait_err err;
  krait_err_clear(&err);
  const char *sub = argv[1];
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)
    return usage(stdout);
  if (strcmp(sub, "dispatch") == 0) {
    int st = dispatch(ctx, argc, argv, &err);
    if (err.code)
      cli_fail(NULL, &err);
    return st;
  }
  shell_opts o;
  int st = parse(argc, argv, 2, &o, &err);
  if (st >= 100)
    return 0;
  if (!st) {
    if (strcmp(sub, "hook") == 0) {
      char *exe = cli_self_exe();
      krait_buf out = KRAIT_BUF_INIT;
      krait_shell_hook(o.shell, exe, &out);
      fwrite(out.data ? out.data : "", 1, out.len, stdout);
      krait_buf_free(&out);
      free(exe);
    } else if (strcmp(sub, "init") == 0 || strcmp(sub, "deinit") == 0) {
      st = do_rc(&o, sub[0] == 'i', &err);
    } else if (strcmp(sub, "activate") == 0) {
      st = print_plan(ctx, KRAIT_ACT_ACTIVATE, &o, &err);
    } else if (strcmp(sub, "deactivate") == 0) {
      st = print_plan(ctx, KRAIT_ACT_DEACTIVATE, &o, &err);
    } else if (strcmp(sub, "reactivate") == 0) {
      st = print_plan(ctx, KRAIT_ACT_REACTIVATE, &o, &err);
    } else {
      krait_err_set(&err, KRAIT_E_INVALID, "unknown subcommand \"krait shell %s\" (see krait shell --help)", sub);
      st = 2;
    }
  }
  if (st && err.code)
    cli_fail(NULL, &err);
  return st;
}

/* `krait activate` typed without the hook: the binary cannot change its
 * parent shell, so say what to do instead. */
int krait_cmd_activate_unhooked(krait_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      cli_print_command_help(cli_find_command(argv[0]), stdout);
      return 0;
    }
  /* the binary cannot change its parent shell: say how the hook does it */
  fprintf(stderr, "krait: error: `krait %s` cannot change this shell by itself.\n%s", argv[0],
          krait_activate_details);
  return 1;
}
