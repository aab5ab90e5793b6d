/* environment.yml / explicit / spec-list parsing and writing, conda-meta/state,
 * and every real env file of ../shared/data (parsed, or rejected with
 * file:line: reason). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/env_file.h"
#include "krait/env_state.h"
#include "krait/fs.h"

static krait_code parse(const char *text, bool yaml, const char *platform, krait_env_file *f, krait_err *err) {
  return krait_env_file_parse("t.yml", text, strlen(text), yaml, platform, f, err);
}

static void test_yaml_basic(void) {
  krait_env_file f;
  krait_err err;
  const char *text = "name: demo\n"
                     "channels: [conda-forge, nodefaults]\n"
                     "dependencies:\n"
                     "  - python >=3.9\n"
                     "  - numpy=1.26\n"
                     "  - pip\n"
                     "  - pip:\n"
                     "      - requests==2.0\n"
                     "      - -e ./local\n"
                     "variables:\n"
                     "  MY_VAR: \"My Value\"\n"
                     "  N: 3\n"
                     "category: dev\n"
                     "flavour: extra\n";
  krait_code rc = parse(text, true, "linux-64", &f, &err);
  CHECK(rc == KRAIT_OK, "%s", err.msg);
  if (rc)
    return;
  CHECK(f.kind == KRAIT_ENV_FILE_YAML, "kind %d", f.kind);
  CHECK_STR(f.name, "demo");
  CHECK(f.channels.len == 1 && f.nodefaults, "channels %zu", f.channels.len);
  CHECK(f.specs.len == 3, "specs %zu", f.specs.len);
  CHECK_STR(f.specs.items[0], "python >=3.9");
  CHECK(f.pip.len == 2, "pip %zu", f.pip.len);
  CHECK_STR(f.pip.items[1], "-e ./local");
  CHECK_STR(krait_env_vars_get(&f.variables, "MY_VAR"), "My Value");
  CHECK_STR(krait_env_vars_get(&f.variables, "N"), "3");
  CHECK(f.warnings.len == 1 && strstr(f.warnings.items[0], "t.yml:14:") && strstr(f.warnings.items[0], "flavour"),
        "warnings %zu", f.warnings.len);

  /* what we write reads back the same */
  char *out = krait_env_file_render_yaml(&f);
  krait_env_file g;
  rc = parse(out, true, "linux-64", &g, &err);
  CHECK(rc == KRAIT_OK, "%s\n%s", err.msg, out);
  if (!rc) {
    CHECK_STR(g.name, "demo");
    CHECK(g.specs.len == 3 && g.pip.len == 2 && g.nodefaults, "round trip");
    CHECK_STR(krait_env_vars_get(&g.variables, "N"), "3");
    krait_env_file_free(&g);
  }
  free(out);
  krait_env_file_free(&f);
}

static void test_yaml_selectors(void) {
  const char *text = "dependencies:\n"
                     "  - python <3.11\n"
                     "  - clang_osx-arm64  # [arm64]\n"
                     "  - gcc_linux-64>=6  # [linux64]\n"
                     "  - sel(win): pywin32\n"
                     "  - sel(unix): readline\n";
  krait_env_file f;
  krait_err err;
  CHECK(parse(text, true, "linux-64", &f, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(f.specs.len == 3, "linux-64 specs %zu", f.specs.len);
  CHECK(f.specs.len == 3 && strcmp(f.specs.items[1], "gcc_linux-64>=6") == 0 &&
            strcmp(f.specs.items[2], "readline") == 0,
        "linux-64 selection");
  krait_env_file_free(&f);
  CHECK(parse(text, true, "osx-arm64", &f, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(f.specs.len == 3 && strcmp(f.specs.items[1], "clang_osx-arm64") == 0, "osx-arm64 selection");
  krait_env_file_free(&f);
  CHECK(parse("dependencies:\n  - a  # [py>38]\n", true, "linux-64", &f, &err) == KRAIT_E_PARSE &&
            strstr(err.msg, "t.yml:2:"),
        "unsupported selector: %s", err.msg);
}

static void test_yaml_errors(void) {
  static const struct {
    const char *text;
    const char *want; /* in the message */
  } cases[] = {
      {"", "t.yml:1: empty file"},
      {"- a\n- b\n", "t.yml:1: not an environment file"},
      {"names: x\nchanels: [a]\n", "t.yml:1: not an environment file"},
      {"name: a b\ndependencies: [x]\n", "t.yml:1:"},
      {"dependencies:\n  - numpy\n  - conda: [x]\n", "t.yml:3: unsupported dependencies section \"conda\""},
      {"dependencies:\n  - 'numpy >=>1'\n", "t.yml:2:"},
      {"dependencies: x\n", "t.yml:1: \"dependencies\" must be a list"},
      {"variables: [a]\n", "t.yml:1: \"variables\" must be a mapping"},
      {"dependencies:\n  - a\n b: [\n", "t.yml:"},
      {"platforms: [noarch]\n", "t.yml:1: \"noarch\" is not a platform"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    krait_env_file f;
    krait_err err;
    krait_code rc = parse(cases[i].text, true, "linux-64", &f, &err);
    CHECK(rc != KRAIT_OK && strstr(err.msg, cases[i].want), "case %zu: rc %d msg \"%s\"", i, rc,
          rc ? err.msg : "");
    if (!rc)
      krait_env_file_free(&f);
  }
}

static void test_text_files(void) {
  krait_env_file f;
  krait_err err;
  const char *spec_list = "# a comment\n\npython >=3.9\nnumpy  # trailing comment\n";
  CHECK(parse(spec_list, false, "linux-64", &f, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(f.kind == KRAIT_ENV_FILE_SPECS && f.specs.len == 2, "spec list");
  CHECK(f.specs.len == 2 && strcmp(f.specs.items[1], "numpy") == 0, "comment stripped");
  krait_env_file_free(&f);

  const char *explicit = "# platform: linux-64\n@EXPLICIT\n"
                         "https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.2.13-h4ab18f5_6.conda"
                         "#sha256:8ced4afed6322172182af503f21725d072a589a6eb918f8a58135c1e00d35980\n"
                         "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda"
                         "#161081fc7cec0bfda0d86d7cb595f8df\n"
                         "https://repo.example/t/tok-123/main/linux-64/py-lib-2.0-py_0.tar.bz2#md5=161081FC7CEC0BFDA0D86D7CB595F8DF\n";
  CHECK(parse(explicit, false, "linux-64", &f, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(f.kind == KRAIT_ENV_FILE_EXPLICIT && f.n_packages == 3, "explicit %zu", f.n_packages);
  CHECK_STR(f.platform, "linux-64");
  if (f.n_packages == 3) {
    const krait_record *a = &f.packages[0], *b = &f.packages[1], *c = &f.packages[2];
    CHECK_STR(a->name, "libzlib");
    CHECK_STR(a->version, "1.2.13");
    CHECK_STR(a->build, "h4ab18f5_6");
    CHECK_STR(a->channel, "https://conda.anaconda.org/conda-forge");
    CHECK_STR(a->subdir, "linux-64");
    CHECK_STR(a->fn, "libzlib-1.2.13-h4ab18f5_6.conda");
    CHECK(a->sha256 && !a->md5, "sha256 only");
    CHECK_STR(b->md5, "161081fc7cec0bfda0d86d7cb595f8df");
    CHECK_STR(c->name, "py-lib");
    CHECK_STR(c->md5, "161081fc7cec0bfda0d86d7cb595f8df");
    CHECK_STR(c->channel, "https://repo.example/t/tok-123/main");
  }
  /* and it renders back in dependency order */
  if (f.n_packages == 3) {
    krait_strv_push(&f.packages[0].depends, "tzdata");
    const krait_record *recs[3] = {&f.packages[0], &f.packages[1], &f.packages[2]};
    krait_records_dependency_order(recs, 3);
    /* name order, each after its dependencies */
    CHECK(strcmp(recs[0]->name, "tzdata") == 0 && strcmp(recs[1]->name, "libzlib") == 0 &&
              strcmp(recs[2]->name, "py-lib") == 0,
          "order %s %s %s", recs[0]->name, recs[1]->name, recs[2]->name);
    char *text = krait_explicit_render(recs, 3, "linux-64", false);
    krait_env_file g;
    CHECK(parse(text, false, "linux-64", &g, &err) == KRAIT_OK, "%s", err.msg);
    CHECK(g.n_packages == 3 && g.packages[1].sha256 && strcmp(g.packages[1].sha256, f.packages[0].sha256) == 0, "explicit round trip");
    krait_env_file_free(&g);
    free(text);
  }
  krait_env_file_free(&f);

  static const struct {
    const char *text;
    const char *want;
  } bad[] = {
      {"@EXPLICIT\nhttps://x/linux-64/a-1-0.conda#12\n", "t.yml:2: "},
      {"@EXPLICIT\nhttps://x/linux-64/a-1.conda\n", "t.yml:2: \"a-1.conda\" is not a name-version-build"},
      {"@EXPLICIT\nhttps://x/mypackage\n", "t.yml:2: \"https://x/mypackage\" is not a package archive URL"},
      {"@EXPLICIT\n# nothing\n", "lists no package URL"},
      {"python\nhttp://a.example/mypackage\n", "t.yml:2: "},
      {"numpy >=>1\n", "t.yml:1: "},
      {"# only a comment\n", "no spec"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    krait_code rc = parse(bad[i].text, false, "linux-64", &f, &err);
    CHECK(rc != KRAIT_OK && strstr(err.msg, bad[i].want), "bad %zu: rc %d \"%s\"", i, rc, rc ? err.msg : "");
    if (!rc)
      krait_env_file_free(&f);
  }
  krait_record r;
  CHECK(krait_explicit_record("https://a-1-0.conda", &r, &err) == KRAIT_OK, "%s", err.msg);
  CHECK_STR(r.name, "a");
  krait_record_free(&r);
  CHECK(krait_explicit_record("./dir/b-2-h1_0.tar.bz2#sha256:" "0123456789abcdef0123456789abcdef"
                              "0123456789abcdef0123456789abcdef", &r, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(r.url && strncmp(r.url, "file:///", 8) == 0 && strstr(r.url, "/dir/b-2-h1_0.tar.bz2") && r.sha256 &&
            !r.subdir,
        "path: %s", r.url ? r.url : "(null)");
  krait_record_free(&r);
  CHECK(krait_is_package_url("/x/a-1-0.tar.bz2#abc") && !krait_is_package_url("numpy"), "is_package_url");
}

static void test_state(void) {
  char dir[] = "/tmp/krait-test-envstate-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  char *meta = krait_path_join(dir, "conda-meta");
  krait_err err;
  krait_mkdir_p(meta, 0755, &err);
  krait_env_vars v;
  CHECK(krait_env_state_read(dir, &v, &err) == KRAIT_OK && v.names.len == 0, "missing state = empty");
  krait_env_vars_set(&v, "A", "1");
  krait_env_vars_set(&v, "B", "two words \"quoted\"");
  krait_env_vars_set(&v, "A", "one");
  CHECK(krait_env_state_write(dir, &v, &err) == KRAIT_OK, "%s", err.msg);
  krait_env_vars_free(&v);
  char *path = krait_path_join(meta, "state");
  krait_buf b = KRAIT_BUF_INIT;
  krait_read_file(path, &b, &err);
  CHECK_STR(krait_buf_str(&b), "{\"env_vars\": {\"A\": \"one\", \"B\": \"two words \\\"quoted\\\"\"}}");
  krait_buf_free(&b);
  /* conda's file with an extra key: the key survives a rewrite */
  const char *conda = "{\"env_vars\": {\"X\": \"1\"}, \"other\": [1, 2]}";
  krait_write_file_atomic(path, conda, strlen(conda), 0644, &err);
  CHECK(krait_env_state_read(dir, &v, &err) == KRAIT_OK && v.names.len == 1, "read conda's");
  krait_env_vars_set(&v, "Y", "2");
  CHECK(krait_env_state_write(dir, &v, &err) == KRAIT_OK, "%s", err.msg);
  krait_env_vars_free(&v);
  krait_read_file(path, &b, &err);
  CHECK_STR(krait_buf_str(&b), "{\"env_vars\": {\"X\": \"1\", \"Y\": \"2\"}, \"other\": [1,2]}");
  krait_buf_free(&b);
  krait_write_file_atomic(path, "[1]", 3, 0644, &err);
  CHECK(krait_env_state_read(dir, &v, &err) == KRAIT_E_PARSE && strstr(err.msg, "state"), "corrupt: %s", err.msg);
  free(path);
  free(meta);
  krait_rm_rf(dir, &err);
}

/* ---- every real file: parsed, or rejected naming file:line ---- */

static int n_parsed, n_rejected;

static void walk_file(const char *path) {
  krait_env_file f;
  krait_err err;
  krait_err_clear(&err);
  krait_code rc = krait_env_file_read(path, "linux-64", &f, &err);
  if (rc == KRAIT_OK) {
    n_parsed++;
    /* never half-read: something came out of it */
    CHECK(f.specs.len || f.n_packages || f.channels.len || f.variables.names.len || f.name,
          "%s parsed to nothing", path);
    krait_env_file_free(&f);
    return;
  }
  n_rejected++;
  /* "<path>:<line>: <reason>" */
  size_t n = strlen(path);
  bool located = strncmp(err.msg, path, n) == 0 && err.msg[n] == ':' && isdigit((unsigned char)err.msg[n + 1]);
  const char *reason = located ? strstr(err.msg + n + 1, ": ") : NULL;
  CHECK(located && reason && reason[2], "%s: rejection without file:line: reason: \"%s\"", path, err.msg);
  printf("  rejected %s\n", err.msg);
}

static void walk_dir(const char *dir) {
  DIR *d = opendir(dir);
  CHECK(d != NULL, "cannot open %s", dir);
  if (!d)
    return;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    char *p = krait_path_join(dir, e->d_name);
    if (krait_is_dir(p))
      walk_dir(p);
    else
      walk_file(p);
    free(p);
  }
  closedir(d);
}

static void test_shared_files(void) {
  char *envs = krait_test_shared("envs");
  char *explicit = krait_test_shared("lockfiles/explicit");
  if (!envs || !explicit)
    krait_test_skip("../shared/data/envs or lockfiles/explicit absent");
  walk_dir(envs);
  walk_dir(explicit);
  printf("  shared env files: %d parsed, %d rejected\n", n_parsed, n_rejected);
  CHECK(n_parsed >= 70 && n_parsed + n_rejected >= 90, "%d parsed, %d rejected", n_parsed, n_rejected);
  free(envs);
  free(explicit);
}

int main(void) {
  test_yaml_basic();
  test_yaml_selectors();
  test_yaml_errors();
  test_text_files();
  test_state();
  test_shared_files();
  return krait_test_finish("env_file");
}
