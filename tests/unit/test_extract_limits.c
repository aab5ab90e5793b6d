/* Decompression bombs are cut off by the ratio limit (krait/extract.h) with a
 * clear error and nothing left behind; an honest, very compressible package
 * under the floor still extracts. Archives are real .tar.bz2 files written
 * here with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/extract.h"
#include "krait/fs.h"

/* A .tar.bz2 with info/index.json and one file of `zeros` zero bytes. */
static void write_archive(const char *path, size_t zeros) {
  struct archive *a = archive_write_new();
  archive_write_add_filter_bzip2(a);
  archive_write_set_format_pax_restricted(a);
  CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK, "open %s", path);
  static const char index[] = "{\"name\":\"bomb\",\"version\":\"1\",\"build\":\"0\"}";
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "info/index.json");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)(sizeof index - 1));
  archive_write_header(a, e);
  archive_write_data(a, index, sizeof index - 1);
  archive_entry_clear(e);
  archive_entry_set_pathname(e, "share/zeros.bin");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)zeros);
  archive_write_header(a, e);
  static char block[65536];
  for (size_t done = 0; done < zeros; done += sizeof block)
    archive_write_data(a, block, zeros - done < sizeof block ? zeros - done : sizeof block);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
}

int main(void) {
  char dir[] = "/tmp/krait-bomb-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  char *archive = krait_asprintf("%s/bomb-1-0.tar.bz2", dir);
  write_archive(archive, (size_t)24 << 20); /* 24 MiB of zeros: bzip2 makes it ~100 bytes */
  char *dest = krait_asprintf("%s/out", dir);
  krait_err err;

  /* with the floor at 1 MiB, 24 MiB from ~100 bytes is a bomb */
  krait_extract_opts opts = {.no_sync = true, .ratio_floor = (uint64_t)1 << 20};
  krait_code rc = krait_extract_ex(NULL, archive, dest, &opts, &err);
  CHECK(rc == KRAIT_E_UNSAFE, "bomb extracted (rc %d)", (int)rc);
  if (rc)
    CHECK(strstr(err.msg, "bomb-1-0.tar.bz2") && strstr(err.msg, "share/zeros.bin") &&
              strstr(err.msg, "decompression bomb") && strstr(err.msg, "times its own size"),
          "message: %s", err.msg);
  CHECK(!krait_path_exists(dest), "nothing left at the destination");

  /* the same archive under the default floor (1 GiB) is a legitimate package */
  krait_extract_opts dflt = {.no_sync = true};
  rc = krait_extract_ex(NULL, archive, dest, &dflt, &err);
  CHECK(rc == KRAIT_OK, "default limits: %s", rc ? err.msg : "");
  char *blob = krait_asprintf("%s/share/zeros.bin", dest);
  struct stat sb;
  CHECK(stat(blob, &sb) == 0 && sb.st_size == (off_t)24 << 20, "zeros.bin extracted whole");
  free(blob);

  /* the byte cap still applies with the ratio limit off */
  krait_rm_rf(dest, &err);
  krait_extract_opts capped = {.no_sync = true, .no_ratio_limit = true, .max_bytes = (uint64_t)8 << 20};
  rc = krait_extract_ex(NULL, archive, dest, &capped, &err);
  CHECK(rc == KRAIT_E_UNSAFE && strstr(err.msg, "8388608-byte limit"), "byte cap: %s", rc ? err.msg : "none");

  krait_rm_rf(dir, &err);
  free(archive);
  free(dest);
  return krait_test_finish("extract_limits");
}
