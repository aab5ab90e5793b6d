/* The `pip:` list of an environment.yml, installed by the environment's own
 * pip after the conda packages (as conda does: `python -m pip install -U -r
 * <requirements file>`, run in the directory of the environment file so that
 * `-e ./dir` and `-r other.txt` resolve next to it).
 *
 * Ownership: inputs are borrowed. */
#ifndef KRAIT_ENV_PIP_H
#define KRAIT_ENV_PIP_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/err.h"

/* <prefix>/bin/python, when the env has one and its pip (a conda-meta record
 * named pip, or bin/pip). */
KRAIT_API bool krait_prefix_has_pip(const char *prefix);
/* Runs the env's pip on `requirements` with `cwd` as the working directory
 * (NULL = unchanged); pip's stdout goes to out_fd (e.g. 2 when stdout carries
 * JSON). KRAIT_E_NOTFOUND when the env has no python/pip, KRAIT_E_SCRIPT
 * naming the exit status when pip fails. */
KRAIT_API krait_code krait_pip_install(const char *prefix, const krait_strv *requirements, const char *cwd,
                                       int out_fd, krait_err *err);

#endif
