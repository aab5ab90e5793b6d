/* MatchSpec parsing (CEP-29): positional "channel/subdir:namespace:name
 * version build" plus "[key=value,...]" brackets; brackets override the
 * positional values (except name, which CEP-29 says to ignore there).
 * Printing is in matchspec_str.c; what parser and printer share, in
 * matchspec_int.h. Input whose fields could not be printed back (a '#' or a
 * namespace that is not a name before the brackets) is refused here.
 *
 * Where CEP-29 and the tools disagree the CEP wins; the table of known
 * differences lives in tests/unit/test_matchspec.c. */
#include "krait/matchspec.h"

#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "krait/buf.h"
#include "krait/text.h"
#include "krait/platform.h"
#include "krait/rx.h"
#include "matchspec_int.h"

void krait_matchspec_free(krait_matchspec *ms) {
  if (!ms)
    return;
  free(ms->channel);
  free(ms->subdir);
  free(ms->name);
  free(ms->version);
  free(ms->build);
  free(ms->build_number);
  free(ms->md5);
  free(ms->sha256);
  free(ms->fn);
  free(ms->url);
  free(ms->license);
  free(ms->license_family);
  free(ms->track_features);
  krait_vspec_free(ms->vspec);
  free(ms);
}

static void set_str(char **dst, const char *s, size_t n) {
  free(*dst);
  *dst = krait_strndup(s, n);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_opchar(char c) { return c == '=' || c == '<' || c == '>' || c == '!' || c == '~'; }

typedef struct ctx {
  const char *spec; /* the whole input, for messages */
  krait_err *err;
} ctx;

/* Every parse error reads `invalid spec "<spec>": <what>` on one line:
 * control characters are escaped (a CR or newline in a spec would otherwise
 * split the message). */
static krait_code fail_spec(ctx *c, const char *what) {
  krait_buf msg = KRAIT_BUF_INIT;
  krait_buf_puts(&msg, "invalid spec \"");
  krait_text_put_printable(&msg, c->spec);
  krait_buf_puts(&msg, "\": ");
  krait_text_put_printable(&msg, what); /* it may quote a part of the spec */
  krait_err_set(c->err, KRAIT_E_PARSE, "%s", krait_buf_str(&msg));
  krait_buf_free(&msg);
  return KRAIT_E_PARSE;
}

static krait_code bad(ctx *c, const char *fmt, const char *arg) {
  char what[512];
  /* fmt carries at most one %s; keeps every message in one shape */
  snprintf(what, sizeof what, fmt, arg ? arg : "");
  return fail_spec(c, what);
}

/* "chan/linux-64" -> channel "chan", subdir "linux-64" (known subdirs only:
 * otherwise the last URL component is part of the channel). */
static krait_code set_channel(ctx *c, krait_matchspec *ms, const char *s, size_t n) {
  while (n && is_space(*s))
    s++, n--;
  while (n && is_space(s[n - 1]))
    n--;
  if (n == 0)
    return KRAIT_OK;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\\' || is_space(s[i]) || s[i] == '[' || s[i] == ']')
      return bad(c, "invalid channel", NULL);
  size_t cn = krait_ms_channel_len(s, n);
  if (cn < n) {
    set_str(&ms->subdir, s + cn + 1, n - cn - 1);
    n = cn;
  }
  if (n == 1 && s[0] == '*') { /* any channel */
    free(ms->channel);
    ms->channel = NULL;
    return KRAIT_OK;
  }
  set_str(&ms->channel, s, n);
  return KRAIT_OK;
}

size_t krait_ms_channel_len(const char *s, size_t n) {
  const char *slash = NULL;
  for (size_t i = n; i > 0; i--)
    if (s[i - 1] == '/') {
      slash = s + i - 1;
      break;
    }
  if (!slash || slash == s || slash[-1] == '/')
    return n;
  size_t sn = n - (size_t)(slash + 1 - s);
  char sub[64];
  if (sn == 0 || sn >= sizeof sub)
    return n;
  memcpy(sub, slash + 1, sn);
  sub[sn] = 0;
  return krait_subdir_known(sub) ? (size_t)(slash - s) : n;
}

int krait_ms_is_regex(const char *s) {
  size_t n = strlen(s);
  return n >= 2 && s[0] == '^' && s[n - 1] == '$';
}

static int valid_name(const char *s, size_t n) {
  if (n >= 2 && s[0] == '^' && s[n - 1] == '$') {
    /* a regex name (search queries); no control character or '#', which no
     * package name holds and the printed spec could not carry */
    for (size_t i = 0; i < n; i++)
      if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f || s[i] == '#')
        return 0;
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
          ch == '-' || ch == '.' || ch == '*'))
      return 0;
  }
  return 1;
}

/* ---- brackets ------------------------------------------------------------ */

/* Reads a quoted value at *p following Python's string-literal escapes
 * (CEP-29): \\ \' \" \n \t are unescaped, any other backslash is kept. */
static int read_quoted(const char **pp, krait_buf *out) {
  const char *p = *pp;
  char q = *p++;
  krait_buf_clear(out);
  krait_buf_append(out, "", 0);
  while (*p && *p != q) {
    if (*p == '\\' && p[1] && strchr("\\'\"nt", p[1])) {
      krait_buf_putc(out, p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : p[1]);
      p += 2;
    } else {
      krait_buf_putc(out, *p++);
    }
  }
  if (*p != q)
    return 0;
  *pp = p + 1;
  return 1;
}

/* "mkl, debug" / "mkl debug" -> "mkl debug" */
static void normalize_features(krait_buf *v) {
  krait_strv list = {0};
  krait_features_split(&list, krait_buf_str(v));
  char *joined = krait_features_join(&list);
  krait_strv_free(&list);
  krait_buf_free(v);
  krait_buf_puts(v, joined);
  free(joined);
}

typedef struct bracket_vals {
  char *version, *build, *channel, *subdir;
  int have_version, have_build, have_channel, have_subdir;
} bracket_vals;

static krait_code apply_key(ctx *c, krait_matchspec *ms, bracket_vals *bv, const char *key, size_t kn,
                            krait_buf *val, int has_value) {
#define KEY(k) (kn == sizeof(k) - 1 && memcmp(key, k, kn) == 0)
  const char *v = has_value ? krait_buf_str(val) : NULL;
  if (KEY("optional")) {
    ms->optional = !has_value || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
    return KRAIT_OK;
  }
  if (!has_value) {
    char k[64];
    snprintf(k, sizeof k, "%.*s", (int)(kn < 60 ? kn : 60), key);
    return bad(c, "key '%s' in brackets needs a value", k);
  }
  if (KEY("version")) {
    free(bv->version);
    bv->version = krait_strdup(v);
    bv->have_version = 1;
  } else if (KEY("build")) {
    free(bv->build);
    bv->build = krait_strdup(v);
    bv->have_build = 1;
  } else if (KEY("channel")) {
    free(bv->channel);
    bv->channel = krait_strdup(v);
    bv->have_channel = 1;
  } else if (KEY("subdir")) {
    free(bv->subdir);
    bv->subdir = krait_strdup(v);
    bv->have_subdir = 1;
  } else if (KEY("build_number")) {
    char *t = krait_malloc(strlen(v) + 1);
    size_t k = 0;
    for (const char *s = v; *s; s++)
      if (!is_space(*s))
        t[k++] = *s;
    t[k] = 0;
    const char *d = t;
    while (is_opchar(*d))
      d++;
    int ok = *d != 0 && (d - t) <= 2;
    for (const char *s = d; *s; s++)
      if (*s < '0' || *s > '9')
        ok = 0;
    if (!ok) {
      free(t);
      return bad(c, "invalid build_number constraint '%s'", v);
    }
    free(ms->build_number);
    ms->build_number = t;
  } else if (KEY("md5")) {
    set_str(&ms->md5, v, strlen(v));
  } else if (KEY("sha256")) {
    set_str(&ms->sha256, v, strlen(v));
  } else if (KEY("fn")) {
    set_str(&ms->fn, v, strlen(v));
  } else if (KEY("url")) {
    set_str(&ms->url, v, strlen(v));
    /* a url names one archive, as a positional URL does: its file name is
     * the fn (so str(), which prints url and leaves fn out, round-trips) */
    const char *slash = strrchr(v, '/');
    if (!ms->fn && slash && krait_ms_archive_like(v, strlen(v)))
      set_str(&ms->fn, slash + 1, strlen(slash + 1));
  } else if (KEY("license")) {
    set_str(&ms->license, v, strlen(v));
  } else if (KEY("license_family")) {
    set_str(&ms->license_family, v, strlen(v));
  } else if (KEY("track_features") || KEY("features")) {
    normalize_features(val);
    set_str(&ms->track_features, krait_buf_str(val), val->len);
  } else if (KEY("name") || KEY("namespace")) {
    /* CEP-29: a bracket name is ignored; the namespace is parsed and ignored */
  } else {
    char k[64];
    snprintf(k, sizeof k, "%.*s", (int)(kn < 60 ? kn : 60), key);
    return bad(c, "unknown key '%s' in brackets", k);
  }
  return KRAIT_OK;
#undef KEY
}

static krait_code parse_brackets(ctx *c, krait_matchspec *ms, bracket_vals *bv, const char *p, const char *end) {
  krait_buf val = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  for (;;) {
    while (p < end && (is_space(*p) || *p == ','))
      p++;
    if (p >= end)
      break;
    const char *key = p;
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (*p >= '0' && *p <= '9')))
      p++;
    size_t kn = (size_t)(p - key);
    if (kn == 0) {
      rc = bad(c, "expected a key inside brackets", NULL);
      break;
    }
    while (p < end && is_space(*p))
      p++;
    int has_value = 0;
    if (p < end && *p == '=') {
      has_value = 1;
      p++;
      while (p < end && is_space(*p))
        p++;
      if (p < end && (*p == '\'' || *p == '"')) {
        if (!read_quoted(&p, &val)) {
          rc = bad(c, "unterminated quote in brackets", NULL);
          break;
        }
      } else {
        /* unquoted values end at ',' or a space (CEP-29: values with
         * spaces must be quoted; spaces used to separate pairs) */
        const char *v = p;
        while (p < end && *p != ',' && !is_space(*p))
          p++;
        const char *ve = p;
        while (ve > v && is_space(ve[-1]))
          ve--;
        krait_buf_clear(&val);
        krait_buf_append(&val, v, (size_t)(ve - v));
      }
    } else if (p < end && *p != ',' && !is_space(*p)) {
      rc = bad(c, "unexpected character in brackets", NULL);
      break;
    }
    rc = apply_key(c, ms, bv, key, kn, &val, has_value);
    if (rc)
      break;
  }
  krait_buf_free(&val);
  return rc;
}

/* ---- archive URLs and paths --------------------------------------------- */

static int ends_with(const char *s, size_t n, const char *suf) {
  size_t k = strlen(suf);
  return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* "https://host/chan/linux-64/foo-1.0-py_0.conda", "/path/foo-1.0-0.tar.bz2",
 * "C:\\x\\foo-1.0-0.tar.bz2": one exact artifact (CEP-29 Appendix C). */
static krait_code parse_archive(ctx *c, krait_matchspec *ms, const char *s, size_t n) {
  krait_buf url = KRAIT_BUF_INIT;
  if (strstr(s, "://")) {
    krait_buf_append(&url, s, n);
  } else {
    krait_buf_puts(&url, "file://");
    if (!(n >= 2 && s[1] == ':') && s[0] != '/' && s[0] != '\\') {
      krait_buf_free(&url);
      return bad(c, "relative package paths are not supported", NULL);
    }
    if (s[0] != '/' && s[0] != '\\')
      krait_buf_putc(&url, '/');
    for (size_t i = 0; i < n; i++)
      krait_buf_putc(&url, s[i] == '\\' ? '/' : s[i]);
  }
  const char *u = krait_buf_str(&url);
  /* what a spec prints back as [url="..."] must hold no blank, control
   * character, quote or bracket (real URLs percent-encode them; found by
   * fuzz/matchspec) */
  for (const char *p = u; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\'' || *p == '[' || *p == ']') {
      krait_buf_free(&url);
      return bad(c, "invalid character in the package URL (percent-encode it)", NULL);
    }
  /* the file name may be percent-encoded ("x264-1%21164.3095-...", mamba#3737) */
  const char *raw = strrchr(u, '/') + 1;
  krait_buf decoded = KRAIT_BUF_INIT;
  krait_percent_decode(&decoded, raw, strlen(raw));
  const char *base = krait_buf_str(&decoded);
  /* "%00" and other encoded control characters name no package (a NUL cut
   * the name short of its extension; found by fuzz/matchspec) */
  for (size_t i = 0; i < decoded.len; i++)
    if ((unsigned char)decoded.data[i] < 0x20 || decoded.data[i] == 0x7f) {
      krait_buf_free(&url);
      krait_buf_free(&decoded);
      return bad(c, "invalid character in the package file name", NULL);
    }
  size_t ext = ends_with(base, strlen(base), ".conda") ? 6 : 8;
  size_t stem = strlen(base) - ext;
  const char *d2 = NULL, *d1 = NULL;
  for (size_t i = stem; i > 0; i--)
    if (base[i - 1] == '-') {
      if (!d2)
        d2 = base + i - 1;
      else {
        d1 = base + i - 1;
        break;
      }
    }
  if (!d1 || d1 == base || d2 == d1 + 1 || d2 + 1 == base + stem) {
    krait_buf_free(&url);
    krait_buf_free(&decoded);
    return bad(c, "cannot read name-version-build from the file name", NULL);
  }
  if (!valid_name(base, (size_t)(d1 - base))) {
    krait_buf_free(&url);
    krait_code rc = bad(c, "invalid package name in the file name '%s'", base);
    krait_buf_free(&decoded); /* after the message, which quotes it */
    return rc;
  }
  set_str(&ms->name, base, (size_t)(d1 - base));
  char *ver = krait_asprintf("==%.*s", (int)(d2 - d1 - 1), d1 + 1);
  krait_err verr;
  if (krait_vspec_parse(ver, &ms->vspec, &verr)) {
    free(ver);
    krait_buf_free(&url);
    krait_buf_free(&decoded);
    return fail_spec(c, verr.msg);
  }
  free(ver);
  /* a build string is [A-Za-z0-9_.+]; anything else (blanks, quotes, '=')
   * would print a spec that does not parse back (found by fuzz/matchspec) */
  for (const char *p = d2 + 1; p < base + stem; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '+') {
      krait_buf_free(&url);
      krait_code brc = bad(c, "invalid build string in the file name '%s'", base);
      krait_buf_free(&decoded);
      return brc;
    }
  ms->version = krait_vspec_str(ms->vspec);
  set_str(&ms->build, d2 + 1, (size_t)(base + stem - d2 - 1));
  set_str(&ms->fn, base, strlen(base));
  /* channel = URL up to the subdir directory */
  const char *dir_end = raw - 1;
  const char *dir = dir_end;
  while (dir > u && dir[-1] != '/')
    dir--;
  char sub[64];
  size_t sn = (size_t)(dir_end - dir);
  if (sn < sizeof sub) {
    memcpy(sub, dir, sn);
    sub[sn] = 0;
    if (krait_subdir_known(sub) && dir - 1 > u) {
      /* the channel must be one set_channel() accepts, or str(spec) would
       * print a form that does not parse back (found by fuzz/matchspec) */
      for (const char *p = u; p < dir - 1; p++)
        if (*p == '\\' || is_space(*p) || *p == '[' || *p == ']') {
          krait_buf_free(&url);
          krait_buf_free(&decoded);
          return bad(c, "invalid channel in the package URL", NULL);
        }
      set_str(&ms->subdir, sub, sn);
      set_str(&ms->channel, u, (size_t)(dir - 1 - u));
    }
  }
  ms->url = krait_buf_steal(&url);
  krait_buf_free(&decoded);
  return KRAIT_OK;
}

int krait_ms_archive_like(const char *s, size_t n) {
  if (!(ends_with(s, n, ".conda") || ends_with(s, n, ".tar.bz2")))
    return 0;
  return memchr(s, '/', n) || memchr(s, '\\', n);
}

/* ---- positional name / version / build ----------------------------------- */

/* Removes spaces inside version expressions: after an operator or , | ( and
 * before , | ). Keeps one space between version and build. */
static size_t squeeze(const char *s, size_t n, char *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_space(s[i])) {
      out[k++] = s[i];
      continue;
    }
    size_t j = i;
    while (j < n && is_space(s[j]))
      j++;
    char prev = k ? out[k - 1] : 0;
    char next = j < n ? s[j] : 0;
    int drop = !prev || !next || is_opchar(prev) || prev == ',' || prev == '|' || prev == '(' || next == ',' ||
               next == '|' || next == ')';
    if (!drop)
      out[k++] = ' ';
    i = j - 1;
  }
  out[k] = 0;
  return k;
}

static int plain_literal(const char *s) {
  for (; *s; s++)
    if (*s == '*' || *s == ',' || *s == '|' || *s == '(' || *s == ')' || is_opchar(*s))
      return 0;
  return 1;
}

static krait_code parse_version_build(ctx *c, const char *vb, size_t n, char **ver, char **build) {
  char *buf = krait_malloc(n + 3);
  size_t k = squeeze(vb, n, buf);
  krait_code rc = KRAIT_OK;
  char *sp = memchr(buf, ' ', k);
  if (sp) {
    if (memchr(sp + 1, ' ', (size_t)(buf + k - sp - 1))) {
      rc = bad(c, "too many fields (expected: name version build)", NULL);
      goto out;
    }
    *sp = 0;
    const char *b = sp + 1;
    if (is_opchar(b[0])) {
      const char *q = b;
      while (is_opchar(*q))
        q++;
      rc = *q ? bad(c, "version constraint '%s' after the version (join constraints with ',')", b)
              : bad(c, "incomplete version operator '%s'", b);
      goto out;
    }
    *ver = krait_strdup(buf);
    *build = krait_strdup(b);
    goto out;
  }
  if (buf[0] == '=') {
    /* "=1.8=py_0", "==1.8=py_0", "=1.8.*=*": '=' also separates the build */
    size_t i = buf[1] == '=' ? 2 : 1;
    for (; i < k; i++) {
      char prev = buf[i - 1];
      if (buf[i] == '=' && !is_opchar(prev) && prev != ',' && prev != '|' && buf[i + 1] != '=')
        break;
    }
    if (i < k) {
      buf[i] = 0;
      const char *b = buf + i + 1;
      if (!*b) {
        rc = bad(c, "empty build string after '='", NULL);
        goto out;
      }
      if (buf[1] != '=' && plain_literal(buf + 1)) {
        /* CEP-29: name=1.8=build is exact equality */
        *ver = krait_asprintf("=%s", buf);
      } else {
        *ver = krait_strdup(buf);
      }
      *build = krait_strdup(b);
      goto out;
    }
  }
  *ver = krait_strdup(buf);
out:
  free(buf);
  return rc;
}

static krait_code set_version(ctx *c, krait_matchspec *ms, const char *text) {
  krait_vspec_free(ms->vspec);
  ms->vspec = NULL;
  free(ms->version);
  ms->version = NULL;
  krait_err verr;
  if (krait_vspec_parse(text, &ms->vspec, &verr))
    return fail_spec(c, verr.msg);
  ms->version = krait_vspec_str(ms->vspec);
  return KRAIT_OK;
}

/* End ('$') of a "^...$" regex starting at p: the first '$' followed by the
 * end, a space or '['. NULL if none. */
static const char *regex_end(const char *p, const char *end) {
  for (; p < end; p++)
    if (*p == '$' && (p + 1 == end || is_space(p[1]) || p[1] == '[' || is_opchar(p[1])))
      return p;
  return NULL;
}

static krait_code parse_main(ctx *c, krait_matchspec *ms, const char *s, size_t n) {
  /* comment: '#' outside brackets/quotes ends the spec */
  char q = 0;
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    if (q) {
      if (s[i] == '\\' && i + 1 < n)
        i++;
      else if (s[i] == q)
        q = 0;
    } else if (depth && (s[i] == '\'' || s[i] == '"')) {
      q = s[i];
    } else if (s[i] == '[') {
      depth++;
    } else if (s[i] == ']' && depth) {
      depth--;
    } else if (s[i] == '#' && !depth) {
      n = i;
      break;
    }
  }
  while (n && is_space(s[n - 1]))
    n--;
  if (n == 0)
    return bad(c, "empty spec", NULL);

  /* brackets: from the first '[' (outside a "^...$" regex name) to its
   * matching ']' */
  const char *lb = NULL;
  for (const char *p = s; p < s + n && !lb; p++) {
    if (*p == '^' && (p == s || p[-1] == ':' || is_space(p[-1]))) {
      const char *e = regex_end(p, s + n);
      if (e) {
        p = e;
        continue;
      }
    }
    if (*p == '[')
      lb = p;
  }
  const char *rb = NULL;
  if (lb) {
    q = 0;
    for (const char *p = lb + 1; p < s + n; p++) {
      if (q) {
        if (*p == '\\' && p + 1 < s + n)
          p++;
        else if (*p == q)
          q = 0;
      } else if (*p == '\'' || *p == '"') {
        q = *p;
      } else if (*p == ']') {
        rb = p;
        break;
      }
    }
    if (!rb)
      return bad(c, "missing ']'", NULL);
    for (const char *p = rb + 1; p < s + n; p++)
      if (!is_space(*p))
        return bad(c, "unexpected text after ']'", NULL);
  }
  size_t pn = lb ? (size_t)(lb - s) : n;
  /* a '#' the comment rule kept (after a stray '[') would start a comment in
   * the printed spec: no channel, name, version or build holds one */
  if (memchr(s, '#', pn))
    return bad(c, "'#' before the brackets that does not start a comment", NULL);

  /* channel(/subdir):namespace:rest -- like rsplit(':', 2) */
  const char *rest = s;
  const char *c1 = NULL, *c2 = NULL;
  for (size_t i = pn; i > 0; i--)
    if (s[i - 1] == ':') {
      if (!c2)
        c2 = s + i - 1;
      else {
        c1 = s + i - 1;
        break;
      }
    }
  krait_code rc = KRAIT_OK;
  if (c2) {
    rest = c2 + 1;
    if (c1 && (rc = set_channel(c, ms, s, (size_t)(c1 - s))))
      return rc;
    /* CEP-29: the namespace is parsed and ignored; one that is not a name
     * would be dropped silently, so it is refused */
    const char *ns = c1 ? c1 + 1 : s;
    while (ns < c2 && is_space(*ns))
      ns++;
    const char *nse = c2;
    while (nse > ns && is_space(nse[-1]))
      nse--;
    if (nse > ns && (*ns == '^' || !valid_name(ns, (size_t)(nse - ns))))
      return bad(c, "invalid namespace before the package name", NULL);
  }
  while (rest < s + pn && is_space(*rest))
    rest++;
  const char *rend = s + pn;
  while (rend > rest && is_space(rend[-1]))
    rend--;

  const char *ne = rest;
  if (ne < rend && *ne == '^') {
    const char *e = regex_end(ne, rend);
    ne = e ? e + 1 : rend;
  } else {
    while (ne < rend && !is_space(*ne) && !is_opchar(*ne))
      ne++;
  }
  if (ne == rest) {
    if (rest == rend && lb)
      set_str(&ms->name, "*", 1); /* "[md5=...]" alone: any name */
    else
      return bad(c, "missing package name", NULL);
  } else {
    if (!valid_name(rest, (size_t)(ne - rest))) {
      char nm[256];
      snprintf(nm, sizeof nm, "%.*s", (int)((size_t)(ne - rest) < 200 ? ne - rest : 200), rest);
      return bad(c, "invalid package name '%s'", nm);
    }
    set_str(&ms->name, rest, (size_t)(ne - rest));
  }
  while (ne < rend && is_space(*ne))
    ne++;
  char *ver = NULL, *build = NULL;
  if (ne < rend && (rc = parse_version_build(c, ne, (size_t)(rend - ne), &ver, &build)))
    return rc;

  bracket_vals bv = {0};
  if (lb && (rc = parse_brackets(c, ms, &bv, lb + 1, rb)))
    goto done;
  if (bv.have_version) { /* brackets override positional values */
    free(ver);
    ver = bv.version;
    bv.version = NULL;
  }
  if (bv.have_build) {
    free(build);
    build = bv.build;
    bv.build = NULL;
  }
  if (bv.have_channel) {
    free(ms->channel);
    ms->channel = NULL;
    if ((rc = set_channel(c, ms, bv.channel, strlen(bv.channel))))
      goto done;
  }
  if (bv.have_subdir) { /* an explicit subdir wins over one the channel names */
    free(ms->subdir);
    ms->subdir = bv.subdir;
    bv.subdir = NULL;
  }
  if (ver && (rc = set_version(c, ms, ver)))
    goto done;
  if (build) {
    ms->build = build;
    build = NULL;
  }
done:
  free(ver);
  free(build);
  free(bv.version);
  free(bv.build);
  free(bv.channel);
  free(bv.subdir);
  return rc;
}

krait_code krait_matchspec_parse(const char *text, krait_matchspec **out, krait_err *err) {
  *out = NULL;
  if (!text)
    text = "";
  ctx c = {text, err};
  const char *s = text;
  while (is_space(*s))
    s++;
  size_t n = strlen(s);
  while (n && is_space(s[n - 1]))
    n--;
  krait_matchspec *ms = krait_calloc(1, sizeof *ms);
  krait_code rc;
  if (krait_ms_archive_like(s, n))
    rc = parse_archive(&c, ms, s, n);
  else
    rc = parse_main(&c, ms, s, n);
  if (rc) {
    krait_matchspec_free(ms);
    return rc;
  }
  *out = ms;
  return KRAIT_OK;
}

/* ---- matching ------------------------------------------------------------ */

/* CEP-29 string matching: ^...$ regex, '*' glob, else case-insensitive equality. */
static bool str_match(const char *pat, const char *val) {
  if (!val)
    val = "";
  size_t n = strlen(pat);
  if (n >= 2 && pat[0] == '^' && pat[n - 1] == '$') {
    krait_rx *rx;
    krait_err ignored;
    if (krait_rx_compile(pat, true, &rx, &ignored) != KRAIT_OK)
      return false; /* a pattern the engine refuses matches nothing */
    bool r = krait_rx_search(rx, val);
    krait_rx_free(rx);
    return r;
  }
  if (strchr(pat, '*'))
    return krait_glob_match(pat, val);
  return strcasecmp(pat, val) == 0;
}

static bool build_number_match(const char *c, int64_t bn) {
  const char *d = c;
  while (is_opchar(*d))
    d++;
  size_t oplen = (size_t)(d - c);
  int64_t want = strtoll(d, NULL, 10);
  if (oplen == 0 || (oplen == 2 && c[0] == '=' && c[1] == '=') || (oplen == 1 && c[0] == '='))
    return bn == want;
  if (oplen == 2 && c[0] == '!' )
    return bn != want;
  if (oplen == 2 && c[0] == '>')
    return bn >= want;
  if (oplen == 2 && c[0] == '<')
    return bn <= want;
  if (oplen == 1 && c[0] == '>')
    return bn > want;
  if (oplen == 1 && c[0] == '<')
    return bn < want;
  return false;
}

bool krait_matchspec_match_version(const krait_matchspec *ms, const char *version) {
  return krait_vspec_matches(ms->vspec, version);
}

bool krait_matchspec_matches(const krait_matchspec *ms, const krait_record *r) {
  if (ms->name && strcmp(ms->name, "*") != 0 && !str_match(ms->name, r->name))
    return false;
  if (ms->vspec && !krait_vspec_matches(ms->vspec, r->version))
    return false;
  if (ms->build && !str_match(ms->build, r->build))
    return false;
  if (ms->build_number && !build_number_match(ms->build_number, r->build_number))
    return false;
  if (ms->subdir && !str_match(ms->subdir, r->subdir))
    return false;
  if (ms->md5 && !str_match(ms->md5, r->md5))
    return false;
  if (ms->sha256 && !str_match(ms->sha256, r->sha256))
    return false;
  if (ms->fn && !str_match(ms->fn, r->fn))
    return false;
  if (ms->url && !str_match(ms->url, r->url))
    return false;
  if (ms->license && !str_match(ms->license, r->license))
    return false;
  if (ms->license_family && !str_match(ms->license_family, r->license_family))
    return false;
  return true;
}
