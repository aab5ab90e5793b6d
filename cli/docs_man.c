/* `krait __man`: troff man pages generated from the command and option tables
 * (main.c, args.c, command_docs.c), the same tables that drive parsing and
 * `--help`, so the pages cannot drift from them. The build runs
 * `krait __man --dir` and installs the result (cli/CMakeLists.txt). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Writes fmt with each %s argument as roff text (backslashes and hyphens
 * escaped, a line-leading '.' or '\'' defused); the rest of fmt is literal
 * roff. Only %s is supported. */
static void roff(FILE *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  bool line_start = true;
  for (const char *p = fmt; *p; p++) {
    if (p[0] == '%' && p[1] == 's') {
      const char *s = va_arg(ap, const char *);
      if (line_start && (*s == '.' || *s == '\''))
        fputs("\\&", f);
      for (; *s; s++)
        fputs(*s == '\\' ? "\\e" : *s == '-' ? "\\-" : (char[]){*s, 0}, f);
      p++;
      line_start = false;
      continue;
    }
    fputc(*p, f);
    line_start = *p == '\n';
  }
  va_end(ap);
}

static void page_header(FILE *f, const char *name) {
  char *up = krait_strdup(name);
  for (char *c = up; *c; c++)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  roff(f, ".TH %s 1 \"\" \"krait %s\" \"User Commands\"\n", up, KRAIT_VERSION_STRING);
  free(up);
}

/* ".TP" + "\fB-p\fR, \fB--prefix\fR \fIPREFIX\fR" + help */
static void flag_item(FILE *f, const cli_flag_doc *o) {
  char s[2] = {o->short_name, 0};
  if (o->short_name)
    roff(f, ".TP\n\\fB\\-%s\\fR, \\fB\\-\\-%s\\fR", s, o->long_name);
  else
    roff(f, ".TP\n\\fB\\-\\-%s\\fR", o->long_name);
  if (o->metavar)
    roff(f, " \\fI%s\\fR", o->metavar);
  roff(f, "\n%s\n", o->help);
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
  for (size_t i = 0; i < n; i++)
    roff(f, ".TP\n\\fBkrait %s\\fR\n%s See \\fBkrait\\-%s\\fR(1).\n", cmds[i].name, cmds[i].summary, cmds[i].name);
  fputs(".SH ENVIRONMENT\n", f);
  char *epilog = krait_strdup(cli_main_help_epilog);
  for (char *line = strtok(epilog, "\n"); line; line = strtok(NULL, "\n"))
    roff(f, "%s\n", line);
  free(epilog);
  fputs(".SH SEE ALSO\n", f);
  for (size_t i = 0; i < n; i++)
    roff(f, "%s\\fBkrait\\-%s\\fR(1)", i ? ",\n" : "", cmds[i].name);
  fputc('\n', f);
}

static void flag_item_to(const cli_flag_doc *o, void *file) { flag_item(file, o); }

static void subcommand_section(const cli_command *cmd, const cli_sub_view *sub, void *file) {
  FILE *f = file;
  roff(f, ".SS \"krait %s %s %s\"\n%s\n", cmd->name, sub->name, sub->usage, sub->summary);
  for (size_t k = 0; k < sub->n_flags; k++)
    flag_item(f, &sub->flags[k]);
}

static void command_page(FILE *f, const cli_command *cmd) {
  char *page = krait_asprintf("krait-%s", cmd->name);
  page_header(f, page);
  roff(f, ".SH NAME\n%s \\- %s\n.SH SYNOPSIS\n\\fBkrait %s\\fR %s\n.SH DESCRIPTION\n%s\n", page, cmd->summary,
       cmd->name, cmd->usage, cmd->summary);
  if (cli_subcommand_count(cmd)) {
    fputs(".SH SUBCOMMANDS\n", f);
    cli_foreach_subcommand(cmd, subcommand_section, f);
  } else {
    fputs(".SH OPTIONS\n", f);
    cli_foreach_flag(cmd, flag_item_to, f);
  }
  fputs(".SH SEE ALSO\n\\fBkrait\\fR(1)\n", f);
  free(page);
}

static void write_command_page(FILE *f, const void *cmd) { command_page(f, cmd); }
static void write_main_page(FILE *f, const void *unused) {
  (void)unused;
  main_page(f);
}

int cli_cmd_man(krait_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  if (argc == 3 && strcmp(argv[1], "--dir") == 0) {
    /* krait.1 and krait-<command>.1 for every command */
    size_t n;
    const cli_command *cmds = cli_commands(&n);
    int status = cli_write_generated(argv[2], "krait.1", write_main_page, NULL);
    for (size_t i = 0; i < n && status == 0; i++) {
      char *file = krait_asprintf("krait-%s.1", cmds[i].name);
      status = cli_write_generated(argv[2], file, write_command_page, &cmds[i]);
      free(file);
    }
    return status;
  }
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
