/* Transactions: prepare everything, then change the prefix under the lock and the journal. */
#include "krait/txn.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/journal.h"
#include "krait/link.h"
#include "krait/lock.h"
#include "krait/meta.h"
#include "krait/paths.h"
#include "txn_owners.h"

char *krait_txn_lock_path(const char *prefix) { return krait_path_join(prefix, "conda-meta/conda-meta.lock"); }

krait_code krait_txn_lock_acquire(krait_ctx *ctx, const char *prefix, krait_lock **out, krait_err *err) {
  char *lock_path = krait_txn_lock_path(prefix);
  krait_code rc = krait_lock_acquire(ctx, lock_path, ctx->lock_timeout_seconds, out, err);
  free(lock_path);
  return rc;
}

/* The package name a spec string names: "conda-forge::numpy>=1.2" -> "numpy". Caller frees. */
static char *spec_name(const char *spec) {
  const char *colons = strstr(spec, "::");
  const char *s = colons ? colons + 2 : spec;
  while (*s == ' ')
    s++;
  size_t n = strcspn(s, " =<>!~[(,|;");
  return krait_strndup(s, n);
}

static const char *requested_spec_for(const krait_txn_plan *plan, const char *name) {
  for (size_t i = 0; i < plan->n_requested; i++) {
    char *n = spec_name(plan->requested_specs[i]);
    bool hit = strcmp(n, name) == 0;
    free(n);
    if (hit)
      return plan->requested_specs[i];
  }
  return NULL;
}

/* "3.10.4" -> "3.10" */
static char *major_minor(const char *version) {
  const char *dot = strchr(version, '.');
  if (!dot)
    return krait_strdup(version);
  size_t n = strcspn(dot + 1, ".+_-");
  return krait_strndup(version, (size_t)(dot + 1 - version) + n);
}

static bool is_unlinked(const krait_txn_plan *plan, const char *name) {
  for (size_t i = 0; i < plan->n_unlink; i++)
    if (strcmp(plan->unlink[i].name, name) == 0)
      return true;
  return false;
}

/* The python the noarch: python packages of this transaction will use: the one
 * being linked, else the installed one that stays. */
static const krait_record *find_python(const krait_txn_plan *plan) {
  for (size_t i = 0; i < plan->n_link; i++)
    if (strcmp(plan->link[i].name, "python") == 0)
      return &plan->link[i];
  if (plan->installed)
    for (size_t i = 0; i < plan->installed->len; i++)
      if (strcmp(plan->installed->records[i].rec.name, "python") == 0 && !is_unlinked(plan, "python"))
        return &plan->installed->records[i].rec;
  return NULL;
}

/* Does `rec` depend on a package named `name`? (first word of each depends entry) */
static bool depends_on(const krait_record *rec, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < rec->depends.len; i++) {
    const char *d = rec->depends.items[i];
    if (strncmp(d, name, n) == 0 && (d[n] == '\0' || d[n] == ' ' || d[n] == '=' || d[n] == '<' ||
                                     d[n] == '>' || d[n] == '!' || d[n] == '['))
      return true;
  }
  return false;
}

/* Unlink order: dependents before their dependencies (so pre-unlink scripts
 * still find what they use). Simple repeated selection: n is small. */
static size_t *unlink_order(const krait_txn_plan *plan) {
  size_t n = plan->n_unlink;
  size_t *order = krait_calloc(n ? n : 1, sizeof *order);
  bool *done = krait_calloc(n ? n : 1, sizeof *done);
  for (size_t k = 0; k < n; k++) {
    size_t pick = n;
    for (size_t i = 0; i < n && pick == n; i++) {
      if (done[i])
        continue;
      bool needed = false; /* does a not-yet-removed package still need i? */
      for (size_t j = 0; j < n && !needed; j++)
        if (j != i && !done[j] && depends_on(&plan->unlink[j], plan->unlink[i].name))
          needed = true;
      if (!needed)
        pick = i;
    }
    if (pick == n) /* a cycle: take the first remaining */
      for (size_t i = 0; i < n && pick == n; i++)
        if (!done[i])
          pick = i;
    done[pick] = true;
    order[k] = pick;
  }
  free(done);
  return order;
}

static const krait_prefix_record *installed_record(const krait_txn_plan *plan, const krait_record *rec) {
  if (!plan->installed)
    return NULL;
  for (size_t i = 0; i < plan->installed->len; i++) {
    const krait_record *r = &plan->installed->records[i].rec;
    if (strcmp(r->name, rec->name) == 0 && strcmp(r->version, rec->version) == 0 &&
        strcmp(r->build, rec->build) == 0)
      return &plan->installed->records[i];
  }
  return NULL;
}

/* True when dir does not exist or is an empty directory. */
static bool absent_or_empty(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT;
  struct dirent *e;
  bool empty = true;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  closedir(d);
  return empty;
}

/* The record conda-meta gets: the cache's repodata_record.json (index.json
 * overlaid by the repodata record, so noarch/license are there) when readable. */
static void full_record(const char *pkg_dir, const krait_record *solved, krait_record *out) {
  char *p = krait_path_join(pkg_dir, "info/repodata_record.json");
  krait_json *j = krait_json_parse_file(p, NULL);
  free(p);
  if (j && krait_record_from_json(out, j, NULL, NULL) == KRAIT_OK) {
    /* the solver's view of where it came from wins (same package, maybe another mirror) */
    if (solved->channel) {
      free(out->channel);
      out->channel = krait_strdup(solved->channel);
    }
    if (solved->url) {
      free(out->url);
      out->url = krait_strdup(solved->url);
    }
    krait_json_free(j);
    return;
  }
  krait_json_free(j);
  krait_record_free(out);
  krait_record_copy(out, solved);
}

typedef struct txn_run {
  krait_ctx *ctx;
  const krait_txn_plan *plan;
  char **pkg_dirs;       /* extracted dir per link record */
  krait_linker *linker;
  krait_journal *journal;
  txn_owners owners;
  txn_owners kept; /* paths listed by installed packages this transaction keeps */
  const krait_record **linked;
  size_t n_linked;
} txn_run;

static const char *owner_cb(void *user, const char *relpath) {
  return txn_owners_get(&((txn_run *)user)->owners, relpath);
}

/* Is this installed package one the plan unlinks? (same name, version, build) */
static bool plan_unlinks(const krait_txn_plan *plan, const krait_record *r) {
  for (size_t i = 0; i < plan->n_unlink; i++)
    if (strcmp(plan->unlink[i].name, r->name) == 0 && strcmp(plan->unlink[i].version, r->version) == 0 &&
        strcmp(plan->unlink[i].build, r->build) == 0)
      return true;
  return false;
}

/* A path one package installed may have been overwritten later by another
 * (a clobber) and is then listed by both records. Like conda, removing one of
 * them must not delete what the other still owns: the paths of every package
 * that stays are collected here and left in place by do_unlink. */
static void collect_kept_paths(txn_run *run) {
  const krait_prefix_state *st = run->plan->installed;
  if (!st)
    return;
  for (size_t i = 0; i < st->len; i++) {
    if (plan_unlinks(run->plan, &st->records[i].rec))
      continue;
    char *dist = krait_record_dist(&st->records[i].rec);
    for (size_t k = 0; k < st->records[i].files.len; k++)
      txn_owners_set(&run->kept, st->records[i].files.items[k], dist);
    free(dist);
  }
}

/* The paths of `all` that no kept package owns. The kept ones are reported:
 * each of the first few by name, the rest as a count (a package clobbered
 * wholesale would otherwise print thousands of lines). */
static void paths_to_remove(txn_run *run, const krait_record *rec, const krait_paths *all, krait_paths *out) {
  enum { NAMED = 5 };
  size_t kept = 0;
  for (size_t i = 0; i < all->len; i++) {
    const krait_path_entry *e = &all->items[i];
    const char *owner = e->type == KRAIT_PATH_DIRECTORY ? NULL : txn_owners_get(&run->kept, e->path);
    if (owner) {
      if (kept++ < NAMED)
        krait_notice(run->ctx, "%s-%s-%s: keeping %s: %s owns it too", rec->name, rec->version, rec->build,
                     e->path, owner);
      continue;
    }
    krait_path_entry *copy = krait_paths_add(out, e->path, e->type);
    copy->no_link = e->no_link;
  }
  if (kept > NAMED)
    krait_notice(run->ctx, "%s-%s-%s: and %zu more paths kept that other installed packages own", rec->name,
                 rec->version, rec->build, kept - NAMED);
}

static krait_code do_unlink(txn_run *run, krait_err *err) {
  const krait_txn_plan *plan = run->plan;
  size_t *order = unlink_order(plan);
  krait_code rc = KRAIT_OK;
  for (size_t k = 0; k < plan->n_unlink && rc == KRAIT_OK; k++) {
    const krait_record *rec = &plan->unlink[order[k]];
    const krait_prefix_record *inst = installed_record(plan, rec);
    krait_paths paths = KRAIT_PATHS_INIT;
    if (inst && inst->meta_path)
      rc = krait_meta_read_paths(inst->meta_path, &paths, err);
    if (rc == KRAIT_OK) {
      krait_ctx_progress(run->ctx, "unlink", rec->name, (double)k, (double)plan->n_unlink);
      krait_paths removable = KRAIT_PATHS_INIT;
      paths_to_remove(run, rec, &paths, &removable);
      rc = krait_linker_unlink(run->linker, rec, &removable, err);
      krait_paths_free(&removable);
    }
    if (rc == KRAIT_OK)
      rc = krait_meta_remove(plan->prefix, rec, run->journal, err);
    if (rc == KRAIT_OK)
      for (size_t i = 0; i < paths.len; i++)
        txn_owners_remove(&run->owners, paths.items[i].path);
    krait_paths_free(&paths);
  }
  free(order);
  return rc;
}

static krait_code do_link(txn_run *run, krait_err *err) {
  const krait_txn_plan *plan = run->plan;
  for (size_t i = 0; i < plan->n_link; i++) {
    const krait_record *solved = &plan->link[i];
    krait_ctx_progress(run->ctx, "link", solved->name, (double)i, (double)plan->n_link);
    krait_record rec;
    full_record(run->pkg_dirs[i], solved, &rec);
    krait_link_result res;
    memset(&res, 0, sizeof res);
    krait_code rc = krait_linker_link(run->linker, run->pkg_dirs[i], &rec, &res, err);
    if (rc == KRAIT_OK) {
      char *tarball = NULL;
      char *pkgs_dir = krait_path_dirname(run->pkg_dirs[i]);
      if (rec.fn) {
        tarball = krait_path_join(pkgs_dir, rec.fn);
        if (!krait_path_exists(tarball)) {
          free(tarball);
          tarball = NULL;
        }
      }
      free(pkgs_dir);
      krait_meta_info m = {.rec = &rec,
                           .paths = &res.paths,
                           .link_type = res.link_type,
                           .requested_spec = requested_spec_for(plan, rec.name),
                           .extracted_package_dir = run->pkg_dirs[i],
                           .package_tarball_full_path = tarball};
      rc = krait_meta_write(plan->prefix, &m, run->journal, err);
      free(tarball);
      char *dist = krait_record_dist(&rec);
      for (size_t k = 0; k < res.paths.len; k++)
        txn_owners_set(&run->owners, res.paths.items[k].path, dist);
      free(dist);
    }
    krait_link_result_free(&res);
    krait_record_free(&rec);
    if (rc != KRAIT_OK)
      return krait_err_prefix(err, "linking %s-%s-%s failed: ", solved->name, solved->version, solved->build);
  }
  return KRAIT_OK;
}

static krait_code write_history(txn_run *run, krait_err *err) {
  const krait_txn_plan *plan = run->plan;
  const krait_record **unlinked = krait_calloc(plan->n_unlink + 1, sizeof *unlinked);
  const krait_record **linked = krait_calloc(plan->n_link + 1, sizeof *linked);
  for (size_t i = 0; i < plan->n_unlink; i++)
    unlinked[i] = &plan->unlink[i];
  for (size_t i = 0; i < plan->n_link; i++)
    linked[i] = &plan->link[i];
  krait_strv specs = KRAIT_STRV_INIT;
  for (size_t i = 0; i < plan->n_requested; i++)
    krait_strv_push(&specs, plan->requested_specs[i]);
  krait_history_entry h = {.when = 0,
                           .cmd = plan->cmd_line,
                           .tool_version = "krait-0.1.0",
                           .unlinked = unlinked,
                           .n_unlinked = plan->n_unlink,
                           .linked = linked,
                           .n_linked = plan->n_link,
                           .update_specs = plan->is_remove ? NULL : &specs,
                           .remove_specs = plan->is_remove ? &specs : NULL};
  krait_code rc = krait_history_append(plan->prefix, &h, run->journal, err);
  krait_strv_free(&specs);
  free(unlinked);
  free(linked);
  return rc;
}

static void collect_installed_owners(txn_run *run) {
  const krait_prefix_state *st = run->plan->installed;
  if (!st)
    return;
  for (size_t i = 0; i < st->len; i++) {
    char *dist = krait_record_dist(&st->records[i].rec);
    for (size_t k = 0; k < st->records[i].files.len; k++)
      txn_owners_set(&run->owners, st->records[i].files.items[k], dist);
    free(dist);
  }
}

krait_code krait_txn_recover(krait_ctx *ctx, const char *prefix, const char **what, krait_err *err) {
  if (what)
    *what = "none";
  if (!krait_journal_pending(prefix))
    return KRAIT_OK;
  krait_lock *lock = NULL;
  krait_code rc = krait_txn_lock_acquire(ctx, prefix, &lock, err);
  if (rc)
    return rc;
  rc = krait_journal_recover(prefix, what, err);
  krait_lock_release(lock);
  if (rc == KRAIT_OK && what && strcmp(*what, "none") != 0)
    krait_warn(ctx, "%s: an interrupted transaction was %s", prefix, *what);
  return rc;
}

/* True when prefix holds nothing but conda-meta/ with (at most) the lock file. */
static bool holds_only_lock(const char *prefix) {
  bool only = true;
  DIR *d = opendir(prefix);
  for (struct dirent *e; d && only && (e = readdir(d));)
    only = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "conda-meta") == 0;
  if (d)
    closedir(d);
  char *conda_meta = krait_path_join(prefix, "conda-meta");
  d = opendir(conda_meta);
  for (struct dirent *e; d && only && (e = readdir(d));)
    only = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "conda-meta.lock") == 0;
  if (d)
    closedir(d);
  free(conda_meta);
  return only;
}

static krait_code recover_locked(krait_ctx *ctx, const char *prefix, const char **what, krait_err *err) {
  krait_code rc = krait_journal_recover(prefix, what, err);
  if (rc == KRAIT_OK && what && strcmp(*what, "none") != 0)
    krait_warn(ctx, "%s: an interrupted transaction was %s", prefix, *what);
  return rc;
}

krait_code krait_txn_lock_prefix(krait_ctx *ctx, const char *prefix, krait_lock **out, bool *was_new,
                                 krait_err *err) {
  *out = NULL;
  char *conda_meta = krait_path_join(prefix, "conda-meta");
  krait_code rc = krait_mkdir_p(conda_meta, 0755, err);
  free(conda_meta);
  if (rc)
    return rc;
  rc = krait_txn_lock_acquire(ctx, prefix, out, err);
  /* judged under the lock: a create that waited for another create finds its env */
  *was_new = rc == KRAIT_OK && holds_only_lock(prefix);
  if (rc == KRAIT_OK)
    rc = krait_checkpoint(KRAIT_STEP_PREFIX_LOCKED, err);
  const char *what = NULL;
  if (rc == KRAIT_OK)
    rc = recover_locked(ctx, prefix, &what, err);
  if (rc && *was_new)
    krait_txn_abandon_new_prefix(prefix);
  if (rc) {
    krait_lock_release(*out);
    *out = NULL;
  }
  return rc;
}

void krait_txn_abandon_new_prefix(const char *prefix) {
  char *lock_path = krait_txn_lock_path(prefix);
  char *conda_meta = krait_path_join(prefix, "conda-meta");
  unlink(lock_path);
  rmdir(conda_meta);
  rmdir(prefix);
  free(conda_meta);
  free(lock_path);
}

krait_code krait_txn_execute(krait_ctx *ctx, const krait_txn_plan *plan, krait_err *err) {
  if (plan->n_link == 0 && plan->n_unlink == 0)
    return KRAIT_OK;
  krait_code rc;
  txn_run run = {.ctx = ctx, .plan = plan};
  txn_owners_init(&run.owners);
  txn_owners_init(&run.kept);
  run.pkg_dirs = krait_calloc(plan->n_link + 1, sizeof *run.pkg_dirs);
  const char *prefix = plan->prefix;
  bool prefix_is_new = plan->held_lock ? plan->prefix_was_new : absent_or_empty(prefix);
  bool made_prefix = false;
  krait_lock *lock = NULL;
  char *conda_meta = krait_path_join(prefix, "conda-meta");

  /* 1. everything that can fail without touching the prefix */
  rc = krait_cache_prepare(ctx, plan->link, plan->n_link, plan->fetcher, run.pkg_dirs, err);
  for (size_t i = 0; rc == KRAIT_OK && i < plan->n_link; i++)
    rc = krait_link_check_prefix(run.pkg_dirs[i], prefix, err);
  const krait_record *python = find_python(plan);
  char *pyver = python ? major_minor(python->version) : NULL;
  if (rc)
    goto out;

  /* 2. the prefix, its lock, and any transaction a killed run left behind */
  made_prefix = !krait_path_exists(prefix);
  if ((rc = krait_mkdir_p(conda_meta, 0755, err)))
    goto out;
  if (!plan->held_lock) {
    rc = krait_txn_lock_acquire(ctx, prefix, &lock, err);
    if (rc == KRAIT_OK)
      rc = krait_checkpoint(KRAIT_STEP_PREFIX_LOCKED, err);
    const char *recovered = NULL;
    if (rc == KRAIT_OK)
      rc = recover_locked(ctx, prefix, &recovered, err);
    if (rc)
      goto out;
  }
  if ((rc = krait_journal_begin(prefix, prefix_is_new, &run.journal, err)))
    goto out;

  /* 3. the change itself */
  krait_link_opts lo;
  krait_link_opts_init(&lo);
  lo.python_version = pyver;
  lo.python_site_packages_path = python ? python->python_site_packages_path : NULL;
  lo.owner_of = owner_cb;
  lo.user = &run;
  lo.journal = run.journal;
  run.linker = krait_linker_new(ctx, prefix, &lo);
  collect_installed_owners(&run);
  collect_kept_paths(&run);
  rc = do_unlink(&run, err);
  if (rc == KRAIT_OK)
    rc = do_link(&run, err);
  if (rc == KRAIT_OK)
    rc = write_history(&run, err);
  if (rc == KRAIT_OK)
    rc = krait_checkpoint(KRAIT_STEP_COMMIT, err);
  if (rc == KRAIT_OK) {
    rc = krait_journal_commit(run.journal, err);
    run.journal = NULL;
  } else {
    krait_err undo;
    if (krait_journal_rollback(run.journal, &undo) != KRAIT_OK)
      krait_err_prefix(err, "(and undoing failed too: %s) ", undo.msg);
    run.journal = NULL;
  }
  if (rc == KRAIT_OK && krait_env_register(plan->environments_txt, prefix, err) != KRAIT_OK) {
    krait_warn(ctx, "could not register %s: %s", prefix, err->msg);
    krait_err_clear(err);
  }

out:
  if (rc != KRAIT_OK && made_prefix && prefix_is_new)
    krait_rm_rf(prefix, NULL); /* a failed create leaves no prefix behind */
  else if (rc != KRAIT_OK && plan->held_lock && prefix_is_new)
    krait_txn_abandon_new_prefix(prefix); /* (the caller made it to hold the lock) */
  krait_linker_free(run.linker);
  krait_lock_release(lock);
  for (size_t i = 0; i < plan->n_link; i++)
    free(run.pkg_dirs[i]);
  free(run.pkg_dirs);
  free(pyver);
  free(conda_meta);
  txn_owners_free(&run.owners);
  txn_owners_free(&run.kept);
  return rc;
}
