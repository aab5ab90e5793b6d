/* krait_mkdir_p: existing, nested new, trailing slashes, files in the way. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "krait/fs.h"
#include "pkg_fixture.h"

int main(void) {
  char *tmp = fx_tmpdir(NULL);
  fx_write(tmp, "file", "x", 1, 0644);
  static const struct {
    const char *rel;
    bool ok;
  } cases[] = {
      {"", true},                /* the existing directory itself */
      {"a", true},               /* parent exists */
      {"b/c/d/e", true},         /* several missing ancestors */
      {"b/c//x/", true},         /* doubled and trailing slashes */
      {"a", true},               /* again: already there */
      {"file", false},           /* a file is the path */
      {"file/sub", false},       /* a file is an ancestor */
      {"b/c/d/e/../f", true},    /* dot-dot inside */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *p = krait_asprintf("%s/%s", tmp, cases[i].rel);
    krait_err err = {0};
    krait_code rc = krait_mkdir_p(p, 0755, &err);
    struct stat st;
    CHECK((rc == KRAIT_OK) == cases[i].ok, "%s: rc %d (%s)", cases[i].rel, rc, err.msg);
    if (cases[i].ok)
      CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "%s is a directory", cases[i].rel);
    else
      CHECK(strstr(err.msg, tmp) != NULL, "error names the path: %s", err.msg);
    free(p);
  }
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("fs");
}
