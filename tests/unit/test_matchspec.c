/* MatchSpecs (CEP-29): the CEP's rules as tables (always run), then rattler's
 * snapshot vectors under shared/data/vectors/rattler-snapshots (skipped with
 * exit 77 when absent, after the tables passed).
 *
 * Disagreements between rattler and CEP-29/conda (krait follows the CEP):
 *
 *  | spec (rattler strict rejects)       | rattler strict error            | CEP-29 / krait                    |
 *  |-------------------------------------|---------------------------------|-----------------------------------|
 *  | foo=1.0=py27_0, foo==1.0=py27_0,    | build string '=py27_0' invalid  | '=' separates version and build:  |
 *  | =1.0=py27_0, ==1.0=py27_0,          |                                 | "==1.0" + build py27_0 (CEP-29    |
 *  | pytorch=*=cuda*, =*=cuda*           |                                 | "Version expression parsing")     |
 *  | [version=3.9], 3.9, 2.7|>=3.6,      | missing range specifier         | a bare literal is exact equality  |
 *  | python[channel=..,version=3.9], ... |                                 | ("pkg[version=1.8]" == "pkg==1.8")|
 *  | python ==2.7.*.*|>=3.6, >=2.*.*     | regex constraints unsupported   | trailing globs: "2.7.*" / ">=2"   |
 *  | python=*, x =0.*,>=0.4.1            | '*' incompatible with '='       | "=*" is any, "=0.*" is fuzzy 0    |
 *
 *  In all of these krait gives exactly rattler's *lenient* result (asserted).
 *  Other CEP-over-tool decisions (see libpkg/src/vspec.c):
 *  - "!=1.8" is a negated FUZZY equality (CEP-29), printed "!=1.8.*"; conda's
 *    VersionSpec treats "!=1.8" as exact inequality (1.8.1 would pass there).
 *  - canonical printing follows CEP-29 Appendix A and its Examples
 *    ("foo==1.0=py27_0", "conda-forge::foo=1.0", "foo[version='>=1.0']").
 *    Where conda's printer departs from Appendix A, the CEP wins: "!=" and
 *    "~=" versions go in brackets (conda: "foo!=1.8"), and identifier fields
 *    (name, build, subdir, md5, sha256, track_features) are lowercased
 *    (rule 8). Values are single-quoted only when needed, as in the CEP's
 *    Examples (rule 6 read literally would quote every value).
 *    rattler's Display ("foo 1.0.* py37_0", 'foo[version=">=1"]') is only
 *    parsed, never produced.
 *  - archive URLs: the file name is percent-decoded (x264-1%21164...).
 *  - rattler names channels by their URL path ("python/conda"); krait keeps
 *    the channel as written (name or URL), compared against rattler's name or
 *    base_url.
 *  Not read: the matchspec_display_edge_cases__*.snap files and the condition
 *  snapshots exercise rattler-only syntax (when=, extras=, flags=, channel
 *  platform selectors) that CEP-29 does not define. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/matchspec.h"

static krait_matchspec *ms_ok(const char *s) {
  krait_matchspec *ms = NULL;
  krait_err err;
  krait_code rc = krait_matchspec_parse(s, &ms, &err);
  CHECK(rc == KRAIT_OK, "parse \"%s\": %s", s, rc ? err.msg : "");
  return ms;
}

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

#define CHECK_FIELD(spec, got, want)                                                                  \
  do {                                                                                                \
    const char *g__ = (got), *w__ = (want);                                                           \
    CHECK(same(g__, w__), "%s: %s = \"%s\", want \"%s\"", spec, #got, g__ ? g__ : "(null)",          \
          w__ ? w__ : "(null)");                                                                      \
  } while (0)

/* ---- CEP-29 tables ------------------------------------------------------- */

static void test_cep_equivalence_blocks(void) {
  static const char *fuzzy[] = {"pkg=1.8",     "pkg =1.8",     "pkg 1.8.*",        "pkg 1.8.* *",
                                "pkg=1.8.*",   "pkg=1.8.*=*",  "pkg =1.8.* *",     "pkg ==1.8.* *",
                                "pkg[version=1.8.*]", "pkg[version=\"1.8.*\"]"};
  static const char *exact[] = {"pkg 1.8",  "pkg 1.8 *",  "pkg==1.8",         "pkg=1.8=*",
                                "pkg==1.8=*", "pkg ==1.8 *", "pkg[version=1.8]", "pkg[version=\"1.8\"]"};
  for (size_t i = 0; i < sizeof fuzzy / sizeof *fuzzy; i++) {
    krait_matchspec *ms = ms_ok(fuzzy[i]);
    if (!ms)
      continue;
    CHECK_FIELD(fuzzy[i], ms->version, "1.8.*");
    char *s = krait_matchspec_str(ms);
    CHECK_STR(s, "pkg=1.8");
    CHECK(krait_matchspec_match_version(ms, "1.8.5") && !krait_matchspec_match_version(ms, "1.9"), "%s", fuzzy[i]);
    free(s);
    krait_matchspec_free(ms);
  }
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
    krait_matchspec *ms = ms_ok(exact[i]);
    if (!ms)
      continue;
    CHECK_FIELD(exact[i], ms->version, "==1.8");
    char *s = krait_matchspec_str(ms);
    CHECK_STR(s, "pkg==1.8");
    CHECK(krait_matchspec_match_version(ms, "1.8.0") && !krait_matchspec_match_version(ms, "1.8.5"), "%s",
          exact[i]);
    free(s);
    krait_matchspec_free(ms);
  }
}

/* in parses, prints as want (when given) and the printed form reads back as
 * the same spec (krait_matchspec_roundtrip_check, as fuzz/matchspec asserts). */
static void check_printed(const char *in, const char *want) {
  krait_matchspec *ms = ms_ok(in);
  if (!ms)
    return;
  char *s = krait_matchspec_str(ms);
  CHECK(!want || strcmp(s, want) == 0, "str(%s) = %s, want %s", in, s, want ? want : "");
  krait_err err;
  CHECK(krait_matchspec_roundtrip_check(ms, &err) == KRAIT_OK, "%s: %s", in, err.msg);
  free(s);
  krait_matchspec_free(ms);
}

/* spec -> canonical string (CEP-29 Examples + Appendix A rules). */
static void test_canonical(void) {
  static const struct {
    const char *in, *want;
  } t[] = {
      {"foo 1.0 py27_0", "foo==1.0=py27_0"},
      {"foo=1.0=py27_0", "foo==1.0=py27_0"},
      {"conda-forge::foo[version=1.0.*]", "conda-forge::foo=1.0"},
      {"conda-forge/linux-64::foo>=1.0", "conda-forge/linux-64::foo[version='>=1.0']"},
      {"*/linux-64::foo>=1.0", "foo[subdir=linux-64,version='>=1.0']"},
      {"numpy", "numpy"},
      {"NumPy >=1.2,<2", "numpy[version='>=1.2,<2']"},
      {"numpy >= 1.2", "numpy[version='>=1.2']"},
      {"numpy >=1.2 , <2", "numpy[version='>=1.2,<2']"},
      {"python 3.8.* *_cpython", "python=3.8[build=*_cpython]"},
      {"pytorch=*=cuda*", "pytorch[build=cuda*]"},
      {"foo 1.0 external_*", "foo==1.0[build=external_*]"},
      {"foo >=1 py_0", "foo[version='>=1',build=py_0]"},
      {"foo !=1.8", "foo[version='!=1.8.*']"},
      {"foo ~=1.2.3", "foo[version='~=1.2.3']"},
      {"foo ~=1.2.3 b0", "foo[version='~=1.2.3',build=b0]"},
      {"foo 1.*.3", "foo[version='1.*.3']"},
      {"foo[version='(>=1,<2)|>3']", "foo[version='>=1,<2|>3']"},
      {"foo[version='>=1,(<2|>3)']", "foo[version='>=1,(<2|>3)']"},
      {"channel/win-64::foobar[channel=conda-forge, subdir=linux-64]", "conda-forge/linux-64::foobar"},
      {"foo[build_number='>=2', md5=abc, license=MIT]", "foo[build_number='>=2',md5=abc,license=MIT]"},
      {"foo[track_features='mkl, debug']", "foo[track_features='mkl debug']"},
      {"*[md5=12345678901234567890123456789012]", "*[md5=12345678901234567890123456789012]"},
      {"foo[fn=\"it's.conda\"]", "foo[fn=\"it's.conda\"]"},
      {"foo[optional]", "foo[optional=true]"},
      {"conda-forge:ns:foo", "conda-forge::foo"},
      {"foo # a comment", "foo"},
      {"foo[name=bar]", "foo"},
      /* conda leaves the url out here; krait keeps it, so the spec read back
       * still names the one archive (round trip, issue 6) */
      {"https://conda.anaconda.org/conda-forge/linux-64/python-3.11.10-h123456_0.conda",
       "https://conda.anaconda.org/conda-forge/linux-64::python==3.11.10=h123456_0"
       "[url=https://conda.anaconda.org/conda-forge/linux-64/python-3.11.10-h123456_0.conda]"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++)
    check_printed(t[i].in, t[i].want);
}

/* Bracket values: Python string-literal quoting (CEP-29), historical space
 * separators, and canonical lowercasing of identifier fields. */
static void test_brackets(void) {
  static const struct {
    const char *in, *key, *want;
  } t[] = {
      {"foo[fn='a\\'b.conda']", "fn", "a'b.conda"},
      {"foo[fn=\"say-\\\"hi\\\".conda\"]", "fn", "say-\"hi\".conda"},
      {"foo[fn='C:\\cache\\\\']", "fn", "C:\\cache\\"},
      {"foo[fn='x],version=[2']", "fn", "x],version=[2"},
      {"foo[fn=\"has space.conda\"]", "fn", "has space.conda"},
      {"foo[fn=\"\"]", "fn", ""},
      {"foo[build=\"a,b\"]", "build", "a,b"},
      {"foo[build='a b']", "build", "a b"},
      {"foo[build=\"a#b\"]", "build", "a#b"},
      {"foo[version=1.2 build=py_0]", "build", "py_0"},
      {"foo[version=1.2 build=py_0]", "version", "==1.2"},
      {"foo[ version = '>=1.2, <2' , build = py_0 ]", "version", ">=1.2,<2"},
      {"foo[namespace=python,version='>=1']", "version", ">=1"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_matchspec *ms = ms_ok(t[i].in);
    if (!ms)
      continue;
    const char *got = !strcmp(t[i].key, "fn") ? ms->fn : !strcmp(t[i].key, "build") ? ms->build : ms->version;
    CHECK_FIELD(t[i].in, got, t[i].want);
    /* printing and reparsing keeps the value byte for byte */
    char *str = krait_matchspec_str(ms);
    krait_matchspec *again = ms_ok(str);
    if (again) {
      const char *g2 =
          !strcmp(t[i].key, "fn") ? again->fn : !strcmp(t[i].key, "build") ? again->build : again->version;
      CHECK_FIELD(str, g2, t[i].want);
      krait_matchspec_free(again);
    }
    free(str);
    krait_matchspec_free(ms);
  }
  krait_matchspec *ms = ms_ok("conda-forge::NumPy 1.0 PY_0[md5=ABC, license=MIT, subdir=LINUX-64]");
  if (ms) {
    char *str = krait_matchspec_str(ms);
    CHECK_STR(str, "conda-forge/linux-64::numpy==1.0=py_0[md5=abc,license=MIT]");
    free(str);
    krait_matchspec_free(ms);
  }
}

static void test_fields(void) {
  static const struct {
    const char *in, *channel, *subdir, *name, *version, *build, *build_number;
  } t[] = {
      {"conda-forge::numpy", "conda-forge", NULL, "numpy", NULL, NULL, NULL},
      {"conda-forge/linux-64::numpy", "conda-forge", "linux-64", "numpy", NULL, NULL, NULL},
      {"https://c.com/p/conda/linux-64::python[version=3.9]", "https://c.com/p/conda", "linux-64", "python",
       "==3.9", NULL, NULL},
      {"https://c.com/p/conda::python", "https://c.com/p/conda", NULL, "python", NULL, NULL, NULL},
      {"numpy 1.8 py_0", NULL, NULL, "numpy", "==1.8", "py_0", NULL},
      {"numpy =1.8 py_0", NULL, NULL, "numpy", "1.8.*", "py_0", NULL},
      {"numpy ==1.8 py_0", NULL, NULL, "numpy", "==1.8", "py_0", NULL},
      {"numpy=1.8=py_0", NULL, NULL, "numpy", "==1.8", "py_0", NULL},
      {"numpy==1.8=py_0", NULL, NULL, "numpy", "==1.8", "py_0", NULL},
      {"numpy >=1.2,<2", NULL, NULL, "numpy", ">=1.2,<2", NULL, NULL},
      {"numpy>=1.2|<1", NULL, NULL, "numpy", ">=1.2|<1", NULL, NULL},
      {"numpy 1.2|1.4", NULL, NULL, "numpy", "==1.2|==1.4", NULL, NULL},
      {"numpy *", NULL, NULL, "numpy", "*", NULL, NULL},
      {"numpy * *cuda*", NULL, NULL, "numpy", "*", "*cuda*", NULL},
      {"numpy 1.2 b[version=1.3]", NULL, NULL, "numpy", "==1.3", "b", NULL},
      {"numpy 1.2 b[build=c]", NULL, NULL, "numpy", "==1.2", "c", NULL},
      {"numpy[build_number=3]", NULL, NULL, "numpy", NULL, NULL, "3"},
      {"numpy[build_number='>= 3']", NULL, NULL, "numpy", NULL, NULL, ">=3"},
      {"numpy[channel=conda-forge/noarch]", "conda-forge", "noarch", "numpy", NULL, NULL, NULL},
      {"numpy[subdir=osx-64] ", NULL, "osx-64", "numpy", NULL, NULL, NULL},
      {"numpy=1.8|1.9", NULL, NULL, "numpy", "1.8.*|==1.9", NULL, NULL},
      {"x264 >=1!164.3095,<1!165", NULL, NULL, "x264", ">=1!164.3095,<1!165", NULL, NULL},
      {"  numpy  ", NULL, NULL, "numpy", NULL, NULL, NULL},
      {"https://anaconda.org/conda-forge/linux-64/x264-1%21164.3095-h166bdaf_2.tar.bz2",
       "https://anaconda.org/conda-forge", "linux-64", "x264", "==1!164.3095", "h166bdaf_2", NULL},
      {"/some/file/on/disk/package-1.2.3-2.tar.bz2", NULL, NULL, "package", "==1.2.3", "2", NULL},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_matchspec *ms = ms_ok(t[i].in);
    if (!ms)
      continue;
    CHECK_FIELD(t[i].in, ms->channel, t[i].channel);
    CHECK_FIELD(t[i].in, ms->subdir, t[i].subdir);
    CHECK_FIELD(t[i].in, ms->name, t[i].name);
    CHECK_FIELD(t[i].in, ms->version, t[i].version);
    CHECK_FIELD(t[i].in, ms->build, t[i].build);
    CHECK_FIELD(t[i].in, ms->build_number, t[i].build_number);
    krait_matchspec_free(ms);
  }
  krait_matchspec *ms = ms_ok("foo[md5=a, sha256=b, fn=f.conda, url='https://x/f.conda', license=MIT, "
                              "license_family=BSD, track_features='a b', optional]");
  if (ms) {
    CHECK_FIELD("brackets", ms->md5, "a");
    CHECK_FIELD("brackets", ms->sha256, "b");
    CHECK_FIELD("brackets", ms->fn, "f.conda");
    CHECK_FIELD("brackets", ms->url, "https://x/f.conda");
    CHECK_FIELD("brackets", ms->license, "MIT");
    CHECK_FIELD("brackets", ms->license_family, "BSD");
    CHECK_FIELD("brackets", ms->track_features, "a b");
    CHECK(ms->optional, "optional");
    krait_matchspec_free(ms);
  }
}

/* version clause semantics: constraint, version, expected */
static void test_version_matching(void) {
  static const struct {
    const char *spec, *version;
    int want;
  } t[] = {
      {"1.8", "1.8", 1},          {"1.8", "1.8.0", 1},        {"1.8", "1.8.1", 0},
      {"==1.8", "1.8.0", 1},      {"=1.8", "1.8.7", 1},       {"=1.8", "1.80", 0},
      {"1.8.*", "1.8", 1},        {"1.8*", "1.8.2", 1},       {"1.8.*", "1.9", 0},
      {"!=1.8", "1.8", 0},        {"!=1.8", "1.8.1", 0},      {"!=1.8", "1.9", 1},
      {"!=1.8.*", "1.8.1", 0},    {"!=1.*.3", "1.2.3", 0},    {"!=1.*.3", "1.2.4", 1},
      {"<1.8", "1.7.9", 1},       {"<1.8", "1.8", 0},         {"<=1.8", "1.8.0", 1},
      {">1.8", "1.8.0.1", 1},     {">1.8", "1.8", 0},         {">=1.8", "1.8", 1},
      {">=1.8.*", "1.8", 1},      {"~=0.5.3", "0.5.9", 1},    {"~=0.5.3", "0.6", 0},
      {"~=0.5.3", "0.5.2", 0},    {">=1,<2", "1.5", 1},       {">=1,<2", "2.0", 0},
      {"<1|>2", "1.5", 0},        {"<1|>2", "2.5", 1},        {">=1,<2|>3", "3.5", 1},
      {">=1,<2|>3", "2.5", 0},    {">=1,(<2|>3)", "0.5", 0},  {"(>=1,<2)|>3", "0.5", 0},
      {">=1,(<2|>3)", "3.5", 1},  {"*", "0.0.1", 1},          {"*.*", "7", 1},
      {"1.*.3", "1.7.3", 1},      {"1.*.3", "1.7.4", 0},      {"*.3", "2.3", 1},
      {"^1\\.[0-9]$", "1.5", 1},  {"^1\\.[0-9]$", "1.55", 0}, {"1.0", "1.0+0", 1},
      {"1.0a1", "1.0A1", 1},      {">= 1.2, < 2", "1.5", 1},  {"1!2.0", "2.0", 0},
      {">=1.0rc1", "1.0", 1},     {"<1.0", "1.0dev1", 1},     {">1.0", "1.0post1", 1},
  };
  krait_vspec *any = NULL, *ge = NULL;
  CHECK(krait_vspec_parse("*", &any, NULL) == KRAIT_OK && krait_vspec_parse(">=0", &ge, NULL) == KRAIT_OK, "parse");
  CHECK(any && krait_vspec_matches(any, "not a version!") && ge && !krait_vspec_matches(ge, "not a version!"),
        "an unparseable record version only matches '*'");
  krait_vspec_free(any);
  krait_vspec_free(ge);
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_vspec *vs = NULL;
    krait_err err;
    krait_code rc = krait_vspec_parse(t[i].spec, &vs, &err);
    CHECK(rc == KRAIT_OK, "vspec \"%s\": %s", t[i].spec, rc ? err.msg : "");
    if (rc)
      continue;
    CHECK(krait_vspec_matches(vs, t[i].version) == t[i].want, "\"%s\" matches %s should be %d", t[i].spec,
          t[i].version, t[i].want);
    krait_vspec_free(vs);
  }
}

static void test_errors(void) {
  static const struct {
    const char *in, *want;
  } t[] = {
      {"", "empty spec"},
      {"numpy >=1.2 <", "incomplete version operator"},
      {"numpy >=1.2 <2", "join constraints with ','"},
      {"numpy >=", "incomplete version operator"},
      {"numpy 1.2 b c", "too many fields"},
      {"numpy >=1.2,", "empty version clause"},
      {"numpy >=1.2,,<3", "empty version clause"},
      {"numpy (>=1.2", "missing ')'"},
      {"numpy >=1.2)", "unbalanced ')'"},
      {"numpy =>1.2", "invalid operator"},
      {"numpy >==1.2", "invalid operator"},
      {"numpy ~1.2", "invalid operator"},
      {"numpy ~=1.2.*", "'~='"},
      {"numpy >=1.*.2", "'*' cannot be combined"},
      {"numpy 1..2", "empty version component"},
      {"numpy 1.2$", "regex"},
      {"numpy[version=1.2", "missing ']'"},
      {"numpy]", "invalid package name 'numpy]'"},
      {"numpy 1.2]", "invalid character ']'"},
      {"numpy[bogus=1]", "unknown key 'bogus'"},
      {"numpy[version]", "needs a value"},
      {"numpy[fn='x]", "missing ']'"},
      {"numpy[build=a] x", "unexpected text after ']'"},
      {"numpy[build_number=abc]", "invalid build_number"},
      {"foo;", "invalid package name 'foo;'"},
      {">=1.2", "missing package name"},
      {"~\\windows_channel::package", "invalid channel"},
      {"numpy=", "incomplete version operator"},
      {"numpy=1.2=", "empty build string"},
      {"numpy 1.2@3", "invalid character"},
      /* specs whose fields could not be printed so that they read back,
       * because they do not mean anything sensible (findings of
       * fuzz/matchspec: a stray ']' let a '#' survive the comment rule, a
       * '[' inside a regex name hid one, a namespace that is no name was
       * dropped, "%00" cut a file name short) */
      {"~]~=: .\r \r3 #\x06\r\r", "invalid namespace"},
      {"]:x 1 #b", "invalid namespace"},
      {"a/linux-64/foo:numpy", "invalid namespace"},
      {"file:///tmp/c:x", "invalid namespace"},
      {"^a[#]$=1", "'#' before the brackets"},
      {"  ^\xff\xff-[[,\x03:^^   \t  #  \x17-n[zzd\x9d][,$", "'#' before the brackets"},
      {"^a\x01$", "invalid package name"},
      {"X/:o.con:.conda", "relative package paths"},
      {"C:/:o.con:.conda", "name-version-build"},
      {"/c.a136%00_0.conda", "invalid character in the package file name"}, /* UBSan: size_t underflow */
      {"https://x/c/linux-64/a-1-0%0a.conda", "invalid character in the package file name"},
      {"https://x/ch/linux-64/a%20b-1-0.conda", "invalid package name"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_matchspec *ms = NULL;
    krait_err err = {0};
    krait_code rc = krait_matchspec_parse(t[i].in, &ms, &err);
    CHECK(rc == KRAIT_E_PARSE && !ms, "\"%s\" must be rejected", t[i].in);
    CHECK(strstr(err.msg, t[i].want) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", t[i].in, err.msg, t[i].want);
    /* the spec is quoted as given, control characters as \xNN: one line */
    char quoted[512];
    size_t q = (size_t)snprintf(quoted, sizeof quoted, "invalid spec \"");
    for (const unsigned char *p = (const unsigned char *)t[i].in; *p; p++)
      q += (size_t)snprintf(quoted + q, sizeof quoted - q, *p < 0x20 || *p == 0x7f ? "\\x%02x" : "%c", *p);
    snprintf(quoted + q, sizeof quoted - q, "\": ");
    CHECK(strncmp(err.msg, quoted, strlen(quoted)) == 0, "message must start with %s: %s", quoted, err.msg);
    int one_line = 1;
    for (const unsigned char *p = (const unsigned char *)err.msg; *p; p++)
      one_line &= *p >= 0x20 && *p != 0x7f;
    CHECK(one_line, "\"%s\": the message holds a control character", t[i].in);
    krait_matchspec_free(ms);
  }
}

static void test_matches_record(void) {
  krait_record r;
  krait_record_init(&r);
  r.name = strdup("numpy");
  r.version = strdup("1.26.4");
  r.build = strdup("py312h8753938_0");
  r.build_number = 0;
  r.subdir = strdup("linux-64");
  r.fn = strdup("numpy-1.26.4-py312h8753938_0.conda");
  r.url = strdup("https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h8753938_0.conda");
  r.md5 = strdup("0123456789abcdef0123456789abcdef");
  r.sha256 = strdup("aa00");
  r.license = strdup("BSD-3-Clause");
  static const struct {
    const char *spec;
    int want;
  } t[] = {
      {"numpy", 1},
      {"NumPy", 1},
      {"numpy 1.26.4 py312h8753938_0", 1},
      {"numpy=1.26", 1},
      {"numpy=1.25", 0},
      {"numpy >=1.26,<2", 1},
      {"numpy <1.26|>=2", 0},
      {"numpy * py312*", 1},
      {"numpy * *py311*", 0},
      {"numpy[build='^py3[0-9]+h.*$']", 1},
      {"numpy[build=PY312H8753938_0]", 1},
      {"numpy[build_number=0]", 1},
      {"numpy[build_number='>=1']", 0},
      {"numpy[build_number='<1']", 1},
      {"numpy[build_number='!=0']", 0},
      {"*/linux-64::numpy", 1},
      {"numpy[subdir=osx-64]", 0},
      {"numpy[md5=0123456789ABCDEF0123456789ABCDEF]", 1},
      {"numpy[md5=00000000000000000000000000000000]", 0},
      {"*[sha256=aa00]", 1},
      {"*[sha256=bb00]", 0},
      {"numpy[fn=numpy-1.26.4-py312h8753938_0.conda]", 1},
      {"numpy[fn=other.conda]", 0},
      {"num*", 1},
      {"scipy", 0},
      {"numpy[license=bsd-3-clause]", 1},
      {"numpy[license=MIT]", 0},
      {"https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h8753938_0.conda", 1},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_matchspec *ms = ms_ok(t[i].spec);
    if (!ms)
      continue;
    CHECK(krait_matchspec_matches(ms, &r) == t[i].want, "%s matches numpy-1.26.4: want %d", t[i].spec, t[i].want);
    krait_matchspec_free(ms);
  }
  krait_record_free(&r);
}

static void test_solv_str(void) {
  static const struct {
    const char *in, *want;
  } t[] = {
      {"conda-forge/linux-64::numpy", "numpy"},
      {"numpy=1.8", "numpy 1.8.*"},
      {"numpy 1.8 py_0", "numpy ==1.8 py_0"},
      {"numpy >= 1.2, <2", "numpy >=1.2,<2"},
      {"numpy[build=py*]", "numpy * py*"},
      {"numpy *", "numpy"},
      {"NumPy !=1.8", "numpy !=1.8.*"},
      {"numpy[version='>=1|<0.5', md5=abc]", "numpy >=1|<0.5"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    krait_matchspec *ms = ms_ok(t[i].in);
    if (!ms)
      continue;
    char *s = krait_matchspec_solv_str(ms);
    CHECK(strcmp(s, t[i].want) == 0, "solv_str(%s) = %s, want %s", t[i].in, s, t[i].want);
    free(s);
    krait_matchspec_free(ms);
  }
}

/* fuzz/matchspec found a URL whose channel part printed as a spec that did
 * not parse back: such a URL is refused up front, naming the channel. */
static void test_url_with_bad_channel_refused(void) {
  krait_matchspec *ms = NULL;
  krait_err err;
  krait_code rc = krait_matchspec_parse(
      "https://cy[veronda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h65a7726_0.conda", &ms, &err);
  CHECK(rc == KRAIT_E_PARSE && (strstr(err.msg, "invalid channel") || strstr(err.msg, "invalid character")), "refused: %s", rc ? err.msg : "(parsed)");
  krait_matchspec_free(ms);
  /* and one whose build string holds a blank and a quote (it printed as "numpy==1.26.4= 3aa'..."): */
  ms = NULL;
  rc = krait_matchspec_parse("https://x.org/c/linux-64/numpy-1.26.4- 3aa'26_0.conda", &ms, &err);
  CHECK(rc == KRAIT_E_PARSE && (strstr(err.msg, "invalid build string") || strstr(err.msg, "invalid character")),
        "refused: %s", rc ? err.msg : "(parsed)");
  krait_matchspec_free(ms);
  ms = NULL;
  rc = krait_matchspec_parse("https://x.org/c/linux-64/numpy-1.26.4-3aa'26_0.conda", &ms, &err);
  CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "invalid character"), "quote refused: %s", rc ? err.msg : "(parsed)");
  krait_matchspec_free(ms);
  ms = NULL;
  rc = krait_matchspec_parse("https://x.org/c/linux-64/numpy-1.26.4-3a!a_0.conda", &ms, &err);
  CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "invalid build string"), "build refused: %s", rc ? err.msg : "(parsed)");
  krait_matchspec_free(ms);
}

/* str(spec) parses back to the same spec, field by field (not only to the
 * same string): krait_matchspec_roundtrip_check, which fuzz/fuzz_matchspec.c
 * asserts too. The first block are the cases issue 6 named; the rest are
 * findings of the matchspec fuzzer and of a grammar-based spec generator
 * (minimized), each of which printed a form that did not read back. */
static void test_roundtrip_fields(void) {
  static const struct {
    const char *spec, *printed;
  } cases[] = {
      {"numpy[channel=\"conda#forge\"]", "numpy[channel='conda#forge']"},
      {"numpy[channel=\"a#b/linux-64\"]", "numpy[channel='a#b/linux-64']"},
      {"https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda", NULL},
      {"https://x/c%23h/linux-64/ab-1-0.conda", NULL},
      {"file:///tmp/ch/noarch/a-1-0.tar.bz2", NULL},
      {"numpy[url=\"https://x/y/noarch/a-1-0.conda\"]", NULL},
      {"numpy[url=\"https://x/y/noarch/a-1-0.conda\", fn=\"b-1-0.conda\"]", NULL},
      {"http://x:8080/ch::numpy", "http://x:8080/ch::numpy"},
      {"numpy[fn=\"a#b\", build=\"a#b\"]", NULL},
      {"conda-forge/noarch::numpy[subdir=linux-64]", "conda-forge/linux-64::numpy"},
      /* URLs with "://" or "//" inside the path, and a channel the bracket
       * form splits differently from the positional one */
      {"https://h/a://b/linux-64/x-1-0.conda", "https://h/a://b/linux-64::x==1=0[url=https://h/a://b/linux-64/x-1-0.conda]"},
      {"/tmp/a://b/linux-64/x-1-0.conda", NULL},
      {"https://x//linux-64/a-1-0.conda", "https://x/::a==1=0[subdir=linux-64,url=https://x//linux-64/a-1-0.conda]"},
      {"https://h/a#b/linux-64/linux-64/x-1-0.conda", NULL},
      /* subdirs the positional "channel/subdir" cannot carry */
      {"x[channel=a, subdir=foo]", "a::x[subdir=foo]"},
      {"x[channel=\"a/\", subdir=linux-64]", "a/::x[subdir=linux-64]"},
      {"a/linux-64/linux-64::x[subdir=foo]", "a/linux-64/linux-64::x[subdir=foo]"},
      {"x[channel=\"a#/linux-64/linux-64\", subdir=foo]", "x[channel='a#/linux-64/linux-64',subdir=foo]"},
      {"a::x[subdir='a\\\\b']", "a::x[subdir='a\\\\b']"},
      {"x[subdir=\"\"]", "x[subdir='']"},
      {"x[channel=\"a:\"]", "a:::x"},
      {"x[channel=\"a::b\"]", "a::b::x"},
      /* ("X/:o.con:.conda"-like) positional forms that would read back as a
       * package archive path: the fields go into the brackets */
      {"x.conda[channel=c/osx-arm64]", "x.conda[channel=c/osx-arm64]"},
      {"x[channel=a/b, version=1.conda]", "x[channel=a/b,version='==1.conda']"},
      {"x==1[build='https://x/c/linux-64/a-1-0.conda']", "x==1[build=https://x/c/linux-64/a-1-0.conda]"},
      /* builds the positional "=build" cannot carry */
      {"x==1.0[build='==1.8']", "x==1.0[build='==1.8']"},
      {"x==1[build=\"a b\"]", "x==1[build='a b']"},
      {"x==1[build=\"\"]", "x==1[build='']"},
      /* values with control characters are quoted */
      {"x.conda[license='a\nb']", "x.conda[license='a\nb']"},
      {"x[md5='A\tB']", "x[md5='a\tb']"},
      /* regexes keep their case ("\D" is not "\d") */
      {"x[build='^\\W$']", "x[build='^\\\\W$']"},
      {"^\\D$", "^\\D$"},
      {"^a b$", "^a b$"},
      /* fn is left out only when reading the url gives it back */
      {"x[url=https://x/a, fn=a]", "x[url=https://x/a,fn=a]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    check_printed(cases[i].spec, cases[i].printed);
}

/* Deterministic random specs built from spec-like pieces: whatever parses
 * must print a canonical form that parses back to the same spec,
 * and whatever is rejected must carry the "invalid spec" message. Catches
 * printer/parser asymmetries and (under ASan) memory errors. */
static void test_random_roundtrip(void) {
  static const char *const pieces[] = {
      "numpy", "py-thon", "*", "conda-forge", "/linux-64", "::", ":", " ", "  ", "=", "==", "!=", ">=", "<", ">",
      "<=", "~=", "1", "1.8", ".*", "*", "2!", "+loc", "a", "rc1", "_", "-", ",", "|", "(", ")", "[", "]",
      "version=", "build=", "build_number=", "md5=", "fn=", "subdir=", "optional", "'", "\"", "\\", "x y",
      "^py.*$", "#", "$", "@", "py37_0", "cuda*", "license=", "track_features=",
      /* the parts of the forms fuzz/matchspec found printing specs that did not read back */
      "://", "https://x/c", "//", ".conda", ".tar.bz2", "channel=", "url=", "\t", "\n", "a#b", "ns:", "X/:o.con:",
  };
  unsigned long long seed = 0x9e3779b97f4a7c15ULL;
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 20000; i++) {
    char spec[256];
    size_t k = 0;
    int npieces = 1 + (int)(seed % 9);
    for (int j = 0; j < npieces; j++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const char *piece = pieces[(seed >> 33) % (sizeof pieces / sizeof *pieces)];
      size_t pl = strlen(piece);
      if (k + pl + 1 >= sizeof spec)
        break;
      memcpy(spec + k, piece, pl);
      k += pl;
    }
    spec[k] = 0;
    krait_matchspec *ms = NULL;
    krait_err err = {0};
    if (krait_matchspec_parse(spec, &ms, &err) != KRAIT_OK) {
      rejected++;
      if (strncmp(err.msg, "invalid spec \"", 14) != 0)
        CHECK(0, "rejection of \"%s\" has no 'invalid spec' message: %s", spec, err.msg);
      continue;
    }
    parsed++;
    if (krait_matchspec_roundtrip_check(ms, &err) != KRAIT_OK)
      CHECK(0, "round trip of \"%s\": %s", spec, err.msg);
    char *solv = krait_matchspec_solv_str(ms);
    if (!solv || !*solv)
      CHECK(0, "empty solv string for %s", spec);
    free(solv);
    krait_matchspec_free(ms);
  }
  CHECK(parsed > 1000 && rejected > 1000, "random mix: %d parsed, %d rejected", parsed, rejected);
}

/* ---- rattler snapshot vectors ------------------------------------------- */

#define MAXF 16
typedef struct entry {
  char key[600];
  int nf;
  char field[MAXF][64];
  char value[MAXF][600];
} entry;

typedef struct entries {
  entry *e;
  int n;
} entries;

static void yaml_scalar(const char *s, char *out, size_t cap) {
  size_t k = 0;
  if (*s == '"') {
    s++;
    for (; *s && *s != '"' && k + 1 < cap; s++) {
      if (*s == '\\' && s[1]) {
        s++;
        out[k++] = *s == 'n' ? '\n' : *s;
      } else {
        out[k++] = *s;
      }
    }
  } else {
    for (; *s && k + 1 < cap; s++)
      out[k++] = *s;
    while (k && out[k - 1] == ' ')
      k--;
  }
  out[k] = 0;
}

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
  return s;
}

/* Reads an insta YAML snapshot: top-level "key:" lines with indented
 * "field: value" lines; nested fields become "parent.field". */
static int load_snap(const char *rel, entries *out, char **path_out) {
  out->e = NULL;
  out->n = 0;
  char *path = krait_test_shared(rel);
  if (!path)
    return 0;
  krait_buf b = KRAIT_BUF_INIT;
  krait_err err;
  krait_code rc = krait_read_file(path, &b, &err);
  CHECK(rc == KRAIT_OK, "read %s", path);
  if (rc) {
    free(path);
    return 0;
  }
  char *p = b.data, *line;
  int dashes = 0;
  char parent[64] = "";
  while ((line = next_line(&p))) {
    if (dashes < 2) {
      dashes += strcmp(line, "---") == 0;
      continue;
    }
    if (!*line)
      continue;
    if (line[0] != ' ') {
      size_t n = strlen(line);
      CHECK(n && line[n - 1] == ':', "%s: top-level line without ':': %s", rel, line);
      line[n - 1] = 0;
      out->e = realloc(out->e, (size_t)(out->n + 1) * sizeof *out->e);
      entry *e = &out->e[out->n++];
      memset(e, 0, sizeof *e);
      yaml_scalar(line, e->key, sizeof e->key);
      continue;
    }
    if (!out->n)
      continue;
    entry *e = &out->e[out->n - 1];
    int indent = 0;
    while (line[indent] == ' ')
      indent++;
    char *colon = strstr(line + indent, ":");
    if (!colon || e->nf >= MAXF)
      continue;
    *colon = 0;
    const char *val = colon[1] == ' ' ? colon + 2 : colon + 1;
    if (indent == 2) {
      snprintf(parent, sizeof parent, "%s", line + indent);
      if (!*val)
        continue; /* nested mapping follows */
      snprintf(e->field[e->nf], sizeof e->field[0], "%s", line + indent);
    } else {
      snprintf(e->field[e->nf], sizeof e->field[0], "%.30s.%.30s", parent, line + indent);
    }
    yaml_scalar(val, e->value[e->nf], sizeof e->value[0]);
    e->nf++;
  }
  krait_buf_free(&b);
  *path_out = path;
  return 1;
}

static const char *field(const entry *e, const char *name) {
  for (int i = 0; i < e->nf; i++)
    if (strcmp(e->field[i], name) == 0)
      return e->value[i];
  return NULL;
}

static const entry *find(const entries *es, const char *key) {
  for (int i = 0; i < es->n; i++)
    if (strcmp(es->e[i].key, key) == 0)
      return &es->e[i];
  return NULL;
}

/* Specs rattler's strict mode rejects but CEP-29 (and rattler lenient) accept. */
static const char *const strict_disagreements[] = {
    "foo=1.0=py27_0",
    "foo==1.0=py27_0",
    "pytorch=*=cuda*",
    "=1.0=py27_0",
    "==1.0=py27_0",
    "=*=cuda*",
    "python ==2.7.*.*|>=3.6",
    "==2.7.*.*|>=3.6",
    "python=*",
    "numpy>=2.*.*",
    ">=2.*.*",
    "bird_tool_utils_python =0.*,>=0.4.1",
    "https://software.repos.intel.com/python/conda::python[version=3.9]",
    "https://c.com/p/conda/linux-64::python[version=3.9]",
    "https://c.com/p/conda::python[version=3.9, subdir=linux-64]",
    "conda-forge/linux-32::python[version=3.9, subdir=linux-64]",
    "python[channel=https://conda.anaconda.org/python/conda,version=3.9]",
    "2.7|>=3.6",
    "3.9",
    "[version=3.9]",
    "[version=3.9, subdir=linux-64]",
};

static int is_disagreement(const char *key) {
  for (size_t i = 0; i < sizeof strict_disagreements / sizeof *strict_disagreements; i++)
    if (strcmp(strict_disagreements[i], key) == 0)
      return 1;
  return 0;
}

static int is_archive(const char *s) {
  size_t n = strlen(s);
  return (n > 6 && strcmp(s + n - 6, ".conda") == 0) || (n > 8 && strcmp(s + n - 8, ".tar.bz2") == 0);
}

static const char *op_name(const char *op) {
  static const char *const map[][2] = {{"Gt", ">"}, {"Ge", ">="}, {"Lt", "<"}, {"Le", "<="}, {"Eq", "=="},
                                       {"Ne", "!="}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strcmp(map[i][0], op) == 0)
      return map[i][1];
  return "?";
}

/* Compares our parse of `spec` with rattler's expected fields. */
static void check_against(const char *spec, const entry *want, int nameless) {
  char input[700];
  if (nameless && !is_archive(spec))
    snprintf(input, sizeof input, "*%s%s", strchr("=[<>!~", spec[0]) ? "" : " ", spec);
  else
    snprintf(input, sizeof input, "%s", spec);
  krait_matchspec *ms = NULL;
  krait_err err;
  krait_code rc = krait_matchspec_parse(input, &ms, &err);
  if (field(want, "error")) {
    CHECK(rc != KRAIT_OK, "rattler rejects \"%s\" (%s); krait accepted", spec, field(want, "error"));
    krait_matchspec_free(ms);
    return;
  }
  CHECK(rc == KRAIT_OK, "parse \"%s\": %s", input, rc ? err.msg : "");
  if (rc)
    return;
  int archive = is_archive(spec);
  const char *v;
  if ((v = field(want, "name")))
    CHECK_FIELD(spec, ms->name, v);
  v = field(want, "version");
  if (v || !archive)
    CHECK_FIELD(spec, ms->version, v);
  v = field(want, "build");
  if (v || !archive)
    CHECK_FIELD(spec, ms->build, v);
  v = field(want, "subdir");
  if (v || !archive)
    CHECK_FIELD(spec, ms->subdir, v);
  if ((v = field(want, "url")))
    CHECK_FIELD(spec, ms->url, v);
  if ((v = field(want, "md5")))
    CHECK_FIELD(spec, ms->md5, v);
  if ((v = field(want, "sha256")))
    CHECK_FIELD(spec, ms->sha256, v);
  char bn[64] = "";
  if ((v = field(want, "build_number")))
    snprintf(bn, sizeof bn, "%s", v);
  else if ((v = field(want, "build_number.op")))
    snprintf(bn, sizeof bn, "%s%s", op_name(v), field(want, "build_number.rhs"));
  if (*bn) {
    const char *w = strncmp(bn, "==", 2) == 0 ? bn + 2 : bn;
    const char *g = ms->build_number && strncmp(ms->build_number, "==", 2) == 0 ? ms->build_number + 2
                                                                                 : ms->build_number;
    CHECK_FIELD(spec, g, w);
  } else {
    CHECK_FIELD(spec, ms->build_number, (const char *)NULL);
  }
  const char *cname = field(want, "channel.name"), *curl = field(want, "channel.base_url");
  if (cname || curl) {
    char base[600] = "";
    if (curl) {
      snprintf(base, sizeof base, "%s", curl);
      size_t n = strlen(base);
      if (n && base[n - 1] == '/')
        base[n - 1] = 0;
    }
    CHECK(ms->channel && ((cname && strcmp(ms->channel, cname) == 0) || strcmp(ms->channel, base) == 0),
          "%s: channel %s, rattler name %s base_url %s", spec, ms->channel ? ms->channel : "(null)",
          cname ? cname : "-", base);
  } else if (!archive) {
    CHECK_FIELD(spec, ms->channel, (const char *)NULL);
  }
  krait_matchspec_free(ms);
}

static int run_snap(const char *file, const char *lenient_file, int nameless) {
  char rel[512], lrel[512];
  snprintf(rel, sizeof rel, "vectors/rattler-snapshots/rattler_conda_types/%s", file);
  entries es, les = {0};
  char *path = NULL, *lpath = NULL;
  if (!load_snap(rel, &es, &path))
    return 0;
  if (lenient_file) {
    snprintf(lrel, sizeof lrel, "vectors/rattler-snapshots/rattler_conda_types/%s", lenient_file);
    CHECK(load_snap(lrel, &les, &lpath), "strict vectors need their lenient twin %s", lrel);
  }
  int disagreements = 0;
  for (int i = 0; i < es.n; i++) {
    const entry *want = &es.e[i];
    if (lenient_file && field(want, "error") && is_disagreement(want->key)) {
      const entry *lw = find(&les, want->key);
      CHECK(lw && !field(lw, "error"), "disagreement %s has no lenient result", want->key);
      if (lw)
        check_against(want->key, lw, nameless);
      disagreements++;
      continue;
    }
    check_against(want->key, want, nameless);
  }
  printf("read %d matchspec vectors from %s (%d strict-mode disagreements checked against lenient)\n", es.n, path,
         disagreements);
  CHECK(es.n >= 6, "too few vectors in %s", path);
  free(es.e);
  free(les.e);
  free(path);
  free(lpath);
  return 1;
}

/* serialize_matchspec.snap (rattler Display strings) paired line by line
 * with serialize_json_matchspec.snap (the same specs' fields as JSON). */
static int run_serialize_pair(void) {
  char *dpath = krait_test_shared("vectors/rattler-snapshots/rattler_conda_types/"
                                  "rattler_conda_types__match_spec__tests__serialize_matchspec.snap");
  char *jpath = krait_test_shared("vectors/rattler-snapshots/rattler_conda_types/"
                                  "rattler_conda_types__match_spec__tests__serialize_json_matchspec.snap");
  if (!dpath || !jpath) {
    free(dpath);
    free(jpath);
    return 0;
  }
  krait_buf db = KRAIT_BUF_INIT, jb = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(dpath, &db, &err) == KRAIT_OK, "read %s", dpath);
  CHECK(krait_read_file(jpath, &jb, &err) == KRAIT_OK, "read %s", jpath);
  char *dp = db.data, *jp = jb.data, *dl, *jl;
  int dashes = 0, n = 0;
  while (dashes < 2 && (dl = next_line(&dp)))
    dashes += strcmp(dl, "---") == 0;
  dashes = 0;
  while (dashes < 2 && (jl = next_line(&jp)))
    dashes += strcmp(jl, "---") == 0;
  while ((dl = next_line(&dp)) && (jl = next_line(&jp))) {
    if (!*dl)
      break;
    krait_json *j = krait_json_parse(jl, strlen(jl), jpath, &err);
    CHECK(j != NULL, "json %s", jl);
    krait_matchspec *ms = ms_ok(dl);
    if (j && ms) {
      CHECK_FIELD(dl, ms->name, krait_json_get_str(j, "name"));
      CHECK_FIELD(dl, ms->version, krait_json_get_str(j, "version"));
      CHECK_FIELD(dl, ms->build, krait_json_get_str(j, "build"));
      CHECK_FIELD(dl, ms->subdir, krait_json_get_str(j, "subdir"));
      CHECK_FIELD(dl, ms->md5, krait_json_get_str(j, "md5"));
      CHECK_FIELD(dl, ms->sha256, krait_json_get_str(j, "sha256"));
      const krait_json *ch = krait_json_get_object(j, "channel");
      CHECK_FIELD(dl, ms->channel, ch ? krait_json_get_str(ch, "name") : NULL);
      /* our canonical form of it reparses to the same canonical form */
      char *s = krait_matchspec_str(ms);
      krait_matchspec *again = ms_ok(s);
      if (again) {
        char *s2 = krait_matchspec_str(again);
        CHECK(strcmp(s, s2) == 0, "%s -> %s -> %s", dl, s, s2);
        free(s2);
      }
      krait_matchspec_free(again);
      free(s);
    }
    krait_matchspec_free(ms);
    krait_json_free(j);
    n++;
  }
  printf("read %d matchspec vectors from %s (+ fields from %s)\n", n, dpath, jpath);
  CHECK(n == 6, "expected 6 paired vectors, read %d", n);
  krait_buf_free(&db);
  krait_buf_free(&jb);
  free(dpath);
  free(jpath);
  return 1;
}

/* matchspec_to_string.snap: a YAML list of rattler Display strings; each must
 * parse, and our canonical form must be stable and keep every field. */
static int run_to_string(void) {
  char *path = krait_test_shared("vectors/rattler-snapshots/rattler_conda_types/"
                                 "rattler_conda_types__match_spec__parse__tests__matchspec_to_string.snap");
  if (!path)
    return 0;
  krait_buf b = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(path, &b, &err) == KRAIT_OK, "read %s", path);
  char *p = b.data, *line;
  int n = 0;
  while ((line = next_line(&p))) {
    if (strncmp(line, "    \"", 5) != 0)
      continue;
    size_t l = strlen(line);
    if (l && line[l - 1] == ',')
      line[--l] = 0;
    char spec[1024];
    yaml_scalar(line + 4, spec, sizeof spec);
    krait_matchspec *ms = ms_ok(spec);
    if (ms) {
      CHECK(ms->version && strcmp(ms->version, "1.0.*") == 0, "%s: version", spec);
      CHECK(ms->build_number && strchr(ms->build_number, '6'), "%s: build_number", spec);
      /* conda's canonical form leaves url out when a channel is printed;
       * krait keeps it so the spec round-trips (issue 6) */
      CHECK(krait_matchspec_roundtrip_check(ms, &err) == KRAIT_OK, "%s: %s", spec, err.msg);
      krait_matchspec_free(ms);
    }
    n++;
  }
  printf("read %d matchspec vectors from %s\n", n, path);
  CHECK(n == 2, "expected 2 vectors, read %d", n);
  krait_buf_free(&b);
  free(path);
  return 1;
}

/* version_spec exact_strict snapshots: rattler strict rejects a bare "1.2.3"
 * version spec ("missing range specifier"); CEP-29 defines a bare literal as
 * exact equality, so krait accepts it as "==1.2.3" (disagreement). */
static int run_exact_strict(const char *rel) {
  char *path = krait_test_shared(rel);
  if (!path)
    return 0;
  krait_buf b = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(path, &b, &err) == KRAIT_OK, "read %s", path);
  char *p = b.data, *line;
  int dashes = 0, n = 0;
  while ((line = next_line(&p))) {
    if (dashes < 2) {
      dashes += strcmp(line, "---") == 0;
      continue;
    }
    /* "missing range specifier for '1.2.3'. Did you mean ..." */
    char *q1 = strchr(line, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
    CHECK(q1 && q2 && strstr(line, "missing range specifier"), "unexpected snapshot text: %s", line);
    if (!q1 || !q2)
      continue;
    *q2 = 0;
    krait_vspec *vs = NULL;
    CHECK(krait_vspec_parse(q1 + 1, &vs, &err) == KRAIT_OK, "CEP-29: bare literal '%s' is exact", q1 + 1);
    if (vs) {
      char *str = krait_vspec_str(vs);
      char want[128];
      snprintf(want, sizeof want, "==%s", q1 + 1);
      CHECK_STR(str, want);
      CHECK(krait_vspec_kind(vs) == VS_EXACT, "kind");
      CHECK(krait_vspec_matches(vs, "1.2.3.0") && !krait_vspec_matches(vs, "1.2.3.1"), "exact semantics");
      free(str);
      krait_vspec_free(vs);
    }
    n++;
  }
  printf("read %d version_spec vectors from %s (rattler strict error; CEP-29 exact equality)\n", n, path);
  CHECK(n == 1, "expected 1 vector, read %d", n);
  krait_buf_free(&b);
  free(path);
  return 1;
}

/* matchspec_display_edge_cases__*.snap: blocks of
 *   case      : <spec, or "<field> = <value>" for a constructed spec>
 *   legacy    : <rattler's rendering>      (or "parse     : rejected: ...")
 *     reparse : same spec | rejected: ... | DIVERGES: ... | differs ...
 *   canonical : ...
 * krait checks: rejected inputs are rejected; for "same spec" pairs the input
 * and rattler's rendering give krait the same canonical string; for
 * "<field> = <value>" cases the rendering parses back to that value. Entries
 * using rattler-only syntax (when=, extras=, flags=, list values, channel
 * platform selectors "chan[linux-64]::", unrepresentable-*) are not CEP-29
 * and must be rejected. Known differences are in the table below. */
static const struct {
  const char *kase, *field, *want;
} display_disagreements[] = {
    /* Python literal rules (CEP-29) unescape \' \" \\ ; rattler keeps them */
    {"fn (escaped single quotes) = one \\'single\\' and \"double\"", "fn", "one 'single' and \"double\""},
    {"fn (escaped double quotes) = one \\\"double\\\" and 'single'", "fn", "one \"double\" and 'single'"},
    {"fn (even backslash run) = C:\\cache\\\\", "fn", "C:\\cache\\"},
    /* "py*:3" is namespace py* + name 3 under CEP-29 (rattler diverges too) */
    {"name = py*:3", "name", "3"},
    /* "py* 3": a bare version literal is exact (rattler strict rejects) */
    {"name = py* 3", "version", "==3"},
};

static int rattler_only(const char *s) {
  static const char *const marks[] = {"when=", "extras=", "flags=", "unrepresentable-", "extras=[", "flags=[", "features=[", "[linux-64",
                                      "[noarch", "[]\"", "channel named", "ipv6", "empty platform", "credentials"};
  for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
    if (strstr(s, marks[i]))
      return 1;
  return 0;
}

static const char *ms_field(const krait_matchspec *ms, const char *f) {
  if (!strcmp(f, "fn"))
    return ms->fn;
  if (!strcmp(f, "build"))
    return ms->build;
  if (!strcmp(f, "name"))
    return ms->name;
  if (!strcmp(f, "version"))
    return ms->version;
  return NULL;
}

static void display_case(const char *kase, const char *legacy, const char *reparse, const char *rejected, int *n) {
  krait_err err;
  krait_matchspec *a = NULL, *b = NULL;
  (*n)++;
  if (rejected) { /* rattler refuses to parse the input */
    CHECK(krait_matchspec_parse(kase, &a, &err) != KRAIT_OK, "rattler rejects \"%s\" (%s); krait accepted", kase,
          rejected);
    krait_matchspec_free(a);
    return;
  }
  if (!legacy)
    return;
  int known = 0;
  for (size_t i = 0; i < sizeof display_disagreements / sizeof *display_disagreements; i++)
    known |= !strcmp(display_disagreements[i].kase, kase);
  if (!known && (rattler_only(kase) || rattler_only(legacy) || !strncmp(reparse, "rejected", 8))) {
    CHECK(krait_matchspec_parse(legacy, &b, &err) != KRAIT_OK, "non-CEP syntax accepted: %s", legacy);
    krait_matchspec_free(b);
    return;
  }
  const char *eq = strstr(kase, " = ");
  if (eq) { /* "<field> (note) = <value>" */
    char fieldname[32];
    size_t fl = strcspn(kase, " ");
    snprintf(fieldname, sizeof fieldname, "%.*s", (int)(fl < 31 ? fl : 31), kase);
    const char *want = eq + 3;
    char inner[256];
    if (!strncmp(want, "Exact(\"", 7)) { /* 'Exact("py*") (renders as a glob)' */
      snprintf(inner, sizeof inner, "%s", want + 7);
      char *q = strchr(inner, '"');
      if (q)
        *q = 0;
      want = inner;
    }
    const char *field_to_check = fieldname;
    for (size_t i = 0; i < sizeof display_disagreements / sizeof *display_disagreements; i++)
      if (!strcmp(display_disagreements[i].kase, kase)) {
        field_to_check = display_disagreements[i].field;
        want = display_disagreements[i].want;
      }
    b = ms_ok(legacy);
    if (b)
      CHECK_FIELD(kase, ms_field(b, field_to_check), want);
    krait_matchspec_free(b);
    return;
  }
  a = ms_ok(kase);
  b = ms_ok(legacy);
  if (a && b && !strncmp(reparse, "same spec", 9)) {
    char *sa = krait_matchspec_str(a), *sb = krait_matchspec_str(b);
    CHECK(strcmp(sa, sb) == 0, "\"%s\" and rattler's \"%s\" differ in krait: %s vs %s", kase, legacy, sa, sb);
    free(sa);
    free(sb);
  }
  krait_matchspec_free(a);
  krait_matchspec_free(b);
}

static int run_display(const char *file) {
  char rel[512];
  snprintf(rel, sizeof rel, "vectors/rattler-snapshots/rattler_conda_types/%s", file);
  char *path = krait_test_shared(rel);
  if (!path)
    return 0;
  krait_buf b = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(path, &b, &err) == KRAIT_OK, "read %s", path);
  char *p = b.data, *line;
  char *kase = NULL, *legacy = NULL, *reparse = NULL, *rejected = NULL;
  int n = 0, dashes = 0;
  for (;;) {
    line = next_line(&p);
    if (line && dashes < 2) {
      dashes += strcmp(line, "---") == 0;
      continue;
    }
    if (!line || !strncmp(line, "case      : ", 12)) {
      if (kase)
        display_case(kase, legacy, reparse ? reparse : "", rejected, &n);
      kase = legacy = reparse = rejected = NULL;
      if (!line)
        break;
      kase = line + 12;
    } else if (!strncmp(line, "legacy    : ", 12)) {
      legacy = line + 12;
    } else if (!strncmp(line, "  reparse : ", 12) && legacy && !reparse) {
      reparse = line + 12;
    } else if (!strncmp(line, "parse     : rejected", 20)) {
      rejected = line + 12;
    }
  }
  printf("read %d matchspec display vectors from %s\n", n, path);
  CHECK(n >= 5, "too few cases in %s", path);
  krait_buf_free(&b);
  free(path);
  return 1;
}

/* Real repodata: every depends/constrains entry is a MatchSpec conda wrote.
 * Each must parse, and its canonical form must read back as the same spec. Every
 * record must be matched by "name ==version build" and by "name >=version",
 * and not by "name <version" (ties record versions, the comparator and the
 * matcher together on real data). */
static int run_repodata(const char *rel, long *nspecs, long *nrecords) {
  char *path = krait_test_shared(rel);
  if (!path)
    return 0;
  krait_err err;
  krait_json *root = krait_json_parse_file(path, &err);
  CHECK(root != NULL, "%s", root ? "" : err.msg);
  if (!root) {
    free(path);
    return 0;
  }
  long specs = 0, records = 0;
  static const char *const sections[] = {"packages", "packages.conda"};
  int has_sections = krait_json_get_object(root, sections[0]) || krait_json_get_object(root, sections[1]);
  for (int sec = 0; sec < (has_sections ? 2 : 1); sec++) {
    const krait_json *pkgs = has_sections ? krait_json_get_object(root, sections[sec]) : root;
    krait_json_foreach(rec, pkgs) {
      static const char *const lists[] = {"depends", "constrains"};
      for (int l = 0; l < 2; l++) {
        krait_json_foreach(dep, krait_json_get_array(rec, lists[l])) {
          if (!dep->string)
            continue;
          specs++;
          krait_matchspec *ms = NULL;
          krait_code rc = krait_matchspec_parse(dep->string, &ms, &err);
          CHECK(rc == KRAIT_OK, "%s: %s", rel, rc ? err.msg : "");
          if (rc)
            continue;
          rc = krait_matchspec_roundtrip_check(ms, &err);
          CHECK(rc == KRAIT_OK, "round trip of %s: %s", dep->string, rc ? err.msg : "");
          krait_matchspec_free(ms);
        }
      }
      krait_record r;
      krait_record_init(&r);
      if (krait_record_from_json(&r, rec, rec->key, &err) == KRAIT_OK && r.name && r.version && r.build) {
        records++;
        char *exact = krait_asprintf("%s ==%s %s", r.name, r.version, r.build);
        char *ge = krait_asprintf("%s >=%s", r.name, r.version);
        char *lt = krait_asprintf("%s <%s", r.name, r.version);
        krait_matchspec *a = ms_ok(exact), *b = ms_ok(ge), *c = ms_ok(lt);
        if (a && b && c)
          CHECK(krait_matchspec_matches(a, &r) && krait_matchspec_matches(b, &r) && !krait_matchspec_matches(c, &r),
                "record %s-%s-%s vs its own specs", r.name, r.version, r.build);
        krait_matchspec_free(a);
        krait_matchspec_free(b);
        krait_matchspec_free(c);
        free(exact);
        free(ge);
        free(lt);
      }
      krait_record_free(&r);
    }
  }
  printf("read %ld dependency specs and %ld records from %s\n", specs, records, path);
  CHECK(specs > 100 && records > 100, "%s: too few specs/records", path);
  *nspecs += specs;
  *nrecords += records;
  krait_json_free(root);
  free(path);
  return 1;
}

int main(void) {
  test_cep_equivalence_blocks();
  test_canonical();
  test_fields();
  test_brackets();
  test_version_matching();
  test_errors();
  test_matches_record();
  test_solv_str();
  test_random_roundtrip();
  test_roundtrip_fields();
  test_url_with_bad_channel_refused();
  if (krait_test_failed)
    return krait_test_finish("matchspec");
  int found = 0;
  found += run_snap("rattler_conda_types__match_spec__parse__tests__test_from_string_Lenient.snap", NULL, 0);
  found += run_snap("rattler_conda_types__match_spec__parse__tests__test_from_string_Strict.snap",
                    "rattler_conda_types__match_spec__parse__tests__test_from_string_Lenient.snap", 0);
  found += run_snap("rattler_conda_types__match_spec__parse__tests__test_nameless_from_string_Lenient.snap", NULL, 1);
  found += run_snap("rattler_conda_types__match_spec__parse__tests__test_nameless_from_string_Strict.snap",
                    "rattler_conda_types__match_spec__parse__tests__test_nameless_from_string_Lenient.snap", 1);
  found += run_snap("rattler_conda_types__match_spec__parse__tests__test_from_string.snap", NULL, 0);
  found += run_serialize_pair();
  found += run_to_string();
  found += run_exact_strict("vectors/rattler-snapshots/rattler_conda_types/"
                            "rattler_conda_types__version_spec__parse__test__exact_strict.snap");
  found += run_exact_strict("vectors/rattler-snapshots/rattler_conda_version/"
                            "rattler_conda_version__version_spec__parse__test__exact_strict.snap");
  found += run_display("matchspec_display_edge_cases__legacy_placement.snap");
  found += run_display("matchspec_display_edge_cases__parser_edges.snap");
  found += run_display("matchspec_display_edge_cases__scalar_quoting.snap");
  found += run_display("matchspec_display_edge_cases__package_names.snap");
  long nspecs = 0, nrecords = 0;
  static const char *const repodata[] = {
      "repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json",
      "repodata/conda-forge-subchannel-py39-20240516/win-64/repodata.json",
      "repodata/conda-forge-subchannel-py39-20240516/noarch/repodata.json",
      "repodata/anaconda-r-linux-64-2018/repodata.json",
      "repodata/anaconda-main-noarch-2018/repodata.json",
      "repodata/pytorch-linux-64-2023/repodata.json",
      "repodata/conda-test-index-records/index4.json",
  };
  int nrepo = 0;
  for (size_t i = 0; i < sizeof repodata / sizeof *repodata; i++)
    nrepo += run_repodata(repodata[i], &nspecs, &nrecords);
  if (nrepo)
    printf("repodata total: %ld dependency specs, %ld records from %d files\n", nspecs, nrecords, nrepo);
  CHECK(nrepo == 0 || nrepo == (int)(sizeof repodata / sizeof *repodata), "only %d repodata files", nrepo);
  found += nrepo ? 1 : 0;
  if (!found)
    krait_test_missing("shared data (KRAIT_SHARED_DIR/data/vectors) absent: the vector checks did not run");
  else
    CHECK(found == 14, "only %d of 14 vector sets present", found);
  return krait_test_finish("matchspec");
}
