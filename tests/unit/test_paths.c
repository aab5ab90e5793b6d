/* Package file lists: info/paths.json and the legacy info/files trio. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/paths.h"
#include "pkg_fixture.h"

static const krait_path_entry *find(const krait_paths *p, const char *path) {
  for (size_t i = 0; i < p->len; i++)
    if (strcmp(p->items[i].path, path) == 0)
      return &p->items[i];
  return NULL;
}

/* Counts occurrences of needle in a file: an independent check of list sizes. */
static size_t count_in_file(const char *path, const char *needle) {
  krait_buf b = KRAIT_BUF_INIT;
  size_t n = 0;
  if (krait_read_file(path, &b, NULL) == 0)
    for (const char *s = krait_buf_str(&b); (s = strstr(s, needle)) != NULL; s += strlen(needle))
      n++;
  krait_buf_free(&b);
  return n;
}

static void test_zlib_real(const char *tmp) {
  char *arc = krait_test_shared("channels/conda-format-repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2");
  char *dir = krait_path_join(tmp, "zlib");
  CHECK(fx_extract(arc, dir), "extract %s", arc);
  krait_paths p = KRAIT_PATHS_INIT;
  krait_err err = {0};
  CHECK(krait_paths_read(dir, &p, &err) == 0, "%s", err.msg);
  char *pj = krait_path_join(dir, "info/paths.json");
  CHECK(p.len == count_in_file(pj, "\"_path\""), "%zu entries", p.len);
  const krait_path_entry *lib = find(&p, "lib/libz.1.2.11.dylib");
  CHECK(lib != NULL, "libz listed");
  if (lib) {
    CHECK(lib->type == KRAIT_PATH_HARDLINK, "hardlink");
    CHECK(lib->file_mode == KRAIT_FILE_MODE_BINARY, "binary");
    CHECK(lib->prefix_placeholder && strlen(lib->prefix_placeholder) == 255, "255-char placeholder");
    CHECK_STR(lib->sha256, "ba0ba7b406dd17acf750f4a4ed9a131c93bf3b843c66186bf7981fc9301cc122");
    CHECK(lib->size == 100996, "size %lld", (long long)lib->size);
  }
  const krait_path_entry *pc = find(&p, "lib/pkgconfig/zlib.pc");
  CHECK(pc && pc->file_mode == KRAIT_FILE_MODE_TEXT, "zlib.pc text");
  CHECK(pc && pc->prefix_placeholder && strcmp(pc->prefix_placeholder, KRAIT_DEFAULT_PLACEHOLDER) == 0,
        "zlib.pc placeholder");
  const krait_path_entry *sl = find(&p, "lib/libz.dylib");
  CHECK(sl && sl->type == KRAIT_PATH_SOFTLINK, "libz.dylib softlink");
  const krait_path_entry *plain = find(&p, "lib/libz.a");
  CHECK(plain && !plain->prefix_placeholder && !plain->no_link, "libz.a plain");
  krait_paths_free(&p);

  /* the same package read the legacy way (info/files + has_prefix) agrees */
  CHECK(unlink(pj) == 0, "remove paths.json");
  CHECK(krait_paths_read(dir, &p, &err) == 0, "%s", err.msg);
  char *files = krait_path_join(dir, "info/files");
  CHECK(p.len == count_in_file(files, "\n"), "legacy %zu entries", p.len);
  lib = find(&p, "lib/libz.1.2.11.dylib");
  CHECK(lib && lib->file_mode == KRAIT_FILE_MODE_BINARY && lib->prefix_placeholder &&
            strlen(lib->prefix_placeholder) == 255 && lib->size == 100996,
        "legacy binary placeholder");
  pc = find(&p, "lib/pkgconfig/zlib.pc");
  CHECK(pc && pc->file_mode == KRAIT_FILE_MODE_TEXT && pc->prefix_placeholder, "legacy text placeholder");
  /* this archive was re-packed with its symlinks stored as empty regular
   * files: the legacy reader reports what is on disk */
  sl = find(&p, "lib/libz.dylib");
  CHECK(sl && sl->type == KRAIT_PATH_HARDLINK && sl->size == 0, "legacy type from disk");
  krait_paths_free(&p);
  free(files);
  free(pj);
  free(dir);
  free(arc);
}

static void test_symlink_pkg(const char *tmp) {
  char *arc = krait_test_shared("packages/edge-cases/cph_test_data-0.0.1-0.tar.bz2");
  char *dir = krait_path_join(tmp, "cph");
  CHECK(fx_extract(arc, dir), "extract");
  krait_paths p = KRAIT_PATHS_INIT;
  krait_err err = {0};
  CHECK(krait_paths_read(dir, &p, &err) == 0, "%s", err.msg);
  CHECK(p.len == 11, "%zu entries", p.len);
  size_t soft = 0;
  for (size_t i = 0; i < p.len; i++)
    soft += p.items[i].type == KRAIT_PATH_SOFTLINK;
  CHECK(soft == 7, "%zu softlinks", soft);
  const krait_path_entry *d = find(&p, "lib/libdangle.lib");
  CHECK(d && d->type == KRAIT_PATH_SOFTLINK && d->size == 0, "dangling link entry");
  krait_paths_free(&p);
  free(dir);
  free(arc);
}

static void test_real_metadata(void) {
  char *pj = krait_test_shared("metadata/conda-22.9.0-py38haa244fe_2-paths.json");
  krait_err err = {0};
  krait_json *root = krait_json_parse_file(pj, &err);
  CHECK(root != NULL, "%s", err.msg);
  krait_paths p = KRAIT_PATHS_INIT;
  CHECK(krait_paths_from_json(root, pj, &p, &err) == 0, "%s", err.msg);
  CHECK(p.len > 100 && p.len == count_in_file(pj, "\"_path\""), "%zu entries", p.len);
  size_t with_ph = 0;
  for (size_t i = 0; i < p.len; i++)
    with_ph += p.items[i].prefix_placeholder != NULL;
  CHECK(with_ph == count_in_file(pj, "\"prefix_placeholder\""), "%zu placeholders", with_ph);
  krait_paths_free(&p);
  krait_json_free(root);
  free(pj);
}

/* A legacy package built here: quoted has_prefix paths, default placeholder,
 * no_link, a symlink and a directory learned from disk. */
static void test_legacy_built(const char *tmp) {
  char *dir = krait_path_join(tmp, "legacy");
  CHECK(fx_write_str(dir, "info/files", "bin/a\nshare/with space.txt\nshare/b\nlib/link\nlib/empty\n", 0644),
        "files");
  CHECK(fx_write_str(dir, "info/has_prefix",
                     "bin/a\n/build/prefix_placehold binary \"share/with space.txt\"\n", 0644),
        "has_prefix");
  CHECK(fx_write_str(dir, "info/no_link", "share/b\n", 0644), "no_link");
  fx_write_str(dir, "bin/a", "#!/opt/anaconda1anaconda2anaconda3/bin/sh\n", 0755);
  fx_write_str(dir, "share/with space.txt", "x", 0644);
  fx_write_str(dir, "share/b", "bbb", 0644);
  char *lib = krait_path_join(dir, "lib");
  char *link = krait_path_join(dir, "lib/link");
  char *empty = krait_path_join(dir, "lib/empty");
  krait_mkdir_p(empty, 0755, NULL);
  CHECK(symlink("../share/b", link) == 0, "symlink");
  krait_paths p = KRAIT_PATHS_INIT;
  krait_err err = {0};
  CHECK(krait_paths_read(dir, &p, &err) == 0, "%s", err.msg);
  CHECK(p.len == 5, "%zu", p.len);
  const krait_path_entry *a = find(&p, "bin/a");
  CHECK(a && a->prefix_placeholder && strcmp(a->prefix_placeholder, KRAIT_DEFAULT_PLACEHOLDER) == 0 &&
            a->file_mode == KRAIT_FILE_MODE_TEXT && a->size == 42,
        "bare has_prefix line");
  const krait_path_entry *s = find(&p, "share/with space.txt");
  CHECK(s && s->prefix_placeholder && strcmp(s->prefix_placeholder, "/build/prefix_placehold") == 0 &&
            s->file_mode == KRAIT_FILE_MODE_BINARY,
        "quoted path with space");
  const krait_path_entry *b = find(&p, "share/b");
  CHECK(b && b->no_link && !b->prefix_placeholder, "no_link");
  const krait_path_entry *l = find(&p, "lib/link");
  CHECK(l && l->type == KRAIT_PATH_SOFTLINK, "symlink type");
  const krait_path_entry *e = find(&p, "lib/empty");
  CHECK(e && e->type == KRAIT_PATH_DIRECTORY, "directory type");
  krait_paths_free(&p);

  /* has_prefix naming an unlisted file or an unknown mode is an error naming the line */
  fx_write_str(dir, "info/has_prefix", "/x text bin/a\n/x weird bin/a\n", 0644);
  CHECK(krait_paths_read(dir, &p, &err) == KRAIT_E_PARSE && strstr(err.msg, "has_prefix:2") &&
            strstr(err.msg, "weird"),
        "bad mode: %s", err.msg);
  fx_write_str(dir, "info/has_prefix", "/x text bin/nothere\n", 0644);
  CHECK(krait_paths_read(dir, &p, &err) == KRAIT_E_PARSE && strstr(err.msg, "bin/nothere"), "unlisted: %s",
        err.msg);
  fx_write_str(dir, "info/has_prefix", "a b\n", 0644);
  CHECK(krait_paths_read(dir, &p, &err) == KRAIT_E_PARSE, "two tokens: %s", err.msg);
  fx_write_str(dir, "info/has_prefix", "", 0644);
  fx_write_str(dir, "info/files", "../escape\n", 0644);
  CHECK(krait_paths_read(dir, &p, &err) == KRAIT_E_UNSAFE, "unsafe legacy: %s", err.msg);
  free(lib);
  free(link);
  free(empty);
  free(dir);
}

static void test_json_errors(const char *tmp) {
  static const struct {
    const char *json;
    krait_code code;
    const char *in_msg;
  } cases[] = {
      {"{\"paths\":[{\"_path\":\"a\",\"path_type\":\"weird\"}],\"paths_version\":1}", KRAIT_E_PARSE, "weird"},
      {"{\"paths\":[{\"_path\":\"../a\"}],\"paths_version\":1}", KRAIT_E_UNSAFE, "../a"},
      {"{\"paths\":[{\"_path\":\"/etc/passwd\"}],\"paths_version\":1}", KRAIT_E_UNSAFE, "/etc/passwd"},
      {"{\"paths\":[{\"sha256\":\"x\"}],\"paths_version\":1}", KRAIT_E_PARSE, "paths[0]"},
      {"{\"paths\":[],\"paths_version\":2}", KRAIT_E_UNSUPPORTED, "paths_version 2"},
      {"{\"paths_version\":1}", KRAIT_E_PARSE, "\"paths\""},
      {"{\"paths\":[{\"_path\":\"a\",\"file_mode\":\"octal\"}]}", KRAIT_E_PARSE, "octal"},
      {"{\"paths\": [", KRAIT_E_PARSE, "paths.json"},
  };
  char *dir = krait_path_join(tmp, "bad");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fx_write_str(dir, "info/paths.json", cases[i].json, 0644);
    krait_paths p = KRAIT_PATHS_INIT;
    krait_err err = {0};
    krait_code rc = krait_paths_read(dir, &p, &err);
    CHECK(rc == cases[i].code && strstr(err.msg, cases[i].in_msg), "case %zu: %s (%s)", i, krait_code_name(rc),
          err.msg);
    CHECK(p.len == 0 && p.items == NULL, "case %zu: nothing left on error", i);
  }
  /* defaults: path_type hardlink, file_mode text, no placeholder */
  fx_write_str(dir, "info/paths.json",
               "{\"paths\":[{\"_path\":\"x\",\"sha256\":\"ab\",\"size_in_bytes\":3,\"no_link\":true}],"
               "\"paths_version\":1}",
               0644);
  krait_paths p = KRAIT_PATHS_INIT;
  CHECK(krait_paths_read(dir, &p, NULL) == 0 && p.len == 1, "defaults parse");
  if (p.len == 1)
    CHECK(p.items[0].type == KRAIT_PATH_HARDLINK && p.items[0].file_mode == KRAIT_FILE_MODE_TEXT &&
              !p.items[0].prefix_placeholder && p.items[0].no_link && p.items[0].size == 3,
          "defaults");
  krait_paths_free(&p);
  free(dir);
}

/* Each enum constant against its CEP-34 spelling (the oracle names the
 * constant, not a position in paths.c's table). */
static void test_type_names(void) {
  static const struct {
    krait_path_type type;
    const char *name;
  } cep34[] = {
      {KRAIT_PATH_HARDLINK, "hardlink"}, {KRAIT_PATH_SOFTLINK, "softlink"}, {KRAIT_PATH_DIRECTORY, "directory"},
      {KRAIT_PATH_PYC_FILE, "pyc_file"}, {KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT, "unix_python_entry_point"},
      {KRAIT_PATH_WINDOWS_PYTHON_ENTRY_POINT_SCRIPT, "windows_python_entry_point_script"},
      {KRAIT_PATH_WINDOWS_PYTHON_ENTRY_POINT_EXE, "windows_python_entry_point_exe"},
      {KRAIT_PATH_LINKED_PACKAGE_RECORD, "linked_package_record"},
  };
  for (size_t i = 0; i < sizeof cep34 / sizeof cep34[0]; i++) {
    krait_path_type t;
    CHECK(krait_path_type_parse(cep34[i].name, &t) && t == cep34[i].type, "%s", cep34[i].name);
    CHECK_STR(krait_path_type_name(cep34[i].type), cep34[i].name);
  }
  krait_path_type t;
  CHECK(!krait_path_type_parse("hard_link", &t) && !krait_path_type_parse("", &t), "unknown type rejected");
}

int main(void) {
  char *probe = krait_test_shared("packages");
  bool shared = probe != NULL;
  free(probe);
  char *tmp = fx_tmpdir(NULL);
  if (shared) {
    test_zlib_real(tmp);
    test_symlink_pkg(tmp);
    test_real_metadata();
  } else {
    fprintf(stderr, "note: shared data not found (KRAIT_SHARED_DIR): real packages not read\n");
  }
  test_legacy_built(tmp);
  test_json_errors(tmp);
  test_type_names();
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("paths");
}
