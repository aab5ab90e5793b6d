/* conda's history-based revisions: `krait list --revisions` prints every
 * revision of conda-meta/history with what it changed; `krait install
 * --revision N` brings the environment back to the package set it had
 * after revision N (solved from the channels with every package pinned to
 * its exact name, version and build; packages added since are unlinked). */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/fs.h"
#include "krait/history.h"
#include "krait/json.h"
#include "krait/prefix.h"
#include "krait/txn.h"
#include "krait/version.h"

/* One revision's changes, grouped as conda's History.object_log does. */
typedef struct rev_changes {
  krait_strv install, remove;     /* "name-version-build" */
  krait_strv up_old, up_new;      /* upgrade pairs */
  krait_strv down_old, down_new;  /* downgrade pairs */
  krait_strv install_chan, remove_chan; /* channel of each install/remove, "" when none */
} rev_changes;

static void changes_free(rev_changes *c) {
  krait_strv *all[] = {&c->install, &c->remove, &c->up_old, &c->up_new, &c->down_old, &c->down_new,
                       &c->install_chan, &c->remove_chan};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    krait_strv_free(all[i]);
}

static char *nvb(const krait_hist_dist *d) { return krait_asprintf("%s-%s-%s", d->name, d->version, d->build); }

static void changes_of(const krait_revision *r, rev_changes *c) {
  memset(c, 0, sizeof *c);
  size_t na = r->added.len, nr = r->removed.len;
  krait_hist_dist *add = krait_calloc(na + 1, sizeof *add), *rem = krait_calloc(nr + 1, sizeof *rem);
  bool *paired = krait_calloc(nr + 1, sizeof *paired);
  bool *add_ok = krait_calloc(na + 1, sizeof *add_ok), *rem_ok = krait_calloc(nr + 1, sizeof *rem_ok);
  for (size_t i = 0; i < na; i++)
    add_ok[i] = krait_hist_dist_parse(r->added.items[i], &add[i]);
  for (size_t j = 0; j < nr; j++)
    rem_ok[j] = krait_hist_dist_parse(r->removed.items[j], &rem[j]);
  for (size_t i = 0; i < na; i++) {
    if (!add_ok[i]) {
      krait_strv_push(&c->install, r->added.items[i]);
      krait_strv_push(&c->install_chan, "");
      continue;
    }
    size_t j = 0;
    while (j < nr && (!rem_ok[j] || paired[j] || strcmp(rem[j].name, add[i].name) != 0))
      j++;
    if (j < nr && !r->full_state) {
      paired[j] = true;
      int cmp = krait_version_cmp_str(add[i].version, rem[j].version);
      if (cmp == 0)
        cmp = strcmp(add[i].build, rem[j].build);
      krait_strv_push_owned(cmp >= 0 ? &c->up_old : &c->down_old, nvb(&rem[j]));
      krait_strv_push_owned(cmp >= 0 ? &c->up_new : &c->down_new, nvb(&add[i]));
    } else {
      krait_strv_push_owned(&c->install, nvb(&add[i]));
      krait_strv_push(&c->install_chan, add[i].channel ? add[i].channel : "");
    }
  }
  for (size_t j = 0; j < nr; j++)
    if (!paired[j]) {
      krait_strv_push_owned(&c->remove, rem_ok[j] ? nvb(&rem[j]) : krait_strdup(r->removed.items[j]));
      krait_strv_push(&c->remove_chan, rem_ok[j] && rem[j].channel ? rem[j].channel : "");
    }
  for (size_t i = 0; i < na; i++)
    krait_hist_dist_free(&add[i]);
  for (size_t j = 0; j < nr; j++)
    krait_hist_dist_free(&rem[j]);
  free(add);
  free(rem);
  free(paired);
  free(add_ok);
  free(rem_ok);
}

static void json_pairs(krait_jw *w, const char *key, const krait_strv *old, const krait_strv *new_) {
  krait_jw_key(w, key);
  krait_jw_arr_begin(w);
  for (size_t i = 0; i < old->len; i++) {
    krait_jw_obj_begin(w);
    krait_jw_kstr(w, "new", new_->items[i]);
    krait_jw_kstr(w, "old", old->items[i]);
    krait_jw_obj_end(w);
  }
  krait_jw_arr_end(w);
}

static void human_lines(const char *sign, const krait_strv *v, const krait_strv *chans) {
  for (size_t i = 0; i < v->len; i++) {
    printf("    %s%s", sign, v->items[i]);
    if (*chans->items[i])
      printf(" (%s)", chans->items[i]);
    putchar('\n');
  }
}

static krait_code list_revisions(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  (void)user;
  krait_history h;
  memset(&h, 0, sizeof h);
  krait_code rc = krait_history_read(env->prefix, &h, err);
  if (rc)
    return rc;
  cli_json j;
  cli_json_open(&j);
  if (args->json)
    krait_jw_arr_begin(&j.w);
  for (size_t i = 0; i < h.len; i++) {
    rev_changes c;
    changes_of(&h.revs[i], &c);
    if (args->json) {
      krait_jw *w = &j.w;
      krait_jw_obj_begin(w);
      krait_jw_kstr(w, "cmd", h.revs[i].cmd);
      krait_jw_kstr(w, "date", h.revs[i].date);
      json_pairs(w, "downgrade", &c.down_old, &c.down_new);
      krait_jw_kstrv(w, "install", &c.install);
      krait_jw_kstrv(w, "remove", &c.remove);
      krait_jw_kint(w, "rev", (int64_t)i);
      json_pairs(w, "upgrade", &c.up_old, &c.up_new);
      krait_jw_obj_end(w);
    } else {
      printf("%s  (rev %zu)\n", h.revs[i].date, i);
      for (size_t k = 0; k < c.up_old.len; k++)
        printf("     %s  {%s -> %s}\n", "", c.up_old.items[k], c.up_new.items[k]);
      for (size_t k = 0; k < c.down_old.len; k++)
        printf("     %s  {%s -> %s}\n", "", c.down_old.items[k], c.down_new.items[k]);
      human_lines("-", &c.remove, &c.remove_chan);
      human_lines("+", &c.install, &c.install_chan);
      putchar('\n');
    }
    changes_free(&c);
  }
  if (args->json) {
    krait_jw_arr_end(&j.w);
    cli_json_emit(&j);
  } else {
    krait_buf_free(&j.buf);
  }
  krait_history_free(&h);
  return KRAIT_OK;
}

int cli_list_revisions(const cli_args *args) {
  if (args->specs.len || args->explicit_)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--revisions takes no REGEX and no --explicit");
  return cli_with_env(args, 0, list_revisions, NULL);
}

static void free_records(krait_record *r, size_t n) {
  for (size_t i = 0; i < n; i++)
    krait_record_free(&r[i]);
  free(r);
}

/* install --revision N: what revision N had, each package pinned exactly. */
static krait_code go_back(const cli_args *args, cli_env *env, void *user, krait_err *err) {
  long long n = *(const long long *)user;
  krait_ctx *ctx = env->ctx;
  const char *prefix = env->prefix;
  const krait_prefix_state *st = &env->st;
  krait_code rc;
  krait_history h;
  memset(&h, 0, sizeof h);
  krait_strv state = KRAIT_STRV_INIT, specs = KRAIT_STRV_INIT, want = KRAIT_STRV_INIT;
  krait_solution sol, plan;
  memset(&sol, 0, sizeof sol);
  memset(&plan, 0, sizeof plan);
  bool solved = false;
  if ((rc = krait_history_read(prefix, &h, err)) || (rc = krait_history_state(&h, (size_t)n, &state, err)))
    goto done;
  /* every package pinned exactly; its channel searched too (after -c and the configured ones) */
  for (size_t i = 0; i < state.len; i++) {
    krait_hist_dist d;
    if (!krait_hist_dist_parse(state.items[i], &d)) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "%s/conda-meta/history: cannot read the package \"%s\"", prefix,
                         state.items[i]);
      goto done;
    }
    krait_strv_push_owned(&specs, krait_asprintf("%s==%s=%s", d.name, d.version, d.build));
    krait_strv_push_owned(&want, nvb(&d));
    if (d.channel && !krait_strv_contains(&ctx->channels, d.channel))
      krait_strv_push(&ctx->channels, d.channel);
    krait_hist_dist_free(&d);
  }
  free(ctx->target_prefix);
  ctx->target_prefix = krait_strdup(prefix);
  krait_request req = {.kind = KRAIT_REQ_INSTALL,
                       .specs = (const char *const *)specs.items,
                       .n_specs = specs.len,
                       .prefix = prefix,
                       .ignore_installed = true};
  if (specs.len) {
    if ((rc = krait_solve(ctx, &req, &sol, err))) {
      krait_err_prefix(err, "cannot go back to revision %lld: ", n);
      goto done;
    }
    solved = true;
  }
  /* the transaction: what revision N has and the env lacks, and the reverse */
  krait_strv have = KRAIT_STRV_INIT;
  for (size_t i = 0; i < st->len; i++)
    krait_strv_push_owned(&have, krait_record_dist(&st->records[i].rec));
  plan.link = krait_calloc(sol.n_link + 1, sizeof *plan.link);
  plan.unlink = krait_calloc(st->len + 1, sizeof *plan.unlink);
  for (size_t i = 0; i < sol.n_link; i++) {
    char *d = krait_record_dist(&sol.link[i]);
    if (!krait_strv_contains(&have, d))
      krait_record_copy(&plan.link[plan.n_link++], &sol.link[i]);
    free(d);
  }
  for (size_t i = 0; i < st->len; i++)
    if (!krait_strv_contains(&want, have.items[i]))
      krait_record_copy(&plan.unlink[plan.n_unlink++], &st->records[i].rec);
  krait_strv_free(&have);

  cli_txn_view view;
  cli_txn_view_build(&plan, &view);
  if (!args->json && (!args->quiet || args->dry_run))
    cli_human_transaction(stdout, ctx, prefix, &view, args->dry_run);
  cli_txn_view_free(&view);
  if (!args->dry_run && (plan.n_link || plan.n_unlink)) {
    if (!ctx->always_yes && !cli_confirm("Proceed?", err)) {
      rc = err->code;
      goto done;
    }
    if ((rc = cli_execute_transaction(ctx, prefix, &plan, args, KRAIT_REQ_INSTALL, err)))
      goto done;
  }
  if (args->json) {
    krait_buf out = KRAIT_BUF_INIT;
    cli_json_transaction(&out, ctx, prefix, &plan, args->dry_run);
    cli_emit(&out);
    krait_buf_free(&out);
  }
  rc = KRAIT_OK;
done:
  if (solved)
    krait_solution_free(&sol);
  free_records(plan.link, plan.n_link);
  free_records(plan.unlink, plan.n_unlink);
  krait_strv_free(&state);
  krait_strv_free(&specs);
  krait_strv_free(&want);
  krait_history_free(&h);
  return rc;
}

int cli_install_revision(const cli_args *args) {
  if (args->specs.len)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--revision takes no SPEC (the revision says what to install)");
  char *end;
  long long n = strtoll(args->revision, &end, 10);
  if (!*args->revision || *end || n < 0)
    return cli_fail_msg(args, KRAIT_E_INVALID, "--revision needs a revision number (see krait list --revisions), not \"%s\"",
                        args->revision);
  /* a dry run changes nothing, not even a pending transaction */
  return cli_with_env(args, (args->dry_run ? 0 : CLI_ENV_RECOVER) | CLI_ENV_LOAD, go_back, &n);
}
