/* Linking one extracted package into a prefix, and unlinking it again.
 *
 * A krait_linker is made once per transaction on one prefix; it remembers
 * which package caches could not hard-link into the prefix so that the
 * "copying instead" warning is emitted once per (pkgs dir, prefix).
 *
 * krait_linker_link() does, in order: checks (placeholder lengths, python
 * version for noarch: python), the pre-link script, directories, files (hard
 * link from the cache, copy when that fails or when the file is no_link or
 * needs prefix replacement, symlinks recreated), noarch: python entry points
 * and .pyc files, the post-link script. On any failure it removes what it
 * wrote and returns the error (a file it overwrote comes back only through
 * the journal's rollback, see krait_link_opts.journal). It does NOT write
 * conda-meta: see krait/meta.h.
 *
 * Link scripts (bin/.<name>-{pre-link,post-link,pre-unlink}.sh) run with bash
 * (or sh) with PREFIX, SOURCE_DIR (= PREFIX, CEP-34), ROOT_PREFIX, PKG_NAME,
 * PKG_VERSION, PKG_BUILDNUM and the script's directory first on PATH; like
 * conda, post-link and pre-unlink run in the activated environment
 * (CONDA_PREFIX, <prefix>/bin on PATH, etc/conda/activate.d scripts sourced).
 * Their output is captured (a failure's tail goes into the error message);
 * what they leave in $PREFIX/.messages.txt is sent as an INFO event, kept in
 * krait_link_result.messages and the file deleted. A failing pre-link,
 * post-link or pre-unlink is KRAIT_E_SCRIPT.
 *
 * Paths are never written through a directory symlink that resolves outside
 * the prefix, nor under conda-meta/ (KRAIT_E_UNSAFE).
 *
 * A linker is not thread-safe: use one per thread (each then reports its own
 * copy fallback) or serialise calls.
 *
 * Ownership: krait_linker_new() result is freed with krait_linker_free(); a
 * krait_link_result is released with krait_link_result_free(). Strings in
 * krait_link_opts are borrowed for the linker's lifetime. */
#ifndef KRAIT_LINK_H
#define KRAIT_LINK_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/journal.h"
#include "krait/paths.h"
#include "krait/record.h"

/* conda-meta link.type (CEP-32) */
typedef enum krait_link_type {
  KRAIT_LINK_HARDLINK = 1,
  KRAIT_LINK_SOFTLINK = 2,
  KRAIT_LINK_COPY = 3,
} krait_link_type;

typedef enum krait_clobber_action {
  KRAIT_CLOBBER_OVERWRITE = 0, /* conda's default (after a warning) */
  KRAIT_CLOBBER_SKIP,          /* keep the existing file, do not record the path */
  KRAIT_CLOBBER_FAIL,          /* abort the link with KRAIT_E_INVALID */
} krait_clobber_action;

/* Called when `relpath` already exists in the prefix. owner is the dist
 * ("name-version-build") of the installed package that owns it (from
 * krait_link_opts.owner_of) or NULL when untracked; pkg is the dist being
 * linked. NULL callback = warn through ctx events and overwrite. */
typedef krait_clobber_action (*krait_clobber_fn)(void *user, const char *relpath, const char *owner,
                                                 const char *pkg);
/* Which installed package owns relpath (borrowed string or NULL). */
typedef const char *(*krait_owner_fn)(void *user, const char *relpath);

typedef struct krait_link_opts {
  /* noarch: python: "X.Y" of the env's python (required for such packages) and
   * the CEP-17 python_site_packages_path of the python record (NULL = the
   * default lib/pythonX.Y/site-packages). */
  const char *python_version;
  const char *python_site_packages_path;
  bool compile_pyc;       /* default true */
  bool run_scripts;       /* pre-link/post-link/pre-unlink; default true */
  bool always_copy;       /* never hard link */
  krait_owner_fn owner_of;
  krait_clobber_fn on_clobber;
  void *user;             /* passed to owner_of and on_clobber */
  /* Optional (borrowed): the transaction's journal. Every path the linker
   * creates is announced first, every path it would overwrite or unlink is
   * moved aside through it, so krait_journal_rollback() restores the prefix. */
  krait_journal *journal;
} krait_link_opts;

KRAIT_API void krait_link_opts_init(krait_link_opts *o);

typedef struct krait_link_result {
  krait_paths paths;         /* every path written, as recorded in conda-meta paths_data */
  krait_link_type link_type; /* HARDLINK unless hard links were impossible or disabled */
  krait_strv messages;       /* .messages.txt contents from link scripts (also sent as events) */
  krait_strv clobbered;      /* relative paths that existed before and were overwritten */
} krait_link_result;

KRAIT_API void krait_link_result_free(krait_link_result *r);

typedef struct krait_linker krait_linker;

/* ctx and opts are borrowed (opts copied; its strings borrowed). */
KRAIT_API krait_linker *krait_linker_new(krait_ctx *ctx, const char *prefix, const krait_link_opts *opts);
KRAIT_API void krait_linker_free(krait_linker *l);

/* Fails (KRAIT_E_INVALID, naming file and both lengths) when prefix is longer
 * than a binary-mode placeholder of the package: call before a transaction. */
KRAIT_API krait_code krait_link_check_prefix(const char *pkg_dir, const char *prefix, krait_err *err);

/* Links the extracted package pkg_dir (with info/) described by rec.
 * On success fills *out (caller frees with krait_link_result_free). */
KRAIT_API krait_code krait_linker_link(krait_linker *l, const char *pkg_dir, const krait_record *rec,
                                       krait_link_result *out, krait_err *err);

/* Unlinks a package: runs bin/.<name>-pre-unlink.sh, removes every path in
 * `installed` (as read from its conda-meta record, generated files included),
 * then each parent directory left empty (never the prefix itself). Missing
 * files are fine. With a journal, files and emptied directories are moved
 * aside rather than deleted. Does not touch conda-meta (see krait_meta_remove). */
KRAIT_API krait_code krait_linker_unlink(krait_linker *l, const krait_record *rec, const krait_paths *installed,
                                         krait_err *err);

/* ---- pieces, exposed for tests and for the transaction layer ---- */

/* Text-mode prefix replacement of data into out: every placeholder replaced;
 * a first-line shebang that ends up longer than 127 bytes or whose
 * interpreter path holds a space becomes "#!/usr/bin/env <interp><args>". */
KRAIT_API void krait_replace_text(const char *data, size_t len, const char *placeholder, const char *prefix,
                                  krait_buf *out);
/* Binary-mode replacement in place: each NUL-terminated string holding the
 * placeholder gets it replaced and is padded with NULs (same total length).
 * Fails when prefix is longer than placeholder. *count = strings rewritten. */
KRAIT_API krait_code krait_replace_binary(char *data, size_t len, const char *placeholder, const char *prefix,
                                          size_t *count, krait_err *err);
/* The same for a file already installed (krait pack / unpack moving an
 * environment): each NUL-terminated string holding from gets to instead; a
 * longer result takes the NULs after the string (the padding left from the
 * package's longer placeholder). Fails when a string has no room for it. */
KRAIT_API krait_code krait_replace_binary_strings(char *data, size_t len, const char *from, const char *to,
                                                  size_t *count, krait_err *err);
/* "X.Y" from a python record's version ("3.11.9" -> "3.11", "3.13.0rc1" ->
 * "3.13"): the python_version for krait_link_opts. NULL when the version
 * has no numeric X.Y. Caller frees. */
KRAIT_API char *krait_python_xy(const char *version);
/* Where a noarch: python package path lands ("site-packages/x" ->
 * "<sp>/x", "python-scripts/x" -> "bin/x"); caller frees. */
KRAIT_API char *krait_noarch_python_path(const char *path, const char *site_packages);
/* Content of an entry point script for "cmd = module:func" run by python_exe
 * (absolute). false when the spec is malformed. */
KRAIT_API bool krait_entry_point_script(const char *spec, const char *python_exe, char **cmd_out,
                                        krait_buf *script);

#endif
