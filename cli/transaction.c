/* create / install / update / remove: check the request, solve, show the
 * transaction, then (without --dry-run) hand it to cli_execute_transaction(). */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "krait/txn.h"
#include "krait/cache.h"
#include "krait/checkpoint.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/matchspec.h"
#include "krait/prefix.h"
#include "krait/query.h"
#include "krait/version.h"

/* micromamba's rules for `create` on an existing path: an environment may be
 * replaced only with -y/--force; any other non-empty directory is refused. */
krait_code cli_check_create_target(const char *prefix, const cli_args *args, krait_err *err) {
  if (!krait_path_exists(prefix))
    return KRAIT_OK;
  if (!krait_is_dir(prefix))
    return krait_err_set(err, KRAIT_E_INVALID, "%s exists and is not a directory", prefix);
  bool is_env = krait_is_env(prefix);
  if (is_env) {
    if (args->yes || args->force)
      return KRAIT_OK;
    return krait_err_set(err, KRAIT_E_INVALID,
                         "%s already holds an environment (conda-meta/ exists); use -y or --force to replace it",
                         prefix);
  }
  /* a non-empty directory that is not an environment: refuse, never clobber */
  DIR *d = opendir(prefix);
  if (!d)
    return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", prefix);
  bool empty = true;
  for (struct dirent *e; empty && (e = readdir(d));)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      empty = false;
  closedir(d);
  if (!empty)
    return krait_err_set(err, KRAIT_E_INVALID, "%s exists, is not empty and is not an environment; refusing to use it",
                         prefix);
  return KRAIT_OK;
}

static krait_code check_specs(const cli_args *args, krait_request_kind kind, krait_err *err) {
  bool create = strcmp(args->command, "create") == 0;
  if (!args->specs.len && !create && kind != KRAIT_REQ_UPDATE_ALL)
    return krait_err_set(err, KRAIT_E_INVALID, "nothing to %s: give at least one SPEC%s", args->command,
                         kind == KRAIT_REQ_UPDATE ? " or --all" : "");
  if (kind == KRAIT_REQ_UPDATE_ALL && args->specs.len)
    return krait_err_set(err, KRAIT_E_INVALID, "update --all takes no SPEC");
  for (size_t i = 0; i < args->specs.len; i++) {
    krait_matchspec *ms = NULL;
    krait_code rc = krait_matchspec_parse(args->specs.items[i], &ms, err);
    krait_matchspec_free(ms);
    if (rc)
      return rc;
  }
  return KRAIT_OK;
}

/* Asks on a terminal; without one (scripts, CI) a missing -y is not a
 * reason to hang, and the transaction proceeds as conda's non-interactive mode. */
static bool confirm(krait_err *err) {
  if (!isatty(STDIN_FILENO))
    return true;
  fputs("Confirm changes: [Y/n] ", stderr);
  fflush(stderr);
  char line[64];
  if (!fgets(line, sizeof line, stdin) || (line[0] != '\n' && line[0] != 'y' && line[0] != 'Y')) {
    krait_err_set(err, KRAIT_E_CANCELLED, "cancelled: nothing was changed");
    return false;
  }
  return true;
}

/* `create` over an existing environment (allowed with -y/--force) replaces
 * it: every installed package is unlinked, whatever the solver (which ignored
 * them) links again. The plan says so, so that --dry-run and --json show
 * what will go. */
static krait_code add_replaced_env(const char *prefix, krait_solution *sol, krait_err *err) {
  krait_prefix_state installed;
  memset(&installed, 0, sizeof installed);
  krait_code rc = krait_prefix_load(prefix, &installed, err);
  if (rc == KRAIT_OK && installed.len) {
    for (size_t i = 0; i < sol->n_unlink; i++)
      krait_record_free(&sol->unlink[i]);
    free(sol->unlink);
    sol->unlink = krait_calloc(installed.len + 1, sizeof *sol->unlink);
    sol->n_unlink = 0;
    for (size_t i = 0; i < installed.len; i++)
      krait_record_copy(&sol->unlink[sol->n_unlink++], &installed.records[i].rec);
  }
  krait_prefix_state_free(&installed);
  return rc;
}

/* solution.fetch = the linked records no pkgs dir holds yet (what a real
 * run would download; the --json FETCH list). */
krait_code cli_fill_fetch(const krait_ctx *ctx, krait_solution *sol, krait_err *err) {
  sol->fetch = krait_calloc(sol->n_link + 1, sizeof *sol->fetch);
  sol->n_fetch = 0;
  for (size_t i = 0; i < sol->n_link; i++) {
    krait_cache_hit hit;
    memset(&hit, 0, sizeof hit);
    krait_code rc = krait_cache_find(ctx, &sol->link[i], &hit, err);
    krait_cache_state state = hit.state;
    krait_cache_hit_free(&hit);
    if (rc)
      return rc;
    if (state == KRAIT_CACHE_MISSING)
      krait_record_copy(&sol->fetch[sol->n_fetch++], &sol->link[i]);
  }
  return KRAIT_OK;
}

static bool same_package(const krait_record *a, const krait_record *b) {
  return strcmp(a->name, b->name) == 0 && strcmp(a->version, b->version) == 0 && strcmp(a->build, b->build) == 0 &&
         (!a->channel || !b->channel || strcmp(a->channel, b->channel) == 0);
}

/* env update --prune: the solver solved the file's specs as for a new env;
 * the prefix must end up holding exactly that solution. Link what is not
 * there yet, unlink what is there and not in the solution. */
static krait_code prune_to_solution(const char *prefix, krait_solution *sol, krait_err *err) {
  krait_prefix_state st;
  krait_code rc = krait_prefix_load(prefix, &st, err);
  if (rc)
    return rc;
  bool *keep = krait_calloc(st.len + 1, sizeof *keep); /* installed record j stays as it is */
  krait_record *link = krait_calloc(sol->n_link + 1, sizeof *link);
  krait_record *unlink = krait_calloc(st.len + 1, sizeof *unlink);
  size_t n_link = 0, n_unlink = 0;
  for (size_t i = 0; i < sol->n_link; i++) {
    size_t j = 0;
    while (j < st.len && !same_package(&sol->link[i], &st.records[j].rec))
      j++;
    if (j < st.len) {
      keep[j] = true;
      krait_record_free(&sol->link[i]);
    } else {
      link[n_link++] = sol->link[i]; /* moved */
    }
  }
  for (size_t j = 0; j < st.len; j++)
    if (!keep[j])
      krait_record_copy(&unlink[n_unlink++], &st.records[j].rec);
  for (size_t i = 0; i < sol->n_unlink; i++)
    krait_record_free(&sol->unlink[i]);
  free(sol->link);
  free(sol->unlink);
  sol->link = link;
  sol->n_link = n_link;
  sol->unlink = unlink;
  sol->n_unlink = n_unlink;
  free(keep);
  krait_prefix_state_free(&st);
  return KRAIT_OK;
}

static void on_stop_signal(int signo) { krait_interrupt_request(signo); }

/* SIGTERM (a batch scheduler's kill) and SIGINT (Ctrl-C) do not end krait
 * half-way: the transaction stops at its next checkpoint and rolls back. A
 * second signal acts as usual (SA_RESETHAND), and the journal still lets the
 * next command undo what was done. */
static void catch_stop_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
}

/* Reports a failed transaction: stopped by SIGTERM/SIGINT exits 128+N after
 * saying whether the (rolled back) transaction had begun. */
static int fail_transaction(const cli_args *args, krait_err *err, bool executed) {
  if (!krait_interrupted())
    return cli_fail(args, err);
  /* the transaction (if it began) was rolled back before we got here */
  krait_err_prefix(err, "%s: ", executed ? "stopped and rolled back, the environment is as before" : "stopped");
  cli_fail(args, err);
  return 128 + krait_interrupted();
}

int cli_run_transaction(const cli_args *args, krait_request_kind kind) {
  if (cli_env_input_wanted(args))
    return cli_run_with_env_input(args, kind);
  krait_err err;
  krait_err_clear(&err);
  bool create = strcmp(args->command, "create") == 0;
  if (check_specs(args, kind, &err))
    return cli_fail(args, &err);
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  int status = 1;
  char *prefix = NULL;
  krait_solution sol;
  memset(&sol, 0, sizeof sol);
  bool solved = false;
  krait_lock *lock = NULL; /* the prefix lock, from before the solve to the end */
  bool prefix_was_new = false;
  bool executed = false;

  if (!(prefix = cli_target_prefix(ctx, args, create, &err)))
    goto fail;
  if (create && cli_check_create_target(prefix, args, &err))
    goto fail;
  if (!create) {
    bool is_env = krait_is_env(prefix);
    if (!is_env) {
      krait_err_set(&err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/); create it with krait create",
                    prefix);
      goto fail;
    }
  }
  bool spec_names_channel = false; /* "conda-forge::numpy" brings its own channel */
  for (size_t i = 0; i < args->specs.len; i++)
    spec_names_channel |= strstr(args->specs.items[i], "::") != NULL;
  if (!ctx->channels.len && !spec_names_channel && kind != KRAIT_REQ_REMOVE) {
    krait_err_set(&err, KRAIT_E_INVALID, "no channels configured: give -c CHANNEL or set channels in a .condarc");
    goto fail;
  }
  if (krait_channels_check_local(ctx, &err))
    goto fail;
  free(ctx->target_prefix);
  ctx->target_prefix = krait_strdup(prefix);

  krait_request req = {
      .kind = kind,
      .specs = (const char *const *)args->specs.items,
      .n_specs = args->specs.len,
      .prefix = prefix,
      .debug_dir = args->debug_solver,
      .ignore_installed = create || args->prune,
      .virtual_packages = NULL,
      .keep_dependencies = args->no_prune,
  };
  if (args->debug_solver && krait_mkdir_p(args->debug_solver, 0755, &err))
    goto fail;
  if (!args->dry_run)
    catch_stop_signals();
  /* The prefix lock is taken before the solver reads the prefix and held to
   * the end, so a second command solves against what the first one left; a
   * transaction a killed krait left behind is finished or undone under it.
   * A dry run changes nothing and takes no lock. */
  if (!args->dry_run) {
    if (krait_txn_lock_prefix(ctx, prefix, &lock, &prefix_was_new, &err))
      goto fail;
    if (create && !prefix_was_new && !args->yes && !args->force) {
      krait_err_set(&err, KRAIT_E_INVALID, "%s was created by another process meanwhile; use -y or --force to replace it",
                    prefix);
      goto fail;
    }
  }
  krait_code rc = krait_solve(ctx, &req, &sol, &err);
  if (args->debug_solver && !args->quiet) {
    /* only claim it when the solver got far enough to write one */
    char *testcase = krait_path_join(args->debug_solver, "testcase.t");
    if (krait_path_exists(testcase))
      fprintf(stderr, "krait: solver testcase written to %s\n", testcase);
    free(testcase);
  }
  if (rc == KRAIT_OK)
    rc = krait_checkpoint("solved", &err); /* stop here when asked to during the solve */
  if (rc)
    goto fail;
  solved = true;
  if (cli_fill_fetch(ctx, &sol, &err))
    goto fail;

  if (args->prune && prune_to_solution(prefix, &sol, &err))
    goto fail;
  cli_held_lock held = {lock, prefix_was_new, false};
  status = cli_finish_transaction(ctx, args, prefix, &sol, kind, &held, &err);
  executed = held.executed;
  goto done;

fail:
  status = fail_transaction(args, &err, executed);
done:
  /* made only to hold the lock (and an empty create makes no env, as before) */
  if (lock && prefix_was_new && (!executed || !(solved && sol.n_link)))
    krait_txn_abandon_new_prefix(prefix);
  krait_lock_release(lock);
  if (solved)
    krait_solution_free(&sol);
  free(prefix);
  krait_ctx_free(ctx);
  return status;
}

static int cmp_rows(const void *a, const void *b) {
  const cli_txn_row *x = a, *y = b;
  if (x->action != y->action)
    return (int)x->action - (int)y->action;
  const krait_record *rx = x->to ? x->to : x->from, *ry = y->to ? y->to : y->from;
  return strcmp(rx->name, ry->name);
}

void cli_txn_view_build(const krait_solution *sol, cli_txn_view *out) {
  memset(out, 0, sizeof *out);
  out->rows = krait_calloc(sol->n_link + sol->n_unlink + 1, sizeof *out->rows);
  bool *paired = krait_calloc(sol->n_unlink + 1, sizeof *paired);
  for (size_t i = 0; i < sol->n_link; i++) {
    const krait_record *to = &sol->link[i];
    cli_txn_row *row = &out->rows[out->len++];
    row->to = to;
    row->action = CLI_INSTALL;
    for (size_t j = 0; j < sol->n_unlink; j++) {
      if (paired[j] || strcmp(sol->unlink[j].name, to->name) != 0)
        continue;
      paired[j] = true;
      row->from = &sol->unlink[j];
      int c = krait_version_cmp_str(to->version, row->from->version);
      if (c > 0)
        row->action = CLI_UPGRADE;
      else if (c < 0)
        row->action = CLI_DOWNGRADE;
      else if (strcmp(to->build, row->from->build) == 0 && to->build_number == row->from->build_number)
        row->action = CLI_REINSTALL;
      else
        row->action = CLI_CHANGE;
      break;
    }
  }
  for (size_t j = 0; j < sol->n_unlink; j++)
    if (!paired[j])
      out->rows[out->len++] = (cli_txn_row){CLI_REMOVE, &sol->unlink[j], NULL};
  free(paired);
  for (size_t i = 0; i < sol->n_fetch; i++)
    if (sol->fetch[i].size > 0)
      out->download_bytes += sol->fetch[i].size;
  qsort(out->rows, out->len, sizeof *out->rows, cmp_rows);
}

void cli_txn_view_free(cli_txn_view *v) {
  free(v->rows);
  memset(v, 0, sizeof *v);
}

/* After a solve (or an explicit file's records): show the transaction, ask,
 * carry it out and report, as create/install/update/remove do. */
int cli_finish_transaction(krait_ctx *ctx, const cli_args *args, const char *prefix, krait_solution *sol,
                           krait_request_kind kind, cli_held_lock *held, krait_err *err) {
  bool create = strcmp(args->command, "create") == 0;
  if (create && krait_is_dir(prefix) && add_replaced_env(prefix, sol, err))
    return cli_fail(args, err);
  cli_txn_view view;
  cli_txn_view_build(sol, &view);
  view.empty_env = create && !args->specs.len;
  krait_buf out = KRAIT_BUF_INIT;
  if (args->json) {
    if (args->dry_run) {
      cli_json_transaction(&out, ctx, prefix, sol, true);
      cli_emit(&out);
    }
  } else if (!args->quiet || args->dry_run) {
    /* -q keeps a real run silent; a dry run exists to show the transaction */
    cli_human_transaction(stdout, ctx, prefix, &view, args->dry_run);
  }
  krait_buf_free(&out);
  cli_txn_view_free(&view);
  if (args->dry_run)
    return 0;
  if (!create && !sol->n_link && !sol->n_unlink) {
    if (args->json) { /* already satisfied: report the empty transaction */
      cli_json_transaction(&out, ctx, prefix, sol, false);
      cli_emit(&out);
      krait_buf_free(&out);
    }
    return 0;
  }
  if (!ctx->always_yes && !confirm(err))
    return fail_transaction(args, err, false);
  if (held)
    held->executed = true; /* from here the transaction cleans up after itself */
  if (cli_execute_transaction_locked(ctx, prefix, sol, args, kind, held ? held->lock : NULL,
                                     held && held->prefix_was_new, err))
    return fail_transaction(args, err, true);
  if (args->json) {
    cli_json_transaction(&out, ctx, prefix, sol, false);
    cli_emit(&out);
    krait_buf_free(&out);
  }
  return 0;
}
