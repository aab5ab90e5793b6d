/* krait's libsolv patches (cmake/libsolv-patches/), checked on the libsolv we link:
 *  0001: among builds of one name that tie on version and build number, libsolv
 *        picks the one conda picks (see docs/solver-build-preference.md); checked
 *        by solving every case of tests/solver/index4-expected.txt over conda's
 *        index4 test data and comparing the whole package set.
 *  0002: a record whose subdir differs from info.subdir is kept (under
 *        info.subdir) and reported through the pool's warning callback.
 *  0004: arrays and objects nested in "info" are skipped, not walked into
 *        (a 16-byte {"info":{"a":["x"] crashed the reader in parse_info).
 *  0005: version/build regexes that could make glibc's regcomp explode
 *        (stacked or nested quantifiers, big counts) match nothing instead.
 *  0007: solver_unifyrules' own sort leaves the package rules of a real
 *        conda-forge solve (~475,000 before unification) strictly increasing
 *        by libsolv's rule comparator, i.e. sorted and without duplicates, as
 *        the full sort did (the order is unique for that comparator); and so
 *        do rules made in a shuffled order, with duplicates far apart.
 *  0009: a .solv's relations, read in blocks with their hash slots prefetched,
 *        get the ids the one-at-a-time reader gave: relations the pool already
 *        has keep theirs, none is added twice, each names what was written,
 *        also when it names another of its own block (a nested relation).
 *  0012: a conda glob of literal characters and '*' matches, in versions
 *        (ignoring ASCII case) and builds, exactly what the regex libsolv
 *        builds from it matches (checked against regcomp/regexec here,
 *        with globs that take the plain scan and globs that do not).
 *  0011: ids read back from repodata (an idarray such as constrains, whose
 *        relations carry the top bit) are the ids stored, without shifting
 *        into int's sign bit (UBSan in the sanitized build; found by
 *        fuzz_repodata through a record's constrains read back).
 * This test talks to libsolv directly (not through krait's solver module) on
 * purpose: it pins the behaviour of the patched library itself. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/conda.h>
#include <solv/pool.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/repo_conda.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/repodata.h>
#include <solv/solvable.h>
#include <solv/transaction.h>
/* the 0007 check reads the solver's rule array (solv->rules, pkgrules_end):
 * solver.h shows it to LIBSOLV_INTERNAL code; the headers above (whose
 * internal parts need uninstalled headers) are already in without it */
#define LIBSOLV_INTERNAL
#include <solv/solver.h>
#undef LIBSOLV_INTERNAL

#include "harness.h"
#include "krait/buf.h"
#include "krait/fs.h"

/* Loads JSON text into a new repo of pool (*repop, owned by pool); 0 on success. */
static int load_conda_json(Pool *pool, const char *name, const char *json, size_t len, Repo **repop) {
  FILE *fp = fmemopen((void *)json, len, "r");
  if (!fp)
    return -1;
  *repop = repo_create(pool, name);
  int rc = repo_add_conda(*repop, fp, 0);
  fclose(fp);
  return rc;
}

/* "name version build" of every package the solver installs for the
 * space-separated specs, sorted; out->len == 0 and *problem set when unsolvable. */
static void solve_line(Pool *pool, const char *line, krait_strv *out, char **problem) {
  Queue job;
  queue_init(&job);
  const char *p = line;
  while (*p) {
    while (*p == ' ')
      p++;
    size_t n = strcspn(p, " ");
    if (n) {
      char *spec = krait_strndup(p, n);
      queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_conda_matchspec(pool, spec));
      free(spec);
    }
    p += n;
  }
  Solver *solv = solver_create(pool);
  *problem = NULL;
  if (solver_solve(solv, &job)) {
    *problem = krait_strdup(solver_problem2str(solv, 1));
  } else {
    Transaction *trans = solver_create_transaction(solv);
    Queue inst;
    queue_init(&inst);
    transaction_installedresult(trans, &inst);
    for (int i = 0; i < inst.count; i++) {
      Solvable *s = pool_id2solvable(pool, inst.elements[i]);
      const char *build = solvable_lookup_str(s, SOLVABLE_BUILDFLAVOR);
      krait_strv_push_owned(out, krait_asprintf("%s %s %s", pool_id2str(pool, s->name),
                                                pool_id2str(pool, s->evr), build ? build : ""));
    }
    queue_free(&inst);
    transaction_free(trans);
  }
  krait_strv_sort(out);
  solver_free(solv);
  queue_free(&job);
}

/* Reports the packages only one of the two sorted lists has. */
static void report_diff(const char *spec, const krait_strv *got, const krait_strv *want) {
  for (size_t i = 0; i < want->len; i++)
    if (!krait_strv_contains(got, want->items[i]))
      fprintf(stderr, "  %s: missing %s\n", spec, want->items[i]);
  for (size_t i = 0; i < got->len; i++)
    if (!krait_strv_contains(want, got->items[i]))
      fprintf(stderr, "  %s: extra   %s\n", spec, got->items[i]);
}

static bool same_list(const krait_strv *a, const krait_strv *b) {
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (strcmp(a->items[i], b->items[i]) != 0)
      return false;
  return true;
}

/* Solves one "## spec" case and checks it against its expected lines. */
static void check_case(Pool *pool, const char *spec, const krait_strv *want) {
  krait_strv got = KRAIT_STRV_INIT;
  char *problem = NULL;
  solve_line(pool, spec, &got, &problem);
  CHECK(problem == NULL, "%s: unsolvable: %s", spec, problem ? problem : "");
  bool same = same_list(&got, want);
  CHECK(same, "%s: got %zu packages, want %zu", spec, got.len, want->len);
  if (!same)
    report_diff(spec, &got, want);
  free(problem);
  krait_strv_free(&got);
}

static void test_index4_expected(void) {
  char *index4 = krait_test_shared("repodata/conda-test-index-records/index4.json");
  const char *srcdir = getenv("KRAIT_SOURCE_DIR");
  if (!index4 || !srcdir)
    krait_test_skip("index4.json (KRAIT_SHARED_DIR) or KRAIT_SOURCE_DIR not available");
  krait_err err;
  krait_buf records = KRAIT_BUF_INIT, expected = KRAIT_BUF_INIT;
  char *expected_path = krait_path_join(srcdir, "tests/solver/index4-expected.txt");
  CHECK(krait_read_file(index4, &records, &err) == 0, "%s", err.msg);
  CHECK(krait_read_file(expected_path, &expected, &err) == 0, "%s", err.msg);

  /* index4.json is a flat fn -> record object: wrap it as repodata; each
   * record keeps its own subdir as there is no info.subdir. */
  krait_buf json = KRAIT_BUF_INIT;
  krait_buf_puts(&json, "{\"packages\":");
  krait_buf_append(&json, records.data, records.len);
  krait_buf_puts(&json, "}");

  Pool *pool = pool_create();
  Repo *repo = NULL;
  pool_setdisttype(pool, DISTTYPE_CONDA);
  CHECK(load_conda_json(pool, "index4", json.data, json.len, &repo) == 0, "load index4: %s", pool_errstr(pool));
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);

  int ncases = 0;
  char *spec = NULL;
  krait_strv want = KRAIT_STRV_INIT;
  const char *p = krait_buf_str(&expected);
  while (p && *p) {
    size_t n = strcspn(p, "\n");
    if (n > 3 && strncmp(p, "## ", 3) == 0) {
      if (spec)
        check_case(pool, spec, &want), ncases++;
      free(spec);
      spec = krait_strndup(p + 3, n - 3);
      krait_strv_free(&want);
    } else if (n) {
      krait_strv_push_owned(&want, krait_strndup(p, n));
    }
    p += n + (p[n] == '\n');
  }
  if (spec)
    check_case(pool, spec, &want), ncases++;
  CHECK(ncases >= 18, "only %d cases in %s", ncases, expected_path);

  free(spec);
  krait_strv_free(&want);
  pool_free(pool);
  krait_buf_free(&json);
  krait_buf_free(&records);
  krait_buf_free(&expected);
  free(expected_path);
  free(index4);
}

static void collect_warning(Pool *pool, void *data, int type, const char *str) {
  (void)pool;
  if (type & SOLV_WARN)
    krait_buf_puts(data, str);
}

static void test_subdir_mismatch_kept(void) {
  static const char json[] =
      "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{"
      "\"a-1-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\",\"build_number\":0,"
      "\"depends\":[],\"subdir\":\"noarch\"},"
      "\"b-1-0.tar.bz2\":{\"name\":\"b\",\"version\":\"1\",\"build\":\"0\",\"build_number\":0,"
      "\"depends\":[\"a\"],\"subdir\":\"linux-64\"}}}";
  krait_buf warnings = KRAIT_BUF_INIT;
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  pool_setdebugcallback(pool, collect_warning, &warnings);
  pool_setdebugmask(pool, SOLV_WARN);
  Repo *repo = NULL;
  CHECK(load_conda_json(pool, "mixed", json, sizeof json - 1, &repo) == 0, "mismatch aborted the load: %s",
        pool_errstr(pool));
  CHECK(repo && repo->nsolvables == 2, "records kept: %d", repo ? repo->nsolvables : -1);
  const char *w = krait_buf_str(&warnings);
  CHECK(w && strstr(w, "a-1-0.tar.bz2") && strstr(w, "1 record "), "warning: \"%s\"", w ? w : "");
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    if (strcmp(pool_id2str(pool, s->name), "a") == 0)
      CHECK_STR(solvable_get_location(s, NULL), "linux-64/a-1-0.tar.bz2");
  }
  pool_free(pool);
  krait_buf_free(&warnings);
}

/* Hostile "info" members: each loads or fails cleanly (the unpatched reader
 * crashed on the first). Whatever follows the nested value is still read. */
static void test_info_nested_values(void) {
  static const char *const bad[] = {
      "{\"info\":{\"a\":[\"x\"]",
      "{\"info\":{\"a\":[\"x\"]}",
      "{\"info\":{\"a\":{\"b\":\"c\"}",
      "{\"info\":{\"a\":[[\"subdir\"],{\"subdir\":1}]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Pool *pool = pool_create();
    pool_setdisttype(pool, DISTTYPE_CONDA);
    Repo *repo = NULL;
    int rc = load_conda_json(pool, "bad", bad[i], strlen(bad[i]), &repo);
    CHECK(rc != 0, "truncated %s loaded", bad[i]);
    pool_free(pool);
  }
  static const char good[] = "{\"info\":{\"a\":[\"x\",{\"subdir\":\"osx-64\"}],\"o\":{\"k\":[1]},"
                             "\"subdir\":\"linux-64\"},\"packages\":{"
                             "\"a-1-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\"}}}";
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = NULL;
  CHECK(load_conda_json(pool, "nested", good, sizeof good - 1, &repo) == 0, "nested info: %s", pool_errstr(pool));
  CHECK(repo && repo->nsolvables == 1, "record after nested info: %d", repo ? repo->nsolvables : -1);
  if (repo && repo->nsolvables == 1)
    CHECK_STR(solvable_get_location(pool_id2solvable(pool, repo->start), NULL), "linux-64/a-1-0.tar.bz2");
  pool_free(pool);
}

/* Number of packages a conda matchspec selects (libsolv's own matching). */
static int count_matches(Pool *pool, const char *spec) {
  Id dep = pool_conda_matchspec(pool, spec);
  int n = 0;
  for (Id *pp = pool_whatprovides_ptr(pool, dep); *pp; pp++)
    n++;
  return n;
}

static void test_bounded_regex(void) {
  static const char json[] = "{\"packages\":{"
                             "\"a-1.0-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1.0\",\"build\":\"py_0\"},"
                             "\"a-1.1-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1.1\",\"build\":\"py_0\"},"
                             "\"a-2.0-0.tar.bz2\":{\"name\":\"a\",\"version\":\"2.0\",\"build\":\"py_0\"}}}";
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = NULL;
  CHECK(load_conda_json(pool, "r", json, sizeof json - 1, &repo) == 0, "load: %s", pool_errstr(pool));
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  CHECK(count_matches(pool, "a ^1\\..*$") == 2, "plain regex matches 1.0 and 1.1");
  CHECK(count_matches(pool, "a ^[12]\\.[0-9]?$") == 3, "bracket regex with a quantifier");
  CHECK(count_matches(pool, "a ^(1|2)\\.0$") == 0, "'|' splits libsolv's version (unchanged by 0005)");
  /* each took gigabytes (or forever) in regcomp before 0005 */
  CHECK(count_matches(pool, "a ^1+++++++++++++++++++++++++$") == 0, "stacked quantifiers match nothing");
  CHECK(count_matches(pool, "a ^((((1.0)*)*)*)*$") == 0, "nested quantifiers match nothing");
  CHECK(count_matches(pool, "a ^(1{100}){100}$") == 0, "nested counts match nothing");
  CHECK(count_matches(pool, "a ^1{1000}$") == 0, "big count matches nothing");
  pool_free(pool);
}

/* Loads a repodata.json file into a new repo; false (after a CHECK) when it cannot. */
static bool load_conda_file(Pool *pool, const char *path, const char *name) {
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err;
  bool ok = krait_read_file(path, &text, &err) == 0;
  CHECK(ok, "%s", err.msg);
  Repo *repo = NULL;
  if (ok) {
    ok = load_conda_json(pool, name, text.data, text.len, &repo) == 0;
    CHECK(ok, "load %s: %s", path, pool_errstr(pool));
  }
  krait_buf_free(&text);
  return ok;
}

static void test_unified_rules_sorted(void) {
  char *native = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json");
  char *noarch = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/noarch/repodata.json");
  if (!native || !noarch) {
    free(native);
    free(noarch);
    return;
  }
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  if (load_conda_file(pool, native, "linux-64") && load_conda_file(pool, noarch, "noarch")) {
    pool_addfileprovides(pool);
    pool_createwhatprovides(pool);
    Queue job;
    queue_init(&job);
    queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_conda_matchspec(pool, "python=3.9"));
    queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_conda_matchspec(pool, "pip"));
    Solver *solv = solver_create(pool);
    solver_solve(solv, &job); /* solvable or not: the package rules are made and unified first */
    int n = solv->pkgrules_end - 1, bad = 0;
    for (Id rid = 2; rid < solv->pkgrules_end; rid++)
      if (solver_rulecmp(solv, solv->rules + rid - 1, solv->rules + rid) >= 0)
        bad++;
    CHECK(n > 100000, "only %d package rules: not the conda-forge slice?", n);
    CHECK(bad == 0, "%d of %d package rules are not strictly after their predecessor", bad, n);
    solver_free(solv);
    queue_free(&job);
  }
  pool_free(pool);
  free(native);
  free(noarch);
}

/* Package rules in the orders the real slice does not guarantee: one
 * package requiring 300 others in a shuffled order (so its run of rules has
 * many short stretches: the merge sort, not the stretch merge), some of them
 * twice far apart (duplicates only unification removes), and a name with 60
 * builds (descending stretches of same-name conflicts). The rules must come
 * out strictly increasing, and every requirement of hub must still have its
 * rule. */
static void test_unified_rules_shuffled(void) {
  enum { N = 300, BUILDS = 60 };
  int order[N + 20];
  for (int i = 0; i < N; i++)
    order[i] = i;
  unsigned x = 12345;
  for (int i = N - 1; i > 0; i--) { /* a fixed shuffle (an LCG), the same every run */
    x = x * 1103515245u + 12345u;
    int j = (int)((x >> 8) % (unsigned)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int i = 0; i < 20; i++)
    order[N + i] = order[i * 7]; /* the same requirement again, far from its first */
  krait_buf js = KRAIT_BUF_INIT;
  krait_buf_puts(&js, "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{\"hub-1-0.tar.bz2\":{\"name\":\"hub\","
                      "\"version\":\"1\",\"build\":\"0\",\"build_number\":0,\"depends\":[\"fam\"");
  for (int i = 0; i < N + 20; i++)
    krait_buf_printf(&js, ",\"d%d\"", order[i]);
  krait_buf_puts(&js, "]}");
  for (int i = 0; i < N; i++)
    krait_buf_printf(&js, ",\"d%d-1-0.tar.bz2\":{\"name\":\"d%d\",\"version\":\"1\",\"build\":\"0\",\"build_number\":0}",
                     i, i);
  for (int i = 0; i < BUILDS; i++)
    krait_buf_printf(&js, ",\"fam-1.%d-0.tar.bz2\":{\"name\":\"fam\",\"version\":\"1.%d\",\"build\":\"0\",\"build_number\":0}",
                     i, i);
  krait_buf_puts(&js, "}}");
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = NULL;
  CHECK(load_conda_json(pool, "shuffled", js.data, js.len, &repo) == 0, "load: %s", pool_errstr(pool));
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  Queue job;
  queue_init(&job);
  queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_conda_matchspec(pool, "hub"));
  Solver *solv = solver_create(pool);
  CHECK(solver_solve(solv, &job) == 0, "hub is installable");
  int bad = 0, found = 0;
  Id hub = 0, p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s)
    if (!strcmp(pool_id2str(pool, s->name), "hub"))
      hub = p;
  for (Id rid = 1; rid < solv->pkgrules_end; rid++) {
    Rule *r = solv->rules + rid;
    if (rid > 1 && solver_rulecmp(solv, r - 1, r) >= 0)
      bad++;
    if (r->p == -hub && r->d == 0 && r->w2 > 0 && !strncmp(pool_id2str(pool, pool->solvables[r->w2].name), "d", 1))
      found++;
  }
  CHECK(bad == 0, "%d package rules are not strictly after their predecessor", bad);
  CHECK(found == N, "%d rules \"hub requires dN\", want %d (one each)", found, N);
  int fam = 0;
  for (Id rid = 1; rid < solv->pkgrules_end; rid++) /* the 60 builds conflict pairwise: 60 * 59 / 2 */
    fam += solv->rules[rid].d == 0 && solv->rules[rid].p < 0 && solv->rules[rid].w2 < 0;
  CHECK(fam == BUILDS * (BUILDS - 1) / 2, "%d same-name conflicts, want %d", fam, BUILDS * (BUILDS - 1) / 2);
  solver_free(solv);
  queue_free(&job);
  pool_free(pool);
  krait_buf_free(&js);
}

/* What libsolv's globmatch made of a glob before 0012 (and still does for
 * any other glob), run through regcomp/regexec here: the reference. */
static int glob_by_regex(const char *glob, const char *s, int icase) {
  krait_buf re = KRAIT_BUF_INIT;
  krait_buf_putc(&re, '^');
  for (const char *p = glob; *p; p++) {
    if (*p == '.' || *p == '+' || *p == '*')
      krait_buf_putc(&re, *p == '*' ? '.' : '\\');
    krait_buf_putc(&re, *p);
  }
  krait_buf_putc(&re, '$');
  regex_t reg;
  int r = 0;
  if (regcomp(&reg, krait_buf_str(&re), REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) == 0) {
    r = regexec(&reg, s, 0, NULL, 0) == 0;
    regfree(&reg);
  }
  krait_buf_free(&re);
  return r;
}

static void test_plain_globs(void) {
  static const char *const subjects[] = {
      "1.2.3", "1.X.3", "1.x.3", "1.23", "1+2.3", "1a2b3", "py39h1234_0", "py39_cp39", "PY39_CP39", "_cp39",
      "cp39", "abc", "aXbXc", "ab", "", "3.9.7", "3.10.1", "1.2.3.4.3", "x.y", "a*b", "a.b+c", "h(1)", "1.2é3"};
  static const char *const globs[] = {
      "*_cp39", "py39*_0", "py*", "*3", "1.*.3", "1*3", "*", "**", "a*b*c", "A*B*C", "*.*", "1+*", "*+2*",
      "1.2.*3", "*X*", "3.*.*", "h(*)", "1.[2]*3", "a?b*", "1.2*3$", "*é*", "a*b", "*b+c"};
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = repo_create(pool, "globs");
  Repodata *data = repo_add_repodata(repo, 0);
  size_t n = sizeof subjects / sizeof *subjects;
  Id ver[64], bld[64]; /* a solvable per subject as its version, and one per subject as its build */
  for (size_t i = 0; i < n; i++) {
    ver[i] = repo_add_solvable(repo);
    Solvable *s = pool_id2solvable(pool, ver[i]);
    s->name = pool_str2id(pool, "v", 1);
    s->arch = ARCH_NOARCH; /* (no arch: not installable, never a provider) */
    s->evr = pool_str2id(pool, subjects[i], 1);
    s->provides = repo_addid_dep(repo, s->provides, pool_rel2id(pool, s->name, s->evr, REL_EQ, 1), 0);
    bld[i] = repo_add_solvable(repo);
    s = pool_id2solvable(pool, bld[i]);
    s->name = pool_str2id(pool, "b", 1);
    s->arch = ARCH_NOARCH;
    s->evr = pool_str2id(pool, "1", 1);
    s->provides = repo_addid_dep(repo, s->provides, pool_rel2id(pool, s->name, s->evr, REL_EQ, 1), 0);
    repodata_set_str(data, bld[i], SOLVABLE_BUILDFLAVOR, subjects[i]);
  }
  repo_internalize(repo);
  pool_createwhatprovides(pool);
  int checked = 0, bad = 0, matched = 0;
  for (size_t g = 0; g < sizeof globs / sizeof *globs; g++) {
    const char *glob = globs[g];
    /* a version glob reaches globmatch when a '*' is followed by more (a
     * trailing '*' is a prefix match, done without it) and it is not a
     * version expression ("(", ",", "|") */
    const char *star = strchr(glob, '*');
    bool version_glob = star && star[strspn(star, "*")] != '\0' && !strpbrk(glob, "(),|");
    for (int as_version = 0; as_version < (version_glob ? 2 : 1); as_version++) {
      char spec[128];
      snprintf(spec, sizeof spec, as_version ? "v %s" : "b * %s", glob);
      /* what the solver sees: the providers of the spec */
      Map hit;
      map_init(&hit, pool->nsolvables);
      Id p, pp, dep = pool_conda_matchspec(pool, spec);
      FOR_PROVIDES(p, pp, dep)
        MAPSET(&hit, p);
      for (size_t i = 0; i < n; i++, checked++) {
        Id sid = as_version ? ver[i] : bld[i];
        int want = glob_by_regex(glob, subjects[i], as_version);
        matched += want;
        if (!!MAPTST(&hit, sid) != !!want) {
          bad++;
          CHECK(0, "%s %s against \"%s\": libsolv %d, regex %d", as_version ? "version" : "build", subjects[i],
                glob, !want, want);
        }
      }
      map_free(&hit);
    }
  }
  CHECK(bad == 0 && checked > 500 && matched > 50, "%d of %d glob matches differ from the regex (%d matched)", bad,
        checked, matched);
  pool_free(pool);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The dependency strings of the requires of every solvable of repo, one line
 * each, sorted within the line (repo_write reorders a dependency array). */
static void requires_text(Repo *repo, krait_buf *out) {
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    char *deps[8];
    size_t n = 0;
    for (Id *dp = s->requires ? repo->idarraydata + s->requires : NULL; dp && *dp && n < 8; dp++)
      deps[n++] = krait_strdup(pool_dep2str(repo->pool, *dp));
    qsort(deps, n, sizeof *deps, cmp_str);
    krait_buf_puts(out, pool_id2str(repo->pool, s->name));
    for (size_t i = 0; i < n; i++) {
      krait_buf_puts(out, " [");
      krait_buf_puts(out, deps[i]);
      krait_buf_puts(out, "]");
      free(deps[i]);
    }
    krait_buf_puts(out, "\n");
  }
}

/* Relations of pool that equal an earlier one (the reader's hash must find those). */
static int duplicate_relations(Pool *pool) {
  int dups = 0;
  for (Id a = 1; a < pool->nrels; a++)
    for (Id b = 1; b < a; b++)
      if (pool->rels[a].name == pool->rels[b].name && pool->rels[a].evr == pool->rels[b].evr &&
          pool->rels[a].flags == pool->rels[b].flags)
        dups++;
  return dups;
}

static Id str_id(Pool *pool, const char *fmt, int n) {
  char text[64];
  snprintf(text, sizeof text, fmt, n);
  return pool_str2id(pool, text, 1);
}

/* A repo of 400 records whose relations fill many of the reader's blocks:
 * plain ones (shared between records), and a chain of 120 nested ones, each
 * naming the one before; repo_write puts such a chain in order, so each link
 * is read in the same block as the one it names. */
static Repo *relations_repo(Pool *pool) {
  Repo *repo = repo_create(pool, "written");
  Id chain = pool_rel2id(pool, str_id(pool, "base%d", 0), str_id(pool, "%d.0", 1), REL_GT | REL_EQ, 1);
  for (int i = 0; i < 400; i++) {
    Solvable *s = pool_id2solvable(pool, repo_add_solvable(repo));
    s->name = str_id(pool, "pkg%d", i);
    s->evr = str_id(pool, "1.%d", i);
    s->arch = ARCH_NOARCH;
    Id plain = pool_rel2id(pool, str_id(pool, "dep%d", i % 37), str_id(pool, "%d.0", i % 53), REL_EQ, 1);
    Id either = pool_rel2id(pool, plain, str_id(pool, "alt%d", i % 11), REL_OR, 1);
    s->requires = repo_addid_dep(repo, s->requires, plain, 0);
    s->requires = repo_addid_dep(repo, s->requires, either, 0);
    if (i < 120) {
      chain = pool_rel2id(pool, chain, str_id(pool, "link%d", i), i % 2 ? REL_AND : REL_OR, 1);
      s->requires = repo_addid_dep(repo, s->requires, chain, 0);
    }
  }
  return repo;
}

static void test_batched_relation_reads(void) {
  Pool *src = pool_create();
  pool_setdisttype(src, DISTTYPE_CONDA);
  Repo *written = relations_repo(src);
  FILE *fp = tmpfile();
  CHECK(fp && repo_write(written, fp) == 0, "repo_write: %s", pool_errstr(src));
  krait_buf want = KRAIT_BUF_INIT, got = KRAIT_BUF_INIT, again = KRAIT_BUF_INIT;
  requires_text(written, &want);

  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  /* relations the pool has before the load: the file's must map onto them */
  Id known = pool_rel2id(pool, str_id(pool, "dep%d", 5), str_id(pool, "%d.0", 5), REL_EQ, 1);
  Id other = pool_rel2id(pool, str_id(pool, "dep%d", 5), str_id(pool, "%d.0", 6), REL_EQ, 1);
  Repo *first = repo_create(pool, "first"), *second = repo_create(pool, "second");
  rewind(fp);
  CHECK(repo_add_solv(first, fp, 0) == 0, "first load: %s", pool_errstr(pool));
  requires_text(first, &got);
  CHECK(krait_buf_str(&got) && strcmp(krait_buf_str(&got), krait_buf_str(&want)) == 0,
        "relations read back differ from those written");
  CHECK(pool->nrels == src->nrels + 1, "%d relations after the load, want %d (the file's and one of the pool's)",
        pool->nrels, src->nrels + 1);
  CHECK(duplicate_relations(pool) == 0, "a relation was added twice");
  bool known_used = false, other_used = false;
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(first, p, s) {
    for (Id *dp = first->idarraydata + s->requires; *dp; dp++) {
      known_used |= *dp == known;
      other_used |= *dp == other;
    }
  }
  CHECK(known_used, "the pool's own dep5 == 5.0 (id %d) was not reused", known);
  CHECK(!other_used, "dep5 == 6.0, which the file lacks, was used");

  /* the same file again: every relation is found, none added, the same ids */
  int nrels = pool->nrels;
  rewind(fp);
  CHECK(repo_add_solv(second, fp, 0) == 0, "second load: %s", pool_errstr(pool));
  CHECK(pool->nrels == nrels, "second load added %d relations", pool->nrels - nrels);
  requires_text(second, &again);
  CHECK(krait_buf_str(&again) && strcmp(krait_buf_str(&again), krait_buf_str(&want)) == 0,
        "relations of the second load differ");
  int differ = 0;
  for (int i = 0; i < first->nsolvables && i < second->nsolvables; i++) {
    Id *a = first->idarraydata + pool->solvables[first->start + i].requires;
    Id *b = second->idarraydata + pool->solvables[second->start + i].requires;
    while (*a && *a == *b)
      a++, b++;
    differ += *a != *b;
  }
  CHECK(differ == 0, "%d records got other relation ids on the second load", differ);
  krait_buf_free(&want);
  krait_buf_free(&got);
  krait_buf_free(&again);
  if (fp)
    fclose(fp);
  pool_free(pool);
  pool_free(src);
}

/* 0011: a relation in an idarray (constrains) comes back as stored, before
 * and after the repodata is internalized. */
static void test_idarray_relations_read_back(void) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  Repo *repo = repo_create(pool, "constrains");
  Repodata *data = repo_add_repodata(repo, 0);
  Id p = repo_add_solvable(repo);
  Id want[3] = {pool_conda_matchspec(pool, "foo <2"), pool_conda_matchspec(pool, "bar >=1.2,<3.0a0"),
                pool_str2id(pool, "plain", 1)};
  for (int i = 0; i < 3; i++)
    repodata_add_idarray(data, p, SOLVABLE_CONSTRAINS, want[i]);
  CHECK(ISRELDEP(want[0]) && ISRELDEP(want[1]), "relations expected");
  repodata_internalize(data);
  Queue q;
  queue_init(&q);
  solvable_lookup_idarray(pool_id2solvable(pool, p), SOLVABLE_CONSTRAINS, &q);
  CHECK(q.count == 3, "%d constrains read back", q.count);
  for (int i = 0; i < q.count && i < 3; i++)
    CHECK(q.elements[i] == want[i], "constrains[%d]: %s, want %s", i, pool_dep2str(pool, q.elements[i]),
          pool_dep2str(pool, want[i]));
  queue_free(&q);
  pool_free(pool);
}

int main(void) {
  test_idarray_relations_read_back();
  test_batched_relation_reads();
  test_unified_rules_sorted();
  test_unified_rules_shuffled();
  test_bounded_regex();
  test_plain_globs();
  test_info_nested_values();
  test_subdir_mismatch_kept();
  test_index4_expected();
  return krait_test_finish("libsolv_patches");
}
