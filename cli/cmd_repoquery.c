/* krait repoquery depends|whoneeds|search: over an environment's records
 * (-p/-n, or the active one) or over channels (-c, or the configured ones
 * when no environment is given). The queries are libpkg depgraph. */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/depgraph.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/matchspec.h"
#include "krait/prefix.h"
#include "krait/query.h"

typedef struct record_set {
  krait_record *recs;
  size_t len;
  bool from_env;
  char *where; /* the prefix, or "channels" */
  krait_prefix_state st;
  krait_query_result qr;
} record_set;

/* channel_spec: what is read of the channels (search: the spec itself, so a
 * sharded channel is asked for that name's shard only; depends/whoneeds: "*") */
static krait_code load_set(krait_ctx *ctx, const cli_args *args, const char *channel_spec, record_set *s,
                           krait_err *err) {
  memset(s, 0, sizeof *s);
  const char *active = getenv("CONDA_PREFIX");
  bool use_env = !args->channels.len && (args->prefix || args->name || (active && *active));
  if (use_env) {
    char *prefix = cli_target_prefix(ctx, args, false, err);
    if (!prefix)
      return err->code;
    s->from_env = true;
    s->where = prefix;
    krait_code rc = krait_prefix_load(prefix, &s->st, err);
    if (rc)
      return rc;
    if (!s->st.exists)
      return krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/)", prefix);
    s->recs = krait_calloc(s->st.len + 1, sizeof *s->recs);
    for (size_t i = 0; i < s->st.len; i++)
      s->recs[i] = s->st.records[i].rec; /* shallow: owned by st */
    s->len = s->st.len;
    return KRAIT_OK;
  }
  s->where = krait_strdup("channels");
  if (!ctx->channels.len)
    return krait_err_set(err, KRAIT_E_INVALID, "no channels configured: give -c CHANNEL or -p ENV");
  krait_code rc = krait_query_search(ctx, channel_spec, &s->qr, err);
  if (rc)
    return rc;
  s->recs = s->qr.records;
  s->len = s->qr.len;
  return KRAIT_OK;
}

static void free_set(record_set *s) {
  if (s->from_env)
    free(s->recs);
  krait_prefix_state_free(&s->st);
  if (!s->from_env && s->qr.records)
    krait_query_result_free(&s->qr);
  free(s->where);
}

static void json_begin(krait_jw *w, const char *type, const char *spec, const record_set *s) {
  /* micromamba's repoquery --json shape, plus where the records came from */
  krait_jw_obj_begin(w);
  krait_jw_key(w, "query");
  krait_jw_obj_begin(w);
  krait_jw_kstr(w, "query", spec);
  krait_jw_kstr(w, "type", type);
  krait_jw_obj_end(w);
  krait_jw_key(w, "result");
  krait_jw_obj_begin(w);
  krait_jw_kstr(w, "msg", "");
  krait_jw_key(w, "pkgs");
  krait_jw_arr_begin(w);
  (void)s;
}

static void json_end(krait_jw *w, const record_set *s) {
  krait_jw_arr_end(w);
  krait_jw_kstr(w, "status", "OK");
  krait_jw_obj_end(w);
  krait_jw_kstr(w, "source", s->from_env ? s->where : "channels");
  krait_jw_obj_end(w);
}

static int graph_query(const cli_args *args, krait_ctx *ctx, const record_set *s, bool depends) {
  krait_err err;
  krait_dep_list l;
  const char *spec = args->specs.items[1];
  krait_code rc = depends ? krait_depgraph_depends(s->recs, s->len, spec, args->tree, &l, &err)
                          : krait_depgraph_whoneeds(s->recs, s->len, spec, args->tree, &l, &err);
  if (rc)
    return cli_fail(args, &err);
  if (args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 2);
    json_begin(&w, depends ? "depends" : "whoneeds", spec, s);
    for (size_t i = 0; i < l.len; i++) {
      krait_jw_obj_begin(&w);
      if (l.items[i].rec) {
        krait_record_write_fields(&w, l.items[i].rec);
      } else {
        krait_jw_kstr(&w, "missing", l.items[i].missing_spec);
      }
      krait_jw_kint(&w, "depth", l.items[i].depth);
      krait_jw_obj_end(&w);
    }
    json_end(&w, s);
    cli_emit(&b);
    krait_buf_free(&b);
  } else if (args->tree) {
    for (size_t i = 0; i < l.len; i++) {
      const krait_dep_node *d = &l.items[i];
      printf("%*s%s", d->depth ? 2 * (d->depth - 1) : 0, "", d->depth ? "└─ " : "");
      if (d->rec)
        printf("%s %s %s%s\n", d->rec->name, d->rec->version, d->rec->build, d->seen ? " (already shown)" : "");
      else
        printf("%s (nothing provides it)\n", d->missing_spec);
    }
  } else {
    /* flat: the queried package(s), then the others as a table */
    krait_record *rows = krait_calloc(l.len + 1, sizeof *rows);
    size_t n = 0;
    for (size_t i = 0; i < l.len; i++)
      if (l.items[i].rec && l.items[i].depth > 0)
        rows[n++] = *l.items[i].rec; /* shallow */
      else if (!l.items[i].rec)
        printf("missing: %s (nothing in %s provides it)\n", l.items[i].missing_spec, s->where);
    for (size_t i = 0; i < l.len; i++)
      if (l.items[i].depth == 0)
        printf("%s %s %s %s:\n", depends ? "Dependencies of" : "Packages that need", l.items[i].rec->name,
               l.items[i].rec->version, l.items[i].rec->build);
    if (n)
      cli_human_records(stdout, ctx, rows, n);
    else
      printf("  (none)\n");
    free(rows);
  }
  krait_dep_list_free(&l);
  return 0;
}

static int search_query(const cli_args *args, krait_ctx *ctx, const record_set *s) {
  krait_err err;
  krait_matchspec *ms;
  if (krait_matchspec_parse(args->specs.items[1], &ms, &err))
    return cli_fail(args, &err);
  krait_record *rows = krait_calloc(s->len + 1, sizeof *rows);
  size_t n = 0;
  for (size_t i = 0; i < s->len; i++)
    if (krait_matchspec_matches(ms, &s->recs[i]))
      rows[n++] = s->recs[i]; /* shallow */
  krait_matchspec_free(ms);
  if (args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 2);
    json_begin(&w, "search", args->specs.items[1], s);
    for (size_t i = 0; i < n; i++) {
      krait_jw_obj_begin(&w);
      krait_record_write_fields(&w, &rows[i]);
      krait_jw_obj_end(&w);
    }
    json_end(&w, s);
    cli_emit(&b);
    krait_buf_free(&b);
  } else if (n) {
    cli_human_records(stdout, ctx, rows, n);
  } else {
    printf("No match found for \"%s\" in %s.\n", args->specs.items[1], s->where);
  }
  free(rows);
  return 0;
}

int cmd_repoquery(const cli_args *args) {
  const char *sub = args->specs.len ? args->specs.items[0] : NULL;
  bool depends = sub && strcmp(sub, "depends") == 0, whoneeds = sub && strcmp(sub, "whoneeds") == 0,
       search = sub && strcmp(sub, "search") == 0;
  if (!depends && !whoneeds && !search)
    return cli_fail_msg(args, KRAIT_E_INVALID, "%s%s%s (expected: depends, whoneeds, search)",
                        sub ? "unknown repoquery subcommand \"" : "missing repoquery subcommand", sub ? sub : "",
                        sub ? "\"" : "");
  if (args->specs.len != 2)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait repoquery %s takes exactly one SPEC", sub);
  if (search && args->tree)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--tree goes with depends and whoneeds, not search");
  krait_err err;
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  record_set s;
  int status;
  if (load_set(ctx, args, search ? args->specs.items[1] : "*", &s, &err))
    status = cli_fail(args, &err);
  else if (search)
    status = search_query(args, ctx, &s);
  else
    status = graph_query(args, ctx, &s, depends);
  free_set(&s);
  krait_ctx_free(ctx);
  return status;
}
