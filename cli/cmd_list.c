/* krait list: the packages of an environment, from its conda-meta records;
 * a table, --json (micromamba's keys) or --explicit (CEP-23 @EXPLICIT). */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/fs.h"
#include "krait/prefix.h"
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
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    const krait_record *r = &recs[i]->rec;
    char *chan = cli_channel_display(ctx, r->channel);
    char *dist = krait_record_dist(r);
    krait_jw_obj_begin(&w);
    krait_jw_kstr(&w, "base_url", r->channel ? r->channel : "");
    krait_jw_kint(&w, "build_number", r->build_number);
    krait_jw_kstr(&w, "build_string", r->build);
    krait_jw_kstr(&w, "channel", chan);
    krait_jw_kstr(&w, "dist_name", dist);
    krait_jw_kstr(&w, "name", r->name);
    krait_jw_kstr(&w, "platform", r->subdir ? r->subdir : "");
    krait_jw_kstr(&w, "version", r->version);
    krait_jw_obj_end(&w);
    free(chan);
    free(dist);
  }
  krait_jw_arr_end(&w);
  cli_emit(&b);
  krait_buf_free(&b);
}

static void print_table(const krait_ctx *ctx, const char *prefix, krait_prefix_record **recs, size_t n) {
  printf("List of packages in environment: %s\n\n", prefix);
  krait_record *rows = krait_calloc(n + 1, sizeof *rows);
  for (size_t i = 0; i < n; i++)
    rows[i] = recs[i]->rec; /* shallow: the table only reads */
  cli_human_records(stdout, ctx, rows, n);
  free(rows);
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
  regex_t re;
  bool have_re = args->specs.len == 1;
  if (have_re && regcomp(&re, args->specs.items[0], REG_EXTENDED | REG_NOSUB) != 0)
    return cli_fail_msg(args, KRAIT_E_INVALID, "invalid regular expression \"%s\"", args->specs.items[0]);
  krait_ctx *ctx = cli_make_ctx(args, &err);
  char *prefix = ctx ? cli_target_prefix(ctx, args, false, &err) : NULL;
  krait_prefix_state st;
  memset(&st, 0, sizeof st);
  int status = 1;
  if (!prefix)
    goto fail;
  /* records must not describe a half-done transaction a killed krait left:
   * finish or undo it first (a no-op without a pending journal) */
  const char *recovered = NULL;
  if (krait_is_dir(prefix) && krait_txn_recover(ctx, prefix, &recovered, &err))
    goto fail;
  if (krait_prefix_load(prefix, &st, &err))
    goto fail;
  if (!st.exists) {
    krait_err_set(&err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/)", prefix);
    goto fail;
  }
  krait_prefix_record **recs = krait_calloc(st.len + 1, sizeof *recs);
  size_t n = 0;
  for (size_t i = 0; i < st.len; i++)
    if (!have_re || regexec(&re, st.records[i].rec.name, 0, NULL, 0) == 0)
      recs[n++] = &st.records[i];
  qsort(recs, n, sizeof *recs, by_name);
  if (args->explicit_)
    print_explicit(ctx, recs, n, args->md5);
  else if (args->json)
    print_json(ctx, recs, n);
  else
    print_table(ctx, prefix, recs, n);
  free(recs);
  status = 0;
  goto done;
fail:
  status = cli_fail(args, &err);
done:
  if (have_re)
    regfree(&re);
  krait_prefix_state_free(&st);
  free(prefix);
  krait_ctx_free(ctx);
  return status;
}
