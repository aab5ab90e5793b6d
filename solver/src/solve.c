/* krait_solve(): channels + installed prefix + virtual packages + specs, fed
 * to libsolv in conda mode, and the decision turned back into records. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <solv/conda.h>
#include <solv/poolarch.h>
#include <solv/repodata.h>
#include <solv/selection.h>
#include <solv/solverdebug.h>
#include <solv/testcase.h>

#include "krait/channel.h"
#include "krait/config.h"
#include "krait/fs.h"
#include "krait/repodata.h"
#include "solver_internal.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adds one record (conda-meta or virtual) as a solvable carrying the same
 * keys repo_add_conda writes, so that libsolv's conda policy (build number,
 * track_features, timestamp) treats it like a channel record. */
static Id add_record_solvable(Pool *pool, Repo *repo, Repodata *data, const krait_record *r) {
  Id p = repo_add_solvable(repo);
  Solvable *s = pool_id2solvable(pool, p);
  s->name = pool_str2id(pool, r->name, 1);
  s->evr = pool_str2id(pool, r->version, 1);
  repodata_add_poolstr_array(data, p, SOLVABLE_BUILDFLAVOR, r->build ? r->build : "");
  char bn[32];
  snprintf(bn, sizeof bn, "%lld", (long long)r->build_number);
  repodata_set_str(data, p, SOLVABLE_BUILDVERSION, bn);
  if (r->timestamp > 0) {
    long long ts = r->timestamp;
    if (ts > 253402300799LL) ts /= 1000; /* milliseconds, as repo_add_conda normalizes */
    repodata_set_num(data, p, SOLVABLE_BUILDTIME, (unsigned long long)ts);
  }
  for (size_t i = 0; i < r->depends.len; i++) {
    Id dep = pool_conda_matchspec(pool, r->depends.items[i]);
    if (dep) s->requires = repo_addid_dep(repo, s->requires, dep, 0);
  }
  for (size_t i = 0; i < r->constrains.len; i++) {
    Id dep = pool_conda_matchspec(pool, r->constrains.items[i]);
    if (dep) repodata_add_idarray(data, p, SOLVABLE_CONSTRAINS, dep);
  }
  for (size_t i = 0; i < r->track_features.len; i++)
    repodata_add_idarray(data, p, SOLVABLE_TRACK_FEATURES, pool_str2id(pool, r->track_features.items[i], 1));
  s->provides = repo_addid_dep(repo, s->provides, pool_rel2id(pool, s->name, s->evr, REL_EQ, 1), 0);
  return p;
}

static void add_virtual_repo(krait_solve_state *st) {
  Repo *repo = repo_create(st->pool, "virtual");
  Repodata *data = repo_add_repodata(repo, 0);
  for (size_t i = 0; i < st->virtpkgs->len; i++) {
    const krait_virtpkg *v = &st->virtpkgs->items[i];
    krait_record r;
    krait_record_init(&r);
    r.name = v->name;
    r.version = v->version;
    r.build = v->build;
    add_record_solvable(st->pool, repo, data, &r);
  }
  repodata_internalize(data);
  st->virtual_repo = repo;
}

static void add_installed_repo(krait_solve_state *st) {
  Repo *repo = repo_create(st->pool, "installed");
  Repodata *data = repo_add_repodata(repo, 0);
  st->installed_index = krait_calloc(st->prefix.len + 1, sizeof *st->installed_index);
  for (size_t i = 0; i < st->prefix.len; i++) {
    Id p = add_record_solvable(st->pool, repo, data, &st->prefix.records[i].rec);
    st->installed_index[p - repo->start] = (Id)i;
  }
  repodata_internalize(data);
  pool_set_installed(st->pool, repo);
  st->installed = repo;
}

/* conda's add_pip_as_python_dependency: python 2/3 pulls in pip. Done here
 * rather than at load so a cached .solv stays independent of the setting. */
static void add_pip_to_python(Pool *pool) {
  Id python = pool_str2id(pool, "python", 0);
  if (!python) return;
  Id pip = pool_str2id(pool, "pip", 1);
  Id p;
  Solvable *s;
  FOR_POOL_SOLVABLES(p) {
    s = pool_id2solvable(pool, p);
    if (s->name != python || s->repo == pool->installed) continue;
    const char *v = pool_id2str(pool, s->evr);
    if (strncmp(v, "2.", 2) != 0 && strncmp(v, "3.", 2) != 0) continue;
    s->requires = repo_addid_dep(s->repo, s->requires, pip, 0);
  }
}

/* Every channel of the request into the pool: their repodata downloaded in
 * one parallel batch, then loaded in channel order. */
static krait_code load_channels(krait_solve_state *st, const krait_strv *names, krait_err *err) {
  krait_channel *chs = krait_calloc(names->len + 1, sizeof *chs);
  size_t n = 0;
  krait_code rc = KRAIT_OK;
  for (; n < names->len && rc == KRAIT_OK; n++)
    rc = krait_channel_parse(st->ctx, names->items[n], &chs[n], err); /* a failed parse leaves it freeable */
  krait_channels_load how = {.shard_roots = &st->shard_roots, .reachable_only = st->ctx->repodata_reachable_only};
  if (rc == KRAIT_OK) rc = krait_repodata_load_channels(st->ctx, st->pool, chs, n, &how, err);
  for (size_t i = 0; i < n; i++) krait_channel_free(&chs[i]);
  free(chs);
  return rc;
}

/* ctx->channels with "defaults" expanded and "nodefaults" dropped, plus the
 * channels named in specs (conda adds those to the search). */
static void channel_list(krait_solve_state *st, krait_strv *out) {
  const krait_ctx *ctx = st->ctx;
  krait_config_expand_channels(ctx, out);
  for (size_t i = 0; i < st->req->n_specs; i++) {
    const krait_matchspec *ms = st->specs[i];
    if (!ms || !ms->channel) continue;
    bool known = false;
    for (size_t j = 0; j < out->len && !known; j++) {
      krait_channel ch;
      if (krait_channel_parse(ctx, out->items[j], &ch, NULL) == KRAIT_OK) {
        known = krait_channel_matches(&ch, ctx, ms->channel);
        krait_channel_free(&ch);
      }
    }
    if (!known) krait_strv_push(out, ms->channel);
  }
}

static bool spec_needs_filter(const krait_matchspec *ms) {
  return ms->channel || ms->subdir || ms->md5 || ms->sha256 || ms->fn || ms->build_number;
}

/* Whether solvable p (from a channel repo) satisfies the parts of `ms` that
 * libsolv's matchspec cannot express: channel, subdir, checksums, fn, build_number. */
static bool candidate_ok(krait_solve_state *st, const krait_matchspec *ms, Id p) {
  Solvable *s = pool_id2solvable(st->pool, p);
  if (s->repo == st->virtual_repo) return !ms->channel && !ms->subdir;
  if (s->repo == st->installed) {
    if (ms->channel || ms->subdir || ms->md5 || ms->sha256 || ms->fn || ms->build_number) {
      const krait_prefix_record *pr = &st->prefix.records[st->installed_index[p - s->repo->start]];
      if (!krait_matchspec_matches(ms, &pr->rec)) return false;
      if (ms->channel && pr->rec.channel) {
        krait_channel ch;
        bool ok = false;
        if (krait_channel_parse(st->ctx, pr->rec.channel, &ch, NULL) == KRAIT_OK) {
          ok = krait_channel_matches(&ch, st->ctx, ms->channel);
          krait_channel_free(&ch);
        }
        return ok;
      }
    }
    return true;
  }
  const krait_subdir_info *info = s->repo->appdata;
  if (ms->channel) {
    if (!info) return false;
    krait_channel ch = {.url = info->channel_url, .name = info->channel_name, .subdirs = KRAIT_STRV_INIT};
    if (!krait_channel_matches(&ch, st->ctx, ms->channel)) return false;
  }
  if (ms->subdir && (!info || strcmp(info->subdir, ms->subdir) != 0)) return false;
  if (ms->md5 || ms->sha256 || ms->fn || ms->build_number) {
    krait_record r;
    if (krait_solvable_record(st->pool, p, &r, NULL) != KRAIT_OK) return false;
    bool ok = krait_matchspec_matches(ms, &r);
    krait_record_free(&r);
    return ok;
  }
  return true;
}

static void push_job(krait_solve_state *st, Id how, Id what, int spec_index) {
  queue_push2(&st->jobs, how, what);
  queue_push(&st->job_spec, spec_index);
}

/* The "what" of a job selecting the candidates of spec i. */
/* A test on one solvable of the pool, for solvables_where(). */
typedef bool (*solvable_test)(const krait_solve_state *st, Id p, const Solvable *s, const void *arg);

/* Every solvable of the pool that `keep` accepts, in pool order, appended to out. */
static void solvables_where(const krait_solve_state *st, solvable_test keep, const void *arg, Queue *out) {
  Pool *pool = st->pool;
  Id p;
  FOR_POOL_SOLVABLES(p) {
    if (keep(st, p, pool_id2solvable(pool, p), arg)) queue_push(out, p);
  }
}

/* One job locking out (keeping uninstalled) every solvable `keep` accepts. */
static void lock_out_where(krait_solve_state *st, solvable_test keep, const void *arg, int spec_index) {
  Queue q;
  queue_init(&q);
  solvables_where(st, keep, arg, &q);
  if (q.count) push_job(st, SOLVER_LOCK | SOLVER_SOLVABLE_ONE_OF, pool_queuetowhatprovides(st->pool, &q), spec_index);
  queue_free(&q);
}

static krait_code spec_selection(krait_solve_state *st, size_t i, Id *how, Id *what, krait_err *err) {
  const krait_matchspec *ms = st->specs[i];
  char *solv = krait_matchspec_solv_str(ms);
  Id dep = pool_conda_matchspec(st->pool, solv);
  free(solv);
  if (!dep) return krait_err_set(err, KRAIT_E_PARSE, "invalid spec \"%s\"", st->req->specs[i]);
  if (!spec_needs_filter(ms)) {
    *how = SOLVER_SOLVABLE_PROVIDES;
    *what = dep;
    return KRAIT_OK;
  }
  Pool *pool = st->pool;
  Queue q;
  queue_init(&q);
  Id p, pp;
  FOR_PROVIDES(p, pp, dep) {
    if (candidate_ok(st, ms, p)) queue_push(&q, p);
  }
  if (q.count == 0) {
    /* An empty ONE_OF job is silently satisfied by libsolv; a dependency
     * nothing provides makes the request fail as it must. */
    char *none = krait_asprintf("%s (no candidate matches %s)", ms->name, st->req->specs[i]);
    *how = SOLVER_SOLVABLE_PROVIDES;
    *what = pool_str2id(st->pool, none, 1);
    free(none);
  } else {
    *how = SOLVER_SOLVABLE_ONE_OF;
    *what = pool_queuetowhatprovides(st->pool, &q);
  }
  queue_free(&q);
  return KRAIT_OK;
}

static bool is_installed_name(krait_solve_state *st, const char *name) {
  return krait_prefix_find(&st->prefix, name) != NULL;
}

/* ctx->pinned_packages plus the prefix's conda-meta/pinned (one spec per
 * line, # comments), as conda reads them. */
static void pinned_specs(krait_solve_state *st, krait_strv *out) {
  krait_strv_copy(out, &st->ctx->pinned_packages);
  if (!st->req->prefix || st->req->ignore_installed) return;
  char *path = krait_asprintf("%s/conda-meta/pinned", st->req->prefix);
  krait_buf text = KRAIT_BUF_INIT;
  if (krait_read_file(path, &text, NULL) == KRAIT_OK) {
    const char *p = krait_buf_str(&text);
    while (*p) {
      size_t n = strcspn(p, "\n");
      const char *a = p, *e = p + n;
      while (a < e && (*a == ' ' || *a == '\t')) a++;
      while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
      if (e > a && *a != '#') krait_strv_push_owned(out, krait_strndup(a, (size_t)(e - a)));
      p += n;
      if (*p) p++;
    }
  }
  krait_buf_free(&text);
  free(path);
}

/* Whether every candidate of a job carries track_features (a feature-enabling
 * package such as `nomkl`). An empty selection is not. */
static bool all_candidates_tracked(krait_solve_state *st, Id how, Id what) {
  Queue cands, tf;
  queue_init(&cands);
  queue_init(&tf);
  pool_job2solvables(st->pool, &cands, how, what);
  bool all = cands.count > 0;
  for (int i = 0; i < cands.count && all; i++) {
    Solvable *s = pool_id2solvable(st->pool, cands.elements[i]);
    all = solvable_lookup_idarray(s, SOLVABLE_TRACK_FEATURES, &tf) && tf.count > 0;
  }
  queue_free(&tf);
  queue_free(&cands);
  return all;
}

/* A pin: candidates of `name` must match `dep`. */
typedef struct pin_rule {
  Id name, dep;
} pin_rule;

static bool breaks_pin(const krait_solve_state *st, Id p, const Solvable *s, const void *arg) {
  (void)p;
  const pin_rule *rule = arg;
  return s->name == rule->name && s->repo != st->installed && !pool_match_nevr(st->pool, (Solvable *)s, rule->dep);
}

static krait_code build_jobs(krait_solve_state *st, krait_err *err) {
  const krait_request *req = st->req;
  /* libsolv decides jobs in the order given, and a decided package is not
   * revisited for a later job that merely has another way to be satisfied:
   * for `numpy nomkl` it would settle on mkl numpy, then take the old nomkl
   * that needs no blas. conda optimizes the requested packages together and
   * answers as for `nomkl numpy`, so the jobs of feature-enabling specs (every
   * candidate tracked) go first; the spec order is kept otherwise. */
  Id *how_of = krait_calloc(req->n_specs + 1, sizeof *how_of);
  Id *what_of = krait_calloc(req->n_specs + 1, sizeof *what_of);
  bool *first = krait_calloc(req->n_specs + 1, sizeof *first);
  size_t *order = krait_calloc(req->n_specs + 1, sizeof *order);
  krait_code rc = KRAIT_OK;
  for (size_t i = 0; i < req->n_specs && rc == KRAIT_OK; i++) {
    rc = spec_selection(st, i, &how_of[i], &what_of[i], err);
    if (rc == KRAIT_OK && req->kind != KRAIT_REQ_REMOVE) first[i] = all_candidates_tracked(st, how_of[i], what_of[i]);
  }
  size_t n_order = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < req->n_specs; i++)
      if (first[i] == (pass == 0)) order[n_order++] = i;
  for (size_t k = 0; k < n_order && rc == KRAIT_OK; k++) {
    size_t i = order[k];
    Id how = how_of[i], what = what_of[i];
    bool needs_installed = req->kind == KRAIT_REQ_UPDATE || req->kind == KRAIT_REQ_REMOVE;
    if (needs_installed && !is_installed_name(st, st->specs[i]->name)) {
      rc = krait_err_set(err, KRAIT_E_NOTFOUND, "cannot %s %s: it is not installed in %s",
                         req->kind == KRAIT_REQ_UPDATE ? "update" : "remove", st->specs[i]->name,
                         req->prefix ? req->prefix : "the environment");
      break;
    }
    switch (req->kind) {
      case KRAIT_REQ_INSTALL:
        push_job(st, SOLVER_INSTALL | how, what, (int)i);
        break;
      case KRAIT_REQ_UPDATE:
        /* Install the spec (so a version given is obeyed) and ask for the
         * newest candidate of the name. */
        push_job(st, SOLVER_INSTALL | how, what, (int)i);
        push_job(st, SOLVER_UPDATE | SOLVER_SOLVABLE_NAME, pool_str2id(st->pool, st->specs[i]->name, 1), (int)i);
        break;
      case KRAIT_REQ_UPDATE_ALL:
        push_job(st, SOLVER_INSTALL | how, what, (int)i);
        break;
      case KRAIT_REQ_REMOVE:
        push_job(st, SOLVER_ERASE | (req->keep_dependencies ? 0 : SOLVER_CLEANDEPS) | SOLVER_SOLVABLE_NAME,
                 pool_str2id(st->pool, st->specs[i]->name, 1), (int)i);
        break;
    }
  }
  free(how_of);
  free(what_of);
  free(first);
  free(order);
  if (rc != KRAIT_OK) return rc;
  if (req->kind == KRAIT_REQ_UPDATE_ALL && st->installed) push_job(st, SOLVER_UPDATE | SOLVER_SOLVABLE_ALL, 0, KRAIT_JOB_OTHER);
  /* What the user asked for in earlier commands stays "user installed":
   * removal with CLEANDEPS must not sweep it away as an unneeded dependency. */
  if (st->installed) {
    for (size_t i = 0; i < st->prefix.requested_specs.len; i++) {
      krait_matchspec *ms = NULL;
      if (krait_matchspec_parse(st->prefix.requested_specs.items[i], &ms, NULL) != KRAIT_OK) continue;
      Id name = pool_str2id(st->pool, ms->name, 0);
      if (name && is_installed_name(st, ms->name)) push_job(st, SOLVER_USERINSTALLED | SOLVER_SOLVABLE_NAME, name, KRAIT_JOB_OTHER);
      krait_matchspec_free(ms);
    }
  }
  /* Pins: a spec every solution must respect, without installing the name. */
  krait_strv pins = KRAIT_STRV_INIT;
  pinned_specs(st, &pins);
  for (size_t i = 0; i < pins.len; i++) {
    krait_matchspec *ms = NULL;
    if (krait_matchspec_parse(pins.items[i], &ms, err) != KRAIT_OK) {
      krait_strv_free(&pins);
      return krait_err_prefix(err, "pinned packages (pinned_packages or conda-meta/pinned): ");
    }
    char *solv = krait_matchspec_solv_str(ms);
    Id dep = pool_conda_matchspec(st->pool, solv);
    Id name = pool_str2id(st->pool, ms->name, 1);
    free(solv);
    krait_matchspec_free(ms);
    if (!dep) continue;
    /* Lock out (keep uninstalled) every channel candidate of the name that
     * does not match the pin. */
    const pin_rule rule = {name, dep};
    lock_out_where(st, breaks_pin, &rule, KRAIT_JOB_PIN);
  }
  krait_strv_free(&pins);
  return KRAIT_OK;
}

/* Strict priority: per name id, the best channel priority and whether a channel::name spec asks for it. */
typedef struct strict_rule {
  int nnames;
  const int *best;
  const bool *pinned;
} strict_rule;

static bool below_best_channel(const krait_solve_state *st, Id p, const Solvable *s, const void *arg) {
  (void)p;
  const strict_rule *rule = arg;
  if (s->repo == st->installed || s->repo == st->virtual_repo || s->name >= rule->nnames || rule->pinned[s->name])
    return false;
  return s->repo->priority < rule->best[s->name];
}

/* Strict channel priority (conda's rule): a name is taken only from the
 * highest-priority channel that has it, even when that channel lacks the
 * version asked for. Done with locks rather than libsolv's
 * SOLVER_FLAG_STRICT_REPO_PRIORITY so that a channel::name spec can still
 * reach a lower channel, and so the explanation can name the policy. */
static void add_strict_priority_locks(krait_solve_state *st) {
  Pool *pool = st->pool;
  int nnames = pool->ss.nstrings;
  int *best = krait_malloc((size_t)nnames * sizeof *best);
  bool *pinned = krait_calloc((size_t)nnames, sizeof *pinned);
  for (int i = 0; i < nnames; i++) best[i] = -2147483647;
  for (size_t i = 0; i < st->req->n_specs; i++) {
    Id name = st->specs[i]->channel ? pool_str2id(pool, st->specs[i]->name, 0) : 0;
    if (name && name < nnames) pinned[name] = true;
  }
  Id p;
  Solvable *s;
  FOR_POOL_SOLVABLES(p) {
    s = pool_id2solvable(pool, p);
    if (s->repo == st->installed || s->repo == st->virtual_repo || s->name >= nnames) continue;
    if (s->repo->priority > best[s->name]) best[s->name] = s->repo->priority;
  }
  const strict_rule rule = {nnames, best, pinned};
  lock_out_where(st, below_best_channel, &rule, KRAIT_JOB_STRICT);
  free(best);
  free(pinned);
}

/* conda's first attempt for an install into an existing environment: keep
 * every installed package not named in the request exactly as it is. */
static void add_freeze_locks(krait_solve_state *st) {
  Pool *pool = st->pool;
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(st->installed, p, s) {
    const char *name = pool_id2str(pool, s->name);
    bool named = false;
    for (size_t i = 0; i < st->req->n_specs && !named; i++) named = strcmp(st->specs[i]->name, name) == 0;
    if (!named) push_job(st, SOLVER_LOCK | SOLVER_SOLVABLE, p, KRAIT_JOB_FREEZE);
  }
}

static void set_flags(krait_solve_state *st) {
  Solver *solv = st->solv;
  solver_set_flag(solv, SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
  solver_set_flag(solv, SOLVER_FLAG_BEST_OBEY_POLICY, 1);
  /* Installing into an existing env may replace or drop installed packages
   * when the request needs it; libsolv still prefers keeping them. */
  solver_set_flag(solv, SOLVER_FLAG_ALLOW_UNINSTALL, 1);
}

static krait_code write_debug(krait_solve_state *st, krait_err *err) {
  if (!st->req->debug_dir) return KRAIT_OK;
  krait_code rc = krait_mkdir_p(st->req->debug_dir, 0755, err);
  if (rc != KRAIT_OK) return rc;
  if (!testcase_write(st->solv, st->req->debug_dir, TESTCASE_RESULT_TRANSACTION | TESTCASE_RESULT_PROBLEMS, 0, 0))
    return krait_err_set(err, KRAIT_E_IO, "could not write the solver testcase to %s", st->req->debug_dir);
  return KRAIT_OK;
}

static bool same_record(const krait_record *a, const krait_record *b) {
  return strcmp(a->name, b->name) == 0 && strcmp(a->version, b->version) == 0 && strcmp(a->build, b->build) == 0;
}

/* A channel solvable the solution installs. */
static bool is_installed_by_solution(const krait_solve_state *st, Id p, const Solvable *s, const void *arg) {
  (void)arg;
  return s->repo != st->installed && s->repo != st->virtual_repo && solver_get_decisionlevel(st->solv, p) > 0;
}

static krait_code collect_result(krait_solve_state *st, krait_solution *out, krait_err *err) {
  Pool *pool = st->pool;
  Solver *solv = st->solv;
  Queue link;
  queue_init(&link);
  solvables_where(st, is_installed_by_solution, NULL, &link);
  krait_order_link(pool, &link);

  /* Installed packages the solution drops. */
  bool *dropped = krait_calloc(st->prefix.len + 1, sizeof *dropped);
  if (st->installed) {
    Id p;
    Solvable *s;
    FOR_REPO_SOLVABLES(st->installed, p, s) {
      if (solver_get_decisionlevel(solv, p) < 0) dropped[st->installed_index[p - st->installed->start]] = true;
    }
  }
  out->link = krait_calloc((size_t)link.count + 1, sizeof *out->link);
  krait_code rc = KRAIT_OK;
  for (int i = 0; i < link.count && rc == KRAIT_OK; i++) {
    krait_record r;
    rc = krait_solvable_record(pool, link.elements[i], &r, err);
    if (rc != KRAIT_OK) break;
    /* Replacing an installed package by the identical channel record is no change. */
    bool noop = false;
    for (size_t j = 0; j < st->prefix.len; j++) {
      if (dropped[j] && same_record(&st->prefix.records[j].rec, &r)) {
        dropped[j] = false;
        noop = true;
        break;
      }
    }
    if (noop) {
      krait_record_free(&r);
      continue;
    }
    out->link[out->n_link++] = r;
  }
  out->unlink = krait_calloc(st->prefix.len + 1, sizeof *out->unlink);
  for (size_t j = 0; j < st->prefix.len; j++)
    if (dropped[j]) krait_record_copy(&out->unlink[out->n_unlink++], &st->prefix.records[j].rec);
  free(dropped);
  queue_free(&link);
  return rc;
}

static void state_free(krait_solve_state *st) {
  if (st->solv) solver_free(st->solv);
  krait_strv_free(&st->shard_roots);
  if (st->pool) {
    krait_repodata_free_pool_info(st->pool);
    pool_free(st->pool);
  }
  if (st->specs)
    for (size_t i = 0; i < st->req->n_specs; i++) krait_matchspec_free(st->specs[i]);
  free(st->specs);
  free(st->installed_index);
  krait_prefix_state_free(&st->prefix);
  krait_virtpkgs_free(&st->detected);
  queue_free(&st->jobs);
  queue_free(&st->job_spec);
}

krait_code krait_solve(krait_ctx *ctx, const krait_request *req, krait_solution *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  double start = now_seconds();
  krait_solve_state st;
  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.req = req;
  queue_init(&st.jobs);
  queue_init(&st.job_spec);
  krait_code rc = KRAIT_OK;

  st.specs = krait_calloc(req->n_specs + 1, sizeof *st.specs);
  for (size_t i = 0; i < req->n_specs && rc == KRAIT_OK; i++) rc = krait_matchspec_parse(req->specs[i], &st.specs[i], err);
  if (rc != KRAIT_OK) goto done;

  if (req->prefix && !req->ignore_installed) {
    rc = krait_prefix_load(req->prefix, &st.prefix, err);
    if (rc != KRAIT_OK) goto done;
  }
  if ((req->kind == KRAIT_REQ_REMOVE || req->kind == KRAIT_REQ_UPDATE) && !st.prefix.exists) {
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (no conda-meta/)",
                       req->prefix ? req->prefix : "the target prefix");
    goto done;
  }
  st.virtpkgs = req->virtual_packages;
  if (!st.virtpkgs) {
    rc = krait_virtpkgs_detect(ctx, ctx->platform, &st.detected, err);
    if (rc != KRAIT_OK) goto done;
    st.virtpkgs = &st.detected;
  }

  st.pool = krait_pool_new(ctx);
  /* where a sharded channel's walk starts: what is asked for and what is installed */
  for (size_t i = 0; i < req->n_specs; i++)
    if (st.specs[i] && st.specs[i]->name && !krait_strv_contains(&st.shard_roots, st.specs[i]->name))
      krait_strv_push(&st.shard_roots, st.specs[i]->name);
  for (size_t i = 0; i < st.prefix.len; i++)
    if (st.prefix.records[i].rec.name && !krait_strv_contains(&st.shard_roots, st.prefix.records[i].rec.name))
      krait_strv_push(&st.shard_roots, st.prefix.records[i].rec.name);
  krait_strv channels = KRAIT_STRV_INIT;
  channel_list(&st, &channels);
  rc = load_channels(&st, &channels, err);
  krait_strv_free(&channels);
  if (rc != KRAIT_OK) goto done;
  if (ctx->add_pip_as_python_dependency) add_pip_to_python(st.pool);
  add_virtual_repo(&st);
  if (st.prefix.len) add_installed_repo(&st);
  /* pool_addfileprovides adds nothing here (no krait repo has file lists:
   * not the channels' .solv or JSON, not the installed repo from
   * conda-meta), but it marks the pool as knowing every file provide, so a
   * name starting with '/' (a forged record's) is simply unprovided instead
   * of starting a file list search through libsolv's dataiterator (which
   * finds nothing, and shifts 1 into int's sign bit: UBSan). The mark is not
   * settable otherwise; the walk costs ~2% of a warm 700,000-record solve. */
  pool_addfileprovides(st.pool);
  pool_createwhatprovides(st.pool);

  rc = build_jobs(&st, err);
  if (rc != KRAIT_OK) goto done;
  if (ctx->channel_priority == KRAIT_PRIORITY_STRICT) add_strict_priority_locks(&st);
  int nproblems = 0;
  if (req->kind == KRAIT_REQ_INSTALL && st.installed) {
    int njobs = st.jobs.count, nspec = st.job_spec.count;
    add_freeze_locks(&st);
    st.solv = solver_create(st.pool);
    set_flags(&st);
    nproblems = solver_solve(st.solv, &st.jobs);
    if (nproblems) {
      /* Frozen solve failed: let installed packages change (conda's
       * "Retrying with flexible solve"). */
      solver_free(st.solv);
      st.solv = NULL;
      queue_truncate(&st.jobs, njobs);
      queue_truncate(&st.job_spec, nspec);
    }
  }
  if (!st.solv) {
    st.solv = solver_create(st.pool);
    set_flags(&st);
    nproblems = solver_solve(st.solv, &st.jobs);
  }
  rc = write_debug(&st, err);
  if (rc != KRAIT_OK) goto done;
  if (nproblems) {
    krait_buf b = KRAIT_BUF_INIT;
    krait_explain_problems(&st, &b);
    krait_err_set(err, KRAIT_E_UNSOLVABLE, "%s", krait_buf_str(&b));
    krait_buf_free(&b);
    rc = KRAIT_E_UNSOLVABLE;
    goto done;
  }
  rc = collect_result(&st, out, err);
  if (rc != KRAIT_OK) goto done;
  if (st.prefix.exists) krait_add_noarch_relinks(&st.prefix, out);
  out->requested = krait_calloc(req->n_specs + 1, sizeof *out->requested);
  for (size_t i = 0; i < req->n_specs; i++) out->requested[out->n_requested++] = krait_matchspec_str(st.specs[i]);

done:
  out->solve_seconds = now_seconds() - start;
  state_free(&st);
  if (rc != KRAIT_OK) krait_solution_free(out);
  return rc;
}

void krait_solution_free(krait_solution *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_link; i++) krait_record_free(&s->link[i]);
  for (size_t i = 0; i < s->n_unlink; i++) krait_record_free(&s->unlink[i]);
  for (size_t i = 0; i < s->n_fetch; i++) krait_record_free(&s->fetch[i]);
  for (size_t i = 0; i < s->n_requested; i++) free(s->requested[i]);
  free(s->link);
  free(s->unlink);
  free(s->fetch);
  free(s->requested);
  double secs = s->solve_seconds;
  memset(s, 0, sizeof *s);
  s->solve_seconds = secs;
}
