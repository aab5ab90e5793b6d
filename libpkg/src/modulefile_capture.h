/* What a set of activate.d scripts changes in an environment, found by
 * sourcing them in bash (as Lmod's source_sh does at load time), for
 * modulefiles read by a module system without source-sh. */
#ifndef KRAIT_MODULEFILE_CAPTURE_H
#define KRAIT_MODULEFILE_CAPTURE_H

#include "krait/activate.h"
#include "krait/buf.h"
#include "krait/err.h"

/* Sources every script (in order) in one bash started with environment
 * `env`, and fills *before / *after with the exported variables before the
 * first and after the last script (bash's own PWD, OLDPWD, SHLVL and _
 * left out). The caller frees both maps. Errors name bash or the first
 * script when bash cannot run or fails. */
krait_code krait_module_capture(const krait_envmap *env, const krait_strv *scripts, krait_envmap *before,
                                krait_envmap *after, krait_err *err);

#endif
