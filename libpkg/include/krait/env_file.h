/* Environment files: what `krait env create -f`, `create/install --file` read
 * and what `krait env export` writes.
 *
 *  - environment.yml (CEP-24; any *.yml / *.yaml): name, prefix, channels
 *    (`nodefaults` drops the configured ones), dependencies (MatchSpecs, a
 *    `pip:` list, micromamba's `sel(linux): spec` items), variables,
 *    platforms, category. Comment selectors (`- gcc  # [linux64]`) are
 *    evaluated for the target platform before the YAML is read. Unknown
 *    top-level keys are ignored with a warning (CEP-24); a file with none of
 *    the known keys, an unknown `dependencies` section or a bad spec is an
 *    error naming file:line.
 *  - explicit files (CEP-23: a line `@EXPLICIT`, then one package URL or path
 *    per line, optionally `#<md5>`, `#sha256:<hex>`, `#<sha256>`, `#md5=<hex>`):
 *    records built from the URLs, installed without solving.
 *  - spec lists (any other file): one MatchSpec per line; `#` comments.
 *
 * Every rejection names the file, the line and the reason.
 *
 * Ownership: krait_env_file_read()/_parse() fill a krait_env_file released
 * with krait_env_file_free(); inputs are borrowed; rendered text is the
 * caller's to free. */
#ifndef KRAIT_ENV_FILE_H
#define KRAIT_ENV_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/buf.h"
#include "krait/env_state.h"
#include "krait/err.h"
#include "krait/record.h"

typedef enum krait_env_file_kind {
  KRAIT_ENV_FILE_YAML,     /* environment.yml */
  KRAIT_ENV_FILE_EXPLICIT, /* @EXPLICIT package URLs */
  KRAIT_ENV_FILE_SPECS,    /* one MatchSpec per line */
} krait_env_file_kind;

typedef struct krait_env_file {
  krait_env_file_kind kind;
  char *name;               /* YAML `name`, or NULL */
  char *prefix;             /* YAML `prefix` (~ and $VARS expanded), or NULL */
  krait_strv channels;      /* YAML `channels` in order, without `nodefaults` */
  bool nodefaults;          /* `nodefaults` was listed: use only these channels */
  krait_strv specs;         /* YAML conda dependencies / spec-list lines */
  krait_strv pip;           /* YAML `- pip: [...]` requirements, in order */
  krait_env_vars variables; /* YAML `variables` */
  krait_strv platforms;     /* YAML `platforms` */
  krait_record *packages;   /* explicit: one record per URL, file order */
  size_t n_packages;
  char *platform;           /* text files: the "# platform: X" comment, or NULL */
  krait_strv warnings;      /* "file:line: ..." notes for the user (ignored keys) */
} krait_env_file;

/* Reads `path` and parses it as the kind its name and content say (see the
 * top). `platform` is the target subdir selectors are evaluated for. */
KRAIT_API krait_code krait_env_file_read(const char *path, const char *platform, krait_env_file *out,
                                         krait_err *err);
/* The same on text in memory; `origin` names it in messages; `yaml` chooses
 * environment.yml over the text formats. */
KRAIT_API krait_code krait_env_file_parse(const char *origin, const char *text, size_t len, bool yaml,
                                          const char *platform, krait_env_file *out, krait_err *err);
KRAIT_API void krait_env_file_free(krait_env_file *f);

/* True when `text` names a package archive rather than a MatchSpec: a URL or
 * path ending in .conda / .tar.bz2 (with an optional #hash). */
KRAIT_API bool krait_is_package_url(const char *text);
/* One explicit line (URL, file:// URL or path, optional #hash) -> a record
 * with fn, url, channel, subdir, name, version, build and the digest. A
 * relative path is taken from the working directory; ~ and $VARS are
 * expanded. */
KRAIT_API krait_code krait_explicit_record(const char *line, krait_record *out, krait_err *err);

/* environment.yml text of f (name, channels, dependencies with the pip list,
 * variables, prefix; empty parts left out), in conda's key order. */
KRAIT_API char *krait_env_file_render_yaml(const krait_env_file *f);
/* An @EXPLICIT file: a header naming `platform`, then each record's URL with
 * #sha256:<hex> (else #<md5>; with prefer_md5 the other way round, as
 * `conda list --explicit --md5` writes). Records without a URL are skipped. */
KRAIT_API char *krait_explicit_render(const krait_record *const *recs, size_t n, const char *platform,
                                      bool prefer_md5);

/* Sorts recs so that every record comes after the records it depends on
 * (by name; cycles broken in name order), as explicit files must be. */
KRAIT_API void krait_records_dependency_order(const krait_record **recs, size_t n);

#endif
