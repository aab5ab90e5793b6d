/* Activation plans (krait/activate.h), env state (krait/env_state.h), the
 * startup-file block (krait/shell_hook.h) and command lookup (krait/run.h),
 * on environments made in a temporary directory. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/activate.h"
#include "krait/env_state.h"
#include "krait/fs.h"
#include "krait/run.h"
#include "krait/shell_hook.h"

static char *tmp_root;

static void write_text(const char *dir, const char *rel, const char *text) {
  char *path = krait_path_join(dir, rel);
  char *parent = krait_path_dirname(path);
  krait_err err = {0};
  CHECK(krait_mkdir_p(parent, 0755, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_write_file_atomic(path, text, strlen(text), 0644, &err) == KRAIT_OK, "%s", err.msg);
  free(parent);
  free(path);
}

/* An env directory with conda-meta/ (and optional state file contents). */
static char *make_env(const char *name, const char *state) {
  char *p = krait_path_join(tmp_root, name);
  krait_err err = {0};
  char *meta = krait_path_join(p, "conda-meta");
  CHECK(krait_mkdir_p(meta, 0755, &err) == KRAIT_OK, "%s", err.msg);
  free(meta);
  if (state)
    write_text(p, "conda-meta/state", state);
  return p;
}

static void env_of(krait_envmap *m, const char *const *pairs) {
  for (; *pairs; pairs += 2)
    krait_envmap_set(m, pairs[0], pairs[1]);
}

static bool same_env(const krait_envmap *a, const krait_envmap *b) {
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++) {
    const char *v = krait_envmap_get(b, a->items[i].name);
    if (!v || strcmp(v, a->items[i].value) != 0) {
      fprintf(stderr, "differs: %s=%s vs %s\n", a->items[i].name, a->items[i].value, v ? v : "(unset)");
      return false;
    }
  }
  return true;
}

/* Builds and applies one plan to env; returns the code. */
static krait_code step(krait_envmap *env, krait_act_kind kind, const char *prefix, bool stack, krait_err *err) {
  krait_act_request req = {.kind = kind, .prefix = prefix, .stack = stack, .script_ext = ".sh"};
  krait_act_plan plan;
  krait_code rc = krait_act_plan_build(&req, env, &plan, err);
  if (!rc) {
    krait_act_plan_apply(&plan, env);
    krait_act_plan_free(&plan);
  }
  return rc;
}

static void test_round_trip_exact(void) {
  char *a = make_env("a", "{\"env_vars\": {\"Z_FIRST\": \"1\", \"A_SECOND\": \"x:y=z %41 \\n\"}}");
  char *b = make_env("b", NULL);
  /* duplicates, an empty entry and a variable the env overrides */
  const char *pairs[] = {"PATH", "/usr/bin::/bin:/usr/bin", "A_SECOND", "before", "HOME", "/h", NULL};
  krait_envmap orig = KRAIT_ENVMAP_INIT, env = KRAIT_ENVMAP_INIT;
  env_of(&orig, pairs);
  env_of(&env, pairs);
  krait_err err = {0};
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, a, false, &err) == KRAIT_OK, "%s", err.msg);
  char *want = krait_asprintf("%s/bin:/usr/bin::/bin:/usr/bin", a);
  CHECK_STR(krait_envmap_get(&env, "PATH"), want);
  free(want);
  CHECK_STR(krait_envmap_get(&env, "CONDA_SHLVL"), "1");
  CHECK_STR(krait_envmap_get(&env, "A_SECOND"), "x:y=z %41 \n");
  CHECK_STR(krait_envmap_get(&env, "Z_FIRST"), "1");
  CHECK(krait_envmap_get(&env, "_KRAIT_ACT_1") != NULL, "record");
  krait_envmap after_a = KRAIT_ENVMAP_INIT;
  for (size_t i = 0; i < env.len; i++)
    krait_envmap_set(&after_a, env.items[i].name, env.items[i].value);

  CHECK(step(&env, KRAIT_ACT_ACTIVATE, b, false, &err) == KRAIT_OK, "%s", err.msg);
  CHECK_STR(krait_envmap_get(&env, "CONDA_SHLVL"), "2");
  CHECK_STR(krait_envmap_get(&env, "CONDA_PREFIX_1"), a);
  CHECK_STR(krait_envmap_get(&env, "A_SECOND"), "before"); /* A's own value went with A */
  CHECK(krait_envmap_get(&env, "Z_FIRST") == NULL, "Z_FIRST unset with A");
  want = krait_asprintf("%s/bin:/usr/bin::/bin:/usr/bin", b);
  CHECK_STR(krait_envmap_get(&env, "PATH"), want);
  free(want);

  CHECK(step(&env, KRAIT_ACT_ACTIVATE, a, true, &err) == KRAIT_OK, "%s", err.msg);
  want = krait_asprintf("%s/bin:%s/bin:/usr/bin::/bin:/usr/bin", a, b);
  CHECK_STR(krait_envmap_get(&env, "PATH"), want);
  free(want);
  for (int i = 0; i < 2; i++)
    CHECK(step(&env, KRAIT_ACT_DEACTIVATE, NULL, false, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(same_env(&env, &after_a), "back to A exactly");
  CHECK(step(&env, KRAIT_ACT_DEACTIVATE, NULL, false, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(same_env(&env, &orig), "back to the start exactly");
  /* nothing active: deactivating changes nothing */
  CHECK(step(&env, KRAIT_ACT_DEACTIVATE, NULL, false, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(same_env(&env, &orig), "no-op");
  krait_envmap_free(&after_a);
  krait_envmap_free(&orig);
  krait_envmap_free(&env);
  free(a);
  free(b);
}

static void test_unset_path_restored_unset(void) {
  char *a = make_env("nopath", NULL);
  krait_envmap env = KRAIT_ENVMAP_INIT;
  krait_envmap_set(&env, "HOME", "/h");
  krait_err err = {0};
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, a, false, &err) == KRAIT_OK, "%s", err.msg);
  char *bin = krait_path_join(a, "bin");
  CHECK_STR(krait_envmap_get(&env, "PATH"), bin);
  free(bin);
  CHECK(step(&env, KRAIT_ACT_DEACTIVATE, NULL, false, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_envmap_get(&env, "PATH") == NULL, "PATH unset again");
  CHECK(env.len == 1, "only HOME left: %zu", env.len);
  krait_envmap_free(&env);
  free(a);
}

static void test_errors(void) {
  krait_err err = {0};
  krait_envmap env = KRAIT_ENVMAP_INIT;
  char *missing = krait_path_join(tmp_root, "not-an-env");
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, missing, false, &err) == KRAIT_E_NOTFOUND, "not an env");
  CHECK(strstr(err.msg, "not-an-env") != NULL, "%s", err.msg);
  free(missing);
  char *bad = make_env("badstate", "{\"env_vars\": {\"N\": ");
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, bad, false, &err) == KRAIT_E_PARSE, "malformed state");
  CHECK(strstr(err.msg, "badstate/conda-meta/state") != NULL, "%s", err.msg);
  free(bad);
  char *badd = make_env("badenvvarsd", NULL);
  write_text(badd, "etc/conda/env_vars.d/x.json", "{\"N\": 3}");
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, badd, false, &err) == KRAIT_E_PARSE, "non-string in env_vars.d");
  CHECK(strstr(err.msg, "env_vars.d/x.json") && strstr(err.msg, "\"N\""), "%s", err.msg);
  free(badd);
  char *reserved = make_env("reserved", "{\"env_vars\": {\"PATH\": \"/x\"}}");
  CHECK(step(&env, KRAIT_ACT_ACTIVATE, reserved, false, &err) == KRAIT_E_INVALID, "PATH in state");
  CHECK(strstr(err.msg, "may not set PATH") != NULL, "%s", err.msg);
  free(reserved);
  krait_envmap_set(&env, "CONDA_SHLVL", "1");
  krait_envmap_set(&env, "CONDA_PREFIX", "/somewhere");
  const char *corrupt[] = {"v2", "v1:S", "v1:Sname", "v1:Pbad%4", "v1:Pnul%00", "v1:Q", "v1x", NULL};
  for (const char *const *c = corrupt; *c; c++) {
    krait_envmap_set(&env, "_KRAIT_ACT_1", *c);
    CHECK(step(&env, KRAIT_ACT_DEACTIVATE, NULL, false, &err) == KRAIT_E_PARSE, "corrupt record %s", *c);
    CHECK(strstr(err.msg, "_KRAIT_ACT_1") != NULL, "%s", err.msg);
  }
  krait_envmap_free(&env);
}

static void test_state_order_and_env_vars_d(void) {
  char *p = make_env("order", "{\"env_vars\": {\"ZZ\": \"state\", \"AA\": \"2\", \"MM\": \"3\"}}");
  write_text(p, "etc/conda/env_vars.d/b.json", "{\"ZZ\": \"pkg-b\", \"PKG\": \"b\"}");
  write_text(p, "etc/conda/env_vars.d/a.json", "{\"PKG\": \"a\", \"ONLY_A\": \"1\"}");
  krait_env_vars vars = {KRAIT_STRV_INIT, KRAIT_STRV_INIT};
  krait_err err = {0};
  CHECK(krait_env_state_read(p, &vars, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(vars.names.len == 3 && strcmp(vars.names.items[0], "ZZ") == 0 && strcmp(vars.names.items[2], "MM") == 0,
        "file order");
  krait_env_vars_free(&vars);
  CHECK(krait_act_env_vars(p, &vars, &err) == KRAIT_OK, "%s", err.msg);
  /* a.json, b.json (sorted), then the state file; later values replace in place */
  const char *want_n[] = {"PKG", "ONLY_A", "ZZ", "AA", "MM"};
  const char *want_v[] = {"b", "1", "state", "2", "3"};
  CHECK(vars.names.len == 5, "%zu names", vars.names.len);
  for (size_t i = 0; i < 5 && i < vars.names.len; i++) {
    CHECK_STR(vars.names.items[i], want_n[i]);
    CHECK_STR(vars.values.items[i], want_v[i]);
  }
  krait_env_vars_free(&vars);
  char *typed = make_env("typed", "{\"env_vars\": {\"NUM\": 3, \"FLAG\": true}, \"other\": 1}");
  CHECK(krait_env_state_read(typed, &vars, &err) == KRAIT_OK, "%s", err.msg);
  CHECK_STR(krait_env_vars_get(&vars, "NUM"), "3"); /* non-strings as their JSON text */
  CHECK_STR(krait_env_vars_get(&vars, "FLAG"), "true");
  krait_env_vars_free(&vars);
  free(typed);
  char *none = make_env("nostate", NULL);
  CHECK(krait_env_state_read(none, &vars, &err) == KRAIT_OK && vars.names.len == 0, "no state file");
  free(none);
  free(p);
}

static void test_scripts_and_render(void) {
  char *p = make_env("scripts", "{\"env_vars\": {\"Q\": \"it's $x!\\nline\"}}");
  write_text(p, "etc/conda/activate.d/b.sh", "");
  write_text(p, "etc/conda/activate.d/a.sh", "");
  write_text(p, "etc/conda/activate.d/B.sh", "");
  write_text(p, "etc/conda/activate.d/c.fish", "");
  write_text(p, "etc/conda/activate.d/.hidden.sh", "");
  krait_strv v = KRAIT_STRV_INIT;
  krait_act_list_scripts(p, "activate.d", ".sh", false, &v);
  CHECK(v.len == 3, "%zu scripts", v.len);
  if (v.len == 3) {
    CHECK(strstr(v.items[0], "/B.sh") && strstr(v.items[1], "/a.sh") && strstr(v.items[2], "/b.sh"),
          "code-point order");
  }
  krait_strv_free(&v);
  krait_act_list_scripts(p, "activate.d", ".sh", true, &v);
  CHECK(v.len == 3 && strstr(v.items[0], "/b.sh"), "reversed");
  krait_strv_free(&v);

  krait_envmap env = KRAIT_ENVMAP_INIT;
  krait_envmap_set(&env, "PATH", "/bin");
  krait_act_request req = {.kind = KRAIT_ACT_ACTIVATE, .prefix = p, .script_ext = ".sh", .change_prompt = true};
  krait_act_plan plan;
  krait_err err = {0};
  CHECK(krait_act_plan_build(&req, &env, &plan, &err) == KRAIT_OK, "%s", err.msg);
  krait_buf out = KRAIT_BUF_INIT;
  CHECK(krait_act_render(&plan, KRAIT_SHELL_BASH, &out, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(strstr(krait_buf_str(&out), "export Q='it'\\''s $x!\nline'\n") != NULL, "posix quoting: %s",
        krait_buf_str(&out));
  CHECK(strstr(krait_buf_str(&out), "_krait_ps1_1=") != NULL, "prompt saved");
  krait_buf_clear(&out);
  CHECK(krait_act_render(&plan, KRAIT_SHELL_FISH, &out, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(strstr(krait_buf_str(&out), "set -gx Q 'it\\'s $x!\nline'\n") != NULL, "fish quoting: %s",
        krait_buf_str(&out));
  krait_buf_clear(&out);
  CHECK(krait_act_render(&plan, KRAIT_SHELL_TCSH, &out, &err) == KRAIT_E_UNSUPPORTED, "tcsh: newline refused");
  CHECK(strstr(err.msg, "Q") != NULL, "%s", err.msg);
  krait_buf_free(&out);
  krait_act_plan_free(&plan);
  krait_envmap_free(&env);
  free(p);
}

static void test_rc_block(void) {
  char *rc = krait_path_join(tmp_root, "home/.bashrc");
  krait_err err = {0};
  bool changed;
  CHECK(krait_shell_rc_add(rc, "eval hook\n", &changed, &err) == KRAIT_OK && changed, "created: %s", err.msg);
  krait_buf b = KRAIT_BUF_INIT;
  krait_read_file(rc, &b, &err);
  CHECK_STR(krait_buf_str(&b), KRAIT_RC_BEGIN "\neval hook\n" KRAIT_RC_END "\n");
  CHECK(krait_shell_rc_add(rc, "eval hook\n", &changed, &err) == KRAIT_OK && !changed, "idempotent");
  CHECK(krait_shell_rc_remove(rc, &changed, &err) == KRAIT_OK && changed, "removed");
  krait_read_file(rc, &b, &err);
  CHECK(b.len == 0, "empty again");
  const char *orig = "# mine\nexport X=1"; /* no final newline */
  krait_write_file_atomic(rc, orig, strlen(orig), 0600, &err);
  CHECK(krait_shell_rc_add(rc, "old\n", &changed, &err) == KRAIT_OK && changed, "appended");
  CHECK(krait_shell_rc_add(rc, "new\n", &changed, &err) == KRAIT_OK && changed, "replaced in place");
  krait_read_file(rc, &b, &err);
  CHECK(strstr(krait_buf_str(&b), "old") == NULL && strstr(krait_buf_str(&b), "\nnew\n"), "%s", krait_buf_str(&b));
  CHECK(krait_shell_rc_remove(rc, &changed, &err) == KRAIT_OK && changed, "removed");
  krait_read_file(rc, &b, &err);
  CHECK_STR(krait_buf_str(&b), "# mine\nexport X=1\n");
  CHECK(krait_shell_rc_remove(rc, &changed, &err) == KRAIT_OK && !changed, "nothing to remove");
  krait_buf_free(&b);
  free(rc);
}

static void test_which(void) {
  char *sh = krait_run_which("sh", "/nonexistent::/usr/bin:/bin");
  CHECK(sh && (strcmp(sh, "/usr/bin/sh") == 0 || strcmp(sh, "/bin/sh") == 0), "%s", sh ? sh : "(null)");
  free(sh);
  CHECK(krait_run_which("no-such-command-xyz", "/usr/bin:/bin") == NULL, "not found");
  char *direct = krait_run_which("./x", NULL);
  CHECK_STR(direct, "./x");
  free(direct);
}

int main(void) {
  tmp_root = krait_strdup("/tmp/krait-activate-XXXXXX");
  if (!mkdtemp(tmp_root)) {
    fprintf(stderr, "mkdtemp %s failed\n", tmp_root);
    return 1;
  }
  test_round_trip_exact();
  test_unset_path_restored_unset();
  test_errors();
  test_state_order_and_env_vars_d();
  test_scripts_and_render();
  test_rc_block();
  test_which();
  krait_err err = {0};
  krait_rm_rf(tmp_root, &err);
  free(tmp_root);
  return krait_test_finish("activate");
}
