/* Error reporting: fixed-size message buffers so that error paths never allocate. */
#include "krait/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

krait_code krait_err_set(krait_err *err, krait_code code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code;
}

const char *krait_errno_note(int e) {
  if (e == ENOSPC)
    return " (the disk is full)";
  if (e == EDQUOT)
    return " (the disk quota is used up)";
  return "";
}

krait_code krait_err_errno(krait_err *err, krait_code code, const char *fmt, ...) {
  int saved = errno;
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof err->msg)
      snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s%s", strerror(saved), krait_errno_note(saved));
    err->code = code;
  }
  errno = saved;
  return code;
}

krait_code krait_err_prefix(krait_err *err, const char *fmt, ...) {
  if (!err)
    return KRAIT_OK;
  char old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof err->msg)
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, "%s", old);
  return err->code;
}

void krait_err_clear(krait_err *err) {
  if (err) {
    err->code = KRAIT_OK;
    err->msg[0] = '\0';
  }
}

const char *krait_code_name(krait_code code) {
  switch (code) {
  case KRAIT_OK: return "ok";
  case KRAIT_E_NOMEM: return "out of memory";
  case KRAIT_E_IO: return "i/o error";
  case KRAIT_E_PARSE: return "parse error";
  case KRAIT_E_INVALID: return "invalid";
  case KRAIT_E_NOTFOUND: return "not found";
  case KRAIT_E_UNSOLVABLE: return "unsolvable";
  case KRAIT_E_CHECKSUM: return "checksum mismatch";
  case KRAIT_E_UNSAFE: return "unsafe";
  case KRAIT_E_LOCKED: return "locked";
  case KRAIT_E_SCRIPT: return "script failed";
  case KRAIT_E_NET: return "network error";
  case KRAIT_E_UNSUPPORTED: return "unsupported";
  case KRAIT_E_CANCELLED: return "cancelled";
  }
  return "error";
}
