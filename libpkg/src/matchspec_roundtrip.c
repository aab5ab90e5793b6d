/* The MatchSpec round trip (issue 6): str(spec) parses back to a spec with the
 * same fields, which prints the same string again. One check shared by the
 * unit tests (tests/unit/test_matchspec.c) and the fuzz target
 * (fuzz/fuzz_matchspec.c), so both hold the printer to the same promise. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "krait/matchspec.h"
#include "matchspec_int.h"

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* Names and builds match case-insensitively and str() prints them lower-cased
 * (as conda does), but not a "^...$" regex, whose case can matter ("\D" is not "\d");
 * for version and build "*" and absent both mean "any" (str() prints
 * neither). */
static int same_nocase(const char *a, const char *b, int star_is_any) {
  if (star_is_any && a && strcmp(a, "*") == 0)
    a = NULL;
  if (star_is_any && b && strcmp(b, "*") == 0)
    b = NULL;
  if (a && krait_ms_is_regex(a))
    return same(a, b);
  return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

static const char *shown(const char *s) { return s ? s : "(none)"; }

static krait_code changed(krait_err *err, const char *printed, const char *field, const char *from, const char *to) {
  return krait_err_set(err, KRAIT_E_INVALID, "spec printed as \"%s\" reads back with %s \"%s\" instead of \"%s\"",
                       printed, field, shown(to), shown(from));
}

/* Every string field, and how it is compared: CASE for the fields str()
 * prints lower-cased and matching compares without case; ANY where "*" and
 * absent both mean "any". */
enum { EXACT = 0, CASE = 1, ANY = 2 };
static const struct {
  const char *name;
  size_t off;
  int how;
} fields[] = {
#define F(f, how) {#f, offsetof(krait_matchspec, f), how}
    F(name, CASE),       F(version, CASE | ANY), F(build, CASE | ANY), F(subdir, CASE),
    F(md5, CASE),        F(sha256, CASE),        F(track_features, CASE), F(channel, EXACT),
    F(build_number, EXACT), F(fn, EXACT),        F(url, EXACT),          F(license, EXACT),
    F(license_family, EXACT),
#undef F
};

static const char *field(const krait_matchspec *ms, size_t off) { return *(char *const *)((const char *)ms + off); }

static krait_code compare(const krait_matchspec *a, const krait_matchspec *b, const char *printed, krait_err *err) {
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    const char *x = field(a, fields[i].off), *y = field(b, fields[i].off);
    int ok = fields[i].how & CASE ? same_nocase(x, y, fields[i].how & ANY) : same(x, y);
    if (!ok)
      return changed(err, printed, fields[i].name, x, y);
  }
  if (a->optional != b->optional)
    return changed(err, printed, "optional", a->optional ? "true" : "false", b->optional ? "true" : "false");
  return KRAIT_OK;
}

krait_code krait_matchspec_roundtrip_check(const krait_matchspec *ms, krait_err *err) {
  char *printed = krait_matchspec_str(ms);
  krait_matchspec *back = NULL;
  krait_err perr;
  krait_code rc = krait_matchspec_parse(printed, &back, &perr);
  if (rc != KRAIT_OK) {
    rc = krait_err_set(err, KRAIT_E_INVALID, "spec printed as \"%s\" does not read back: %s", printed, perr.msg);
  } else if ((rc = compare(ms, back, printed, err)) == KRAIT_OK) {
    char *again = krait_matchspec_str(back);
    if (strcmp(printed, again) != 0)
      rc = krait_err_set(err, KRAIT_E_INVALID, "spec printed as \"%s\" reads back and prints as \"%s\"", printed,
                         again);
    free(again);
  }
  krait_matchspec_free(back);
  free(printed);
  return rc;
}
