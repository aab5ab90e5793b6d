/* Unsolvable requests explained in terms a user can act on: which requested
 * specs clash, through which packages and which of their dependencies, and
 * which virtual package (with its CONDA_OVERRIDE_* variable) is missing.
 * Built from libsolv's problem rules; no raw rule dumps. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <solv/conda.h>
#include <solv/evr.h>
#include <solv/poolid.h>
#include <solv/problems.h>
#include <solv/rules.h>

#include "solver_internal.h"

#define MAX_LINES_PER_PROBLEM 12

/* One "<package versions> needs <dep>" finding, merged across builds and versions. */
typedef struct need {
  Id source_name;
  Id dep;
  Id type;        /* SOLVER_RULE_PKG_REQUIRES, _NOTHING_PROVIDES_DEP, _CONSTRAINS */
  Id target;      /* for constrains: the package the constraint excludes */
  Queue versions; /* evr ids, unique, in first-seen order */
} need;

typedef struct problem_facts {
  Queue specs;  /* request spec indices involved */
  need *needs;
  int n_needs;
  bool pinned;
  bool strict_priority;
  Queue same_name; /* pairs of solvables */
  Queue installed; /* installed solvables whose keeping is part of the clash */
} problem_facts;

static Id dep_name(Pool *pool, Id dep) {
  while (ISRELDEP(dep)) dep = GETRELDEP(pool, dep)->name;
  return dep;
}

static void push_unique(Queue *q, Id v) {
  for (int i = 0; i < q->count; i++)
    if (q->elements[i] == v) return;
  queue_push(q, v);
}

static void add_need(problem_facts *f, Pool *pool, Id type, Id source, Id dep, Id target) {
  Solvable *s = pool_id2solvable(pool, source);
  for (int i = 0; i < f->n_needs; i++) {
    need *n = &f->needs[i];
    if (n->type == type && n->source_name == s->name && n->dep == dep) {
      push_unique(&n->versions, s->evr);
      return;
    }
  }
  f->needs = krait_realloc(f->needs, (size_t)(f->n_needs + 1) * sizeof *f->needs);
  need *n = &f->needs[f->n_needs++];
  n->source_name = s->name;
  n->dep = dep;
  n->type = type;
  n->target = target;
  queue_init(&n->versions);
  queue_push(&n->versions, s->evr);
}

static void describe_solvable(krait_buf *b, Pool *pool, Id p) {
  Solvable *s = pool_id2solvable(pool, p);
  const char *build = solvable_lookup_str(s, SOLVABLE_BUILDFLAVOR);
  krait_buf_printf(b, "%s %s%s%s", pool_id2str(pool, s->name), pool_id2str(pool, s->evr), build ? " " : "",
                   build ? build : "");
}

static void describe_versions(krait_buf *b, Pool *pool, const need *n) {
  krait_buf_printf(b, "%s ", pool_id2str(pool, n->source_name));
  int shown = n->versions.count < 4 ? n->versions.count : 3;
  for (int i = 0; i < shown; i++) krait_buf_printf(b, "%s%s", i ? ", " : "", pool_id2str(pool, n->versions.elements[i]));
  if (n->versions.count > shown) krait_buf_printf(b, " (and %d more versions)", n->versions.count - shown);
}

/* The CONDA_OVERRIDE_ variable for a virtual package name ("__cuda" -> "CONDA_OVERRIDE_CUDA"). */
static void override_var(krait_buf *b, const char *vname) {
  krait_buf_puts(b, "CONDA_OVERRIDE_");
  for (const char *c = vname + 2; *c; c++) krait_buf_putc(b, (char)toupper((unsigned char)*c));
}

static const krait_virtpkg *find_virtual(const krait_solve_state *st, const char *name) {
  for (size_t i = 0; i < st->virtpkgs->len; i++)
    if (strcmp(st->virtpkgs->items[i].name, name) == 0) return &st->virtpkgs->items[i];
  return NULL;
}

/* "… requires __cuda >=11.2, but this machine has no CUDA driver: set …". */
static void explain_virtual(krait_solve_state *st, krait_buf *b, const char *who, Id dep) {
  Pool *pool = st->pool;
  const char *vname = pool_id2str(pool, dep_name(pool, dep));
  const krait_virtpkg *have = find_virtual(st, vname);
  krait_buf_printf(b, "%s requires %s", who, pool_dep2str(pool, dep));
  if (strcmp(vname, "__cuda") == 0) {
    if (have)
      krait_buf_printf(b, ", but this machine's CUDA driver supports only CUDA %s (%s): set ", have->version,
                       have->source);
    else
      krait_buf_puts(b, ", but this machine has no CUDA driver: set ");
    krait_buf_puts(b, "CONDA_OVERRIDE_CUDA=12.4 (the CUDA version you will run with) to solve for a GPU build");
    return;
  }
  if (strcmp(vname, "__archspec") == 0 || strcmp(vname, "__unix") == 0 || strcmp(vname, "__win") == 0 ||
      strcmp(vname, "__linux") == 0 || strcmp(vname, "__osx") == 0 || strcmp(vname, "__glibc") == 0 ||
      !have) {
    bool platform_pkg = strcmp(vname, "__win") == 0 || strcmp(vname, "__osx") == 0 ||
                        strcmp(vname, "__linux") == 0 || strcmp(vname, "__unix") == 0;
    if (!have && platform_pkg) {
      krait_buf_printf(b, ", but %s is not present when solving for %s: the package is built for another platform",
                       vname, st->ctx->platform);
      return;
    }
    if (have)
      krait_buf_printf(b, ", but this system provides %s %s%s%s (%s); override with ", vname, have->version,
                       strcmp(vname, "__archspec") == 0 ? " " : "", strcmp(vname, "__archspec") == 0 ? have->build : "",
                       have->source);
    else
      krait_buf_printf(b, ", but the virtual package %s is not present for %s; override with ", vname,
                       st->ctx->platform);
    override_var(b, vname);
    return;
  }
  krait_buf_printf(b, ", but this system provides %s %s", vname, have->version);
}

static bool is_virtual_dep(Pool *pool, Id dep) { return strncmp(pool_id2str(pool, dep_name(pool, dep)), "__", 2) == 0; }

/* Index of a request spec naming `name`, or -1. */
static int requested_with_name(krait_solve_state *st, Id name) {
  const char *n = pool_id2str(st->pool, name);
  for (size_t i = 0; i < st->req->n_specs; i++)
    if (st->specs[i] && strcmp(st->specs[i]->name, n) == 0) return (int)i;
  return -1;
}

static void collect(krait_solve_state *st, Id problem, problem_facts *f) {
  Pool *pool = st->pool;
  Solver *solv = st->solv;
  Queue rules, infos;
  queue_init(&rules);
  queue_init(&infos);
  solver_findallproblemrules(solv, problem, &rules);
  for (int r = 0; r < rules.count; r++) {
    Id rid = rules.elements[r];
    queue_empty(&infos);
    solver_allruleinfos(solv, rid, &infos);
    if (infos.count == 0) {
      Id from = 0, to = 0, dep = 0;
      Id type = solver_ruleinfo(solv, rid, &from, &to, &dep);
      queue_push2(&infos, type, from);
      queue_push2(&infos, to, dep);
    }
    for (int i = 0; i + 3 < infos.count; i += 4) {
      Id type = infos.elements[i], from = infos.elements[i + 1], to = infos.elements[i + 2],
         dep = infos.elements[i + 3];
      switch (type & SOLVER_RULE_TYPEMASK) {
        case SOLVER_RULE_JOB: {
          int jobidx = solver_rule2jobidx(solv, rid);
          int spec = jobidx >= 0 && jobidx / 2 < st->job_spec.count ? st->job_spec.elements[jobidx / 2] : -1;
          if (spec >= 0) push_unique(&f->specs, spec);
          if (spec == KRAIT_JOB_PIN) f->pinned = true;
          if (spec == KRAIT_JOB_STRICT) f->strict_priority = true;
          if (type == SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP || type == SOLVER_RULE_JOB_UNKNOWN_PACKAGE) {
            if (spec >= 0) push_unique(&f->specs, spec);
          }
          break;
        }
        case SOLVER_RULE_PKG:
          if (type == SOLVER_RULE_PKG_REQUIRES || type == SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP) {
            if (from) add_need(f, pool, type, from, dep, 0);
          } else if (type == SOLVER_RULE_PKG_CONSTRAINS || type == SOLVER_RULE_PKG_CONFLICTS) {
            if (from) add_need(f, pool, SOLVER_RULE_PKG_CONSTRAINS, from, dep, to);
          } else if (type == SOLVER_RULE_PKG_SAME_NAME) {
            queue_push2(&f->same_name, from, to);
          }
          if (from && pool->installed && pool_id2solvable(pool, from)->repo == pool->installed)
            push_unique(&f->installed, from);
          break;
        case SOLVER_RULE_UPDATE:
        case SOLVER_RULE_FEATURE:
          if (from) push_unique(&f->installed, from);
          break;
        case SOLVER_RULE_STRICT_REPO_PRIORITY:
          f->strict_priority = true;
          break;
        default:
          break;
      }
    }
  }
  queue_free(&infos);
  queue_free(&rules);
}

static void free_facts(problem_facts *f) {
  for (int i = 0; i < f->n_needs; i++) queue_free(&f->needs[i].versions);
  free(f->needs);
  queue_free(&f->specs);
  queue_free(&f->same_name);
  queue_free(&f->installed);
}

/* What the user can do about a requested spec with no candidate at all. */
static bool explain_empty_spec(krait_solve_state *st, krait_buf *b, int spec) {
  Pool *pool = st->pool;
  const krait_matchspec *ms = st->specs[spec];
  Id name = pool_str2id(pool, ms->name, 0);
  int total = 0;
  Queue versions;
  queue_init(&versions);
  if (name) {
    Id p;
    FOR_POOL_SOLVABLES(p) {
      Solvable *s = pool_id2solvable(pool, p);
      if (s->name != name) continue;
      total++;
      push_unique(&versions, s->evr);
    }
  }
  /* Does the spec select anything? */
  bool any = false;
  for (int j = 0; j < st->job_spec.count && !any; j++) {
    if (st->job_spec.elements[j] != spec) continue;
    Id jhow = st->jobs.elements[2 * j], what = st->jobs.elements[2 * j + 1];
    if ((jhow & SOLVER_JOBMASK) != SOLVER_INSTALL) continue;
    Id p, pp;
    if ((jhow & SOLVER_SELECTMASK) == SOLVER_SOLVABLE_ONE_OF) {
      for (pp = what; (p = pool->whatprovidesdata[pp]) != 0; pp++) any = true;
    } else {
      FOR_PROVIDES(p, pp, what) any = true;
    }
  }
  if (any) {
    queue_free(&versions);
    return false;
  }
  if (strncmp(ms->name, "__", 2) == 0) {
    Id dep = pool_conda_matchspec(pool, st->req->specs[spec]);
    explain_virtual(st, b, "the request", dep ? dep : pool_str2id(pool, ms->name, 1));
  } else if (total == 0) {
    krait_buf_printf(b, "nothing provides the requested %s: no package named %s in the channels searched",
                     st->req->specs[spec], ms->name);
  } else {
    /* Newest first: what the user most likely meant. */
    for (int i = 1; i < versions.count; i++)
      for (int j = i; j > 0 && pool_evrcmp(pool, versions.elements[j - 1], versions.elements[j], EVRCMP_COMPARE) < 0;
           j--) {
        Id t = versions.elements[j];
        versions.elements[j] = versions.elements[j - 1];
        versions.elements[j - 1] = t;
      }
    krait_buf_printf(b, "nothing matches the requested %s: %s is available in version%s ", st->req->specs[spec],
                     ms->name, versions.count > 1 ? "s" : "");
    int shown = versions.count < 8 ? versions.count : 8;
    for (int i = 0; i < shown; i++) krait_buf_printf(b, "%s%s", i ? ", " : "", pool_id2str(pool, versions.elements[i]));
    if (versions.count > shown) krait_buf_printf(b, " and %d more", versions.count - shown);
    if (ms->channel || ms->subdir || ms->build_number || ms->md5 || ms->sha256 || ms->fn)
      krait_buf_puts(b, " (but none with the channel/subdir/build/checksum the spec asks for)");
  }
  queue_free(&versions);
  return true;
}

static void explain_problem(krait_solve_state *st, krait_buf *b, Id problem) {
  Pool *pool = st->pool;
  problem_facts f;
  memset(&f, 0, sizeof f);
  queue_init(&f.specs);
  queue_init(&f.same_name);
  queue_init(&f.installed);
  collect(st, problem, &f);

  int lines = 0;
  /* Headline: the requested specs that clash, in the order they were asked. */
  for (int i = 1; i < f.specs.count; i++)
    for (int j = i; j > 0 && f.specs.elements[j - 1] > f.specs.elements[j]; j--) {
      Id t = f.specs.elements[j];
      f.specs.elements[j] = f.specs.elements[j - 1];
      f.specs.elements[j - 1] = t;
    }
  if (f.specs.count > 1) {
    krait_buf_puts(b, "  the requested ");
    for (int i = 0; i < f.specs.count; i++)
      krait_buf_printf(b, "%s%s", i ? (i + 1 == f.specs.count ? " and " : ", ") : "",
                       st->req->specs[f.specs.elements[i]]);
    krait_buf_puts(b, " cannot be installed together:\n");
  } else if (f.specs.count == 1) {
    krait_buf_printf(b, "  the requested %s cannot be installed:\n", st->req->specs[f.specs.elements[0]]);
  } else {
    krait_buf_puts(b, "  the environment cannot be kept consistent:\n");
  }
  for (int i = 0; i < f.specs.count && lines < MAX_LINES_PER_PROBLEM; i++) {
    krait_buf line = KRAIT_BUF_INIT;
    if (explain_empty_spec(st, &line, f.specs.elements[i])) {
      krait_buf_printf(b, "  - %s\n", krait_buf_str(&line));
      lines++;
    }
    krait_buf_free(&line);
  }
  /* Missing virtual packages first: the most actionable finding. */
  for (int pass = 0; pass < 3; pass++) {
    for (int i = 0; i < f.n_needs; i++) {
      need *n = &f.needs[i];
      bool virt = is_virtual_dep(pool, n->dep);
      bool want = pass == 0 ? virt : pass == 1 ? (!virt && n->type == SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP)
                                               : (!virt && n->type != SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP);
      if (!want || n->type == 0) continue;
      if (lines == MAX_LINES_PER_PROBLEM) {
        krait_buf_puts(b, "  - ... (more conflicts omitted)\n");
        lines++;
      }
      if (lines > MAX_LINES_PER_PROBLEM) continue;
      krait_buf who = KRAIT_BUF_INIT;
      describe_versions(&who, pool, n);
      krait_buf_puts(b, "  - ");
      if (virt && n->type != SOLVER_RULE_PKG_CONSTRAINS) {
        explain_virtual(st, b, krait_buf_str(&who), n->dep);
      } else if (n->type == SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP) {
        /* One line per package name listing every missing dependency of its builds. */
        need merged = *n;
        queue_init(&merged.versions);
        krait_buf deps = KRAIT_BUF_INIT;
        krait_strv missing = KRAIT_STRV_INIT;
        for (int k = i; k < f.n_needs; k++) {
          need *o = &f.needs[k];
          if (o->type != SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP || o->source_name != n->source_name ||
              is_virtual_dep(pool, o->dep))
            continue;
          for (int v = 0; v < o->versions.count; v++) push_unique(&merged.versions, o->versions.elements[v]);
          krait_strv_push(&missing, pool_dep2str(pool, o->dep));
          if (k != i) o->type = 0; /* printed here */
        }
        /* sorted by text: libsolv orders them by Id, which depends on the
         * order the records were loaded in, not on what they say */
        krait_strv_sort(&missing);
        int ndeps = (int)missing.len;
        for (int k = 0; k < ndeps && k < 10; k++) krait_buf_printf(&deps, "%s%s", k ? ", " : "", missing.items[k]);
        krait_strv_free(&missing);
        if (ndeps > 10) krait_buf_printf(&deps, " and %d more", ndeps - 10);
        krait_buf_clear(&who);
        describe_versions(&who, pool, &merged);
        krait_buf_printf(b, "%s requires %s, but no package in the channels provides %s", krait_buf_str(&who),
                         krait_buf_str(&deps), ndeps > 1 ? "them" : "it");
        queue_free(&merged.versions);
        krait_buf_free(&deps);
      } else if (n->type == SOLVER_RULE_PKG_CONSTRAINS) {
        krait_buf_printf(b, "%s constrains %s", krait_buf_str(&who), pool_dep2str(pool, n->dep));
        if (n->target) {
          krait_buf_puts(b, ", which excludes ");
          describe_solvable(b, pool, n->target);
        }
        int r = requested_with_name(st, dep_name(pool, n->dep));
        if (r >= 0) krait_buf_printf(b, " (requested as %s)", st->req->specs[r]);
      } else {
        krait_buf_printf(b, "%s requires %s", krait_buf_str(&who), pool_dep2str(pool, n->dep));
        Id dn = dep_name(pool, n->dep);
        int r = requested_with_name(st, dn);
        const krait_prefix_record *inst =
            st->installed ? krait_prefix_find(&st->prefix, pool_id2str(pool, dn)) : NULL;
        if (r >= 0 && dn != n->source_name)
          krait_buf_printf(b, ", which conflicts with the requested %s", st->req->specs[r]);
        else if (inst && dn != n->source_name)
          krait_buf_printf(b, ", which conflicts with the installed %s %s %s", inst->rec.name, inst->rec.version,
                           inst->rec.build);
      }
      krait_buf_putc(b, '\n');
      krait_buf_free(&who);
      lines++;
    }
  }
  if (lines == 0 && f.same_name.count >= 2) {
    krait_buf_puts(b, "  - only one of ");
    describe_solvable(b, pool, f.same_name.elements[0]);
    krait_buf_puts(b, " and ");
    describe_solvable(b, pool, f.same_name.elements[1]);
    krait_buf_puts(b, " can be installed\n");
    lines++;
  }
  if (f.pinned) {
    krait_buf_puts(b, "  - a pinned package (pinned_packages / conda-meta/pinned) is part of the conflict\n");
    lines++;
  }
  if (f.strict_priority) {
    krait_buf_puts(b, "  - strict channel priority hides candidates from lower-priority channels "
                      "(try --channel-priority flexible)\n");
    lines++;
  }
  if (lines == 0) {
    /* Fall back to libsolv's own sentence for the decisive rule, which at
     * least names the packages involved. */
    Id rid = solver_findproblemrule(st->solv, problem);
    Id from = 0, to = 0, dep = 0;
    SolverRuleinfo type = solver_ruleinfo(st->solv, rid, &from, &to, &dep);
    krait_buf_printf(b, "  - %s\n", solver_problemruleinfo2str(st->solv, type, from, to, dep));
  }
  free_facts(&f);
}

void krait_explain_problems(krait_solve_state *st, krait_buf *b) {
  int n = (int)solver_problem_count(st->solv);
  krait_buf_printf(b, "could not find a solution (%d problem%s):\n", n, n == 1 ? "" : "s");
  int shown = n < 5 ? n : 5;
  for (Id p = 1; p <= shown; p++) explain_problem(st, b, p);
  if (n > shown) krait_buf_printf(b, "  (%d more problems not shown)\n", n - shown);
  /* err->msg has no trailing newline. */
  while (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = '\0';
}
