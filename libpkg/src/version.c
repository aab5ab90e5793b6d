/* Conda version literals (CEP-33): parsing into segments of components,
 * ordering, conda's normalized repr, prefix ("startswith") and ~= tests.
 *
 * A parsed version is ONE allocation: the header, the component array, the
 * segment index, the trimmed original text and its lowercased copy (string
 * components point into that copy). Parsing repodata-scale numbers of
 * versions therefore costs one malloc each. */
#include "krait/version.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"

/* Component kinds. conda maps "dev" to the string "DEV" (upper case sorts
 * before every lower-case string) and "post" to float('inf'). */
enum { K_NUM, K_STR, K_DEV, K_POST };

typedef struct atom {
  uint64_t num;  /* K_NUM value */
  uint32_t soff; /* K_STR: offset into lower[] */
  uint16_t slen; /* K_STR: length */
  uint8_t kind;
} atom;

struct krait_version {
  const char *text;  /* trimmed original */
  const char *lower; /* lowercased, '-' folded to '_' */
  uint32_t nmain;    /* segments of epoch + main version */
  uint32_t nlocal;   /* segments of the local version */
  uint32_t *seg;     /* seg[i]..seg[i+1]: atoms of segment i (main, then local) */
  atom *atoms;
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_lower(char c) { return c >= 'a' && c <= 'z'; }

/* Parses the components of one dot/underscore separated segment list
 * [s, e) into v, appending segments. `trailing_underscore` applies conda's
 * openssl rule: a final '_' belongs to the last component instead of
 * separating. */
static krait_code parse_segments(struct krait_version *v, uint32_t *nseg, uint32_t *natom, const char *s,
                                 const char *e, int trailing_underscore, const char *text, krait_err *err) {
  const char *lower = v->lower;
  const char *body_end = e;
  if (trailing_underscore && e > s && e[-1] == '_')
    body_end = e - 1;
  const char *p = s;
  for (;;) {
    const char *q = p;
    while (q < body_end && *q != '.' && *q != '_')
      q++;
    const char *comp_end = q;
    int last = q >= body_end;
    if (last)
      comp_end = e; /* the kept trailing '_' joins the last component */
    if (comp_end == p)
      return krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": empty version component", text);
    v->seg[(*nseg)++] = *natom;
    int first = 1;
    for (const char *r = p; r < comp_end;) {
      atom *a = &v->atoms[*natom];
      memset(a, 0, sizeof *a);
      const char *t = r;
      if (is_digit(*r)) {
        uint64_t n = 0;
        for (; t < comp_end && is_digit(*t); t++) {
          unsigned d = (unsigned)(*t - '0');
          if (n > (UINT64_MAX - d) / 10)
            return krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": number too large", text);
          n = n * 10 + d;
        }
        a->kind = K_NUM;
        a->num = n;
      } else {
        while (t < comp_end && !is_digit(*t))
          t++;
        size_t len = (size_t)(t - r);
        if (len > UINT16_MAX)
          return krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": component too long", text);
        if (len == 3 && memcmp(r, "dev", 3) == 0)
          a->kind = K_DEV;
        else if (len == 4 && memcmp(r, "post", 4) == 0)
          a->kind = K_POST;
        else
          a->kind = K_STR;
        a->soff = (uint32_t)(r - lower);
        a->slen = (uint16_t)len;
        if (first) {
          /* Keep numbers and strings in phase: a component starting with a
           * letter gets a leading 0 ("1.1.a1" == "1.1.0a1"). */
          atom fill = {0};
          fill.kind = K_NUM;
          v->atoms[*natom + 1] = *a;
          *a = fill;
          (*natom)++;
        }
      }
      (*natom)++;
      first = 0;
      r = t;
    }
    if (last)
      break;
    p = q + 1;
  }
  return KRAIT_OK;
}

krait_code krait_version_parse(const char *text, krait_version **out, krait_err *err) {
  *out = NULL;
  if (!text)
    return krait_err_set(err, KRAIT_E_PARSE, "invalid version: missing");
  while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
    text++;
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' || text[n - 1] == '\r'))
    n--;
  if (n == 0)
    return krait_err_set(err, KRAIT_E_PARSE, "invalid version \"\": empty version string");
  if (n > 0xFFFFFF)
    return krait_err_set(err, KRAIT_E_PARSE, "invalid version: too long");

  /* Upper bounds: every character can start a component (+1 fill each) and
   * a segment; plus the epoch segment. */
  size_t max_atoms = 2 * n + 2, max_segs = n + 3;
  size_t size = sizeof(struct krait_version) + max_atoms * sizeof(atom) + max_segs * sizeof(uint32_t) + 2 * (n + 1);
  char *block = krait_malloc(size);
  struct krait_version *v = (struct krait_version *)block;
  v->atoms = (atom *)(block + sizeof *v);
  v->seg = (uint32_t *)(v->atoms + max_atoms);
  char *txt = (char *)(v->seg + max_segs);
  char *low = txt + n + 1;
  memcpy(txt, text, n);
  txt[n] = 0;
  v->text = txt;
  v->lower = low;

  int has_dash = 0, has_us = 0;
  for (size_t i = 0; i < n; i++) {
    char c = txt[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c == '-')
      has_dash = 1;
    else if (c == '_')
      has_us = 1;
    else if (!is_lower(c) && !is_digit(c) && c != '.' && c != '+' && c != '!') {
      krait_code rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": invalid character '%c'", txt, c);
      free(block); /* after the message: it quotes txt, which lives in block */
      return rc;
    }
    low[i] = c == '-' ? '_' : c; /* dashes are historical underscores */
  }
  low[n] = 0;
  if (has_dash && has_us) {
    krait_code rc = krait_err_set(
        err, KRAIT_E_PARSE, "invalid version \"%s\": cannot use both underscores and dashes as separators", txt);
    free(block);
    return rc;
  }

  krait_code rc = KRAIT_OK;
  uint32_t nseg = 0, natom = 0;
  const char *end = low + n;
  const char *bang = memchr(low, '!', n);
  const char *main_start = low;
  if (bang) {
    if (memchr(bang + 1, '!', (size_t)(end - bang - 1))) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": duplicated epoch separator '!'", txt);
      goto fail;
    }
    if (bang == low) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": empty epoch", txt);
      goto fail;
    }
    uint64_t ep = 0;
    for (const char *p = low; p < bang; p++) {
      if (!is_digit(*p)) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": epoch must be an integer", txt);
        goto fail;
      }
      if (ep > (UINT64_MAX - 9) / 10) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": epoch too large", txt);
        goto fail;
      }
      ep = ep * 10 + (uint64_t)(*p - '0');
    }
    main_start = bang + 1;
    v->seg[nseg++] = natom;
    v->atoms[natom] = (atom){.num = ep, .kind = K_NUM};
    natom++;
  } else {
    v->seg[nseg++] = natom;
    v->atoms[natom] = (atom){.num = 0, .kind = K_NUM};
    natom++;
  }
  const char *plus = memchr(main_start, '+', (size_t)(end - main_start));
  const char *main_end = plus ? plus : end;
  if (plus && memchr(plus + 1, '+', (size_t)(end - plus - 1))) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": duplicated local version separator '+'", txt);
    goto fail;
  }
  if (main_end == main_start) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": empty version string", txt);
    goto fail;
  }
  rc = parse_segments(v, &nseg, &natom, main_start, main_end, 1, txt, err);
  if (rc)
    goto fail;
  v->nmain = nseg;
  if (plus) {
    if (plus + 1 == end) {
      rc = krait_err_set(err, KRAIT_E_PARSE, "invalid version \"%s\": empty local version", txt);
      goto fail;
    }
    rc = parse_segments(v, &nseg, &natom, plus + 1, end, 0, txt, err);
    if (rc)
      goto fail;
  }
  v->nlocal = nseg - v->nmain;
  v->seg[nseg] = natom;
  *out = v;
  return KRAIT_OK;
fail:
  free(block);
  return rc;
}

void krait_version_free(krait_version *v) { free(v); }

const char *krait_version_text(const krait_version *v) { return v->text; }

/* ---- comparison ---------------------------------------------------------- */

static const atom zero_atom = {.num = 0, .kind = K_NUM};

static int is_strlike(const atom *a) { return a->kind == K_STR || a->kind == K_DEV; }

static int str_cmp(const krait_version *va, const atom *a, const krait_version *vb, const atom *b) {
  const char *sa = a->kind == K_DEV ? "DEV" : va->lower + a->soff;
  size_t la = a->kind == K_DEV ? 3 : a->slen;
  const char *sb = b->kind == K_DEV ? "DEV" : vb->lower + b->soff;
  size_t lb = b->kind == K_DEV ? 3 : b->slen;
  size_t m = la < lb ? la : lb;
  int c = memcmp(sa, sb, m);
  if (c)
    return c < 0 ? -1 : 1;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/* One component against another, conda's rules: strings < numbers < post;
 * strings compare bytewise (dev is "DEV", below all lower-case strings). */
static int atom_cmp(const krait_version *va, const atom *a, const krait_version *vb, const atom *b) {
  int sa = is_strlike(a), sb = is_strlike(b);
  if (sa && sb)
    return str_cmp(va, a, vb, b);
  if (sa)
    return -1;
  if (sb)
    return 1;
  if (a->kind == K_POST || b->kind == K_POST)
    return a->kind == b->kind ? 0 : a->kind == K_POST ? 1 : -1;
  return a->num < b->num ? -1 : a->num > b->num ? 1 : 0;
}

/* Segment lists [a0,a1) vs [b0,b1); missing segments/components are 0. */
static int segs_cmp(const krait_version *va, uint32_t a0, uint32_t a1, const krait_version *vb, uint32_t b0,
                    uint32_t b1) {
  uint32_t na = a1 - a0, nb = b1 - b0, ns = na > nb ? na : nb;
  for (uint32_t i = 0; i < ns; i++) {
    const atom *pa = NULL, *pb = NULL;
    uint32_t ca = 0, cb = 0;
    if (i < na) {
      pa = va->atoms + va->seg[a0 + i];
      ca = va->seg[a0 + i + 1] - va->seg[a0 + i];
    }
    if (i < nb) {
      pb = vb->atoms + vb->seg[b0 + i];
      cb = vb->seg[b0 + i + 1] - vb->seg[b0 + i];
    }
    uint32_t nc = ca > cb ? ca : cb;
    for (uint32_t j = 0; j < nc; j++) {
      const atom *x = j < ca ? pa + j : &zero_atom;
      const atom *y = j < cb ? pb + j : &zero_atom;
      int c = atom_cmp(va, x, vb, y);
      if (c)
        return c;
    }
  }
  return 0;
}

int krait_version_cmp(const krait_version *a, const krait_version *b) {
  int c = segs_cmp(a, 0, a->nmain, b, 0, b->nmain);
  if (c)
    return c;
  return segs_cmp(a, a->nmain, a->nmain + a->nlocal, b, b->nmain, b->nmain + b->nlocal);
}

int krait_version_cmp_str(const char *a, const char *b) {
  krait_version *va = NULL, *vb = NULL;
  krait_version_parse(a, &va, NULL);
  krait_version_parse(b, &vb, NULL);
  int r;
  if (va && vb)
    r = krait_version_cmp(va, vb);
  else if (va)
    r = -1;
  else if (vb)
    r = 1;
  else
    r = strcmp(a ? a : "", b ? b : "");
  krait_version_free(va);
  krait_version_free(vb);
  return r;
}

/* ---- prefix tests -------------------------------------------------------- */

static int prefix_match(const krait_version *v, uint32_t v0, uint32_t v1, const krait_version *p, uint32_t p0,
                        uint32_t p1) {
  /* conda's VersionOrder.startswith: all but the last segment of the prefix
   * equal; in the last prefix segment all but the last component equal; the
   * last component equal, or a string prefix when it is a string. */
  if (p1 == p0)
    return 1;
  uint32_t nt = p1 - p0 - 1;
  uint32_t vn = v1 - v0;
  if (segs_cmp(v, v0, v0 + (vn < nt ? vn : nt), p, p0, p0 + nt) != 0)
    return 0;
  const atom *va = NULL;
  uint32_t vc = 0;
  if (vn > nt) {
    va = v->atoms + v->seg[v0 + nt];
    vc = v->seg[v0 + nt + 1] - v->seg[v0 + nt];
  }
  const atom *pa = p->atoms + p->seg[p0 + nt];
  uint32_t pc = p->seg[p0 + nt + 1] - p->seg[p0 + nt];
  uint32_t last = pc - 1;
  for (uint32_t j = 0; j < last; j++) {
    const atom *x = j < vc ? va + j : &zero_atom;
    if (atom_cmp(v, x, p, pa + j) != 0)
      return 0;
  }
  const atom *x = last < vc ? va + last : &zero_atom;
  const atom *y = pa + last;
  if (y->kind == K_STR) {
    if (x->kind != K_STR || x->slen < y->slen)
      return 0;
    return memcmp(v->lower + x->soff, p->lower + y->soff, y->slen) == 0;
  }
  return atom_cmp(v, x, p, y) == 0;
}

int krait_version_startswith(const krait_version *v, const krait_version *prefix) {
  if (prefix->nlocal) {
    if (segs_cmp(v, 0, v->nmain, prefix, 0, prefix->nmain) != 0)
      return 0;
    return prefix_match(v, v->nmain, v->nmain + v->nlocal, prefix, prefix->nmain, prefix->nmain + prefix->nlocal);
  }
  return prefix_match(v, 0, v->nmain, prefix, 0, prefix->nmain);
}

int krait_version_compatible(const krait_version *v, const krait_version *base) {
  if (krait_version_cmp(v, base) < 0)
    return 0;
  /* base without its last segment (the epoch segment always stays). */
  uint32_t keep = base->nmain > 1 ? base->nmain - 1 : 1;
  if (keep <= 1)
    return segs_cmp(v, 0, 1, base, 0, 1) == 0;
  return prefix_match(v, 0, v->nmain, base, 0, keep);
}

/* ---- repr ---------------------------------------------------------------- */

static void repr_segs(krait_buf *b, const krait_version *v, uint32_t s0, uint32_t s1) {
  krait_buf_putc(b, '[');
  for (uint32_t i = s0; i < s1; i++) {
    if (i > s0)
      krait_buf_puts(b, ", ");
    krait_buf_putc(b, '[');
    for (uint32_t j = v->seg[i]; j < v->seg[i + 1]; j++) {
      const atom *a = &v->atoms[j];
      if (j > v->seg[i])
        krait_buf_puts(b, ", ");
      switch (a->kind) {
      case K_NUM:
        krait_buf_printf(b, "%llu", (unsigned long long)a->num);
        break;
      case K_POST:
        krait_buf_puts(b, "inf");
        break;
      case K_DEV:
        krait_buf_puts(b, "'DEV'");
        break;
      default:
        krait_buf_putc(b, '\'');
        krait_buf_append(b, v->lower + a->soff, a->slen);
        krait_buf_putc(b, '\'');
      }
    }
    krait_buf_putc(b, ']');
  }
  krait_buf_putc(b, ']');
}

char *krait_version_repr(const krait_version *v) {
  krait_buf b = {0};
  repr_segs(&b, v, 0, v->nmain);
  return krait_buf_steal(&b);
}

char *krait_version_repr_local(const krait_version *v) {
  krait_buf b = {0};
  repr_segs(&b, v, v->nmain, v->nmain + v->nlocal);
  return krait_buf_steal(&b);
}
