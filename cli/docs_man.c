/* `krait __man`: troff man pages generated from the command and option tables
 * (main.c, args.c, and each run_raw command's subcommand table), the same
 * tables that drive parsing and `--help`, so the pages cannot drift from them.
 * The build runs `krait __man --dir` and installs the result (cli/CMakeLists.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/buf.h"
#include "krait/fs.h"

/* roff text: backslashes and hyphens escaped, a leading '.' or '\'' defused. */
static void roff(FILE *f, const char *s) {
  if (*s == '.' || *s == '\'')
    fputs("\\&", f);
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\e", f);
    else if (*s == '-')
      fputs("\\-", f);
    else
      fputc(*s, f);
  }
}

static void upper(FILE *f, const char *s) {
  for (; *s; s++)
    if (*s == '-')
      fputs("\\-", f);
    else
      fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, f);
}

static void page_header(FILE *f, const char *name) {
  fputs(".TH ", f);
  upper(f, name);
  fprintf(f, " 1 \"\" \"krait %s\" \"User Commands\"\n", KRAIT_VERSION_STRING);
}

/* ".TP" + "\fB-p\fR, \fB--prefix\fR \fIPREFIX\fR" + help */
static void flag_item(FILE *f, const cli_flag_doc *o) {
  fputs(".TP\n", f);
  if (o->short_name)
    fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
  fputs("\\fB\\-\\-", f);
  roff(f, o->long_name);
  fputs("\\fR", f);
  if (o->metavar) {
    fputs(" \\fI", f);
    roff(f, o->metavar);
    fputs("\\fR", f);
  }
  fputc('\n', f);
  roff(f, o->help);
  fputc('\n', f);
}

static void main_page(FILE *f) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  page_header(f, "krait");
  fputs(".SH NAME\nkrait \\- a conda\\-compatible package manager\n"
        ".SH SYNOPSIS\n.B krait\n[\\fB\\-\\-version\\fR] [\\fB\\-\\-help\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]\n"
        ".SH DESCRIPTION\nkrait creates and changes conda environments: it solves with libsolv in conda mode, "
        "downloads and caches packages in the conda formats, and links them into a prefix with a journal, "
        "so that an interrupted run leaves the prefix as it was.\n.SH COMMANDS\n",
        f);
  for (size_t i = 0; i < n; i++) {
    fputs(".TP\n\\fBkrait ", f);
    roff(f, cmds[i].name);
    fputs("\\fR\n", f);
    roff(f, cmds[i].summary);
    fputs(" See \\fBkrait\\-", f);
    roff(f, cmds[i].name);
    fputs("\\fR(1).\n", f);
  }
  fputs(".SH ENVIRONMENT\n", f);
  const char *epilog = cli_main_help_epilog;
  for (const char *line = epilog; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char *one = krait_strndup(line, len);
    roff(f, one);
    fputc('\n', f);
    free(one);
    line += len + (nl ? 1 : 0);
  }
  fputs(".SH SEE ALSO\n", f);
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%s\\fBkrait\\-", first ? "" : ",\n");
    roff(f, cmds[i].name);
    fputs("\\fR(1)", f);
    first = false;
  }
  fputc('\n', f);
}

static void command_page(FILE *f, const cli_command *cmd) {
  char *page = krait_asprintf("krait-%s", cmd->name);
  page_header(f, page);
  fputs(".SH NAME\n", f);
  roff(f, page);
  fputs(" \\- ", f);
  roff(f, cmd->summary);
  fputs("\n.SH SYNOPSIS\n\\fBkrait ", f);
  roff(f, cmd->name);
  fputs("\\fR ", f);
  roff(f, cmd->usage);
  fputs("\n.SH DESCRIPTION\n", f);
  roff(f, cmd->summary);
  fputc('\n', f);
  const cli_subcommand *subs = cli_subcommands_of(cmd);
  if (subs) {
    fputs(".SH SUBCOMMANDS\n", f);
    for (const cli_subcommand *sub = subs; sub->name; sub++) {
      fputs(".SS \"krait ", f);
      roff(f, cmd->name);
      fputc(' ', f);
      roff(f, sub->name);
      fputc(' ', f);
      roff(f, sub->usage);
      fputs("\"\n", f);
      roff(f, sub->summary);
      fputc('\n', f);
      for (const cli_flag_doc *o = sub->flags; o && o->long_name; o++)
        flag_item(f, o);
    }
  } else {
    fputs(".SH OPTIONS\n", f);
    cli_flag_doc flags[CLI_MAX_FLAGS];
    size_t nf = cli_command_flags(cmd, flags, CLI_MAX_FLAGS);
    for (size_t i = 0; i < nf; i++)
      flag_item(f, &flags[i]);
  }
  fputs(".SH SEE ALSO\n\\fBkrait\\fR(1)\n", f);
  free(page);
}

/* Writes krait.1 and krait-<command>.1 for every visible command into dir. */
static int write_all(const char *dir) {
  krait_err err = {0};
  if (krait_mkdir_p(dir, 0755, &err) != KRAIT_OK) {
    fprintf(stderr, "krait: error: %s\n", err.msg);
    return 1;
  }
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  for (size_t i = 0; i <= n; i++) {
    char *path = i < n ? krait_asprintf("%s/krait-%s.1", dir, cmds[i].name) : krait_asprintf("%s/krait.1", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
      fprintf(stderr, "krait: error: cannot write %s\n", path);
      free(path);
      return 1;
    }
    if (i < n)
      command_page(f, &cmds[i]);
    else
      main_page(f);
    bool failed = ferror(f) != 0;
    failed |= fclose(f) != 0;
    if (failed) {
      fprintf(stderr, "krait: error: writing %s failed\n", path);
      free(path);
      return 1;
    }
    free(path);
  }
  return 0;
}

int cli_cmd_man(krait_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  if (argc == 3 && strcmp(argv[1], "--dir") == 0)
    return write_all(argv[2]);
  if (argc == 1) {
    main_page(stdout);
    return 0;
  }
  const cli_command *cmd = argc == 2 ? cli_find_command(argv[1]) : NULL;
  if (!cmd) {
    fprintf(stderr, "krait: error: usage: krait __man [COMMAND | --dir DIR]\n");
    return 2;
  }
  command_page(stdout, cmd);
  return 0;
}
