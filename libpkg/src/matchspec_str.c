/* Printing MatchSpecs: the canonical form of CEP-29 Appendix A, as conda
 * prints it, with one promise on top (issue 6): what krait_matchspec_str()
 * prints parses back to the same spec (krait_matchspec_roundtrip_check).
 * A field goes in the positional part only when the parser reads it back
 * from there unchanged; anything else goes into quoted brackets. */
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/matchspec.h"
#include "krait/platform.h"
#include "krait/text.h"
#include "matchspec_int.h"

static int is_blank_or_control(char ch) { return (unsigned char)ch <= 0x20 || ch == 0x7f; }

/* CEP-29 Appendix A rule 8: case-insensitive fields are printed lowercased.
 * krait applies it to identifier fields (name, build, subdir, hashes,
 * features), not to "^...$" regexes (lowering "\D" would change its meaning);
 * channel, url, fn and license are kept as written because lowercasing could
 * change the resource they name. NULL for NULL; caller frees. */
static char *folded(const char *s) {
  if (!s)
    return NULL;
  char *r = krait_strdup(s);
  if (krait_ms_is_regex(r))
    return r;
  for (char *p = r; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return r;
}

/* key=value inside the brackets; the value is quoted when the unquoted form
 * would not read back (CEP-29: spaces, commas, '=', brackets; and quotes,
 * '#', backslashes, control characters), escaping as Python literals do. */
static void put_kv(krait_buf *b, const char *key, const char *val, int always_quote) {
  if (b->len)
    krait_buf_putc(b, ',');
  krait_buf_printf(b, "%s=", key);
  int quote = always_quote || !*val || strpbrk(val, ",=[]'\"#\\") != NULL;
  for (const char *p = val; *p && !quote; p++)
    quote = is_blank_or_control(*p);
  if (!quote) {
    krait_buf_puts(b, val);
    return;
  }
  char qc = strchr(val, '\'') && !strchr(val, '"') ? '"' : '\'';
  krait_buf_putc(b, qc);
  for (const char *p = val; *p; p++) {
    if (*p == qc || *p == '\\')
      krait_buf_putc(b, '\\');
    krait_buf_putc(b, *p);
  }
  krait_buf_putc(b, qc);
}

static int has_any(const char *s, const char *chars) { return strpbrk(s, chars) != NULL; }

/* A channel the positional "channel::" part reads back as written: '#'
 * starts a comment there, blanks and brackets end the part, '*' is read as
 * "any channel" and '^'/'$' as a regex name. */
static int channel_positional(const char *t) {
  if (has_any(t, "*#[]'\"^$\\"))
    return 0;
  for (; *t; t++)
    if (is_blank_or_control(*t))
      return 0;
  return 1;
}

/* A build the positional "==version=build" part reads back as written. */
static int build_positional(const char *b) {
  if (!*b)
    return 0;
  for (; *b; b++)
    if (!((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') || (*b >= '0' && *b <= '9') || *b == '_' ||
          *b == '.' || *b == '+'))
      return 0;
  return 1;
}

/* The channel text to print (channel, or "channel/subdir" when the parser
 * splits that back into the two) and whether the subdir still needs its own
 * [subdir=...] (a bracket subdir wins over one the channel text names). */
static char *channel_text(const char *channel, const char *subdir, int *subdir_key) {
  size_t cl = strlen(channel);
  *subdir_key = subdir != NULL;
  if (subdir && krait_subdir_known(subdir) && channel[cl - 1] != '/') {
    *subdir_key = 0;
    return krait_asprintf("%s/%s", channel, subdir);
  }
  size_t keep = krait_ms_channel_len(channel, cl);
  if (keep < cl) /* "a/linux-64" would read back as channel "a": repeat the component */
    return krait_asprintf("%s%s", channel, channel + keep);
  return krait_strdup(channel);
}

/* force_brackets: everything but the name goes into the brackets (for a
 * spec whose positional form would read back as a package archive path). */
static char *print_spec(const krait_matchspec *ms, int force_brackets) {
  krait_buf b = KRAIT_BUF_INIT, br = KRAIT_BUF_INIT;
  char *subdir = folded(ms->subdir);
  char *build = ms->build && strcmp(ms->build, "*") != 0 ? folded(ms->build) : NULL;
  int subdir_key = subdir != NULL;
  char *chan = ms->channel && *ms->channel ? channel_text(ms->channel, subdir, &subdir_key) : NULL;
  int chan_pos = chan && !force_brackets && channel_positional(chan);
  if (chan && !chan_pos)
    put_kv(&br, "channel", chan, 0);
  if (subdir_key)
    put_kv(&br, "subdir", subdir, 0);
  if (chan_pos) {
    krait_buf_puts(&b, chan);
    krait_buf_puts(&b, "::");
  }
  char *name = folded(ms->name ? ms->name : "*");
  krait_buf_puts(&b, name);
  free(name);
  int exact = 0;
  const char *v = ms->version;
  if (v && strcmp(v, "*") != 0) {
    size_t vn = strlen(v);
    if (force_brackets || has_any(v, "><$^|,")) {
      put_kv(&br, "version", v, 1);
    } else if (!strncmp(v, "!=", 2) || !strncmp(v, "~=", 2)) {
      /* CEP-29 Appendix A rule 2: neither exact nor fuzzy -> brackets
       * (conda itself prints "foo!=1.8" / "foo~=1.2" positionally) */
      put_kv(&br, "version", v, 1);
    } else if (vn >= 2 && !strcmp(v + vn - 2, ".*") && !memchr(v, '*', vn - 2)) {
      krait_buf_putc(&b, '=');
      krait_buf_append(&b, v, vn - 2);
    } else if (strchr(v, '*')) {
      put_kv(&br, "version", v, 1); /* inner glob: not exact, not fuzzy */
    } else {
      krait_buf_puts(&b, strncmp(v, "==", 2) ? "==" : "");
      krait_buf_puts(&b, v);
      exact = 1;
    }
  }
  if (build) {
    if (has_any(build, "><$^|,"))
      put_kv(&br, "build", build, 1);
    else if (!exact || force_brackets || !build_positional(build))
      put_kv(&br, "build", build, 0);
    else {
      krait_buf_putc(&b, '=');
      krait_buf_puts(&b, build);
    }
  }
  /* conda's FIELD_NAMES order after name/version/build; conda leaves url out
   * when a channel is printed, krait keeps it (else the spec read back no
   * longer names one archive); fn is left out when reading the url gives it */
  char *md5 = folded(ms->md5), *sha = folded(ms->sha256), *tf = folded(ms->track_features);
  if (ms->build_number)
    put_kv(&br, "build_number", ms->build_number, 0);
  if (tf)
    put_kv(&br, "track_features", tf, 0);
  if (ms->url)
    put_kv(&br, "url", ms->url, 0);
  if (md5)
    put_kv(&br, "md5", md5, 0);
  if (sha)
    put_kv(&br, "sha256", sha, 0);
  if (ms->license)
    put_kv(&br, "license", ms->license, 0);
  if (ms->license_family)
    put_kv(&br, "license_family", ms->license_family, 0);
  const char *url_base = ms->url ? strrchr(ms->url, '/') : NULL;
  int fn_from_url = url_base && ms->fn && krait_ms_archive_like(ms->url, strlen(ms->url)) &&
                    strcmp(url_base + 1, ms->fn) == 0;
  if (ms->fn && !fn_from_url)
    put_kv(&br, "fn", ms->fn, 0);
  if (ms->optional)
    put_kv(&br, "optional", "true", 0);
  if (br.len) {
    krait_buf_putc(&b, '[');
    krait_buf_append(&b, br.data, br.len);
    krait_buf_putc(&b, ']');
  }
  krait_buf_free(&br);
  free(chan);
  free(subdir);
  free(build);
  free(md5);
  free(sha);
  free(tf);
  return krait_buf_steal(&b);
}

char *krait_matchspec_str(const krait_matchspec *ms) {
  char *s = print_spec(ms, 0);
  if (krait_ms_archive_like(s, strlen(s))) { /* "chan/linux-64::x.conda" */
    free(s);
    s = print_spec(ms, 1);
  }
  return s;
}

char *krait_matchspec_solv_str(const krait_matchspec *ms) {
  krait_buf b = KRAIT_BUF_INIT;
  char *name = folded(ms->name ? ms->name : "*");
  krait_buf_puts(&b, name);
  free(name);
  int has_build = ms->build && strcmp(ms->build, "*") != 0;
  if (ms->version && (strcmp(ms->version, "*") != 0 || has_build))
    krait_buf_printf(&b, " %s", ms->version);
  else if (has_build)
    krait_buf_puts(&b, " *");
  if (has_build)
    krait_buf_printf(&b, " %s", ms->build);
  return krait_buf_steal(&b);
}
