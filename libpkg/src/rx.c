/* Bounded regex: parse to a small tree, emit a Pike-VM program with a hard
 * size cap, run it without backtracking (see krait/rx.h for why). */
#include "krait/rx.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

/* Group nesting is parsed recursively: cap it well below any stack limit. */
#define MAX_DEPTH 64
#define MAX_COUNT 1000 /* largest {m,n} bound */

typedef enum { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_BOL, N_EOL, N_CAT, N_ALT, N_REPEAT } node_kind;

typedef struct node {
  node_kind kind;
  unsigned char ch;
  int cls;            /* N_CLASS: index into the class table */
  int a, b;           /* N_CAT/N_ALT: children; N_REPEAT: a = child */
  int min, max;       /* N_REPEAT: max < 0 means unbounded */
} node;

typedef enum { I_CHAR, I_ANY, I_CLASS, I_BOL, I_EOL, I_SPLIT, I_JMP, I_MATCH } insn_op;

typedef struct insn {
  insn_op op;
  unsigned char ch;
  int x, y; /* SPLIT: both targets; JMP: x; CLASS: x = class index */
} insn;

typedef struct cls {
  uint8_t bits[32];
} cls;

struct krait_rx {
  insn *prog;
  int n;
  cls *classes;
  bool icase;
};

typedef struct parser {
  const char *pat, *p;
  bool icase;
  node *nodes;
  int nnodes, capnodes;
  cls *classes;
  int nclasses, capclasses;
  const char *error;
  long error_at;
} parser;

static int fail(parser *ps, const char *what) {
  if (!ps->error) {
    ps->error = what;
    ps->error_at = (long)(ps->p - ps->pat);
  }
  return -1;
}

static int new_node(parser *ps, node_kind k) {
  if (ps->nnodes == ps->capnodes) {
    ps->capnodes = ps->capnodes ? ps->capnodes * 2 : 32;
    ps->nodes = krait_realloc(ps->nodes, sizeof *ps->nodes * (size_t)ps->capnodes);
  }
  node *n = &ps->nodes[ps->nnodes];
  memset(n, 0, sizeof *n);
  n->kind = k;
  return ps->nnodes++;
}

static int new_class(parser *ps) {
  if (ps->nclasses == ps->capclasses) {
    ps->capclasses = ps->capclasses ? ps->capclasses * 2 : 8;
    ps->classes = krait_realloc(ps->classes, sizeof *ps->classes * (size_t)ps->capclasses);
  }
  memset(&ps->classes[ps->nclasses], 0, sizeof(cls));
  return ps->nclasses++;
}

static void cls_set(cls *c, unsigned ch) { c->bits[ch >> 3] |= (uint8_t)(1u << (ch & 7)); }
static bool cls_has(const cls *c, unsigned ch) { return c->bits[ch >> 3] & (1u << (ch & 7)); }

/* \d \w \s and their negations, or a [:name:] class, into c. */
static bool add_named(cls *c, char name, bool negate) {
  for (unsigned ch = 0; ch < 256; ch++) {
    bool in;
    switch (name) {
    case 'd': in = isdigit((int)ch); break;
    case 'w': in = isalnum((int)ch) || ch == '_'; break;
    case 's': in = isspace((int)ch); break;
    case 'a': in = isalpha((int)ch); break;
    case 'A': in = isalnum((int)ch); break;
    case 'u': in = isupper((int)ch); break;
    case 'l': in = islower((int)ch); break;
    case 'p': in = ispunct((int)ch); break;
    case 'x': in = isxdigit((int)ch); break;
    default: return false;
    }
    if (in != negate)
      cls_set(c, ch);
  }
  return true;
}

static char posix_class_code(const char *name, size_t n) {
  static const struct {
    const char *name;
    char code;
  } names[] = {{"digit", 'd'}, {"alpha", 'a'}, {"alnum", 'A'}, {"space", 's'}, {"upper", 'u'},
               {"lower", 'l'}, {"punct", 'p'}, {"xdigit", 'x'}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i].name) == n && memcmp(names[i].name, name, n) == 0)
      return names[i].code;
  return 0;
}

static int parse_class(parser *ps) {
  int ci = new_class(ps);
  cls c;
  memset(&c, 0, sizeof c);
  ps->p++; /* '[' */
  bool negate = false;
  if (*ps->p == '^') {
    negate = true;
    ps->p++;
  }
  bool first = true;
  for (;;) {
    if (!*ps->p)
      return fail(ps, "unterminated [ class");
    if (*ps->p == ']' && !first) {
      ps->p++;
      break;
    }
    first = false;
    unsigned lo;
    if (ps->p[0] == '[' && ps->p[1] == ':') {
      const char *end = strstr(ps->p + 2, ":]");
      char code = end ? posix_class_code(ps->p + 2, (size_t)(end - ps->p - 2)) : 0;
      if (!code)
        return fail(ps, "unknown [:class:] name");
      add_named(&c, code, false);
      ps->p = end + 2;
      continue;
    }
    if (ps->p[0] == '\\' && ps->p[1]) {
      char e = ps->p[1];
      if (strchr("dwsDWS", e)) {
        add_named(&c, (char)tolower((unsigned char)e), isupper((unsigned char)e));
        ps->p += 2;
        continue;
      }
      lo = (unsigned char)e;
      ps->p += 2;
    } else {
      lo = (unsigned char)*ps->p++;
    }
    unsigned hi = lo;
    if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
      ps->p++;
      if (ps->p[0] == '\\' && ps->p[1]) {
        hi = (unsigned char)ps->p[1];
        ps->p += 2;
      } else {
        hi = (unsigned char)*ps->p++;
      }
      if (hi < lo)
        return fail(ps, "bad character range in [ class");
    }
    for (unsigned ch = lo; ch <= hi; ch++)
      cls_set(&c, ch);
  }
  if (ps->icase)
    for (unsigned ch = 0; ch < 256; ch++)
      if (cls_has(&c, ch)) {
        cls_set(&c, (unsigned)tolower((int)ch));
        cls_set(&c, (unsigned)toupper((int)ch));
      }
  if (negate)
    for (int i = 0; i < 32; i++)
      c.bits[i] = (uint8_t)~c.bits[i];
  ps->classes[ci] = c;
  int n = new_node(ps, N_CLASS);
  ps->nodes[n].cls = ci;
  return n;
}

static int parse_alt(parser *ps, int depth);

static int parse_atom(parser *ps, int depth) {
  char c = *ps->p;
  if (c == '(') {
    if (depth >= MAX_DEPTH)
      return fail(ps, "groups nested too deeply");
    ps->p++;
    if (ps->p[0] == '?') {
      if (ps->p[1] != ':')
        return fail(ps, "only (?: ) groups are supported");
      ps->p += 2;
    }
    int inner = parse_alt(ps, depth + 1);
    if (inner < 0)
      return -1;
    if (*ps->p != ')')
      return fail(ps, "missing )");
    ps->p++;
    return inner;
  }
  if (c == '[')
    return parse_class(ps);
  if (c == '.') {
    ps->p++;
    return new_node(ps, N_ANY);
  }
  if (c == '^' || c == '$') {
    ps->p++;
    return new_node(ps, c == '^' ? N_BOL : N_EOL);
  }
  if (c == '\\') {
    char e = ps->p[1];
    if (!e)
      return fail(ps, "trailing backslash");
    if (e >= '1' && e <= '9')
      return fail(ps, "back-references are not supported");
    ps->p += 2;
    if (strchr("dwsDWS", e)) {
      int ci = new_class(ps);
      add_named(&ps->classes[ci], (char)tolower((unsigned char)e), isupper((unsigned char)e));
      int n = new_node(ps, N_CLASS);
      ps->nodes[n].cls = ci;
      return n;
    }
    int n = new_node(ps, N_CHAR);
    ps->nodes[n].ch = (unsigned char)e;
    return n;
  }
  if (c == '*' || c == '+' || c == '?')
    return fail(ps, "nothing to repeat");
  ps->p++;
  int n = new_node(ps, N_CHAR);
  ps->nodes[n].ch = (unsigned char)c;
  return n;
}

/* {m}, {m,}, {m,n} at ps->p; false (nothing consumed) when it is a literal '{'. */
static bool parse_count(parser *ps, int *min, int *max) {
  const char *q = ps->p + 1;
  if (!isdigit((unsigned char)*q))
    return false;
  long m = 0, x;
  while (isdigit((unsigned char)*q) && m <= MAX_COUNT)
    m = m * 10 + (*q++ - '0');
  if (*q == '}') {
    x = m;
  } else if (*q == ',') {
    q++;
    if (*q == '}') {
      x = -1;
    } else {
      if (!isdigit((unsigned char)*q))
        return false;
      x = 0;
      while (isdigit((unsigned char)*q) && x <= MAX_COUNT)
        x = x * 10 + (*q++ - '0');
      if (*q != '}')
        return false;
    }
  } else {
    return false;
  }
  ps->p = q + 1;
  *min = m > MAX_COUNT ? MAX_COUNT + 1 : (int)m;
  *max = x > MAX_COUNT ? MAX_COUNT + 1 : (int)x;
  return true;
}

static int parse_repeat(parser *ps, int depth) {
  int atom = parse_atom(ps, depth);
  if (atom < 0)
    return -1;
  bool repeated = false;
  for (;;) {
    int min, max;
    char c = *ps->p;
    if (c == '*' || c == '+' || c == '?') {
      ps->p++;
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : -1;
    } else if (c == '{' && parse_count(ps, &min, &max)) {
      if (min > MAX_COUNT || max > MAX_COUNT)
        return fail(ps, "repeat count above 1000");
      if (max >= 0 && max < min)
        return fail(ps, "repeat count {m,n} with n < m");
    } else {
      return atom;
    }
    if (repeated)
      return fail(ps, "multiple repeat");
    if (ps->nodes[atom].kind == N_BOL || ps->nodes[atom].kind == N_EOL)
      return fail(ps, "nothing to repeat");
    repeated = true;
    int r = new_node(ps, N_REPEAT);
    ps->nodes[r].a = atom;
    ps->nodes[r].min = min;
    ps->nodes[r].max = max;
    atom = r;
    if (*ps->p == '?') /* lazy: the same yes/no answer */
      ps->p++;
  }
}

static int parse_cat(parser *ps, int depth) {
  int left = -1;
  while (*ps->p && *ps->p != '|' && *ps->p != ')') {
    int r = parse_repeat(ps, depth);
    if (r < 0)
      return -1;
    if (left < 0) {
      left = r;
    } else {
      int c = new_node(ps, N_CAT);
      ps->nodes[c].a = left;
      ps->nodes[c].b = r;
      left = c;
    }
  }
  return left < 0 ? new_node(ps, N_EMPTY) : left;
}

static int parse_alt(parser *ps, int depth) {
  int left = parse_cat(ps, depth);
  while (left >= 0 && *ps->p == '|') {
    ps->p++;
    int right = parse_cat(ps, depth);
    if (right < 0)
      return -1;
    int a = new_node(ps, N_ALT);
    ps->nodes[a].a = left;
    ps->nodes[a].b = right;
    left = a;
  }
  return left;
}

/* ---- emission ---- */

typedef struct emitter {
  const node *nodes;
  insn *prog;
  int n;
  bool too_big;
} emitter;

static int emit(emitter *e, insn_op op) {
  if (e->n >= KRAIT_RX_MAX_INSNS) {
    e->too_big = true;
    return KRAIT_RX_MAX_INSNS - 1; /* a scratch slot; the program is discarded */
  }
  memset(&e->prog[e->n], 0, sizeof(insn));
  e->prog[e->n].op = op;
  return e->n++;
}

/* Recursion follows the tree, whose depth the parser bounded (groups, one
 * repeat per atom); long concatenations and alternations are left-deep
 * chains, walked as arrays instead. */
static void emit_node(emitter *e, int ni) {
  if (e->too_big)
    return;
  const node *nd = &e->nodes[ni];
  switch (nd->kind) {
  case N_EMPTY: break;
  case N_CHAR: e->prog[emit(e, I_CHAR)].ch = nd->ch; break;
  case N_ANY: emit(e, I_ANY); break;
  case N_CLASS: e->prog[emit(e, I_CLASS)].x = nd->cls; break;
  case N_BOL: emit(e, I_BOL); break;
  case N_EOL: emit(e, I_EOL); break;
  case N_CAT:
  case N_ALT: {
    /* left-deep chains: the operands in order, from a heap array */
    int k = 0;
    for (int cur = ni; e->nodes[cur].kind == nd->kind; cur = e->nodes[cur].a)
      k++;
    int *ops = krait_malloc(sizeof(int) * (size_t)(k + 1));
    int cur = ni;
    for (int i = k; i > 0; i--) {
      ops[i] = e->nodes[cur].b;
      cur = e->nodes[cur].a;
    }
    ops[0] = cur;
    if (nd->kind == N_CAT) {
      for (int i = 0; i <= k && !e->too_big; i++)
        emit_node(e, ops[i]);
    } else {
      /* SPLIT to each alternative in turn; every one jumps to the end */
      int *jumps = krait_malloc(sizeof(int) * (size_t)(k + 1));
      for (int i = 0; i <= k && !e->too_big; i++) {
        int split = i < k ? emit(e, I_SPLIT) : -1;
        if (split >= 0)
          e->prog[split].x = e->n;
        emit_node(e, ops[i]);
        jumps[i] = i < k ? emit(e, I_JMP) : -1;
        if (split >= 0)
          e->prog[split].y = e->n;
      }
      for (int i = 0; i < k && !e->too_big; i++)
        e->prog[jumps[i]].x = e->n;
      free(jumps);
    }
    free(ops);
    break;
  }
  case N_REPEAT: {
    for (int i = 0; i < nd->min && !e->too_big; i++)
      emit_node(e, nd->a);
    if (nd->max < 0) {
      int split = emit(e, I_SPLIT);
      e->prog[split].x = e->n;
      emit_node(e, nd->a);
      e->prog[emit(e, I_JMP)].x = split;
      e->prog[split].y = e->n;
    } else {
      for (int i = nd->min; i < nd->max && !e->too_big; i++) {
        int split = emit(e, I_SPLIT);
        e->prog[split].x = e->n;
        emit_node(e, nd->a);
        e->prog[split].y = e->n; /* skipping this copy skips the rest too: fine for yes/no */
      }
    }
    break;
  }
  }
}

krait_code krait_rx_compile(const char *pattern, bool icase, krait_rx **out, krait_err *err) {
  *out = NULL;
  if (strlen(pattern) > KRAIT_RX_MAX_INSNS)
    return krait_err_set(err, KRAIT_E_PARSE, "regex of %zu bytes is too long (limit %d)", strlen(pattern),
                         KRAIT_RX_MAX_INSNS);
  parser ps = {.pat = pattern, .p = pattern, .icase = icase};
  int root = parse_alt(&ps, 0);
  if (root >= 0 && *ps.p == ')')
    root = fail(&ps, "unbalanced )");
  if (root < 0) {
    krait_err_set(err, KRAIT_E_PARSE, "regex \"%s\": %s at offset %ld", pattern, ps.error, ps.error_at);
    free(ps.nodes);
    free(ps.classes);
    return KRAIT_E_PARSE;
  }
  emitter e = {.nodes = ps.nodes, .prog = krait_malloc(sizeof(insn) * KRAIT_RX_MAX_INSNS)};
  emit_node(&e, root);
  emit(&e, I_MATCH);
  free(ps.nodes);
  if (e.too_big) {
    free(e.prog);
    free(ps.classes);
    return krait_err_set(err, KRAIT_E_PARSE, "regex \"%s\" is too complex (more than %d steps)", pattern,
                         KRAIT_RX_MAX_INSNS);
  }
  krait_rx *rx = krait_calloc(1, sizeof *rx);
  rx->prog = krait_realloc(e.prog, sizeof(insn) * (size_t)e.n);
  rx->n = e.n;
  rx->classes = ps.classes;
  rx->icase = icase;
  *out = rx;
  return KRAIT_OK;
}

/* ---- matching: a Pike VM over a set of program counters ---- */

typedef struct thread_list {
  int *pcs;
  int n;
} thread_list;

/* Adds pc and everything reachable through jumps, splits and satisfied
 * anchors, once per step (mark[pc] == step), with an explicit stack. */
static void add_thread(const krait_rx *rx, thread_list *l, int *mark, int step, int *stack, int pc, size_t pos,
                       size_t len) {
  int sp = 0;
  stack[sp++] = pc;
  while (sp > 0) {
    pc = stack[--sp];
    if (mark[pc] == step)
      continue;
    mark[pc] = step;
    const insn *in = &rx->prog[pc];
    switch (in->op) {
    case I_JMP: stack[sp++] = in->x; break;
    case I_SPLIT:
      stack[sp++] = in->y;
      stack[sp++] = in->x;
      break;
    case I_BOL:
      if (pos == 0)
        stack[sp++] = pc + 1;
      break;
    case I_EOL:
      if (pos == len)
        stack[sp++] = pc + 1;
      break;
    default: l->pcs[l->n++] = pc;
    }
  }
}

bool krait_rx_search(const krait_rx *rx, const char *text) {
  size_t len = strlen(text);
  int n = rx->n;
  /* each pc enters a list at most once per step, and the stack holds at
   * most two entries per instruction (a split pushes two) */
  int *buf = krait_malloc(sizeof(int) * ((size_t)n * 5 + 2));
  int *mark = buf, *stack = buf + 3 * n;
  thread_list cur = {buf + n, 0}, next = {buf + 2 * n, 0};
  for (int i = 0; i < n; i++)
    mark[i] = -1;
  bool matched = false;
  int step = 0;
  for (size_t pos = 0;; pos++) {
    /* a new attempt starts at every position (search, as regexec) */
    add_thread(rx, &cur, mark, step, stack, 0, pos, len);
    step++;
    next.n = 0;
    unsigned char c = pos < len ? (unsigned char)text[pos] : 0;
    for (int t = 0; t < cur.n && !matched; t++) {
      const insn *in = &rx->prog[cur.pcs[t]];
      bool ok = false;
      switch (in->op) {
      case I_MATCH: matched = true; break;
      case I_CHAR:
        ok = pos < len && (rx->icase ? tolower(c) == tolower(in->ch) : c == in->ch);
        break;
      case I_ANY: ok = pos < len; break;
      case I_CLASS: ok = pos < len && cls_has(&rx->classes[in->x], c); break;
      default: break;
      }
      if (ok)
        add_thread(rx, &next, mark, step, stack, cur.pcs[t] + 1, pos + 1, len);
    }
    if (matched || pos >= len)
      break;
    thread_list tmp = cur;
    cur = next;
    next = tmp;
    /* the next position's fresh attempt shares this step's marks */
  }
  free(buf);
  return matched;
}

void krait_rx_free(krait_rx *rx) {
  if (!rx)
    return;
  free(rx->prog);
  free(rx->classes);
  free(rx);
}
