/* placeholder replaced below */
#include "pack_int.h"
pack_sink *krait_pack_sqfs_sink(int fd, const char *path, krait_err *err) {
  (void)fd;
  krait_err_set(err, KRAIT_E_INVALID, "cannot write %s: squashfs output is not built into this krait", path);
  return NULL;
}
