/* Command-line parsing: one table of options, each belonging to a group that
 * a command accepts or not, so `--help` and parsing never disagree. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef enum opt_kind { OK_FLAG, OK_COUNT, OK_VALUE, OK_LIST } opt_kind;

typedef struct opt_def {
  const char *long_name; /* without "--" */
  char short_name;       /* 0 = none */
  opt_kind kind;
  size_t offset;         /* into cli_args */
  unsigned group;        /* 0 = every command */
  const char *metavar;
  const char *help;
} opt_def;

#define F(field) offsetof(cli_args, field)

static const opt_def options[] = {
    {"prefix", 'p', OK_VALUE, F(prefix), OPT_PREFIX, "PREFIX", "path of the environment"},
    {"name", 'n', OK_VALUE, F(name), OPT_PREFIX, "NAME", "name of the environment (in the first envs dir)"},
    {"channel", 'c', OK_LIST, F(channels), OPT_CHANNELS, "CHANNEL",
     "channel name, URL or directory; repeatable, first has priority"},
    {"override-channels", 0, OK_FLAG, F(override_channels), OPT_CHANNELS, NULL,
     "ignore the channels of the configuration files"},
    {"strict-channel-priority", 0, OK_FLAG, F(strict_channel_priority), OPT_CHANNELS, NULL,
     "same as --channel-priority strict"},
    {"channel-priority", 0, OK_VALUE, F(channel_priority), OPT_CHANNELS, "MODE", "strict, flexible or disabled"},
    {"platform", 0, OK_VALUE, F(platform), OPT_CHANNELS, "SUBDIR", "solve for another platform (e.g. linux-aarch64)"},
    {"subdir", 0, OK_VALUE, F(platform), OPT_CHANNELS, "SUBDIR", "same as --platform"},
    {"dry-run", 0, OK_FLAG, F(dry_run), OPT_SOLVE | OPT_CONFIRM, NULL, "show what would be done, change nothing"},
    {"yes", 'y', OK_FLAG, F(yes), OPT_SOLVE | OPT_CONFIRM, NULL, "do not ask for confirmation"},
    {"offline", 0, OK_FLAG, F(offline), OPT_SOLVE | OPT_CHANNELS, NULL, "use cached repodata only"},
    {"debug-solver", 0, OK_VALUE, F(debug_solver), OPT_SOLVE, "DIR", "write the solver's testcase to DIR"},
    {"force", 0, OK_FLAG, F(force), OPT_FORCE, NULL, "replace an existing environment"},
    {"all", 0, OK_FLAG, F(all), OPT_ALL, NULL, "update every installed package"},
    {"no-prune", 0, OK_FLAG, F(no_prune), OPT_PRUNE, NULL,
     "keep the dependencies of removed packages (default: remove those nothing else needs and you did not ask for)"},
    {"explicit", 0, OK_FLAG, F(explicit_), OPT_LIST | OPT_EXPORT, NULL,
     "write an @EXPLICIT file of package URLs (env export: each with #sha256:<hex>)"},
    {"md5", 0, OK_FLAG, F(md5), OPT_LIST | OPT_EXPORT, NULL, "with --explicit: #<md5> after each URL (env export: instead of #sha256:<hex>)"},
    {"revisions", 0, OK_FLAG, F(revisions), OPT_LIST, NULL, "list the revisions of conda-meta/history"},
    {"revision", 0, OK_VALUE, F(revision), OPT_REVISION, "N", "go back to revision N (see krait list --revisions)"},
    {"file", 'f', OK_VALUE, F(config_file), OPT_CONFIG, "FILE", "the configuration file to read or edit"},
    {"env", 0, OK_FLAG, F(config_env), OPT_CONFIG, NULL, "the environment's .condarc ($CONDA_PREFIX, or -p/-n)"},
    {"system", 0, OK_FLAG, F(config_system), OPT_CONFIG, NULL, "the root prefix's .condarc"},
    {"sources", 0, OK_FLAG, F(sources), OPT_CONFIG, NULL, "show the file each value comes from"},
    {"all", 'a', OK_FLAG, F(all), OPT_CLEAN, NULL, "index cache, tarballs, unused packages and lock files"},
    {"index-cache", 'i', OK_FLAG, F(clean_index_cache), OPT_CLEAN, NULL, "the repodata cache (<pkgs>/cache)"},
    {"tarballs", 't', OK_FLAG, F(clean_tarballs), OPT_CLEAN, NULL, "downloaded package archives"},
    {"packages", 0, OK_FLAG, F(clean_packages), OPT_CLEAN, NULL,
     "extracted packages no known environment uses"},
    {"locks", 'l', OK_FLAG, F(clean_locks), OPT_CLEAN, NULL, "lock files nobody holds"},
    {"tree", 0, OK_FLAG, F(tree), OPT_REPOQUERY, NULL, "depends/whoneeds: the whole tree, not one level"},
    {"envs", 'e', OK_FLAG, F(envs), OPT_INFO, NULL, "list the known environments"},
    {"json", 0, OK_FLAG, F(json), 0, NULL, "machine-readable output on stdout"},
    {"verbose", 'v', OK_COUNT, F(verbose), 0, NULL, "more messages on stderr (repeatable)"},
    {"quiet", 'q', OK_FLAG, F(quiet), 0, NULL, "only errors on stderr"},
    {"help", 'h', OK_FLAG, F(help), 0, NULL, "show this help"},
    {"file", 'f', OK_LIST, F(env_files), OPT_FILE_SHORT, "FILE",
     "environment.yml, @EXPLICIT or spec-list file (export: the file to write)"},
    {"file", 0, OK_LIST, F(env_files), OPT_FILE, "FILE",
     "read specs from FILE: environment.yml, @EXPLICIT URLs or one spec per line (repeatable)"},
    {"clone", 0, OK_VALUE, F(clone), OPT_CLONE, "ENV", "copy the packages of ENV (name or path) from the package cache"},
    {"no-builds", 0, OK_FLAG, F(no_builds), OPT_EXPORT, NULL, "write name=version, without build strings"},
    {"from-history", 0, OK_FLAG, F(from_history), OPT_EXPORT, NULL,
     "write only the specs asked for (conda-meta/history), with the channels"},
    {"prune", 0, OK_FLAG, F(prune), OPT_ENV_PRUNE, NULL, "remove the packages the file does not need"},
};

#define N_OPTIONS (sizeof options / sizeof *options)
_Static_assert(N_OPTIONS <= CLI_MAX_FLAGS, "raise CLI_MAX_FLAGS in cli.h");

static bool accepts(const cli_command *cmd, const opt_def *o) { return o->group == 0 || (cmd->options & o->group); }

static const opt_def *find_long(const cli_command *cmd, const char *name, size_t len) {
  for (size_t i = 0; i < N_OPTIONS; i++)
    if (accepts(cmd, &options[i]) && strlen(options[i].long_name) == len &&
        strncmp(options[i].long_name, name, len) == 0)
      return &options[i];
  return NULL;
}

static const opt_def *find_short(const cli_command *cmd, char c) {
  for (size_t i = 0; i < N_OPTIONS; i++)
    if (accepts(cmd, &options[i]) && options[i].short_name == c)
      return &options[i];
  return NULL;
}

/* "unknown option --chanel for krait install (did you mean --channel?)" */
static krait_code unknown_long(const cli_command *cmd, const char *name, size_t len, krait_err *err) {
  const char *names[N_OPTIONS];
  size_t n = 0;
  for (size_t i = 0; i < N_OPTIONS; i++)
    if (accepts(cmd, &options[i]))
      names[n++] = options[i].long_name;
  char *word = krait_strndup(name, len);
  const char *near = cli_nearest(word, names, n);
  free(word);
  if (near)
    return krait_err_set(err, KRAIT_E_INVALID, "unknown option --%.*s for krait %s (did you mean --%s?)", (int)len,
                         name, cmd->name, near);
  return krait_err_set(err, KRAIT_E_INVALID, "unknown option --%.*s for krait %s (see krait %s --help)", (int)len,
                       name, cmd->name, cmd->name);
}

size_t cli_command_flags(const cli_command *cmd, cli_flag_doc *out, size_t cap) {
  size_t n = 0;
  const cli_flag_doc *own = cli_own_flags(cmd);
  if (own) {
    for (; own[n].long_name && n < cap; n++)
      out[n] = own[n];
    return n;
  }
  for (size_t i = 0; i < N_OPTIONS && n < cap; i++) {
    const opt_def *o = &options[i];
    if (accepts(cmd, o))
      out[n++] = (cli_flag_doc){o->long_name, o->short_name, o->metavar, o->help};
  }
  return n;
}

static void store(cli_args *a, const opt_def *o, const char *value) {
  char *base = (char *)a;
  switch (o->kind) {
  case OK_FLAG:
    *(bool *)(base + o->offset) = true;
    break;
  case OK_COUNT:
    (*(int *)(base + o->offset))++;
    break;
  case OK_VALUE: {
    char **slot = (char **)(base + o->offset);
    free(*slot); /* the last occurrence wins */
    *slot = krait_strdup(value);
    break;
  }
  case OK_LIST:
    krait_strv_push((krait_strv *)(base + o->offset), value);
    break;
  }
}

static bool takes_value(const opt_def *o) { return o->kind == OK_VALUE || o->kind == OK_LIST; }

krait_code cli_parse_args(const cli_command *cmd, int argc, char **argv, cli_args *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  out->command = cmd->name;
  bool only_positional = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (only_positional || arg[0] != '-' || arg[1] == '\0') {
      if (!(cmd->options & OPT_SPECS))
        return krait_err_set(err, KRAIT_E_INVALID, "krait %s takes no argument \"%s\" (see krait %s --help)",
                             cmd->name, arg, cmd->name);
      krait_strv_push(&out->specs, arg);
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_positional = true;
      continue;
    }
    if (arg[1] == '-') {
      const char *name = arg + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      const opt_def *o = find_long(cmd, name, len);
      if (!o)
        return unknown_long(cmd, name, len, err);
      const char *value = NULL;
      if (takes_value(o)) {
        if (eq)
          value = eq + 1;
        else if (i + 1 < argc)
          value = argv[++i];
        else
          return krait_err_set(err, KRAIT_E_INVALID, "option --%s needs a value (%s)", o->long_name, o->metavar);
      } else if (eq) {
        return krait_err_set(err, KRAIT_E_INVALID, "option --%s takes no value", o->long_name);
      }
      store(out, o, value);
      continue;
    }
    /* short options, possibly bundled: -yq, -cconda-forge, -c conda-forge */
    for (const char *p = arg + 1; *p; p++) {
      const opt_def *o = find_short(cmd, *p);
      if (!o)
        return krait_err_set(err, KRAIT_E_INVALID, "unknown option -%c for krait %s (see krait %s --help)", *p,
                             cmd->name, cmd->name);
      if (!takes_value(o)) {
        store(out, o, NULL);
        continue;
      }
      if (p[1])
        store(out, o, p + 1);
      else if (i + 1 < argc)
        store(out, o, argv[++i]);
      else
        return krait_err_set(err, KRAIT_E_INVALID, "option -%c needs a value (%s)", *p, o->metavar);
      break;
    }
  }
  return KRAIT_OK;
}

void cli_args_free(cli_args *a) {
  free(a->prefix);
  free(a->name);
  free(a->channel_priority);
  free(a->platform);
  free(a->debug_solver);
  free(a->cmd_line);
  free(a->config_file);
  free(a->revision);
  krait_strv_free(&a->channels);
  krait_strv_free(&a->specs);
  krait_strv_free(&a->env_files);
  free(a->clone);
}

void cli_foreach_flag(const cli_command *cmd, void (*each)(const cli_flag_doc *flag, void *user), void *user) {
  cli_flag_doc flags[CLI_MAX_FLAGS];
  size_t n = cli_command_flags(cmd, flags, CLI_MAX_FLAGS);
  for (size_t i = 0; i < n; i++)
    each(&flags[i], user);
}

static void print_flag(FILE *f, const cli_flag_doc *o) {
  krait_buf left = KRAIT_BUF_INIT;
  if (o->short_name)
    krait_buf_printf(&left, "-%c, ", o->short_name);
  krait_buf_printf(&left, "--%s", o->long_name);
  if (o->metavar)
    krait_buf_printf(&left, " %s", o->metavar);
  fprintf(f, "  %-32s %s\n", krait_buf_str(&left), o->help);
  krait_buf_free(&left);
}

static void print_flag_to(const cli_flag_doc *o, void *file) { print_flag(file, o); }

static void print_subcommand(const cli_command *cmd, const cli_sub_view *sub, void *file) {
  FILE *f = file;
  fprintf(f, "\nkrait %s %s %s\n  %s\n", cmd->name, sub->name, sub->usage, sub->summary);
  for (size_t k = 0; k < sub->n_flags; k++)
    print_flag(f, &sub->flags[k]);
}

void cli_print_command_help(const cli_command *cmd, FILE *f) {
  fprintf(f, "usage: krait %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
  if (cli_subcommand_count(cmd)) {
    /* a command with its own parser: its subcommands, each with its options */
    cli_foreach_subcommand(cmd, print_subcommand, f);
  } else {
    fputs("\noptions:\n", f);
    cli_foreach_flag(cmd, print_flag_to, f);
  }
  const char *details = cli_command_details(cmd);
  if (details)
    fprintf(f, "\n%s", details);
}

int cli_run_command(const cli_command *cmd, const char *line_prefix, int argc, char **argv) {
  cli_args args;
  krait_err err;
  krait_err_clear(&err);
  int status;
  if (cli_parse_args(cmd, argc - 1, argv + 1, &args, &err)) {
    /* the error may come before --json was reached: honour it anyway */
    for (int i = 1; i < argc; i++)
      args.json |= strcmp(argv[i], "--json") == 0;
    status = cli_fail(&args, &err);
  } else if (args.help) {
    cli_print_command_help(cmd, stdout);
    status = 0;
  } else {
    krait_buf line = KRAIT_BUF_INIT;
    krait_buf_puts(&line, line_prefix);
    for (int i = 0; i < argc; i++)
      krait_buf_printf(&line, " %s", argv[i]);
    args.cmd_line = krait_buf_steal(&line);
    status = cmd->run(&args);
  }
  cli_args_free(&args);
  return status;
}
