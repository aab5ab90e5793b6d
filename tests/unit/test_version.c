/* Conda versions (CEP-33): the CEP's own rules as tables (always run), then
 * the real vectors under shared/data (skipped, exit 77, when absent -- but
 * only after the tables ran and passed, so a missing folder never hides a
 * rule failure).
 *
 * Vectors:
 *   versions/rattler-parsed_versions.txt   "<version>=<conda VersionOrder.version repr>"
 *   versions/rattler-versions.txt          one version per line (same corpus, unparsed)
 *   versions/rattler-resources-versions.txt  one version per line ('#' comments)
 *   vectors/rattler-snapshots/rattler_conda_version/..._version__parse__test__parse.snap
 *       {"input": Version(Version { version: [...], local: [...] }) | Error("...")}
 *
 * Known disagreements (CEP vs tools), decided for the CEP unless noted:
 *  - CEP-33 says digit runs MUST NOT exceed 2^31-1, but conda and rattler
 *    parse larger ones and the real corpus has 14-digit dates
 *    (0.0.20190712172645); rejecting them would make real packages
 *    uninstallable, so krait accepts up to 2^64-1 (asserted below).
 *  - '*' is not a version-literal character in CEP-33 (alphanumerics plus
 *    separators) though conda's VersionOrder tolerates it; krait rejects it in
 *    literals and handles globs in version specifiers instead. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/version.h"

static krait_version *parse_ok(const char *s) {
  krait_version *v = NULL;
  krait_err err;
  krait_code rc = krait_version_parse(s, &v, &err);
  CHECK(rc == KRAIT_OK, "parse \"%s\": %s", s, rc ? err.msg : "");
  return v;
}

static int cmp_s(const char *a, const char *b) {
  krait_version *va = parse_ok(a), *vb = parse_ok(b);
  int r = va && vb ? krait_version_cmp(va, vb) : 99;
  krait_version_free(va);
  krait_version_free(vb);
  return r;
}

/* CEP-33 "For example" block (+ local part). */
static void test_cep_parse_examples(void) {
  static const struct {
    const char *in, *main, *local;
  } t[] = {
      {"1.2g.beta15.rc", "[[0], [1], [2, 'g'], [0, 'beta', 15], [0, 'rc']]", "[]"},
      {"1!2.15.1_ALPHA", "[[1], [2], [15], [1], [0, 'alpha']]", "[]"},
      {"1!2.15.1alpha_", "[[1], [2], [15], [1, 'alpha_']]", "[]"},
      {"1!2.15.1_alpha+1.2.3h123", "[[1], [2], [15], [1], [0, 'alpha']]", "[[1], [2], [3, 'h', 123]]"},
      /* leading zeros removed, dev/post special, dashes as underscores */
      {"01.002", "[[0], [1], [2]]", "[]"},
      {"1.0dev1", "[[0], [1], [0, 'DEV', 1]]", "[]"},
      {"1.0.post2", "[[0], [1], [0], [0, inf, 2]]", "[]"},
      {"1-2-3", "[[0], [1], [2], [3]]", "[]"},
      {"1.0.1_", "[[0], [1], [0], [1, '_']]", "[]"},
      {"1__", "[[0], [1], [0, '_']]", "[]"},
      {"  1.0  ", "[[0], [1], [0]]", "[]"},
      {"1.0+a_b", "[[0], [1], [0]]", "[[0, 'a'], [0, 'b']]"},
      {"0.0.20190712172645", "[[0], [0], [0], [20190712172645]]", "[]"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_version *v = parse_ok(t[i].in);
    if (!v)
      continue;
    char *m = krait_version_repr(v), *l = krait_version_repr_local(v);
    CHECK_STR(m, t[i].main);
    CHECK_STR(l, t[i].local);
    free(m);
    free(l);
    krait_version_free(v);
  }
}

/* CEP-33 "Examples": the whole ordering chain ("==" lines are equal). */
static void test_cep_ordering(void) {
  static const struct {
    const char *v;
    int eq_prev;
  } chain[] = {
      {"0.4", 0},        {"0.4.0", 1},      {"0.4.1.rc", 0},   {"0.4.1.RC", 1},     {"0.4.1+local", 0},
      {"0.4.1+0.local", 0}, {"0.4.1", 0},   {"0.4.1+0", 1},    {"0.4.1+1.local", 0}, {"0.5a1", 0},
      {"0.5b3", 0},      {"0.5C1", 0},      {"0.5", 0},        {"0.9.6", 0},        {"0.960923", 0},
      {"1.0", 0},        {"1.1dev1", 0},    {"1.1a1", 0},      {"1.1.0dev1", 0},    {"1.1.dev1", 1},
      {"1.1.a1", 0},     {"1.1.0rc1", 0},   {"1.1.0.0", 0},    {"1.1.0", 1},        {"1.1", 1},
      {"1.1.post1", 0},  {"1.1.0post1", 1}, {"1.1post1", 0},   {"1996.07.12", 0},   {"1!0.4.1", 0},
      {"1!3.1.1.6", 0},  {"2!0.4.1", 0},
  };
  size_t n = sizeof chain / sizeof *chain;
  for (size_t i = 1; i < n; i++) {
    int c = cmp_s(chain[i - 1].v, chain[i].v);
    if (chain[i].eq_prev)
      CHECK(c == 0, "%s == %s (got %d)", chain[i - 1].v, chain[i].v, c);
    else
      CHECK(c < 0, "%s < %s (got %d)", chain[i - 1].v, chain[i].v, c);
  }
  /* every pair, not just neighbours: the chain is a total order */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      int eq = 1;
      for (size_t k = i + 1; k <= j; k++)
        eq &= chain[k].eq_prev;
      int c = cmp_s(chain[i].v, chain[j].v), r = cmp_s(chain[j].v, chain[i].v);
      CHECK(eq ? (c == 0 && r == 0) : (c < 0 && r > 0), "%s vs %s: %d/%d", chain[i].v, chain[j].v, c, r);
    }
  /* CEP-33 rules stated in prose */
  CHECK(cmp_s("1.1", "1.1.0") == 0, "missing components are 0");
  CHECK(cmp_s("1.0.1_", "1.0.1a") < 0, "openssl-style trailing underscore");
  CHECK(cmp_s("1.1.0rc", "1.1.rc") == 0 && cmp_s("1.1.rc", "1.1rc") > 0, "conda#12568 warning");
  CHECK(cmp_s("1.0dev", "1.0a") < 0 && cmp_s("1.0a", "1.0") < 0 && cmp_s("1.0", "1.0post") < 0, "dev<a<num<post");
  CHECK(cmp_s("1.0post", "1.0.9999") > 0 && cmp_s("1.0post", "1.0.0.1") > 0, "post beats every number");
  CHECK(cmp_s("1.10", "1.9") > 0, "numbers compare numerically");
  CHECK(cmp_s("1.0ALPHA", "1.0alpha") == 0, "case-insensitive");
  CHECK(cmp_s("2.0", "1!1.0") < 0, "epoch first");
  CHECK(krait_version_cmp_str("1.0", "not a version!!") < 0, "invalid strings sort after valid");
}

static void test_cep_invalid(void) {
  static const struct {
    const char *in, *want; /* substring of the message */
  } t[] = {
      {"", "empty"},
      {"1..2", "empty version component"},
      {"1.0.", "empty version component"},
      {"1___", "empty version component"},
      {"1!", "empty version string"},
      {"a!1", "epoch must be an integer"},
      {"1!2!3", "duplicated epoch"},
      {"1+2+3", "duplicated local"},
      {"1+", "empty local"},
      {"1-2_3", "underscores and dashes"},
      {"1@2", "invalid character"},
      {"1.2.*", "invalid character"},
      {"1.0 beta", "invalid character"},
      {"99999999999999999999999", "too large"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_version *v = NULL;
    krait_err err = {0};
    krait_code rc = krait_version_parse(t[i].in, &v, &err);
    CHECK(rc == KRAIT_E_PARSE && !v, "\"%s\" must be rejected", t[i].in);
    CHECK(strstr(err.msg, t[i].want) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", t[i].in, err.msg, t[i].want);
    char quoted[256];
    snprintf(quoted, sizeof quoted, "\"%s\"", t[i].in);
    CHECK(strstr(err.msg, quoted) != NULL || !*t[i].in, "message quotes the input: %s", err.msg);
    krait_version_free(v);
  }
}

static void test_prefix_and_compatible(void) {
  static const struct {
    const char *v, *prefix;
    int want;
  } sw[] = {
      {"1.2", "1.2", 1},   {"1.2.3", "1.2", 1},   {"1.2a", "1.2", 1},  {"1.20", "1.2", 0},
      {"1.3", "1.2", 0},   {"1", "1.0", 1},       {"1.2.0rc1", "1.2.0rc", 1}, {"1.2.0r", "1.2.0rc", 0},
      {"1.2+3.4", "1.2+3", 1}, {"1.2+4", "1.2+3", 0}, {"1!1.2", "1.2", 0}, {"1.2", "1", 1},
  };
  for (size_t i = 0; i < sizeof sw / sizeof *sw; i++) {
    krait_version *v = parse_ok(sw[i].v), *p = parse_ok(sw[i].prefix);
    if (v && p)
      CHECK(krait_version_startswith(v, p) == sw[i].want, "%s startswith %s == %d", sw[i].v, sw[i].prefix,
            sw[i].want);
    krait_version_free(v);
    krait_version_free(p);
  }
  static const struct {
    const char *v, *base;
    int want;
  } ce[] = {
      {"0.5.3", "0.5.3", 1}, {"0.5.9", "0.5.3", 1}, {"0.5.2", "0.5.3", 0}, {"0.6.0", "0.5.3", 0},
      {"2.9", "2.2", 1},     {"3.0", "2.2", 0},     {"5", "2", 1},         {"1!5", "2", 0},
  };
  for (size_t i = 0; i < sizeof ce / sizeof *ce; i++) {
    krait_version *v = parse_ok(ce[i].v), *b = parse_ok(ce[i].base);
    if (v && b)
      CHECK(krait_version_compatible(v, b) == ce[i].want, "%s ~= %s == %d", ce[i].v, ce[i].base, ce[i].want);
    krait_version_free(v);
    krait_version_free(b);
  }
}

/* ---- shared vectors ------------------------------------------------------ */

static char *next_line(char **p) {
  if (!**p)
    return NULL;
  char *s = *p, *e = strchr(s, '\n');
  if (e) {
    *e = 0;
    *p = e + 1;
  } else {
    *p = s + strlen(s);
  }
  size_t n = strlen(s);
  if (n && s[n - 1] == '\r')
    s[n - 1] = 0;
  return s;
}

static int vcmp_qsort(const void *a, const void *b) {
  return krait_version_cmp(*(krait_version *const *)a, *(krait_version *const *)b);
}

static int read_data(const char *rel, krait_buf *b, char **path_out) {
  char *path = krait_test_shared(rel);
  if (!path)
    return 0;
  krait_err err;
  krait_code rc = krait_read_file(path, b, &err);
  CHECK(rc == KRAIT_OK, "read %s: %s", path, rc ? err.msg : "");
  *path_out = path;
  return rc == KRAIT_OK;
}

static int test_parsed_versions(void) {
  krait_buf b = KRAIT_BUF_INIT;
  char *path = NULL;
  if (!read_data("versions/rattler-parsed_versions.txt", &b, &path))
    return 0;
  int n = 0;
  char *p = b.data, *line;
  while ((line = next_line(&p))) {
    if (!*line || line[0] == '#')
      continue;
    char *eq = strstr(line, "=[");
    CHECK(eq != NULL, "malformed vector line \"%s\"", line);
    if (!eq)
      continue;
    *eq = 0;
    krait_version *v = parse_ok(line);
    if (v) {
      char *r = krait_version_repr(v);
      CHECK(strcmp(r, eq + 1) == 0, "%s: repr %s, conda %s", line, r, eq + 1);
      free(r);
      krait_version_free(v);
    }
    n++;
  }
  printf("read %d version vectors from %s\n", n, path);
  CHECK(n > 28000, "expected ~28.5k vectors, read %d", n);
  free(path);
  krait_buf_free(&b);
  return 1;
}

/* Plain version lists: every line must parse, and sorting them must give a
 * consistent total order (antisymmetric, transitive over neighbours). */
static int test_version_list(const char *rel) {
  krait_buf b = KRAIT_BUF_INIT;
  char *path = NULL;
  if (!read_data(rel, &b, &path))
    return 0;
  size_t n = 0, cap = 1024;
  krait_version **vs = malloc(cap * sizeof *vs);
  char *p = b.data, *line;
  while ((line = next_line(&p))) {
    if (!*line || line[0] == '#')
      continue;
    krait_version *v = parse_ok(line);
    if (!v)
      continue;
    if (n == cap)
      vs = realloc(vs, (cap *= 2) * sizeof *vs);
    vs[n++] = v;
  }
  qsort(vs, n, sizeof *vs, vcmp_qsort);
  for (size_t i = 1; i < n; i++) {
    int c = krait_version_cmp(vs[i - 1], vs[i]), r = krait_version_cmp(vs[i], vs[i - 1]);
    CHECK(c <= 0 && r == -c, "order %s / %s: %d %d", krait_version_text(vs[i - 1]), krait_version_text(vs[i]), c,
          r);
    if (i >= 2)
      CHECK(krait_version_cmp(vs[i - 2], vs[i]) <= 0, "transitivity at %s", krait_version_text(vs[i]));
  }
  printf("read %zu version vectors from %s\n", n, path);
  CHECK(n > 1000, "expected a large list, read %zu", n);
  for (size_t i = 0; i < n; i++)
    krait_version_free(vs[i]);
  free(vs);
  free(path);
  krait_buf_free(&b);
  return 1;
}

/* rattler's parse snapshot (Rust debug format). */
static int test_rattler_parse_snap(void) {
  krait_buf b = KRAIT_BUF_INIT;
  char *path = NULL;
  if (!read_data("vectors/rattler-snapshots/rattler_conda_version/"
                 "rattler_conda_version__version__parse__test__parse.snap",
                 &b, &path))
    return 0;
  int n = 0;
  char *p = b.data, *line;
  char key[256] = "";
  int expect_error = -1;
  char main_repr[512] = "";
  while ((line = next_line(&p))) {
    if (strncmp(line, "    \"", 5) == 0) {
      char *end = strstr(line + 5, "\": ");
      CHECK(end != NULL, "malformed snapshot line %s", line);
      if (!end)
        continue;
      /* unescape \" and \\ */
      size_t k = 0;
      for (char *s = line + 5; s < end && k + 1 < sizeof key; s++) {
        if (*s == '\\' && s + 1 < end)
          s++;
        key[k++] = *s;
      }
      key[k] = 0;
      expect_error = strncmp(end + 3, "Error(", 6) == 0;
      if (expect_error) {
        krait_version *v = NULL;
        krait_err err;
        CHECK(krait_version_parse(key, &v, &err) != KRAIT_OK, "rattler rejects \"%s\"; krait accepted", key);
        krait_version_free(v);
        n++;
      }
    } else if (expect_error == 0 && strncmp(line, "            version: ", 21) == 0) {
      snprintf(main_repr, sizeof main_repr, "%s", line + 21);
      size_t l = strlen(main_repr);
      if (l && main_repr[l - 1] == ',')
        main_repr[l - 1] = 0;
    } else if (expect_error == 0 && strncmp(line, "            local: ", 19) == 0) {
      char local[512];
      snprintf(local, sizeof local, "%s", line + 19);
      size_t l = strlen(local);
      if (l && local[l - 1] == ',')
        local[l - 1] = 0;
      krait_version *v = parse_ok(key);
      if (v) {
        char *m = krait_version_repr(v), *lr = krait_version_repr_local(v);
        CHECK(strcmp(m, main_repr) == 0, "%s: %s vs rattler %s", key, m, main_repr);
        CHECK(strcmp(lr, local) == 0, "%s local: %s vs rattler %s", key, lr, local);
        free(m);
        free(lr);
        krait_version_free(v);
      }
      n++;
      expect_error = -1;
    }
  }
  printf("read %d version vectors from %s\n", n, path);
  CHECK(n >= 20, "expected >= 20 snapshot entries, read %d", n);
  free(path);
  krait_buf_free(&b);
  return 1;
}

int main(void) {
  test_cep_parse_examples();
  test_cep_ordering();
  test_cep_invalid();
  test_prefix_and_compatible();
  if (krait_test_failed)
    return krait_test_finish("version");
  int found = 0;
  found += test_parsed_versions();
  found += test_version_list("versions/rattler-versions.txt");
  found += test_version_list("versions/rattler-resources-versions.txt");
  found += test_rattler_parse_snap();
  if (!found)
    krait_test_missing("shared data (KRAIT_SHARED_DIR/data/versions) absent: the vector checks did not run");
  else
    CHECK(found == 4, "only %d of 4 vector sets present", found);
  return krait_test_finish("version");
}
