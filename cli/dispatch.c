/* Running a table of commands: the top-level table (main.c) and the `env`
 * group (cmd_env.c) are both cli_command rows found by their last word, with
 * one "did you mean" for a mistyped word and one way to run the row found. */
#include <string.h>

#include "cli.h"

const char *cli_group_word(const cli_command *row) {
  const char *space = strrchr(row->name, ' '); /* "env export" -> "export" */
  return space ? space + 1 : row->name;
}

const cli_command *cli_group_find(const cli_group *g, const char *word) {
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(cli_group_word(&g->rows[i]), word) == 0)
      return &g->rows[i];
  return NULL;
}

void cli_group_print_list(const cli_group *g, FILE *f) {
  for (size_t i = 0; i < g->n; i++)
    fprintf(f, "  %-10s %s\n", cli_group_word(&g->rows[i]), g->rows[i].summary);
}

/* "unknown command "instal" (did you mean `install`?)" */
int cli_group_unknown(const cli_group *g, const char *word) {
  const char *words[CLI_MAX_FLAGS];
  size_t n = 0;
  for (size_t i = 0; i < g->n && n < CLI_MAX_FLAGS; i++)
    words[n++] = cli_group_word(&g->rows[i]);
  const char *near = cli_nearest(word, words, n);
  const char *space = strchr(g->path, ' ');
  const char *sub = space ? space + 1 : ""; /* "env " before the word below the top */
  if (near)
    fprintf(stderr, "krait: error: unknown command \"%s%s%s\" (did you mean `%s`?)\n", sub, *sub ? " " : "", word,
            near);
  else
    fprintf(stderr, "krait: error: unknown command \"%s%s%s\" (see %s --help)\n", sub, *sub ? " " : "", word,
            g->path);
  return 1;
}

int cli_group_run(const cli_command *cmd, const char *path, krait_ctx *ctx, int argc, char **argv) {
  if (!cmd->run_raw)
    return cli_run_command(cmd, path, argc, argv);
  if (ctx)
    return cmd->run_raw(ctx, argc, argv);
  /* a command parsing its own arguments gets a context of defaults and configuration */
  cli_args args;
  krait_err err;
  krait_err_clear(&err);
  memset(&args, 0, sizeof args);
  args.command = cmd->name;
  ctx = cli_make_ctx(&args, &err);
  if (!ctx)
    return cli_fail(&args, &err);
  int status = cmd->run_raw(ctx, argc, argv);
  krait_ctx_free(ctx);
  return status;
}
