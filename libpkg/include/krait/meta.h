/* Writing an environment's records (CEP-32): conda-meta/<dist>.json,
 * conda-meta/history, and the ~/.conda/environments.txt registry.
 * (Reading conda-meta is krait/prefix.h.)
 *
 * Every writer inside the prefix takes an optional transaction journal
 * (NULL = none): with one, what is replaced or removed is moved aside and
 * what is created is announced, so krait_journal_rollback() undoes it.
 *
 * Ownership: inputs are borrowed; returned strings are the caller's to free. */
#ifndef KRAIT_META_H
#define KRAIT_META_H

#include <time.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/journal.h"
#include "krait/link.h"
#include "krait/paths.h"
#include "krait/record.h"

typedef struct krait_meta_info {
  const krait_record *rec;
  const krait_paths *paths;              /* what was installed (krait_link_result.paths) */
  krait_link_type link_type;
  const char *requested_spec;            /* or NULL */
  const char *extracted_package_dir;     /* pkgs/<dist> */
  const char *package_tarball_full_path; /* pkgs/<fn>, or NULL */
} krait_meta_info;

/* The conda-meta JSON text (keys sorted, indent 2, trailing newline). */
KRAIT_API char *krait_meta_render(const krait_meta_info *m);
/* Writes <prefix>/conda-meta/<name>-<version>-<build>.json atomically. */
KRAIT_API krait_code krait_meta_write(const char *prefix, const krait_meta_info *m, krait_journal *journal,
                                      krait_err *err);
/* Removes the package's conda-meta record (missing is fine). */
KRAIT_API krait_code krait_meta_remove(const char *prefix, const krait_record *rec, krait_journal *journal,
                                       krait_err *err);
/* Reads paths_data (or, for records without it, the "files" list) of one
 * conda-meta JSON file, i.e. what unlink must delete. */
KRAIT_API krait_code krait_meta_read_paths(const char *meta_json_path, krait_paths *out, krait_err *err);

typedef struct krait_history_entry {
  time_t when;                  /* 0 = now */
  const char *cmd;              /* the command line, e.g. "krait install -n x numpy" */
  const char *tool_version;     /* written as "# conda version: <v>" (what conda's parser reads) */
  const krait_record *const *unlinked;
  size_t n_unlinked;
  const krait_record *const *linked;
  size_t n_linked;
  const krait_strv *update_specs; /* or NULL */
  const krait_strv *remove_specs; /* or NULL */
} krait_history_entry;

/* "channel/subdir::name-version-build" as conda writes it in history; the
 * channel is its short name for https://conda.anaconda.org/<name>, else the URL. */
KRAIT_API char *krait_history_dist(const krait_record *r);
/* Appends one action block to <prefix>/conda-meta/history (created if absent). */
KRAIT_API krait_code krait_history_append(const char *prefix, const krait_history_entry *h, krait_journal *journal,
                                          krait_err *err);
/* Makes <prefix>/conda-meta/history exist (an empty history marks an env). */
KRAIT_API krait_code krait_history_touch(const char *prefix, krait_journal *journal, krait_err *err);

/* Adds prefix to environments_txt (NULL = ~/.conda/environments.txt) unless
 * already listed; creates the directory. */
KRAIT_API krait_code krait_env_register(const char *environments_txt, const char *prefix, krait_err *err);

#endif
