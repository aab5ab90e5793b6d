/* `krait package extract ARCHIVE DIR`: a thin wrapper over krait_extract_ex.
 *
 *   krait package extract [--force] [--info] ARCHIVE DIR
 *     --force   replace DIR when it exists and is not empty
 *     --info    .conda only: extract just the info/ metadata
 *
 * The options are declared once, in krait_package_subcommands below: the
 * parser, `--help`, the man page and the completions all read that table.
 * Exit status: 0 ok, 1 extraction failed, 2 usage error. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "krait/ctx.h"
#include "krait/extract.h"

static const cli_flag_doc extract_flags[] = {
    {"force", 'f', NULL, "replace DIR when it exists and is not empty"},
    {"info", 0, NULL, ".conda only: extract just the info/ metadata"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const cli_subcommand krait_package_subcommands[] = {
    {"extract", "[--force] [--info] ARCHIVE DIR", "Extract a conda package (.conda or .tar.bz2) into DIR, atomically.",
     extract_flags, "ARCHIVE"},
    {NULL, NULL, NULL, NULL, NULL},
};

static int usage(FILE *out) {
  cli_print_command_help(cli_find_command("package"), out);
  return out == stdout ? 0 : 2;
}

/* The flag argv names ("--force", "-f"), or NULL. */
static const cli_flag_doc *find_flag(const cli_flag_doc *flags, const char *arg) {
  for (const cli_flag_doc *f = flags; f->long_name; f++)
    if ((arg[1] == '-' && strcmp(arg + 2, f->long_name) == 0) || (f->short_name && arg[1] == f->short_name && !arg[2]))
      return f;
  return NULL;
}

int krait_cmd_package(krait_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return usage(stderr);
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
    return usage(stdout);
  if (strcmp(argv[1], "extract") != 0) {
    const char *names[] = {"extract"};
    const char *near = cli_nearest(argv[1], names, 1);
    fprintf(stderr, "krait package: unknown subcommand '%s'%s%s%s\n", argv[1], near ? " (did you mean `" : "",
            near ? near : "", near ? "`?)" : "");
    return usage(stderr);
  }
  krait_extract_opts opts = {0};
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  for (int i = 2; i < argc; i++) {
    const cli_flag_doc *f = argv[i][0] == '-' && argv[i][1] ? find_flag(extract_flags, argv[i]) : NULL;
    if (f && strcmp(f->long_name, "force") == 0)
      opts.replace = true;
    else if (f && strcmp(f->long_name, "info") == 0)
      opts.info_only = true;
    else if (f && strcmp(f->long_name, "help") == 0)
      return usage(stdout);
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "krait package extract: unknown option '%s'\n", argv[i]);
      return usage(stderr);
    } else if (npos < 2)
      pos[npos++] = argv[i];
    else {
      fprintf(stderr, "krait package extract: unexpected argument '%s'\n", argv[i]);
      return usage(stderr);
    }
  }
  if (npos != 2)
    return usage(stderr);
  krait_err err = {0};
  if (krait_extract_ex(ctx, pos[0], pos[1], &opts, &err) != KRAIT_OK) {
    fprintf(stderr, "error: %s\n", err.msg);
    return 1;
  }
  return 0;
}
