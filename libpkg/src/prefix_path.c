/* Checks that a path read from inside a prefix stays inside it. */
#include "krait/prefix_path.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/fs.h"

bool krait_relpath_normal(const char *rel) {
  if (!rel || !*rel || rel[0] == '/')
    return false;
  for (const char *s = rel;;) {
    size_t n = strcspn(s, "/");
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
      return false;
    if (s[n] == '\0')
      return true;
    s += n + 1;
  }
}

static bool is_inside(const char *real, const char *real_prefix) {
  size_t n = strlen(real_prefix);
  if (n == 1 && real_prefix[0] == '/')
    return true;
  return strncmp(real, real_prefix, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

krait_code krait_prefix_path_check(const char *prefix, const char *real_prefix, const char *rel, const char *origin,
                                   krait_err *err) {
  if (!krait_relpath_normal(rel))
    return krait_err_set(err, KRAIT_E_UNSAFE, "%s: not a normalized path inside the prefix: \"%s\"", origin,
                         rel ? rel : "(null)");
  const char *slash = strrchr(rel, '/');
  if (!slash)
    return KRAIT_OK; /* directly in the prefix: nothing above it to follow */
  char *own_real = real_prefix ? NULL : realpath(prefix, NULL);
  if (!real_prefix && !own_real)
    return krait_err_errno(err, KRAIT_E_IO, "%s: cannot resolve the prefix %s", origin, prefix);
  const char *rp = real_prefix ? real_prefix : own_real;
  /* the deepest existing ancestor decides: what does not exist yet cannot lead out */
  char *dir = krait_asprintf("%s/%.*s", prefix, (int)(slash - rel), rel);
  size_t base = strlen(prefix);
  krait_code rc = KRAIT_OK;
  for (;;) {
    char *real = realpath(dir, NULL);
    if (real) {
      if (!is_inside(real, rp))
        rc = krait_err_set(err, KRAIT_E_UNSAFE, "%s: \"%s\" goes through %s, which leads outside the prefix to %s",
                           origin, rel, dir, real);
      free(real);
      break;
    }
    char *up = strrchr(dir, '/');
    if ((errno != ENOENT && errno != ENOTDIR) || !up || (size_t)(up - dir) <= base)
      break; /* nothing resolvable below the prefix: nothing there to follow */
    *up = '\0';
  }
  free(dir);
  free(own_real);
  return rc;
}
