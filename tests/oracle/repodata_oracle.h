/* The repodata loader's oracle (tests and bench only): libsolv's own conda
 * reader, as krait used it before repodata/src/loader.c, plus the krait:*
 * attributes computed independently from a DOM of the same text. */
#ifndef KRAIT_REPODATA_ORACLE_H
#define KRAIT_REPODATA_ORACLE_H

#include <stddef.h>

#include <solv/repo.h>

#include "krait/err.h"
#include "krait/record.h"
#include "repodata_int.h"

/* The oracle's own attributes for what libsolv drops (krait itself reads
 * these from the record text, record_span.c). */
#define KRAIT_KEY_DEPENDS "krait:depends"         /* str: depends as written, '\n'-joined */
#define KRAIT_KEY_CONSTRAINS "krait:constrains"   /* str: constrains as written, '\n'-joined */
#define KRAIT_KEY_NOARCH "krait:noarch"           /* str: "python" / "generic" */
#define KRAIT_KEY_TIMESTAMP "krait:timestamp"     /* num: milliseconds (libsolv keeps seconds) */
#define KRAIT_KEY_LICENSE_FAMILY "krait:license_family"
#define KRAIT_KEY_FEATURES "krait:features"
#define KRAIT_KEY_SITE_PACKAGES "krait:python_site_packages_path"

/* Loads text (the bytes of the repodata.json at path) into repo with
 * libsolv's repo_add_conda through fmemopen, fills *meta from info/metadata,
 * then sets the krait:* keys above on the solvables matched by file name. */
krait_code krait_repo_add_json_libsolv(Repo *repo, const char *path, char *text, size_t len, krait_repo_meta *meta,
                                       krait_err *err);

/* The fields krait_solvable_record reads from the record text, from the
 * oracle's keys instead (into r, which is initialised): depends,
 * constrains, noarch, timestamp, license_family, features,
 * python_site_packages_path. */
void krait_oracle_record_extras(Pool *pool, Id p, krait_record *r);

#endif
