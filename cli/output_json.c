/* Output for programs (--json), in micromamba's shape and key names
 * (see shared/data/cli-json/: dry-run transactions, error objects). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/text.h"

void cli_emit(const krait_buf *b) {
  fputs(krait_buf_str(b), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

void cli_json_open(cli_json *j) {
  j->buf = (krait_buf)KRAIT_BUF_INIT;
  krait_jw_init(&j->w, &j->buf, 2);
}

void cli_json_emit(cli_json *j) {
  cli_emit(&j->buf);
  krait_buf_free(&j->buf);
}

/* One package record with micromamba's keys, sorted as it sorts them.
 * `channel` is the display name ("conda-forge" or the URL), `base_url` the
 * channel URL; timestamp is in seconds as micromamba prints it. Not `full`:
 * only the keys micromamba's `list --json` shows. */
static void write_record(krait_jw *w, const krait_ctx *ctx, const krait_record *r, bool full) {
  char *chan = cli_channel_display(ctx, r->channel);
  char *dist = krait_record_dist(r);
  krait_jw_obj_begin(w);
  krait_jw_kstr(w, "base_url", r->channel ? r->channel : "");
  if (full)
    krait_jw_kstr(w, "build", r->build);
  krait_jw_kint(w, "build_number", r->build_number);
  krait_jw_kstr(w, "build_string", r->build);
  krait_jw_kstr(w, "channel", chan);
  if (full) {
    krait_jw_kstrv(w, "constrains", &r->constrains);
    krait_jw_kstrv(w, "depends", &r->depends);
  }
  krait_jw_kstr(w, "dist_name", dist);
  if (full) {
    krait_jw_kstr(w, "fn", r->fn ? r->fn : "");
    krait_jw_kstr(w, "license", r->license ? r->license : "");
    krait_jw_kstr(w, "md5", r->md5 ? r->md5 : "");
  }
  krait_jw_kstr(w, "name", r->name);
  krait_jw_kstr(w, "platform", r->subdir ? r->subdir : "");
  if (full) {
    krait_jw_kstr(w, "sha256", r->sha256 ? r->sha256 : "");
    krait_jw_kint(w, "size", r->size >= 0 ? r->size : 0);
    krait_jw_kstr(w, "subdir", r->subdir ? r->subdir : "");
    krait_jw_kint(w, "timestamp", r->timestamp / 1000);
    char *tf = krait_features_join(&r->track_features);
    krait_jw_kstr(w, "track_features", tf);
    free(tf);
    krait_jw_kstr(w, "url", r->url ? r->url : "");
  }
  krait_jw_kstr(w, "version", r->version);
  krait_jw_obj_end(w);
  free(chan);
  free(dist);
}

static void write_record_list(krait_jw *w, const krait_ctx *ctx, const char *key, const krait_record *recs,
                              size_t n) {
  krait_jw_key(w, key);
  krait_jw_arr_begin(w);
  for (size_t i = 0; i < n; i++)
    write_record(w, ctx, &recs[i], true);
  krait_jw_arr_end(w);
}

void cli_json_transaction(krait_buf *out, const krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                          bool dry_run) {
  krait_jw w;
  krait_jw_init(&w, out, 2);
  krait_jw_obj_begin(&w);
  krait_jw_key(&w, "actions");
  krait_jw_obj_begin(&w);
  /* FETCH: what no package cache holds (filled in by transaction.c) */
  write_record_list(&w, ctx, "FETCH", sol->fetch, sol->n_fetch);
  write_record_list(&w, ctx, "LINK", sol->link, sol->n_link);
  krait_jw_kstr(&w, "PREFIX", prefix);
  write_record_list(&w, ctx, "UNLINK", sol->unlink, sol->n_unlink);
  krait_jw_obj_end(&w);
  krait_jw_kbool(&w, "dry_run", dry_run);
  krait_jw_kstr(&w, "prefix", prefix);
  krait_jw_kbool(&w, "success", true);
  krait_jw_obj_end(&w);
}

void cli_json_records(krait_buf *out, const krait_ctx *ctx, const krait_record *recs, size_t n, bool full) {
  krait_jw w;
  krait_jw_init(&w, out, 2);
  krait_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++)
    write_record(&w, ctx, &recs[i], full);
  krait_jw_arr_end(&w);
}

void cli_json_error(krait_buf *out, const krait_err *err) {
  krait_jw w;
  krait_jw_init(&w, out, 2);
  krait_jw_obj_begin(&w);
  krait_jw_kstr(&w, "error", err->msg);
  krait_jw_kstr(&w, "exception_name", krait_code_name(err->code));
  if (err->code == KRAIT_E_UNSOLVABLE) {
    /* micromamba lists the solver's explanation line by line */
    krait_jw_key(&w, "solver_problems");
    krait_jw_arr_begin(&w);
    for (const char *p = err->msg; *p;) {
      size_t n = strcspn(p, "\n");
      if (n)
        krait_jw_strn(&w, p, n);
      p += n;
      if (*p)
        p++;
    }
    krait_jw_arr_end(&w);
  }
  krait_jw_kbool(&w, "success", false);
  krait_jw_obj_end(&w);
}
