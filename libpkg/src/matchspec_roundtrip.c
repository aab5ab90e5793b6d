/* The MatchSpec round trip (issue 6): str(spec) parses back to a spec with the
 * same fields, which prints the same string again. One check shared by the
 * unit tests (tests/unit/test_matchspec.c) and the fuzz target
 * (fuzz/fuzz_matchspec.c), so both hold the printer to the same promise. */
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

static krait_code compare(const krait_matchspec *a, const krait_matchspec *b, const char *printed, krait_err *err) {
  if (!same_nocase(a->name, b->name, 0))
    return changed(err, printed, "name", a->name, b->name);
  if (!same_nocase(a->version, b->version, 1))
    return changed(err, printed, "version", a->version, b->version);
  if (!same_nocase(a->build, b->build, 1))
    return changed(err, printed, "build", a->build, b->build);
  if (!same_nocase(a->subdir, b->subdir, 0)) /* printed lower-cased, matched case-insensitively */
    return changed(err, printed, "subdir", a->subdir, b->subdir);
  if (!same_nocase(a->md5, b->md5, 0))
    return changed(err, printed, "md5", a->md5, b->md5);
  if (!same_nocase(a->sha256, b->sha256, 0))
    return changed(err, printed, "sha256", a->sha256, b->sha256);
  if (!same_nocase(a->track_features, b->track_features, 0))
    return changed(err, printed, "track_features", a->track_features, b->track_features);
#define SAME(f)                                                                                                        \
  if (!same(a->f, b->f))                                                                                               \
    return changed(err, printed, #f, a->f, b->f);
  SAME(channel)
  SAME(build_number)
  SAME(fn)
  SAME(url)
  SAME(license)
  SAME(license_family)
#undef SAME
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
