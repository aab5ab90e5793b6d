/* Version specifiers (CEP-29 "Version matching"): clauses joined by ','
 * (AND, binds tighter) and '|' (OR), with parentheses; each clause is a
 * literal (exact), an operator plus a literal, a literal with globs, or '*'.
 *
 * Decisions where tools disagree (the CEP wins; see tests/unit/test_matchspec.c):
 *  - "!=1.8" is a NEGATED FUZZY equality (CEP-29: "Exclusion ... MUST be
 *    interpreted as a negated fuzzy equality"), i.e. it also excludes 1.8.1;
 *    conda's own VersionSpec treats "!=1.8" as exact inequality. We print it
 *    as "!=1.8.*", which conda, mamba and libsolv all read the same way.
 *  - "==1.8.*" and "=1.8.*" are fuzzy (CEP example block "pkg ==1.8.* *").
 *  - ">=2.*" drops the glob (conda's "superfluous .*" rule; rattler lenient).
 *  - "*.*" (only '*' and '.') matches everything, like rattler/mamba.
 *  - '*' mixed with an ordering operator in the middle of a literal is an
 *    error (CEP-29 rationale: mixing '*' with operators is disallowed). */
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/matchspec.h"
#include "krait/rx.h"
#include "krait/version.h"

enum { N_LEAF, N_AND, N_OR };

struct krait_vspec {
  int node;
  int op;
  krait_version *ver; /* literal for ordered/exact/prefix ops */
  char *pattern;      /* glob or regex text */
  krait_rx *rx;       /* bounded engine: no spec can explode (krait/rx.h) */
  krait_vspec **kids;
  size_t nkids;
};

void krait_vspec_free(krait_vspec *vs) {
  if (!vs)
    return;
  for (size_t i = 0; i < vs->nkids; i++)
    krait_vspec_free(vs->kids[i]);
  free(vs->kids);
  krait_version_free(vs->ver);
  if (vs->rx) {
    krait_rx_free(vs->rx);
  }
  free(vs->pattern);
  free(vs);
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct parser {
  const char *s; /* whitespace-free copy */
  size_t pos;
  const char *orig;
  krait_err *err;
} parser;

static krait_code fail(parser *p, const char *what) {
  return krait_err_set(p->err, KRAIT_E_PARSE, "invalid version constraint \"%s\": %s", p->orig, what);
}

static int is_opchar(char c) { return c == '=' || c == '<' || c == '>' || c == '!' || c == '~'; }

static krait_code make_leaf(parser *p, const char *t, size_t n, krait_vspec **out);
static krait_code parse_or(parser *p, krait_vspec **out);

static krait_vspec *new_node(int node) {
  krait_vspec *v = krait_calloc(1, sizeof *v);
  v->node = node;
  return v;
}

static void add_kid(krait_vspec *v, krait_vspec *k) {
  v->kids = krait_realloc(v->kids, (v->nkids + 1) * sizeof *v->kids);
  v->kids[v->nkids++] = k;
}

static krait_code parse_atom(parser *p, krait_vspec **out) {
  const char *s = p->s;
  if (s[p->pos] == '(') {
    p->pos++;
    krait_code rc = parse_or(p, out);
    if (rc)
      return rc;
    if (s[p->pos] != ')') {
      krait_vspec_free(*out);
      *out = NULL;
      return fail(p, "missing ')'");
    }
    p->pos++;
    return KRAIT_OK;
  }
  size_t start = p->pos;
  if (s[start] == '^') {
    /* a regex runs to its closing '$' and may contain , | ( ) */
    const char *dollar = strchr(s + start, '$');
    if (!dollar)
      return fail(p, "regex without closing '$'");
    p->pos = (size_t)(dollar - s) + 1;
  } else {
    while (s[p->pos] && s[p->pos] != ',' && s[p->pos] != '|' && s[p->pos] != '(' && s[p->pos] != ')')
      p->pos++;
  }
  if (p->pos == start)
    return fail(p, "empty version clause");
  if (s[p->pos] == '(')
    return fail(p, "unexpected '('");
  return make_leaf(p, s + start, p->pos - start, out);
}

static krait_code parse_list(parser *p, krait_vspec **out, char sep, int node,
                             krait_code (*sub)(parser *, krait_vspec **)) {
  krait_vspec *first = NULL;
  krait_code rc = sub(p, &first);
  if (rc)
    return rc;
  if (p->s[p->pos] != sep) {
    *out = first;
    return KRAIT_OK;
  }
  krait_vspec *list = new_node(node);
  add_kid(list, first);
  while (p->s[p->pos] == sep) {
    p->pos++;
    krait_vspec *k = NULL;
    rc = sub(p, &k);
    if (rc) {
      krait_vspec_free(list);
      return rc;
    }
    add_kid(list, k);
  }
  *out = list;
  return KRAIT_OK;
}

static krait_code parse_and(parser *p, krait_vspec **out) { return parse_list(p, out, ',', N_AND, parse_atom); }
static krait_code parse_or(parser *p, krait_vspec **out) { return parse_list(p, out, '|', N_OR, parse_and); }

static krait_code set_literal(parser *p, krait_vspec *v, const char *lit, size_t n) {
  char small[128];
  char *tmp = n < sizeof small ? small : krait_malloc(n + 1);
  memcpy(tmp, lit, n);
  tmp[n] = 0;
  krait_err verr;
  krait_code rc = krait_version_parse(tmp, &v->ver, &verr);
  if (rc)
    krait_err_set(p->err, rc, "invalid version constraint \"%s\": %s", p->orig, verr.msg);
  if (tmp != small)
    free(tmp);
  return rc;
}

static int only_stars_dots(const char *t, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (t[i] != '*' && t[i] != '.')
      return 0;
  return 1;
}

static krait_code make_leaf(parser *p, const char *t, size_t n, krait_vspec **out) {
  krait_vspec *v = new_node(N_LEAF);
  krait_code rc = KRAIT_OK;
  *out = NULL;
  if (t[0] == '^' || t[n - 1] == '$') {
    if (t[0] != '^' || t[n - 1] != '$' || n < 2) {
      krait_vspec_free(v);
      return fail(p, "a regex must start with '^' and end with '$'");
    }
    v->op = VS_REGEX;
    v->pattern = krait_strndup(t, n);
    krait_err rxerr;
    if (krait_rx_compile(v->pattern, true, &v->rx, &rxerr) != KRAIT_OK) {
      krait_vspec_free(v);
      return fail(p, rxerr.msg);
    }
    *out = v;
    return KRAIT_OK;
  }
  size_t oplen = 0;
  int op = VS_EXACT;
  if (n >= 2 && t[1] == '=' && (t[0] == '=' || t[0] == '!' || t[0] == '<' || t[0] == '>' || t[0] == '~')) {
    oplen = 2;
    op = t[0] == '=' ? VS_EXACT : t[0] == '!' ? VS_NOT_PREFIX : t[0] == '<' ? VS_LE : t[0] == '>' ? VS_GE : VS_COMPAT;
  } else if (t[0] == '<' || t[0] == '>' || t[0] == '=') {
    oplen = 1;
    op = t[0] == '<' ? VS_LT : t[0] == '>' ? VS_GT : VS_PREFIX;
  } else if (t[0] == '!' || t[0] == '~') {
    krait_vspec_free(v);
    return fail(p, "invalid operator");
  }
  const char *lit = t + oplen;
  size_t ln = n - oplen;
  if (oplen && ln == 0) {
    krait_vspec_free(v);
    return fail(p, "incomplete version operator");
  }
  if (oplen && is_opchar(lit[0])) {
    krait_vspec_free(v);
    return fail(p, "invalid operator");
  }
  /* Trailing globs: "1.8.*", "1.8*", "2.*.*" -> prefix "1.8" / "2". */
  size_t core = ln;
  int trailing_glob = 0;
  for (;;) {
    if (core >= 2 && lit[core - 2] == '.' && lit[core - 1] == '*')
      core -= 2, trailing_glob = 1;
    else if (core >= 1 && lit[core - 1] == '*')
      core -= 1, trailing_glob = 1;
    else
      break;
  }
  int inner_glob = memchr(lit, '*', core) != NULL;
  if (!oplen) {
    if (only_stars_dots(lit, ln)) {
      v->op = VS_ANY;
    } else if (inner_glob) {
      v->op = VS_GLOB;
      v->pattern = krait_strndup(lit, ln);
    } else if (trailing_glob) {
      v->op = VS_PREFIX;
      rc = set_literal(p, v, lit, core);
    } else {
      v->op = VS_EXACT;
      rc = set_literal(p, v, lit, ln);
    }
  } else if (inner_glob || (trailing_glob && core == 0 && op != VS_EXACT && op != VS_PREFIX)) {
    if (op == VS_NOT_PREFIX && core > 0) {
      v->op = VS_NOT_GLOB;
      v->pattern = krait_strndup(lit, ln);
    } else {
      krait_vspec_free(v);
      return fail(p, "'*' cannot be combined with this operator");
    }
  } else if (trailing_glob) {
    if (op == VS_COMPAT) {
      krait_vspec_free(v);
      return fail(p, "'*' cannot be combined with '~='");
    }
    if ((op == VS_EXACT || op == VS_PREFIX) && core == 0)
      v->op = VS_ANY;
    else {
      /* = / == with a glob are fuzzy; ordering operators drop it */
      v->op = op == VS_EXACT ? VS_PREFIX : op;
      rc = set_literal(p, v, lit, core);
    }
  } else {
    v->op = op;
    rc = set_literal(p, v, lit, ln);
  }
  if (rc) {
    krait_vspec_free(v);
    return rc;
  }
  *out = v;
  return KRAIT_OK;
}

krait_code krait_vspec_parse(const char *text, krait_vspec **out, krait_err *err) {
  *out = NULL;
  if (!text)
    text = "";
  size_t n = strlen(text);
  char small[256];
  char *buf = n < sizeof small ? small : krait_malloc(n + 1);
  size_t k = 0;
  /* CEP-29: spaces inside version expressions are removed and ignored */
  for (size_t i = 0; i < n; i++)
    if (text[i] != ' ' && text[i] != '\t')
      buf[k++] = text[i];
  buf[k] = 0;
  krait_code rc;
  parser p = {buf, 0, text, err};
  if (k == 0) {
    rc = fail(&p, "empty version constraint");
  } else if (buf[0] == '^' && buf[k - 1] == '$') {
    rc = make_leaf(&p, buf, k, out); /* a whole-string regex may hold | , ( ) */
  } else {
    rc = parse_or(&p, out);
    if (!rc && buf[p.pos]) {
      krait_vspec_free(*out);
      *out = NULL;
      rc = buf[p.pos] == ')' ? fail(&p, "unbalanced ')'") : fail(&p, "unexpected character");
    }
  }
  if (buf != small)
    free(buf);
  return rc;
}

/* ---- matching ------------------------------------------------------------ */

bool krait_glob_match(const char *pat, const char *s) {
  /* case-insensitive, '*' only; iterative with single backtrack point */
  const char *star = NULL, *resume = NULL;
  while (*s) {
    char a = *pat, b = *s;
    if (a >= 'A' && a <= 'Z')
      a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = (char)(b - 'A' + 'a');
    if (*pat == '*') {
      star = pat++;
      resume = s;
    } else if (*pat && a == b) {
      pat++;
      s++;
    } else if (star) {
      pat = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (*pat == '*')
    pat++;
  return *pat == 0;
}

bool krait_vspec_matches_version(const krait_vspec *vs, const krait_version *v) {
  if (!vs)
    return true;
  switch (vs->node) {
  case N_AND:
    for (size_t i = 0; i < vs->nkids; i++)
      if (!krait_vspec_matches_version(vs->kids[i], v))
        return false;
    return true;
  case N_OR:
    for (size_t i = 0; i < vs->nkids; i++)
      if (krait_vspec_matches_version(vs->kids[i], v))
        return true;
    return false;
  default:
    break;
  }
  switch (vs->op) {
  case VS_ANY:
    return true;
  case VS_EXACT:
    return krait_version_cmp(v, vs->ver) == 0;
  case VS_PREFIX:
    return krait_version_startswith(v, vs->ver);
  case VS_NOT_PREFIX:
    return !krait_version_startswith(v, vs->ver);
  case VS_LT:
    return krait_version_cmp(v, vs->ver) < 0;
  case VS_LE:
    return krait_version_cmp(v, vs->ver) <= 0;
  case VS_GT:
    return krait_version_cmp(v, vs->ver) > 0;
  case VS_GE:
    return krait_version_cmp(v, vs->ver) >= 0;
  case VS_COMPAT:
    return krait_version_compatible(v, vs->ver);
  case VS_GLOB:
    return krait_glob_match(vs->pattern, krait_version_text(v));
  case VS_NOT_GLOB:
    return !krait_glob_match(vs->pattern, krait_version_text(v));
  case VS_REGEX:
    return krait_rx_search(vs->rx, krait_version_text(v));
  default:
    return false;
  }
}

bool krait_vspec_matches(const krait_vspec *vs, const char *version) {
  if (!vs)
    return true;
  krait_version *v = NULL;
  if (krait_version_parse(version, &v, NULL))
    return vs->node == N_LEAF && vs->op == VS_ANY; /* odd record versions only match "*" */
  bool r = krait_vspec_matches_version(vs, v);
  krait_version_free(v);
  return r;
}

/* ---- printing ------------------------------------------------------------ */

static void put(krait_buf *b, const krait_vspec *vs, int parent) {
  if (vs->node != N_LEAF) {
    int paren = parent == N_AND && vs->node == N_OR;
    if (paren)
      krait_buf_putc(b, '(');
    for (size_t i = 0; i < vs->nkids; i++) {
      if (i)
        krait_buf_putc(b, vs->node == N_AND ? ',' : '|');
      put(b, vs->kids[i], vs->node);
    }
    if (paren)
      krait_buf_putc(b, ')');
    return;
  }
  /* puts, not printf: this runs once per parsed spec */
  const char *lit = vs->ver ? krait_version_text(vs->ver) : "";
  static const char *const opstr[] = {[VS_EXACT] = "==", [VS_NOT_PREFIX] = "!=", [VS_LT] = "<", [VS_LE] = "<=",
                                      [VS_GT] = ">", [VS_GE] = ">=", [VS_COMPAT] = "~=", [VS_NOT_GLOB] = "!="};
  switch (vs->op) {
  case VS_ANY:
    krait_buf_putc(b, '*');
    break;
  case VS_PREFIX:
    krait_buf_puts(b, lit);
    krait_buf_puts(b, ".*");
    break;
  case VS_NOT_PREFIX:
    krait_buf_puts(b, "!=");
    krait_buf_puts(b, lit);
    krait_buf_puts(b, ".*");
    break;
  case VS_GLOB:
  case VS_REGEX:
    krait_buf_puts(b, vs->pattern);
    break;
  case VS_NOT_GLOB:
    krait_buf_puts(b, "!=");
    krait_buf_puts(b, vs->pattern);
    break;
  default:
    krait_buf_puts(b, opstr[vs->op]);
    krait_buf_puts(b, lit);
  }
}

char *krait_vspec_str(const krait_vspec *vs) {
  krait_buf b = KRAIT_BUF_INIT;
  if (!vs)
    krait_buf_putc(&b, '*');
  else
    put(&b, vs, -1);
  return krait_buf_steal(&b);
}

int krait_vspec_kind(const krait_vspec *vs) {
  if (!vs)
    return VS_ANY;
  if (vs->node == N_AND)
    return VS_AND;
  if (vs->node == N_OR)
    return VS_OR;
  return vs->op;
}
