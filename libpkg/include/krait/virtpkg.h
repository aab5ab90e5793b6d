/* Virtual packages (CEP-30): __linux, __unix, __glibc, __archspec, __cuda,
 * each detected on this machine or overridden by CONDA_OVERRIDE_<NAME>
 * (an empty override means the package is absent).
 *
 * Ownership: krait_virtpkgs_detect() fills a list released with krait_virtpkgs_free(). */
#ifndef KRAIT_VIRTPKG_H
#define KRAIT_VIRTPKG_H

#include <stddef.h>

#include "krait/ctx.h"
#include "krait/err.h"

typedef struct krait_virtpkg {
  char *name;    /* "__cuda" */
  char *version; /* "12.4" */
  char *build;   /* "0", or the microarchitecture for __archspec */
  char *source;  /* "detected", "override (CONDA_OVERRIDE_CUDA)", "default" */
} krait_virtpkg;

typedef struct krait_virtpkgs {
  krait_virtpkg *items;
  size_t len;
} krait_virtpkgs;

/* For `subdir` (virtual packages of another platform are not detected but
 * still honour overrides). */
KRAIT_API krait_code krait_virtpkgs_detect(const krait_ctx *ctx, const char *subdir, krait_virtpkgs *out,
                                           krait_err *err);
KRAIT_API void krait_virtpkgs_free(krait_virtpkgs *v);
/* The CUDA driver version ("12.4") from libcuda in a child process with a
 * timeout, or NULL when there is no usable driver. Caller frees. */
KRAIT_API char *krait_detect_cuda_version(int timeout_ms);

#endif
