/* Private to link*.c: run a program with extra environment variables,
 * capturing stdout+stderr. */
#ifndef KRAIT_LINK_EXEC_H
#define KRAIT_LINK_EXEC_H

#include "krait/buf.h"
#include "krait/err.h"

/* argv[0] must be an absolute path. env_set holds "NAME=value" strings that
 * override the inherited environment. *status = exit code (128+signal). */
krait_code krait_run_capture(char *const argv[], const krait_strv *env_set, krait_buf *output, int *status,
                             krait_err *err);

#endif
