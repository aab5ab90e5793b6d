/* The repodata loader's oracle (tests and bench only): libsolv's own conda
 * reader, as krait used it before repodata/src/loader.c, plus the krait:*
 * attributes computed independently from a DOM of the same text. */
#ifndef KRAIT_REPODATA_ORACLE_H
#define KRAIT_REPODATA_ORACLE_H

#include <stddef.h>

#include <solv/repo.h>

#include "krait/err.h"
#include "repodata_int.h"

/* Loads text (the bytes of the repodata.json at path) into repo with
 * libsolv's repo_add_conda through fmemopen, fills *meta from info/metadata,
 * then sets the krait:* keys on the solvables matched by file name. */
krait_code krait_repo_add_json_libsolv(Repo *repo, const char *path, char *text, size_t len, krait_repo_meta *meta,
                                       krait_err *err);

#endif
