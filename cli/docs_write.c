/* Writing one generated file (man page, completion script) for the build. */
#include <stdlib.h>

#include "cli.h"
#include "krait/fs.h"

int cli_write_generated(const char *dir, const char *file, void (*write)(FILE *f, const void *arg), const void *arg) {
  krait_err err = {0};
  if (krait_mkdir_p(dir, 0755, &err) != KRAIT_OK) {
    fprintf(stderr, "krait: error: %s\n", err.msg);
    return 1;
  }
  char *path = krait_path_join(dir, file);
  FILE *f = fopen(path, "w");
  bool failed = !f;
  if (f) {
    write(f, arg);
    failed |= ferror(f) != 0;
    failed |= fclose(f) != 0;
  }
  if (failed)
    fprintf(stderr, "krait: error: cannot write %s\n", path);
  free(path);
  return failed ? 1 : 0;
}
