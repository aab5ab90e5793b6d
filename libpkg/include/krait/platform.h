/* The platform krait runs on, in conda's subdir spelling. */
#ifndef KRAIT_PLATFORM_H
#define KRAIT_PLATFORM_H

#include "krait/err.h"

/* "linux-64", "linux-aarch64", "linux-ppc64le", "osx-arm64", ... (static string). */
KRAIT_API const char *krait_native_subdir(void);
/* True for subdirs krait knows ("noarch" included). */
KRAIT_API int krait_subdir_known(const char *subdir);

#endif
