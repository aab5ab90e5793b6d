/* conda-meta records, conda-meta/history and environments.txt. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "krait/meta.h"
#include "pkg_fixture.h"

/* Compact JSON of a value: compares two values structurally. */
static char *compact(const krait_json *v) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 0);
  krait_jw_value(&w, v);
  return krait_buf_steal(&b);
}

/* Structural equality; object member order does not matter. */
static bool json_equal(const krait_json *a, const krait_json *b) {
  if (!a || !b || a->type != b->type)
    return false;
  switch (a->type) {
  case KRAIT_JSON_NULL:
    return true;
  case KRAIT_JSON_BOOL:
    return a->boolean == b->boolean;
  case KRAIT_JSON_NUMBER:
    return a->number == b->number;
  case KRAIT_JSON_STRING:
    return a->len == b->len && memcmp(a->string, b->string, a->len) == 0;
  case KRAIT_JSON_ARRAY: {
    if (a->len != b->len)
      return false;
    for (const krait_json *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
      if (!json_equal(x, y))
        return false;
    return true;
  }
  case KRAIT_JSON_OBJECT:
    if (a->len != b->len)
      return false;
    krait_json_foreach(x, a) {
      if (!json_equal(x, krait_json_get(b, x->key)))
        return false;
    }
    return true;
  }
  return false;
}

/* null, "" and [] mean "nothing" in records; krait leaves such fields out */
static bool empty_value(const krait_json *v) {
  return v->type == KRAIT_JSON_NULL || (v->type == KRAIT_JSON_STRING && v->len == 0) ||
         (v->type == KRAIT_JSON_ARRAY && v->len == 0);
}

static bool keys_sorted(const krait_json *obj) {
  const char *prev = NULL;
  krait_json_foreach(it, obj) {
    if (prev && strcmp(prev, it->key) >= 0)
      return false;
    prev = it->key;
  }
  return true;
}

static void record_from(const char *json, krait_record *r) {
  krait_json *root = krait_json_parse(json, strlen(json), "test", NULL);
  krait_record_init(r);
  CHECK(root && krait_record_from_json(r, root, NULL, NULL) == 0, "record parses");
  krait_json_free(root);
}

static const char REC_JSON[] =
    "{\"name\":\"tool\",\"version\":\"2.1\",\"build\":\"pyh123_0\",\"build_number\":0,"
    "\"channel\":\"https://conda.anaconda.org/conda-forge\",\"subdir\":\"noarch\",\"noarch\":\"python\","
    "\"fn\":\"tool-2.1-pyh123_0.conda\","
    "\"url\":\"https://conda.anaconda.org/conda-forge/noarch/tool-2.1-pyh123_0.conda\","
    "\"md5\":\"0123456789abcdef0123456789abcdef\",\"sha256\":\"" "aa" "\",\"size\":1234,"
    "\"timestamp\":1700000000000,\"license\":\"MIT\",\"depends\":[\"python >=3.8\"],\"constrains\":[]}";

static void test_render(void) {
  krait_record r;
  record_from(REC_JSON, &r);
  krait_paths p = KRAIT_PATHS_INIT;
  krait_path_entry *e = krait_paths_add(&p, "lib/python3.11/site-packages/tool/__init__.py", KRAIT_PATH_HARDLINK);
  e->sha256 = krait_strdup("11");
  e->sha256_in_prefix = krait_strdup("11");
  e->size = 10;
  e = krait_paths_add(&p, "bin/tool-config", KRAIT_PATH_HARDLINK);
  e->sha256 = krait_strdup("22");
  e->sha256_in_prefix = krait_strdup("33");
  e->size = 20;
  e->prefix_placeholder = krait_strdup("/opt/anaconda1anaconda2anaconda3");
  e->file_mode = KRAIT_FILE_MODE_TEXT;
  e = krait_paths_add(&p, "share/tool/copied", KRAIT_PATH_HARDLINK);
  e->no_link = true;
  e->size = 0;
  krait_paths_add(&p, "share/tool/link", KRAIT_PATH_SOFTLINK);
  krait_paths_add(&p, "lib/python3.11/site-packages/tool/__pycache__/__init__.cpython-311.pyc", KRAIT_PATH_PYC_FILE);
  e = krait_paths_add(&p, "bin/tool", KRAIT_PATH_UNIX_PYTHON_ENTRY_POINT);
  e->sha256_in_prefix = krait_strdup("44");
  e->size = 200;

  krait_meta_info m = {.rec = &r,
                       .paths = &p,
                       .link_type = KRAIT_LINK_COPY,
                       .requested_spec = "tool>=2",
                       .extracted_package_dir = "/pkgs/tool-2.1-pyh123_0",
                       .package_tarball_full_path = "/pkgs/tool-2.1-pyh123_0.conda"};
  char *text = krait_meta_render(&m);
  size_t n = strlen(text);
  CHECK(strncmp(text, "{\n  \"build\": \"pyh123_0\",\n  \"build_number\": 0,\n", 46) == 0, "conda layout: %.60s",
        text);
  CHECK(n > 2 && strcmp(text + n - 2, "}\n") == 0, "ends with a newline");
  krait_err err = {0};
  krait_json *root = krait_json_parse(text, n, "meta", &err);
  CHECK(root != NULL, "%s", err.msg);
  CHECK(keys_sorted(root), "top-level keys sorted");
  static const char *const required[] = {"build", "build_number", "channel", "constrains", "depends",
                                         "extracted_package_dir", "files", "fn", "license", "link", "md5", "name",
                                         "noarch", "package_tarball_full_path", "paths_data", "requested_spec",
                                         "requested_specs", "sha256", "size", "subdir", "timestamp", "url",
                                         "version"};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
    CHECK(krait_json_get(root, required[i]) != NULL, "has %s", required[i]);
  CHECK_STR(krait_json_get_str(root, "requested_spec"), "tool>=2");
  krait_strv specs = KRAIT_STRV_INIT;
  CHECK(krait_json_get_strv(root, "requested_specs", &specs) && specs.len == 1 &&
            strcmp(specs.items[0], "tool>=2") == 0,
        "requested_specs");
  krait_strv_free(&specs);
  CHECK_STR(krait_json_get_str(root, "extracted_package_dir"), "/pkgs/tool-2.1-pyh123_0");
  CHECK_STR(krait_json_get_str(root, "package_tarball_full_path"), "/pkgs/tool-2.1-pyh123_0.conda");
  CHECK_STR(krait_json_get_str(root, "package_type"), "noarch_python");
  const krait_json *link = krait_json_get_object(root, "link");
  int64_t type = 0;
  CHECK(link && krait_json_get_int(link, "type", &type) && type == 3, "link.type %lld", (long long)type);
  CHECK_STR(krait_json_get_str(link, "source"), "/pkgs/tool-2.1-pyh123_0");
  krait_strv files = KRAIT_STRV_INIT;
  CHECK(krait_json_get_strv(root, "files", &files) && files.len == p.len, "files list");
  for (size_t i = 0; i < files.len && i < p.len; i++)
    CHECK_STR(files.items[i], p.items[i].path);
  krait_strv_free(&files);
  const krait_json *pd = krait_json_get_object(root, "paths_data");
  int64_t ver = 0;
  CHECK(pd && krait_json_get_int(pd, "paths_version", &ver) && ver == 1, "paths_version");
  const krait_json *paths = krait_json_get_array(pd, "paths");
  CHECK(paths && paths->len == p.len, "paths");
  static const char *const want[] = {
      "{\"_path\":\"lib/python3.11/site-packages/tool/__init__.py\",\"path_type\":\"hardlink\",\"sha256\":\"11\","
      "\"sha256_in_prefix\":\"11\",\"size_in_bytes\":10}",
      "{\"_path\":\"bin/tool-config\",\"file_mode\":\"text\",\"path_type\":\"hardlink\",\"prefix_placeholder\":"
      "\"/opt/anaconda1anaconda2anaconda3\",\"sha256\":\"22\",\"sha256_in_prefix\":\"33\",\"size_in_bytes\":20}",
      "{\"_path\":\"share/tool/copied\",\"no_link\":true,\"path_type\":\"hardlink\",\"size_in_bytes\":0}",
      "{\"_path\":\"share/tool/link\",\"path_type\":\"softlink\"}",
      "{\"_path\":\"lib/python3.11/site-packages/tool/__pycache__/__init__.cpython-311.pyc\",\"path_type\":"
      "\"pyc_file\"}",
      "{\"_path\":\"bin/tool\",\"path_type\":\"unix_python_entry_point\",\"sha256_in_prefix\":\"44\","
      "\"size_in_bytes\":200}",
  };
  size_t i = 0;
  krait_json_foreach(it, paths) {
    char *c = compact(it);
    if (i < sizeof want / sizeof want[0])
      CHECK_STR(c, want[i]);
    CHECK(keys_sorted(it), "entry %zu keys sorted", i);
    free(c);
    i++;
  }
  /* read back what unlink needs */
  krait_paths back = KRAIT_PATHS_INIT;
  CHECK(krait_paths_from_json(pd, "meta", &back, &err) == 0 && back.len == p.len, "%s", err.msg);
  for (size_t k = 0; k < back.len && k < p.len; k++)
    CHECK(strcmp(back.items[k].path, p.items[k].path) == 0 && back.items[k].type == p.items[k].type,
          "entry %zu round trip", k);
  krait_paths_free(&back);
  krait_json_free(root);
  free(text);

  /* without the optional inputs: empty strings, hardlink type, no package_type for non-noarch */
  free(r.noarch);
  r.noarch = NULL;
  krait_meta_info bare = {.rec = &r, .paths = NULL};
  text = krait_meta_render(&bare);
  root = krait_json_parse(text, strlen(text), "bare", &err);
  CHECK(root && !krait_json_get(root, "package_type") && krait_json_get_array(root, "files")->len == 0 &&
            krait_json_get_array(root, "requested_specs")->len == 0 &&
            strcmp(krait_json_get_str(root, "requested_spec"), "") == 0,
        "bare record");
  CHECK(krait_json_get_int(krait_json_get_object(root, "link"), "type", &type) && type == 1, "default link type");
  krait_json_free(root);
  free(text);
  krait_paths_free(&p);
  krait_record_free(&r);
}

/* Every real conda-meta record re-rendered from its parts keeps its fields. */
static void test_real_records(void) {
  char *dir = krait_test_shared("prefix/rattler-conda-meta");
  DIR *d = opendir(dir);
  CHECK(d != NULL, "open %s", dir);
  size_t files_checked = 0;
  for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
    size_t nl = strlen(de->d_name);
    if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
      continue;
    char *path = krait_path_join(dir, de->d_name);
    krait_err err = {0};
    krait_json *orig = krait_json_parse_file(path, &err);
    krait_record r;
    krait_record_init(&r);
    krait_paths p = KRAIT_PATHS_INIT;
    CHECK(orig && krait_record_from_json(&r, orig, NULL, &err) == 0, "%s: %s", de->d_name, err.msg);
    CHECK(krait_meta_read_paths(path, &p, &err) == 0, "%s: %s", de->d_name, err.msg);
    int64_t lt = 1;
    krait_json_get_int(krait_json_get_object(orig, "link"), "type", &lt);
    krait_meta_info m = {.rec = &r,
                         .paths = &p,
                         .link_type = (krait_link_type)lt,
                         .requested_spec = krait_json_get_str(orig, "requested_spec"),
                         .extracted_package_dir = krait_json_get_str(orig, "extracted_package_dir"),
                         .package_tarball_full_path = krait_json_get_str(orig, "package_tarball_full_path")};
    char *text = krait_meta_render(&m);
    krait_json *mine = krait_json_parse(text, strlen(text), de->d_name, &err);
    CHECK(mine && keys_sorted(mine), "%s: sorted", de->d_name);
    /* every field the original has, we have with the same value */
    static const char *const foreign[] = {"purls", "requested_specs", "python_site_packages_path",
                                          "build_string" /* old micromamba alias of build */};
    krait_json_foreach(field, orig) {
      const krait_json *ours = krait_json_get(mine, field->key);
      bool skip = false;
      for (size_t k = 0; k < sizeof foreign / sizeof foreign[0]; k++)
        skip |= strcmp(field->key, foreign[k]) == 0;
      if (skip || (!ours && empty_value(field)) ||
          (strcmp(field->key, "requested_spec") == 0 && field->type == KRAIT_JSON_NULL))
        continue;
      if (strcmp(field->key, "channel") == 0) {
        /* written as conda writes it: the channel URL with the subdir, whatever
         * the original's form (conda: with the subdir; rattler: a trailing
         * slash); a bare channel name stays as it is */
        const char *sub = krait_json_get_str(orig, "subdir");
        size_t n = strlen(field->string);
        while (n > 1 && field->string[n - 1] == '/')
          n--;
        size_t sn = sub ? strlen(sub) : 0;
        if (sn && n > sn && field->string[n - sn - 1] == '/' && strncmp(field->string + n - sn, sub, sn) == 0)
          n -= sn + 1;
        char *want = strstr(field->string, "://") && sub ? krait_asprintf("%.*s/%s", (int)n, field->string, sub)
                                                          : krait_strdup(field->string);
        CHECK(ours && ours->type == KRAIT_JSON_STRING && strcmp(ours->string, want) == 0, "%s: channel %s -> %s, want %s",
              de->d_name, field->string, ours ? ours->string : "-", want);
        free(want);
        continue;
      }
      if (strcmp(field->key, "paths_data") == 0) {
        /* entry by entry; _path is checked against "files" (see below) */
        const krait_json *op = krait_json_get_array(field, "paths"), *mp = krait_json_get_array(ours, "paths");
        CHECK(op && mp && op->len == mp->len, "%s: paths count", de->d_name);
        const char *bad = NULL;
        for (const krait_json *x = op ? op->child : NULL, *y = mp ? mp->child : NULL; x && y && !bad;
             x = x->next, y = y->next) {
          krait_json_foreach(k, x) {
            if (strcmp(k->key, "_path") == 0 || (strcmp(k->key, "no_link") == 0 && !k->boolean))
              continue;
            if (!json_equal(k, krait_json_get(y, k->key)))
              bad = krait_json_get_str(x, "_path");
          }
        }
        CHECK(!bad, "%s: paths_data entry %s differs", de->d_name, bad);
        continue;
      }
      char *a = compact(field), *b = ours ? compact(ours) : krait_strdup("(absent)");
      CHECK(json_equal(field, ours), "%s: %s differs:\n  orig %.300s\n  ours %.300s", de->d_name, field->key, a,
            b);
      free(a);
      free(b);
    }
    /* the paths unlink will remove are the prefix-relative "files" */
    const krait_json *ofiles = krait_json_get_array(orig, "files");
    size_t fi = 0, same = 0;
    krait_json_foreach(f, ofiles) {
      same += fi < p.len && strcmp(p.items[fi].path, f->string) == 0;
      fi++;
    }
    CHECK(ofiles && same == ofiles->len && p.len == ofiles->len, "%s: %zu of %zu paths match files", de->d_name,
          same, ofiles ? ofiles->len : 0);
    files_checked++;
    krait_json_free(mine);
    free(text);
    krait_paths_free(&p);
    krait_record_free(&r);
    krait_json_free(orig);
    free(path);
  }
  if (d)
    closedir(d);
  CHECK(files_checked == 36, "%zu records", files_checked);
  free(dir);
}

static void test_write_remove(const char *tmp) {
  krait_record r;
  record_from(REC_JSON, &r);
  krait_paths p = KRAIT_PATHS_INIT;
  krait_paths_add(&p, "share/a", KRAIT_PATH_HARDLINK);
  krait_meta_info m = {.rec = &r, .paths = &p, .link_type = KRAIT_LINK_HARDLINK};
  char *prefix = krait_path_join(tmp, "menv");
  krait_err err = {0};
  CHECK(krait_meta_write(prefix, &m, NULL, &err) == 0, "%s", err.msg);
  char *path = krait_path_join(prefix, "conda-meta/tool-2.1-pyh123_0.json");
  krait_buf got = KRAIT_BUF_INIT;
  char *want = krait_meta_render(&m);
  CHECK(krait_read_file(path, &got, NULL) == 0 && strcmp(krait_buf_str(&got), want) == 0, "written as rendered");
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
  char *cm = krait_path_join(prefix, "conda-meta");
  DIR *d = opendir(cm);
  size_t entries = 0;
  for (struct dirent *de; d && (de = readdir(d)) != NULL;)
    entries += de->d_name[0] != '.';
  if (d)
    closedir(d);
  CHECK(entries == 1, "no temp files left (%zu entries)", entries);
  /* rewriting replaces */
  krait_paths_add(&p, "share/b", KRAIT_PATH_HARDLINK);
  CHECK(krait_meta_write(prefix, &m, NULL, &err) == 0, "%s", err.msg);
  krait_paths back = KRAIT_PATHS_INIT;
  CHECK(krait_meta_read_paths(path, &back, &err) == 0 && back.len == 2, "rewritten: %s", err.msg);
  krait_paths_free(&back);
  CHECK(krait_meta_remove(prefix, &r, NULL, &err) == 0 && !krait_path_exists(path), "removed");
  CHECK(krait_meta_remove(prefix, &r, NULL, &err) == 0, "removing twice is fine");

  /* records without paths_data: the files list; neither: an error naming the file */
  fx_write_str(cm, "old-1-0.json", "{\"name\":\"old\",\"files\":[\"bin/old\",\"lib/libold.so\"]}", 0644);
  char *old = krait_path_join(cm, "old-1-0.json");
  CHECK(krait_meta_read_paths(old, &back, &err) == 0 && back.len == 2 &&
            strcmp(back.items[1].path, "lib/libold.so") == 0,
        "files fallback: %s", err.msg);
  krait_paths_free(&back);
  char *valid = krait_test_shared("prefix/conda-corrupt-conda-meta/dot_underscore/conda-meta/valid-1.0-0.json");
  if (valid)
    CHECK(krait_meta_read_paths(valid, &back, &err) == KRAIT_E_PARSE && strstr(err.msg, "valid-1.0-0.json"), "%s",
          err.msg);
  char *corrupt = krait_test_shared("prefix/conda-corrupt-conda-meta/json/conda-meta/corrupt-1.2.3-hashhash.json");
  if (corrupt)
    CHECK(krait_meta_read_paths(corrupt, &back, &err) == KRAIT_E_PARSE && strstr(err.msg, "corrupt-1.2.3"), "%s",
          err.msg);
  free(corrupt);
  free(valid);
  free(old);
  free(cm);
  free(want);
  krait_buf_free(&got);
  free(path);
  free(prefix);
  krait_paths_free(&p);
  krait_record_free(&r);
}

static void test_history_dist(void) {
  static const struct {
    const char *channel, *subdir, *want;
  } cases[] = {
      {"https://conda.anaconda.org/conda-forge/", "osx-arm64", "conda-forge/osx-arm64::x-1.0-h0"},
      {"https://conda.anaconda.org/conda-forge", "noarch", "conda-forge/noarch::x-1.0-h0"},
      {"https://repo.example.com/chan", "linux-64", "https://repo.example.com/chan/linux-64::x-1.0-h0"},
      {"file:///srv/channel", "linux-64", "file:///srv/channel/linux-64::x-1.0-h0"},
      {"", "linux-64", "x-1.0-h0"},
      {"https://conda.anaconda.org/conda-forge/noarch", "noarch", "conda-forge/noarch::x-1.0-h0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    krait_record r;
    krait_record_init(&r);
    r.name = krait_strdup("x");
    r.version = krait_strdup("1.0");
    r.build = krait_strdup("h0");
    r.channel = krait_strdup(cases[i].channel);
    r.subdir = krait_strdup(cases[i].subdir);
    char *d = krait_history_dist(&r);
    CHECK_STR(d, cases[i].want);
    free(d);
    krait_record_free(&r);
  }
}

static void make_rec(krait_record *r, const char *channel, const char *name, const char *ver, const char *build) {
  krait_record_init(r);
  r->name = krait_strdup(name);
  r->version = krait_strdup(ver);
  r->build = krait_strdup(build);
  r->channel = krait_strdup(channel);
  r->subdir = krait_strdup(strncmp(channel, "file", 4) == 0 ? "noarch" : "linux-64");
}

static void test_history(const char *tmp) {
  setenv("TZ", "UTC", 1);
  tzset();
  char *prefix = krait_path_join(tmp, "henv");
  krait_err err = {0};
  CHECK(krait_history_touch(prefix, NULL, &err) == 0, "%s", err.msg);
  krait_buf got = KRAIT_BUF_INIT;
  CHECK(fx_read(prefix, "conda-meta/history", &got) && got.len == 0, "empty history marks an env");

  krait_record old, a, b, c;
  make_rec(&old, "https://conda.anaconda.org/conda-forge", "zlib", "1.2.13", "h0");
  make_rec(&a, "https://conda.anaconda.org/conda-forge", "zlib", "1.3.1", "h1");
  make_rec(&b, "https://conda.anaconda.org/conda-forge", "libzlib", "1.3.1", "h1");
  make_rec(&c, "file:///tmp/chan", "tool", "1.0", "0");
  const krait_record *unlinked[] = {&old};
  const krait_record *linked[] = {&c, &a, &b};
  krait_strv upd = KRAIT_STRV_INIT, rem = KRAIT_STRV_INIT;
  krait_strv_push(&upd, "zlib");
  krait_strv_push(&upd, "it's");
  krait_strv_push(&upd, "back\\slash");
  krait_history_entry h = {.when = 1700000000,
                           .cmd = "krait install -n t zlib",
                           .tool_version = "0.1.0",
                           .unlinked = unlinked,
                           .n_unlinked = 1,
                           .linked = linked,
                           .n_linked = 3,
                           .update_specs = &upd};
  CHECK(krait_history_append(prefix, &h, NULL, &err) == 0, "%s", err.msg);
  krait_strv_push(&rem, "tool");
  krait_strv neu = KRAIT_STRV_INIT;
  krait_strv_push(&neu, "python=3.11");
  const krait_record *removed[] = {&c};
  krait_history_entry h2 = {.when = 1700000060,
                            .cmd = "krait remove -n t tool",
                            .tool_version = "0.1.0",
                            .unlinked = removed,
                            .n_unlinked = 1,
                            .remove_specs = &rem,
                            .neutered_specs = &neu};
  CHECK(krait_history_append(prefix, &h2, NULL, &err) == 0, "%s", err.msg);
  CHECK(krait_history_touch(prefix, NULL, &err) == 0, "touch keeps content");
  static const char want[] = "==> 2023-11-14 22:13:20 <==\n"
                             "# cmd: krait install -n t zlib\n"
                             "# conda version: 0.1.0\n"
                             "-conda-forge/linux-64::zlib-1.2.13-h0\n"
                             "+conda-forge/linux-64::libzlib-1.3.1-h1\n"
                             "+conda-forge/linux-64::zlib-1.3.1-h1\n"
                             "+file:///tmp/chan/noarch::tool-1.0-0\n"
                             "# update specs: ['zlib', \"it's\", 'back\\\\slash']\n"
                             "==> 2023-11-14 22:14:20 <==\n"
                             "# cmd: krait remove -n t tool\n"
                             "# conda version: 0.1.0\n"
                             "-file:///tmp/chan/noarch::tool-1.0-0\n"
                             "# remove specs: ['tool']\n"
                             "# neutered specs: ['python=3.11']\n";
  CHECK(fx_read(prefix, "conda-meta/history", &got), "read history");
  CHECK_STR(krait_buf_str(&got), want);

  /* the same line shapes as a real conda history */
  char *real = krait_test_shared("prefix/conda-history/conda-envpy313tosx_whl-history");
  krait_buf rb = KRAIT_BUF_INIT;
  static const char *const shapes[] = {"==> ", " <==\n# cmd: ", "\n# conda version: ", "\n+conda-forge/",
                                       "\n# update specs: ['"};
  if (real) {
    CHECK(fx_read(NULL, real, &rb), "real history");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
      CHECK(strstr(krait_buf_str(&rb), shapes[i]) && strstr(want, shapes[i]), "shape %s", shapes[i]);
  }
  krait_buf_free(&rb);
  free(real);
  krait_strv_free(&upd);
  krait_strv_free(&rem);
  krait_strv_free(&neu);
  krait_record_free(&old);
  krait_record_free(&a);
  krait_record_free(&b);
  krait_record_free(&c);
  krait_buf_free(&got);
  free(prefix);
}

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_env_register(const char *tmp) {
  char *txt = krait_path_join(tmp, "home/.conda/environments.txt");
  krait_err err = {0};
  krait_buf got = KRAIT_BUF_INIT;
  CHECK(krait_env_register(txt, "/envs/one", &err) == 0, "%s", err.msg);
  CHECK(krait_env_register(txt, "/envs/one", &err) == 0, "%s", err.msg);
  CHECK(krait_env_register(txt, "/envs/one/", &err) == 0, "%s", err.msg);
  CHECK(fx_read(NULL, txt, &got) && strcmp(krait_buf_str(&got), "/envs/one\n") == 0, "once: %s",
        krait_buf_str(&got));
  CHECK(krait_env_register(txt, "/envs/one-more", &err) == 0, "%s", err.msg);
  CHECK(fx_read(NULL, txt, &got) && count_lines(krait_buf_str(&got)) == 2, "prefix of a name is not the name");
  /* a file someone left without a final newline */
  char *dir = krait_path_dirname(txt);
  fx_write_str(dir, "environments.txt", "/envs/x", 0644);
  CHECK(krait_env_register(txt, "/envs/y", &err) == 0 && fx_read(NULL, txt, &got) &&
            strcmp(krait_buf_str(&got), "/envs/x\n/envs/y\n") == 0,
        "newline kept: %s", krait_buf_str(&got));
  /* the default location is ~/.conda/environments.txt */
  char *home = krait_path_join(tmp, "home2");
  char *old_home = getenv("HOME") ? krait_strdup(getenv("HOME")) : NULL;
  setenv("HOME", home, 1);
  CHECK(krait_env_register(NULL, "/envs/z", &err) == 0, "%s", err.msg);
  CHECK(fx_read(home, ".conda/environments.txt", &got) && strcmp(krait_buf_str(&got), "/envs/z\n") == 0,
        "default location");
  if (old_home)
    setenv("HOME", old_home, 1);
  free(old_home);
  free(home);
  free(dir);
  krait_buf_free(&got);
  free(txt);
}

int main(void) {
  char *probe = krait_test_shared("prefix");
  bool shared = probe != NULL;
  free(probe);
  char *tmp = fx_tmpdir(NULL);
  test_render();
  if (shared)
    test_real_records();
  else
    fprintf(stderr, "note: shared data not found (KRAIT_SHARED_DIR): real conda-meta records not checked\n");
  test_write_remove(tmp);
  test_history_dist();
  test_history(tmp);
  test_env_register(tmp);
  krait_rm_rf(tmp, NULL);
  free(tmp);
  return krait_test_finish("meta");
}
