/* Jupyter kernelspecs for environments: a kernel.json whose argv runs the
 * env's python through `krait run`, so activate.d scripts and state
 * variables apply inside the kernel (what hand-written kernelspecs miss).
 *
 * Layout (Jupyter's): <kernels dir>/<name>/kernel.json (+ logo files). The
 * kernels dir is <jupyter data dir>/kernels for a user install, or
 * <prefix>/share/jupyter/kernels.
 *
 * Ownership: strings returned are heap strings for the caller; a
 * krait_kernel_list is released with krait_kernel_list_free. */
#ifndef KRAIT_KERNELSPEC_H
#define KRAIT_KERNELSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef struct krait_kernel_spec {
  const char *krait_exe;    /* absolute path of the krait binary the kernel runs through */
  const char *env_prefix;   /* absolute path of the environment */
  const char *name;         /* kernel name: [a-z0-9._-]+ */
  const char *display_name; /* shown in Jupyter */
  const char *kernels_dir;  /* where <name>/ goes (created if missing) */
} krait_kernel_spec;

/* Jupyter's user data dir + "/kernels": $JUPYTER_DATA_DIR, else
 * $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter (Linux). NULL with err
 * when HOME is unset too. */
KRAIT_API char *krait_kernel_user_dir(krait_err *err);
/* Jupyter accepts [a-zA-Z0-9._-]+ and lower-cases it; krait asks for lower case. */
KRAIT_API bool krait_kernel_name_valid(const char *name);
/* A valid name made from a label (env name or prefix basename): lower case,
 * other characters replaced by '-'. */
KRAIT_API char *krait_kernel_name_from(const char *label);

/* Writes <kernels_dir>/<name>/ (kernel.json and the env's ipykernel logos,
 * if any) into a temporary directory first, then renames it into place,
 * replacing an older kernel of that name. Fills *dir_out (may be NULL). */
KRAIT_API krait_code krait_kernel_install(const krait_kernel_spec *spec, char **dir_out, krait_err *err);

typedef struct krait_kernel_entry {
  char *name;
  char *dir;          /* <kernels dir>/<name> */
  char *display_name; /* NULL when kernel.json has none */
  char *language;
  char *env_prefix;   /* the env of a kernel krait wrote, else NULL */
} krait_kernel_entry;

typedef struct krait_kernel_list {
  krait_kernel_entry *items;
  size_t len;
} krait_kernel_list;

/* Every <dir>/<name>/kernel.json under the given kernels dirs (missing dirs
 * are skipped; a name found twice is listed once, from the first dir, as
 * Jupyter resolves it). Unreadable kernel.json files are skipped. */
KRAIT_API void krait_kernel_list_dirs(const krait_strv *kernels_dirs, krait_kernel_list *out);
KRAIT_API void krait_kernel_list_free(krait_kernel_list *l);

/* Removes <kernels_dir>/<name>; KRAIT_E_NOTFOUND when there is no such kernel. */
KRAIT_API krait_code krait_kernel_remove(const char *kernels_dir, const char *name, krait_err *err);

#endif
