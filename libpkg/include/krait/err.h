/* Errors: a code plus a one-line message naming the object at fault.
 *
 * Every fallible library function takes a `krait_err *err` (may be NULL) and
 * returns 0 on success or the non-zero error code on failure, so that an error
 * path is one line:  return krait_err_set(err, KRAIT_E_PARSE, "%s:%d: ...", f, l);
 * The library never prints and never exits; callers render err->msg. */
#ifndef KRAIT_ERR_H
#define KRAIT_ERR_H

#include <stddef.h>

#define KRAIT_API __attribute__((visibility("default")))

typedef enum krait_code {
  KRAIT_OK = 0,
  KRAIT_E_NOMEM,       /* allocation failed */
  KRAIT_E_IO,          /* filesystem or OS call failed */
  KRAIT_E_PARSE,       /* malformed input (JSON, spec, version, yaml, ...) */
  KRAIT_E_INVALID,     /* well-formed but unacceptable input or argument */
  KRAIT_E_NOTFOUND,    /* a named thing does not exist */
  KRAIT_E_UNSOLVABLE,  /* the solver found no solution */
  KRAIT_E_CHECKSUM,    /* sha256/md5/size mismatch */
  KRAIT_E_UNSAFE,      /* archive entry escaping its target, etc. */
  KRAIT_E_LOCKED,      /* a lock could not be taken */
  KRAIT_E_SCRIPT,      /* a link script failed */
  KRAIT_E_NET,         /* download failed */
  KRAIT_E_UNSUPPORTED, /* not implemented or not possible here */
  KRAIT_E_CANCELLED,   /* the user said no */
} krait_code;

typedef struct krait_err {
  krait_code code;
  char msg[2048];
} krait_err;

/* Sets *err (if non-NULL) and returns `code`. */
KRAIT_API krait_code krait_err_set(krait_err *err, krait_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with more context ("while linking x: <old>"). */
KRAIT_API krait_code krait_err_prefix(krait_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like krait_err_set with ": strerror(errno)" appended. */
KRAIT_API krait_code krait_err_errno(krait_err *err, krait_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
KRAIT_API void krait_err_clear(krait_err *err);
/* What a user must be told beyond strerror(e): " (the disk is full)" for
 * ENOSPC, " (the disk quota is used up)" for EDQUOT, else "". */
KRAIT_API const char *krait_errno_note(int e);
KRAIT_API const char *krait_code_name(krait_code code);

#endif
