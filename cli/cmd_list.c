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
  const krait_prefix_record *x = *(krait_prefix_record *const *)a, *y = *(krait_prefix_record *const *)b;
  return strcmp(x->rec.name, y->rec.name);
}

static void print_explicit(const krait_ctx *ctx, krait_prefix_record **recs, size_t n, bool md5) {
  printf("# This file may be used to create an environment using:\n"
         "# $ krait create --name <env> --file <this file>\n"
         "# platform: %s\n@EXPLICIT\n",
         ctx->platform);
  for (size_t i = 0; i < n; i++) {
    const krait_record *r = &recs[i]->rec;
    if (!r->url || !*r->url)
      continue; /* nothing to fetch it from (e.g. a record written by hand) */
    if (md5 && r->md5 && *r->md5)
      printf("%s#%s\n", r->url, r->md5);
    else
      printf("%s\n", r->url);
  }
}

static void print_json(const krait_ctx *ctx, krait_prefix_record **recs, size_t n) {
  cli_json j;
  cli_json_open(&j);
  krait_jw *w = &j.w;
  krait_jw_arr_begin(w);
  for (size_t i = 0; i < n; i++) {
    const krait_record *r = &recs[i]->rec;
    char *chan = cli_channel_display(ctx, r->channel);
    char *dist = krait_record_dist(r);
    krait_jw_obj_begin(w);
    krait_jw_kstr(w, "base_url", r->channel ? r->channel : "");
    krait_jw_kint(w, "build_number", r->build_number);
    krait_jw_kstr(w, "build_string", r->build);
    krait_jw_kstr(w, "channel", chan);
    krait_jw_kstr(w, "dist_name", dist);
    krait_jw_kstr(w, "name", r->name);
    krait_jw_kstr(w, "platform", r->subdir ? r->subdir : "");
    krait_jw_kstr(w, "version", r->version);
    krait_jw_obj_end(w);
    free(chan);
    free(dist);
  }
  krait_jw_arr_end(w);
  cli_json_emit(&j);
}

static void print_table(const krait_ctx *ctx, const char *prefix, krait_prefix_record **recs, size_t n) {
  printf("List of packages in environment: %s\n\n", prefix);
  krait_record *rows = krait_calloc(n + 1, sizeof *rows);
  for (size_t i = 0; i < n; i++)
    rows[i] = recs[i]->rec; /* shallow: the table only reads */
  cli_human_records(stdout, ctx, rows, n);
  free(rows);
}

/* user: the compiled REGEX, or NULL for every package */
static krait_code list_packages(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  (void)err;
  const krait_rx *re = user;
  krait_prefix_state *st = &env->st;
  krait_prefix_record **recs = krait_calloc(st->len + 1, sizeof *recs);
  size_t n = 0;
  for (size_t i = 0; i < st->len; i++)
    if (!re || krait_rx_search(re, st->records[i].rec.name))
      recs[n++] = &st->records[i];
  qsort(recs, n, sizeof *recs, by_name);
  if (args->explicit_)
    print_explicit(env->ctx, recs, n, args->md5);
  else if (args->json)
    print_json(env->ctx, recs, n);
  else
    print_table(env->ctx, env->prefix, recs, n);
  free(recs);
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
