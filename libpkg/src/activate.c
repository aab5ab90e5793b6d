/* Activation plans: what activating, deactivating or reactivating an
 * environment changes (see krait/activate.h for the model).
 *
 * The plan is computed on a copy of the environment: the copy is taken
 * through the same steps a shell would (suspend the active env, push the new
 * one), and the plan's changes are the difference between the copy and the
 * original, so replacing one env by another is a single net set of changes. */
#include "krait/activate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "activate_record.h"
#include "krait/envreg.h"
#include "krait/fs.h"

#define RECORD_VAR_FMT "_KRAIT_ACT_%d"

/* ---- shells ---- */

static const struct {
  const char *name;
  krait_shell shell;
} shell_names[] = {
    {"posix", KRAIT_SHELL_POSIX}, {"sh", KRAIT_SHELL_POSIX},  {"dash", KRAIT_SHELL_POSIX},
    {"bash", KRAIT_SHELL_BASH},   {"zsh", KRAIT_SHELL_ZSH},   {"fish", KRAIT_SHELL_FISH},
    {"tcsh", KRAIT_SHELL_TCSH},   {"csh", KRAIT_SHELL_TCSH},
};

krait_code krait_shell_parse(const char *name, krait_shell *out, krait_err *err) {
  for (size_t i = 0; name && i < sizeof shell_names / sizeof *shell_names; i++)
    if (strcmp(shell_names[i].name, name) == 0) {
      *out = shell_names[i].shell;
      return KRAIT_OK;
    }
  return krait_err_set(err, KRAIT_E_INVALID, "unknown shell \"%s\" (expected bash, zsh, fish, tcsh or posix)",
                       name ? name : "");
}

const char *krait_shell_name(krait_shell shell) {
  switch (shell) {
  case KRAIT_SHELL_BASH: return "bash";
  case KRAIT_SHELL_ZSH: return "zsh";
  case KRAIT_SHELL_FISH: return "fish";
  case KRAIT_SHELL_TCSH: return "tcsh";
  case KRAIT_SHELL_POSIX: break;
  }
  return "posix";
}

const char *krait_shell_script_ext(krait_shell shell) {
  switch (shell) {
  case KRAIT_SHELL_FISH: return ".fish";
  case KRAIT_SHELL_TCSH: return ".csh";
  default: return ".sh";
  }
}

/* ---- scripts ---- */

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

void krait_act_list_scripts(const char *prefix, const char *dir, const char *ext, bool reverse, krait_strv *out) {
  if (!ext)
    return;
  char *path = krait_asprintf("%s/etc/conda/%s", prefix, dir);
  krait_strv names = KRAIT_STRV_INIT;
  DIR *d = opendir(path);
  if (d) {
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.' || !ends_with(e->d_name, ext))
        continue;
      char *full = krait_path_join(path, e->d_name);
      struct stat st;
      if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
        krait_strv_push(&names, full);
      free(full);
    }
    closedir(d);
  }
  krait_strv_sort(&names); /* strcmp: code-point order, as conda */
  for (size_t i = 0; i < names.len; i++)
    krait_strv_push(out, names.items[reverse ? names.len - 1 - i : i]);
  krait_strv_free(&names);
  free(path);
}

/* ---- PATH as a list (empty entries kept: they mean the current directory) ---- */

static void path_split(const char *path, krait_strv *out) {
  if (!path)
    return;
  for (const char *p = path;;) {
    size_t n = strcspn(p, ":");
    krait_strv_push_owned(out, krait_strndup(p, n));
    if (!p[n])
      break;
    p += n + 1;
  }
}

static char *path_join(const krait_strv *v) {
  krait_buf b = KRAIT_BUF_INIT;
  for (size_t i = 0; i < v->len; i++)
    krait_buf_printf(&b, "%s%s", i ? ":" : "", v->items[i]);
  return krait_buf_steal(&b);
}

/* Removes the first occurrence of `entry`; returns its index or -1. */
static long path_remove(krait_strv *v, const char *entry) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(v->items[i], entry) == 0) {
      free(v->items[i]);
      memmove(&v->items[i], &v->items[i + 1], (v->len - i - 1) * sizeof *v->items);
      v->len--;
      return (long)i;
    }
  return -1;
}

static void path_insert(krait_strv *v, size_t at, const char *entry) {
  krait_strv_push(v, entry);
  char *item = v->items[v->len - 1];
  memmove(&v->items[at + 1], &v->items[at], (v->len - 1 - at) * sizeof *v->items);
  v->items[at] = item;
}

/* ---- the working state of one plan ---- */

typedef struct work {
  const krait_act_request *req;
  const krait_envmap *orig; /* E0: the environment as given */
  krait_envmap env;         /* E: after the steps so far */
  krait_strv path;          /* E's PATH as a list */
  bool path_was_set;
  krait_act_plan *plan;
} work;

static int level_of(const krait_envmap *env) {
  const char *s = krait_envmap_get(env, "CONDA_SHLVL");
  if (!s || !*s)
    return 0;
  char *end;
  long n = strtol(s, &end, 10);
  return *end || n < 0 || n > 10000 ? 0 : (int)n;
}

static char *record_var(int level) { return krait_asprintf(RECORD_VAR_FMT, level); }

/* Reads the record of `level` into r; *found says whether there was one. */
static krait_code load_record(const krait_envmap *env, int level, act_record *r, bool *found, krait_err *err) {
  char *var = record_var(level);
  const char *text = krait_envmap_get(env, var);
  *found = text != NULL;
  krait_code rc = text ? act_record_decode(text, var, r, err) : KRAIT_OK;
  free(var);
  return rc;
}

static void set_var(work *w, const char *name, const char *value) { krait_envmap_set(&w->env, name, value); }

/* The state variables of the env at `prefix` (for envs without a record). */
static krait_code unset_state_vars(work *w, const char *prefix, krait_err *err) {
  krait_env_vars vars = {KRAIT_STRV_INIT, KRAIT_STRV_INIT};
  krait_code rc = krait_act_env_vars(prefix, &vars, err);
  for (size_t i = 0; !rc && i < vars.names.len; i++)
    set_var(w, vars.names.items[i], NULL);
  krait_env_vars_free(&vars);
  return rc;
}

/* In the second phase (deactivate_scripts_ran) the shell already sourced them. */
static void list_deactivate_scripts(work *w, const char *prefix) {
  if (!w->req->deactivate_scripts_ran)
    krait_act_list_scripts(prefix, "deactivate.d", w->req->script_ext, true, &w->plan->deactivate_scripts);
}

/* Takes the top env out of the environment for a replacing activation:
 * its deactivate.d scripts, its own variables back to what they were before
 * it set them, its PATH entries out (remembered in *removed). */
static krait_code suspend_top(work *w, int level, const char *top_prefix, krait_strv *removed, krait_err *err) {
  list_deactivate_scripts(w, top_prefix);
  act_record r;
  memset(&r, 0, sizeof r);
  bool found;
  krait_code rc = load_record(&w->env, level, &r, &found, err);
  if (!rc && found) {
    for (size_t i = 0; i < r.own_before.len; i++)
      set_var(w, r.own_before.items[i].name, r.own_before.items[i].value);
    for (size_t i = 0; i < r.own_unset.len; i++)
      set_var(w, r.own_unset.items[i], NULL);
    for (size_t i = 0; i < r.inserted.len; i++)
      if (path_remove(&w->path, r.inserted.items[i]) >= 0)
        krait_strv_push(removed, r.inserted.items[i]);
  } else if (!rc) {
    /* activated by conda or an older krait: conda's way, unset and remove */
    rc = unset_state_vars(w, top_prefix, err);
    char *bin = krait_path_join(top_prefix, "bin");
    if (path_remove(&w->path, bin) >= 0)
      krait_strv_push(removed, bin);
    free(bin);
  }
  act_record_free(&r);
  return rc;
}

static bool reserved_name(const char *name) {
  return strcmp(name, "PATH") == 0 || strncmp(name, "CONDA_PREFIX", 12) == 0 || strcmp(name, "CONDA_SHLVL") == 0 ||
         strncmp(name, "_KRAIT_ACT_", 11) == 0;
}

static void finish_path(work *w) {
  if (w->path.len || w->path_was_set) {
    char *joined = path_join(&w->path);
    set_var(w, "PATH", joined);
    free(joined);
  }
}

/* The record of the new level: every variable that differs from the
 * original environment, with its original value. */
static void record_diff(const work *w, act_record *r) {
  if (!w->path_was_set)
    krait_strv_push(&r->unset_before, "PATH");
  for (size_t i = 0; i < w->env.len; i++) {
    const char *name = w->env.items[i].name;
    if (strcmp(name, "PATH") == 0)
      continue;
    const char *old = krait_envmap_get(w->orig, name);
    if (!old)
      krait_strv_push(&r->unset_before, name);
    else if (strcmp(old, w->env.items[i].value) != 0)
      krait_envmap_set(&r->before, name, old);
  }
  for (size_t i = 0; i < w->orig->len; i++) {
    const char *name = w->orig->items[i].name;
    if (strcmp(name, "PATH") != 0 && !krait_envmap_get(&w->env, name))
      krait_envmap_set(&r->before, name, w->orig->items[i].value);
  }
}

static krait_code check_env_prefix(const char *prefix, krait_err *err) {
  if (!prefix || prefix[0] != '/')
    return krait_err_set(err, KRAIT_E_INVALID, "activation needs an absolute prefix, got \"%s\"",
                         prefix ? prefix : "");
  if (!krait_is_env(prefix))
    return krait_err_set(err, KRAIT_E_NOTFOUND, "%s is not an environment (it has no conda-meta/ directory)",
                         prefix);
  return KRAIT_OK;
}

static krait_code build_reactivate(work *w, krait_err *err) {
  (void)err;
  const char *top = krait_envmap_get(w->orig, "CONDA_PREFIX");
  if (!top || level_of(w->orig) < 1)
    return KRAIT_OK;
  krait_act_list_scripts(top, "deactivate.d", w->req->script_ext, true, &w->plan->deactivate_scripts);
  krait_act_list_scripts(top, "activate.d", w->req->script_ext, false, &w->plan->activate_scripts);
  return KRAIT_OK;
}

static krait_code build_activate(work *w, krait_err *err) {
  const krait_act_request *req = w->req;
  krait_code rc = check_env_prefix(req->prefix, err);
  if (rc)
    return rc;
  int level = level_of(w->orig);
  const char *top = level >= 1 ? krait_envmap_get(w->orig, "CONDA_PREFIX") : NULL;
  if (top && !*top)
    top = NULL;
  if (top && !req->stack && strcmp(top, req->prefix) == 0)
    return build_reactivate(w, err); /* conda: activating the active env reactivates it */

  act_record rec;
  memset(&rec, 0, sizeof rec);
  if (req->change_prompt)
    w->plan->prompt_save_level = level + 1;
  if (top && !req->stack) {
    rc = suspend_top(w, level, top, &rec.removed, err);
    rec.replaced = true;
    if (!rc && req->change_prompt)
      w->plan->prompt_restore_level = level; /* kept: deactivating this level brings it back */
  }
  /* the env's own variables, remembering what they were just before */
  krait_env_vars vars = {KRAIT_STRV_INIT, KRAIT_STRV_INIT};
  krait_strv *names = &vars.names, *values = &vars.values;
  if (!rc)
    rc = krait_act_env_vars(req->prefix, &vars, err);
  for (size_t i = 0; !rc && i < names->len; i++)
    if (reserved_name(names->items[i]))
      rc = krait_err_set(err, KRAIT_E_INVALID, "%s: the environment's variables may not set %s", req->prefix,
                         names->items[i]);
  if (rc) {
    krait_env_vars_free(&vars);
    act_record_free(&rec);
    return rc;
  }
  const char *name = req->env_name ? req->env_name : req->prefix;
  if (top) {
    char *saved = krait_asprintf("CONDA_PREFIX_%d", level);
    set_var(w, saved, top);
    free(saved);
  }
  char *shlvl = krait_asprintf("%d", level + 1);
  set_var(w, "CONDA_SHLVL", shlvl);
  free(shlvl);
  set_var(w, "CONDA_PREFIX", req->prefix);
  set_var(w, "CONDA_DEFAULT_ENV", name);
  char *modifier = krait_asprintf("(%s) ", name);
  set_var(w, "CONDA_PROMPT_MODIFIER", modifier);
  if (req->change_prompt)
    w->plan->prompt_prefix = krait_strdup(modifier);
  free(modifier);
  for (size_t i = 0; i < names->len; i++) {
    const char *before = krait_envmap_get(&w->env, names->items[i]);
    if (before)
      krait_envmap_set(&rec.own_before, names->items[i], before);
    else if (!krait_strv_contains(&rec.own_unset, names->items[i]))
      krait_strv_push(&rec.own_unset, names->items[i]);
    set_var(w, names->items[i], values->items[i]);
  }
  krait_env_vars_free(&vars);

  char *bin = krait_path_join(req->prefix, "bin");
  path_insert(&w->path, 0, bin);
  krait_strv_push(&rec.inserted, bin);
  free(bin);
  finish_path(w);

  record_diff(w, &rec);
  char *var = record_var(level + 1);
  char *text = act_record_encode(&rec);
  set_var(w, var, text);
  free(text);
  free(var);
  act_record_free(&rec);
  krait_act_list_scripts(req->prefix, "activate.d", req->script_ext, false, &w->plan->activate_scripts);
  return KRAIT_OK;
}

/* Deactivation of an env that has no record (activated by conda): conda's
 * way, variables unset rather than restored. */
static krait_code deactivate_without_record(work *w, int level, const char *top, krait_err *err) {
  krait_code rc = unset_state_vars(w, top, err);
  if (rc)
    return rc;
  char *bin = krait_path_join(top, "bin");
  path_remove(&w->path, bin);
  free(bin);
  finish_path(w);
  char *prev_var = krait_asprintf("CONDA_PREFIX_%d", level - 1);
  const char *prev = level > 1 ? krait_envmap_get(&w->env, prev_var) : NULL;
  if (prev) {
    char *modifier = krait_asprintf("(%s) ", prev);
    set_var(w, "CONDA_PREFIX", prev);
    set_var(w, "CONDA_DEFAULT_ENV", prev);
    set_var(w, "CONDA_PROMPT_MODIFIER", modifier);
    free(modifier);
    set_var(w, prev_var, NULL);
  } else {
    set_var(w, "CONDA_PREFIX", NULL);
    set_var(w, "CONDA_DEFAULT_ENV", NULL);
    set_var(w, "CONDA_PROMPT_MODIFIER", NULL);
  }
  free(prev_var);
  char *shlvl = krait_asprintf("%d", level - 1);
  set_var(w, "CONDA_SHLVL", shlvl);
  free(shlvl);
  return KRAIT_OK;
}

static krait_code build_deactivate(work *w, krait_err *err) {
  int level = level_of(w->orig);
  const char *top = krait_envmap_get(w->orig, "CONDA_PREFIX");
  if (level < 1 || !top || !*top)
    return KRAIT_OK; /* nothing active: like conda, nothing to do */
  act_record r;
  memset(&r, 0, sizeof r);
  bool found;
  krait_code rc = load_record(w->orig, level, &r, &found, err);
  if (rc) {
    act_record_free(&r);
    return rc;
  }
  list_deactivate_scripts(w, top);
  if (!found) {
    act_record_free(&r);
    return deactivate_without_record(w, level, top, err);
  }
  for (size_t i = 0; i < r.before.len; i++)
    set_var(w, r.before.items[i].name, r.before.items[i].value);
  for (size_t i = 0; i < r.unset_before.len; i++)
    set_var(w, r.unset_before.items[i], NULL);
  /* the entries this level inserted out; the ones it removed back where they were */
  long at = -1;
  for (size_t i = 0; i < r.inserted.len; i++) {
    long where = path_remove(&w->path, r.inserted.items[i]);
    if (at < 0 || (where >= 0 && where < at))
      at = where;
  }
  if (at < 0)
    at = 0;
  for (size_t i = 0; i < r.removed.len; i++)
    path_insert(&w->path, (size_t)at + i > w->path.len ? w->path.len : (size_t)at + i, r.removed.items[i]);
  finish_path(w);
  if (!w->path.len && krait_strv_contains(&r.unset_before, "PATH"))
    set_var(w, "PATH", NULL);
  char *var = record_var(level);
  set_var(w, var, NULL);
  free(var);
  if (w->req->change_prompt)
    w->plan->prompt_restore_level = level;
  const char *below = krait_envmap_get(&w->env, "CONDA_PREFIX");
  if (r.replaced && below)
    krait_act_list_scripts(below, "activate.d", w->req->script_ext, false, &w->plan->activate_scripts);
  act_record_free(&r);
  return KRAIT_OK;
}

static void plan_changes(work *w) {
  krait_act_plan *p = w->plan;
  size_t cap = w->orig->len + w->env.len;
  p->changes = krait_calloc(cap ? cap : 1, sizeof *p->changes);
  for (size_t i = 0; i < w->orig->len; i++) {
    const krait_env_var *o = &w->orig->items[i];
    const char *now = krait_envmap_get(&w->env, o->name);
    if (!now || strcmp(now, o->value) != 0)
      p->changes[p->n_changes++] = (krait_env_var){krait_strdup(o->name), krait_strdup(now)};
  }
  for (size_t i = 0; i < w->env.len; i++)
    if (!krait_envmap_get(w->orig, w->env.items[i].name))
      p->changes[p->n_changes++] =
          (krait_env_var){krait_strdup(w->env.items[i].name), krait_strdup(w->env.items[i].value)};
}

krait_code krait_act_plan_build(const krait_act_request *req, const krait_envmap *env, krait_act_plan *out,
                                krait_err *err) {
  memset(out, 0, sizeof *out);
  work w;
  memset(&w, 0, sizeof w);
  w.req = req;
  w.orig = env;
  w.plan = out;
  for (size_t i = 0; i < env->len; i++)
    krait_envmap_set(&w.env, env->items[i].name, env->items[i].value);
  const char *path = krait_envmap_get(env, "PATH");
  w.path_was_set = path != NULL;
  path_split(path, &w.path);
  krait_code rc;
  switch (req->kind) {
  case KRAIT_ACT_ACTIVATE: rc = build_activate(&w, err); break;
  case KRAIT_ACT_DEACTIVATE: rc = build_deactivate(&w, err); break;
  default: rc = build_reactivate(&w, err); break;
  }
  if (!rc)
    plan_changes(&w);
  krait_envmap_free(&w.env);
  krait_strv_free(&w.path);
  if (rc)
    krait_act_plan_free(out);
  return rc;
}

bool krait_act_needs_two_phases(const krait_act_plan *plan) {
  return plan->deactivate_scripts.len && plan->n_changes;
}

void krait_act_plan_apply(const krait_act_plan *plan, krait_envmap *env) {
  for (size_t i = 0; i < plan->n_changes; i++)
    krait_envmap_set(env, plan->changes[i].name, plan->changes[i].value);
}

void krait_act_plan_free(krait_act_plan *plan) {
  krait_strv_free(&plan->deactivate_scripts);
  krait_strv_free(&plan->activate_scripts);
  for (size_t i = 0; i < plan->n_changes; i++) {
    free(plan->changes[i].name);
    free(plan->changes[i].value);
  }
  free(plan->changes);
  free(plan->prompt_prefix);
  memset(plan, 0, sizeof *plan);
}
