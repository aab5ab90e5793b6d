/* .condarc reading and environment precedence, with temp condarc files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/config.h"
#include "krait/fs.h"

static char tmpdir[] = "/tmp/krait-test-config-XXXXXX";

static char *write_rc(const char *name, const char *text) {
  char *path = krait_path_join(tmpdir, name);
  krait_err err;
  if (krait_write_file_atomic(path, text, strlen(text), 0644, &err))
    fprintf(stderr, "cannot write %s: %s\n", path, err.msg);
  return path;
}

/* Clears every variable the config reads so the test sees only its files. */
static void clear_env(void) {
  static const char *const vars[] = {
      "CONDA_CHANNELS",      "CONDA_DEFAULT_CHANNELS", "CONDA_CHANNEL_ALIAS",   "CONDA_CHANNEL_PRIORITY",
      "CONDA_PKGS_DIRS",     "CONDA_ENVS_DIRS",        "CONDA_PINNED_PACKAGES", "CONDA_SUBDIR",
      "CONDA_OFFLINE",       "CONDA_ALWAYS_YES",       "CONDA_USE_LOCKFILES",   "CONDA_EXTRACT_THREADS",
      "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY", "CONDARC", "CONDA_PREFIX", "XDG_CONFIG_HOME"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
}

static krait_ctx *load(const char *const *paths, size_t n, krait_err *err, krait_code *rc) {
  krait_ctx *ctx = krait_ctx_new();
  *rc = krait_config_load_files(ctx, paths, n, err);
  return ctx;
}

static void test_scalars_and_lists(void) {
  char *sys = write_rc("sys.condarc", "channels:\n  - conda-forge\n  - bioconda\n"
                                      "channel_priority: strict\n"
                                      "pkgs_dirs:\n  - /shared/pkgs\n"
                                      "offline: true\n"
                                      "extract_threads: 4\n"
                                      "some_unknown_key: {a: 1}\n");
  char *user = write_rc("user.condarc", "channels: [mychan, conda-forge]\n"
                                        "channel_priority: disabled\n"
                                        "pkgs_dirs: [~/mypkgs]\n"
                                        "always_yes: yes\n"
                                        "use_lockfiles: false\n"
                                        "add_pip_as_python_dependency: False\n"
                                        "channel_alias: https://mirror.example/conda\n"
                                        "pinned_packages: ['numpy 1.26.*']\n");
  const char *paths[] = {sys, "/nonexistent/krait/.condarc", user};
  krait_err err;
  krait_code rc;
  krait_ctx *ctx = load(paths, 3, &err, &rc);
  CHECK(rc == KRAIT_OK, "load: %s", err.msg);
  /* later file's list items first, duplicates dropped */
  CHECK(ctx->channels.len == 3, "channels len %zu", ctx->channels.len);
  if (ctx->channels.len == 3) {
    CHECK_STR(ctx->channels.items[0], "mychan");
    CHECK_STR(ctx->channels.items[1], "conda-forge");
    CHECK_STR(ctx->channels.items[2], "bioconda");
  }
  CHECK(ctx->channel_priority == KRAIT_PRIORITY_DISABLED, "scalar: last file wins");
  CHECK(ctx->pkgs_dirs.len == 2, "pkgs_dirs len %zu", ctx->pkgs_dirs.len);
  char *home_pkgs = krait_path_absolute("~/mypkgs");
  if (ctx->pkgs_dirs.len == 2) {
    CHECK_STR(ctx->pkgs_dirs.items[0], home_pkgs);
    CHECK_STR(ctx->pkgs_dirs.items[1], "/shared/pkgs");
  }
  char *cache = krait_path_join(home_pkgs, "cache");
  CHECK_STR(ctx->repodata_cache_dir, cache);
  free(cache);
  free(home_pkgs);
  CHECK(ctx->offline, "offline from first file");
  CHECK(ctx->always_yes, "always_yes");
  CHECK(!ctx->use_lockfiles, "use_lockfiles false");
  CHECK(!ctx->add_pip_as_python_dependency, "add_pip false");
  CHECK(ctx->extract_threads == 4, "extract_threads %d", ctx->extract_threads);
  CHECK_STR(ctx->channel_alias, "https://mirror.example/conda");
  CHECK(ctx->pinned_packages.len == 1 && strcmp(ctx->pinned_packages.items[0], "numpy 1.26.*") == 0, "pinned");
  CHECK(ctx->condarc_files.len == 2, "files read %zu", ctx->condarc_files.len);
  if (ctx->condarc_files.len == 2) {
    CHECK_STR(ctx->condarc_files.items[0], sys);
    CHECK_STR(ctx->condarc_files.items[1], user);
  }
  krait_ctx_free(ctx);
  free(sys);
  free(user);
}

static void test_env_precedence(void) {
  char *rc_path = write_rc("env.condarc", "channel_priority: strict\npkgs_dirs: [/from/condarc]\n"
                                          "envs_dirs: [/envs/a, /envs/b]\nchannels: [a]\noffline: false\n");
  setenv("CONDA_CHANNEL_PRIORITY", "disabled", 1);
  setenv("CONDA_PKGS_DIRS", "/from/env1,/from/env2", 1);
  setenv("CONDA_OFFLINE", "1", 1);
  setenv("CONDA_PINNED_PACKAGES", "python=3.11&numpy<2", 1);
  setenv("KRAIT_TEST_VAR", "/expanded", 1);
  char *rc2 = write_rc("vars.condarc", "channels:\n  - ${KRAIT_TEST_VAR}/chan\n  - $KRAIT_TEST_VAR\n  - $NOT_SET_KRAIT\n");
  const char *paths[] = {rc_path, rc2};
  krait_err err;
  krait_code rc;
  krait_ctx *ctx = load(paths, 2, &err, &rc);
  CHECK(rc == KRAIT_OK, "load: %s", err.msg);
  CHECK(ctx->channel_priority == KRAIT_PRIORITY_DISABLED, "env beats condarc");
  CHECK(ctx->pkgs_dirs.len == 2 && strcmp(ctx->pkgs_dirs.items[0], "/from/env1") == 0, "CONDA_PKGS_DIRS wins");
  CHECK_STR(ctx->repodata_cache_dir, "/from/env1/cache");
  CHECK(ctx->envs_dirs.len == 2 && strcmp(ctx->envs_dirs.items[1], "/envs/b") == 0, "envs_dirs from condarc");
  CHECK(ctx->offline, "CONDA_OFFLINE=1 beats offline: false");
  CHECK(ctx->pinned_packages.len == 2 && strcmp(ctx->pinned_packages.items[1], "numpy<2") == 0,
        "CONDA_PINNED_PACKAGES splits on &");
  CHECK(ctx->channels.len == 4, "channels len %zu", ctx->channels.len);
  if (ctx->channels.len == 4) {
    CHECK_STR(ctx->channels.items[0], "/expanded/chan");
    CHECK_STR(ctx->channels.items[1], "/expanded");
    CHECK_STR(ctx->channels.items[2], "$NOT_SET_KRAIT");
    CHECK_STR(ctx->channels.items[3], "a");
  }
  krait_ctx_free(ctx);

  setenv("CONDA_CHANNEL_PRIORITY", "sometimes", 1);
  ctx = load(paths, 1, &err, &rc);
  CHECK(rc == KRAIT_E_INVALID && strstr(err.msg, "CONDA_CHANNEL_PRIORITY") && strstr(err.msg, "sometimes"),
        "bad env value named: %s", err.msg);
  CHECK(ctx->offline, "later variables still applied after a bad one");
  krait_ctx_free(ctx);
  clear_env();
  unsetenv("KRAIT_TEST_VAR");
  free(rc_path);
  free(rc2);
}

static void test_errors(void) {
  struct {
    const char *text;
    const char *want;
  } cases[] = {
      {"channels:\n  - a\n  - [b\n", "bad.condarc:"},
      {"channels: conda-forge\n", "bad.condarc:1: channels must be a list"},
      {"offline: true\nalways_yes: maybe\n", "bad.condarc:2: always_yes must be true or false"},
      {"\n\nchannel_priority: sometimes\n", "bad.condarc:3: channel_priority must be strict, flexible or disabled"},
      {"extract_threads: many\n", "bad.condarc:1: extract_threads must be an integer"},
      {"- just\n- a list\n", "bad.condarc:1: expected a mapping"},
      {"pkgs_dirs:\n  - {a: b}\n", "bad.condarc:2: pkgs_dirs must be a list of strings"},
      {"key: [unclosed\n", "invalid YAML"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *p = write_rc("bad.condarc", cases[i].text);
    const char *paths[] = {p};
    krait_err err;
    krait_err_clear(&err);
    krait_code rc;
    krait_ctx *ctx = load(paths, 1, &err, &rc);
    CHECK(rc == KRAIT_E_PARSE, "case %zu should fail", i);
    CHECK(strstr(err.msg, cases[i].want) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
    krait_ctx_free(ctx);
    free(p);
  }
  /* empty and comment-only files are fine */
  const char *fine[] = {"", "# nothing\n", "---\n", "channels:\n"};
  for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
    char *p = write_rc("fine.condarc", fine[i]);
    const char *paths[] = {p};
    krait_err err;
    krait_code rc;
    krait_ctx *ctx = load(paths, 1, &err, &rc);
    CHECK(rc == KRAIT_OK, "fine case %zu: %s", i, err.msg);
    krait_ctx_free(ctx);
    free(p);
  }
}

static void test_search_path(void) {
  setenv("HOME", tmpdir, 1);
  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  setenv("CONDA_PREFIX", "/cp", 1);
  setenv("CONDARC", "/explicit/rc.yml", 1);
  setenv("KRAIT_ROOT_PREFIX", "/root-prefix", 1);
  krait_ctx *ctx = krait_ctx_new();
  krait_strv paths = KRAIT_STRV_INIT;
  char *home_rc = krait_path_join(tmpdir, ".condarc");
  char *dotconda_d = krait_path_join(tmpdir, ".conda/condarc.d");
  krait_mkdir_p(dotconda_d, 0755, NULL);
  char *b_yml = krait_path_join(dotconda_d, "b.yml");
  char *a_yaml = krait_path_join(dotconda_d, "a.yaml");
  char *ignored = krait_path_join(dotconda_d, "notes.txt");
  krait_write_file_atomic(b_yml, "", 0, 0644, NULL);
  krait_write_file_atomic(a_yaml, "", 0, 0644, NULL);
  krait_write_file_atomic(ignored, "", 0, 0644, NULL);
  char *dotconda_rc = krait_path_join(tmpdir, ".conda/.condarc");
  krait_config_search_path(ctx, &paths);
  const char *want[] = {"/etc/conda/.condarc", "/etc/conda/condarc", "/xdg/conda/.condarc", "/xdg/conda/condarc",
                        NULL, NULL, dotconda_rc, NULL, a_yaml, b_yml, home_rc, "/cp/.condarc", "/cp/condarc",
                        "/root-prefix/.condarc", "/root-prefix/condarc", "/explicit/rc.yml"};
  size_t n_want = sizeof want / sizeof *want;
  CHECK(paths.len == n_want, "search path len %zu", paths.len);
  for (size_t i = 0; i < paths.len && i < n_want; i++)
    if (want[i])
      CHECK_STR(paths.items[i], want[i]);
  CHECK(!krait_strv_contains(&paths, ignored), "only *.yml/*.yaml from condarc.d");
  free(dotconda_d);
  free(b_yml);
  free(a_yaml);
  free(ignored);
  free(dotconda_rc);
  krait_strv_free(&paths);

  /* krait_config_load reads ~/.condarc and $CONDARC-less defaults */
  unsetenv("CONDARC");
  unsetenv("CONDA_PREFIX");
  unsetenv("XDG_CONFIG_HOME");
  char *p = write_rc(".condarc", "channels: [from-home]\n");
  krait_err err;
  CHECK(krait_config_load(ctx, &err) == KRAIT_OK, "load: %s", err.msg);
  CHECK(ctx->channels.len == 1 && strcmp(ctx->channels.items[0], "from-home") == 0, "~/.condarc read");
  CHECK(krait_strv_contains(&ctx->condarc_files, home_rc), "~/.condarc listed as read");
  krait_ctx_free(ctx);
  unlink(p);
  free(p);
  free(home_rc);
  unsetenv("KRAIT_ROOT_PREFIX");
}

static void test_expand_channels(void) {
  krait_ctx *ctx = krait_ctx_new();
  krait_strv_push(&ctx->channels, "conda-forge");
  krait_strv_push(&ctx->channels, "defaults");
  krait_strv_push(&ctx->channels, "conda-forge");
  krait_strv out = KRAIT_STRV_INIT;
  krait_config_expand_channels(ctx, &out);
  CHECK(out.len == 3, "expanded len %zu", out.len);
  if (out.len == 3) {
    CHECK_STR(out.items[0], "conda-forge");
    CHECK_STR(out.items[1], "https://repo.anaconda.com/pkgs/main");
  }
  krait_strv_free(&out);
  krait_strv_push(&ctx->channels, "nodefaults");
  krait_config_expand_channels(ctx, &out);
  CHECK(out.len == 1, "nodefaults drops defaults: %zu", out.len);
  krait_strv_free(&out);
  krait_ctx_free(ctx);
}

/* An administrator's "#!final" keys survive later files and env vars. */
static void test_final(void) {
  char *sys = write_rc("final-sys.condarc", "pkgs_dirs: #!final\n  - /shared/pkgs\n"
                                            "channel_priority: strict   #!final\n"
                                            "channels:\n  - conda-forge\n");
  char *user = write_rc("final-user.condarc", "pkgs_dirs: [/home/me/pkgs]\nchannel_priority: disabled\n"
                                              "channels: [mine]\n");
  setenv("CONDA_PKGS_DIRS", "/from/env", 1);
  const char *paths[] = {sys, user};
  krait_err err;
  krait_code rc;
  krait_ctx *ctx = load(paths, 2, &err, &rc);
  CHECK(rc == KRAIT_OK, "load: %s", err.msg);
  CHECK(ctx->pkgs_dirs.len == 1 && strcmp(ctx->pkgs_dirs.items[0], "/shared/pkgs") == 0,
        "final pkgs_dirs kept over the user file and CONDA_PKGS_DIRS (got %s)",
        ctx->pkgs_dirs.len ? ctx->pkgs_dirs.items[0] : "none");
  CHECK_STR(ctx->repodata_cache_dir, "/shared/pkgs/cache");
  CHECK(ctx->channel_priority == KRAIT_PRIORITY_STRICT, "final scalar kept");
  CHECK(ctx->channels.len == 2 && strcmp(ctx->channels.items[0], "mine") == 0, "unmarked keys merge as usual");
  krait_ctx_free(ctx);
  unsetenv("CONDA_PKGS_DIRS");
  free(sys);
  free(user);
}

/* One table (krait/rckeys.h) gives the defaults, what a .condarc key sets and
 * its CONDA_* variable: every key krait acts on goes through it. */
static void test_key_table(void) {
  krait_ctx *ctx = krait_ctx_new();
  CHECK(ctx->download_threads == 8 && ctx->remote_max_retries == 3 && ctx->lock_timeout_seconds == 600,
        "defaults from the table: %d %d %d", ctx->download_threads, ctx->remote_max_retries,
        ctx->lock_timeout_seconds);
  CHECK(ctx->default_channels.len == 2 && ctx->channel_priority == KRAIT_PRIORITY_FLEXIBLE &&
            ctx->add_pip_as_python_dependency && ctx->use_lockfiles && strcmp(ctx->ssl_verify, "true") == 0,
        "list, enum and boolean defaults");
  krait_ctx_free(ctx);
  char *rc_path = write_rc("table.condarc", "subdir: linux-aarch64\nremote_max_retries: 7\nlock_timeout: 0\n");
  const char *paths[] = {rc_path};
  krait_err err;
  krait_code rc;
  setenv("CONDA_REMOTE_MAX_RETRIES", "9", 1);
  ctx = load(paths, 1, &err, &rc);
  CHECK(rc == KRAIT_OK, "load: %s", err.msg);
  CHECK_STR(ctx->platform, "linux-aarch64");
  CHECK(ctx->remote_max_retries == 9 && ctx->lock_timeout_seconds == 0, "CONDA_REMOTE_MAX_RETRIES beats the file");
  krait_ctx_free(ctx);
  unsetenv("CONDA_REMOTE_MAX_RETRIES");
  char *bad = write_rc("table-bad.condarc", "\nremote_max_retries: 1000\n");
  paths[0] = bad;
  ctx = load(paths, 1, &err, &rc);
  CHECK(rc == KRAIT_E_PARSE && strstr(err.msg, "table-bad.condarc:2: remote_max_retries must be an integer from 0 to 100"),
        "range checked with file:line: %s", err.msg);
  krait_ctx_free(ctx);
  free(rc_path);
  free(bad);
}

int main(void) {
  clear_env();
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  test_scalars_and_lists();
  test_env_precedence();
  test_errors();
  test_search_path();
  test_expand_channels();
  test_final();
  test_key_table();
  krait_rm_rf(tmpdir, NULL);
  return krait_test_finish("config");
}
