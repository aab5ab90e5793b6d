/* krait list: the packages of an environment, from its conda-meta records;
 * a table, --json (micromamba's keys) or --explicit (CEP-23 @EXPLICIT). */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/fs.h"
#include "krait/prefix.h"
#include "krait/rx.h"
#include "krait/txn.h"

static int by_name(const void *a, const void *b) {
  return strcmp(((const krait_record *)a)->name, ((const krait_record *)b)->name);
}

static void print_explicit(const krait_ctx *ctx, const krait_record *rows, size_t n, bool md5) {
  printf("# This file may be used to create an environment using:\n"
         "# $ krait create --name <env> --file <this file>\n"
         "# platform: %s\n@EXPLICIT\n",
         ctx->platform);
  for (size_t i = 0; i < n; i++) {
    const krait_record *r = &rows[i];
    if (!r->url || !*r->url)
      continue; /* nothing to fetch it from (e.g. a record written by hand) */
    if (md5 && r->md5 && *r->md5)
      printf("%s#%s\n", r->url, r->md5);
    else
      printf("%s\n", r->url);
  }
}

static void print_json(const krait_ctx *ctx, const krait_record *rows, size_t n) {
  krait_buf b = KRAIT_BUF_INIT;
  cli_json_records(&b, ctx, rows, n, false); /* the keys micromamba's list --json shows */
  cli_emit(&b);
  krait_buf_free(&b);
}

static void print_table(const krait_ctx *ctx, const char *prefix, const krait_record *rows, size_t n) {
  printf("List of packages in environment: %s\n\n", prefix);
  cli_human_records(stdout, ctx, rows, n);
}

/* user: the compiled REGEX, or NULL for every package */
static krait_code list_packages(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  (void)err;
  const krait_rx *re = user;
  krait_prefix_state *st = &env->st;
  krait_record *rows = krait_calloc(st->len + 1, sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < st->len; i++)
    if (!re || krait_rx_search(re, st->records[i].rec.name))
      rows[n++] = st->records[i].rec; /* shallow copies: only read, st owns them */
  qsort(rows, n, sizeof *rows, by_name);
  if (args->explicit_)
    print_explicit(env->ctx, rows, n, args->md5);
  else if (args->json)
    print_json(env->ctx, rows, n);
  else
    print_table(env->ctx, env->prefix, rows, n);
  free(rows);
  return KRAIT_OK;
}

int cmd_list(const cli_args *args) {
  krait_err err;
  krait_err_clear(&err);
  if (args->revisions) /* conda-meta/history's revisions: cmd_revisions.c */
    return cli_list_revisions(args);
  if (args->specs.len > 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait list takes at most one REGEX (got %zu)", args->specs.len);
  if (args->md5 && !args->explicit_)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--md5 only goes with --explicit");
  krait_rx *re = NULL; /* the bounded engine, as for MatchSpecs */
  if (args->specs.len == 1 && krait_rx_compile(args->specs.items[0], false, &re, &err) != KRAIT_OK)
    return cli_fail_msg(args, KRAIT_E_INVALID, "invalid regular expression: %s", err.msg);
  /* records must not describe a half-done transaction a killed krait left */
  int status = cli_with_env(args, CLI_ENV_RECOVER | CLI_ENV_LOAD, list_packages, re);
  krait_rx_free(re);
  return status;
}
