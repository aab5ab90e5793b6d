/* Environment-module files (Lmod Lua, Tcl for Lmod and Environment Modules)
 * that do what activating an environment does: prepend <prefix>/bin, set
 * CONDA_PREFIX, CONDA_DEFAULT_ENV and the env's variables (env_vars.d and
 * conda-meta/state), and apply its etc/conda/activate.d/<name>.sh scripts so that
 * `module unload` undoes them (Lmod's source_sh, Environment Modules'
 * source-sh; see krait_module_render for Lmod's Tcl reader, which has no
 * source-sh). Variables use pushenv so unloading restores an earlier value.
 *
 * Ownership: rendered text is appended to a caller-owned krait_buf; heap
 * strings returned are the caller's to free(). */
#ifndef KRAIT_MODULEFILE_H
#define KRAIT_MODULEFILE_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef enum krait_module_format {
  KRAIT_MODULE_LUA,
  KRAIT_MODULE_TCL,
} krait_module_format;

/* "lua" or "tcl"; anything else is KRAIT_E_INVALID naming the value. */
KRAIT_API krait_code krait_module_format_parse(const char *s, krait_module_format *out, krait_err *err);
/* ".lua" for Lua (Lmod needs it), "" for Tcl. */
KRAIT_API const char *krait_module_file_ext(krait_module_format fmt);

/* A module name: components separated by single '/', each starting with a
 * letter or digit and made of letters, digits, '.', '_', '+', '-' (so no
 * absolute path, no "..", nothing a shell or Tcl would interpret). */
KRAIT_API bool krait_module_name_valid(const char *name);

/* The version a published module of `prefix` gets: the date (YYYY-MM-DD) of
 * the env's last conda-meta/history revision, "0" without history. Errors
 * name a history file that cannot be read. */
KRAIT_API krait_code krait_module_version(const char *prefix, char **out, krait_err *err);

typedef struct krait_module_request {
  const char *prefix;      /* absolute path of the environment (has conda-meta/) */
  const char *env_name;    /* CONDA_DEFAULT_ENV: the env's name, or NULL for the prefix */
  const char *module_name; /* "name/version" shown in help/whatis */
  krait_module_format format;
} krait_module_request;

/* Appends the modulefile for req to out. For Tcl, what the activate.d
 * scripts change is also recorded now (by running them in bash with the
 * activated environment) as a fallback for module systems without
 * source-sh (Lmod's Tcl reader). Errors name the prefix or file at fault
 * (not an environment, corrupt state/env_vars.d/history, a script failing). */
KRAIT_API krait_code krait_module_render(const krait_module_request *req, krait_buf *out, krait_err *err);

/* True when the file at path was written by krait_module_render (its marker
 * line is there), so regenerating may replace or delete it. */
KRAIT_API bool krait_module_file_is_ours(const char *path);

#endif
