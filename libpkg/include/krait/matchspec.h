/* MatchSpecs (CEP-29): parse, match against a record, print canonically.
 *
 * Ownership: krait_matchspec_parse() returns a spec released with
 * krait_matchspec_free(); the public string fields are owned by the spec and
 * read-only for callers. krait_matchspec_str() returns a heap string (free()).
 *
 * Accepted forms (CEP-29): [channel[/subdir]:[namespace]:]name[ version[ build]]
 * or name=version[=build] / name==version[=build], then optional
 * [key=value,...] (quoted values follow Python literal escapes; pairs may be
 * separated by ',' or spaces). A package archive URL or absolute path
 * (.conda/.tar.bz2) becomes one exact artifact (CEP-29 Appendix C).
 * Decisions where tools differ (CEP wins):
 *  - "name 1.8", "name==1.8", "name=1.8=b", "[version=1.8]": exact (==1.8);
 *    "name=1.8", "name 1.8.*", "name =1.8 b": fuzzy (1.8.*).
 *  - "!=1.8" is a negated fuzzy equality (excludes 1.8.x), printed "!=1.8.*".
 *  - bracket values override positional ones; a bracket `name` is ignored.
 * Not accepted (left out of CEP-29): "(optional=True)", "@feature",
 * "channel[subdir]::name", rattler's when=/extras=/flags=. */
#ifndef KRAIT_MATCHSPEC_H
#define KRAIT_MATCHSPEC_H

#include <stdbool.h>

#include "krait/err.h"
#include "krait/record.h"
#include "krait/version.h"

typedef struct krait_vspec krait_vspec; /* a parsed version constraint (private) */

typedef struct krait_matchspec {
  char *channel;       /* "conda-forge", a URL, or NULL */
  char *subdir;        /* from "channel/subdir::" or [subdir=...], or NULL */
  char *name;          /* package name; "*" matches any */
  char *version;       /* normalized version constraint text ("1.8.*", ">=1.2,<2", "==1.8", "*") or NULL */
  char *build;         /* build string or glob ("external_*") or NULL */
  char *build_number;  /* constraint text ("3", ">=2") or NULL */
  char *md5;
  char *sha256;
  char *fn;
  char *url;
  char *license;
  char *track_features;
  bool optional;
  krait_vspec *vspec;  /* parsed `version` (NULL = any) */
  char *license_family; /* from [license_family=...] or NULL */
} krait_matchspec;

/* Parses any CEP-29 form. On error, the message quotes the spec and says what
 * is wrong, e.g.  invalid spec "numpy >=1.2 <": incomplete version operator. */
KRAIT_API krait_code krait_matchspec_parse(const char *text, krait_matchspec **out, krait_err *err);
KRAIT_API void krait_matchspec_free(krait_matchspec *ms);
/* True when r satisfies name, version, build, build_number, subdir, md5,
 * sha256, fn (channel is checked by the caller who knows channel identities). */
KRAIT_API bool krait_matchspec_matches(const krait_matchspec *ms, const krait_record *r);
/* True when `version` satisfies the version constraint (NULL/any -> true). */
KRAIT_API bool krait_matchspec_match_version(const krait_matchspec *ms, const char *version);
/* Canonical form as conda prints it: channel/subdir::name version build[key=value,...]
 * e.g. "conda-forge::numpy[version='>=1.2,<2']" ... see CEP-29 and tests. */
KRAIT_API char *krait_matchspec_str(const krait_matchspec *ms);
/* The round trip: str(ms) parses back to a spec with the same fields (names,
 * builds, subdirs, hashes and features compared case-insensitively, as they
 * match, except "^...$" regexes; "*" and no version/build both mean any) that
 * prints the same string.
 * KRAIT_OK, or KRAIT_E_INVALID with a message naming the printed form and the
 * field that changed. Used by the unit tests and fuzz/fuzz_matchspec.c. */
KRAIT_API krait_code krait_matchspec_roundtrip_check(const krait_matchspec *ms, krait_err *err);
/* The "name version build" form libsolv's conda matchspec parser understands
 * (no channel/subdir/brackets it cannot take). Caller frees. */
KRAIT_API char *krait_matchspec_solv_str(const krait_matchspec *ms);

/* Version constraint helpers used by the spec parser and the solver. */
KRAIT_API krait_code krait_vspec_parse(const char *text, krait_vspec **out, krait_err *err);
KRAIT_API void krait_vspec_free(krait_vspec *vs);
KRAIT_API bool krait_vspec_matches(const krait_vspec *vs, const char *version);
/* Same as krait_vspec_matches for an already parsed version (no parsing, no
 * allocation: the fast path for the solver). */
KRAIT_API bool krait_vspec_matches_version(const krait_vspec *vs, const krait_version *v);
/* Normalized text: "==1.8", "1.8.*", ">=1.2,<2", "!=1.8.*", "*"; caller frees. */
KRAIT_API char *krait_vspec_str(const krait_vspec *vs);
/* What a (top-level) constraint is: one of the VS_* values below. */
enum {
  VS_ANY, VS_EXACT, VS_PREFIX, VS_NOT_PREFIX, VS_LT, VS_LE, VS_GT, VS_GE, VS_COMPAT,
  VS_GLOB, VS_NOT_GLOB, VS_REGEX, VS_AND, VS_OR
};
KRAIT_API int krait_vspec_kind(const krait_vspec *vs);
/* Glob match used for build strings ("*" wildcards only, case-insensitive). */
KRAIT_API bool krait_glob_match(const char *pattern, const char *text);

#endif
