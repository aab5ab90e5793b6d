/* In-place .condarc edits: exact expected text for block, flow, anchored,
 * commented and empty files; refusals leave nothing changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/condarc_edit.h"
#include "krait/fs.h"
#include "krait/rckeys.h"

/* Applies one edit and compares the whole new text with `want`. */
static void expect_edit(int line, const char *text, krait_rc_op op, const char *key, const char *value,
                        const char *want) {
  krait_buf out = KRAIT_BUF_INIT;
  krait_err err;
  krait_err_clear(&err);
  krait_code rc = krait_condarc_edit_text(text, strlen(text), "test.condarc", op, key, value, &out, NULL, &err);
  CHECK(rc == KRAIT_OK, "line %d: edit failed: %s", line, err.msg);
  if (rc == KRAIT_OK)
    CHECK(strcmp(krait_buf_str(&out), want) == 0, "line %d: got\n---\n%s---\nwant\n---\n%s---", line,
          krait_buf_str(&out), want);
  krait_buf_free(&out);
}

static void expect_error(int line, const char *text, krait_rc_op op, const char *key, const char *value,
                         const char *words) {
  krait_buf out = KRAIT_BUF_INIT;
  krait_err err;
  krait_err_clear(&err);
  krait_code rc = krait_condarc_edit_text(text, strlen(text), "test.condarc", op, key, value, &out, NULL, &err);
  CHECK(rc != KRAIT_OK, "line %d: edit should fail", line);
  CHECK(strstr(err.msg, words) != NULL, "line %d: message \"%s\" lacks \"%s\"", line, err.msg, words);
  krait_buf_free(&out);
}

#define EDIT(text, op, key, value, want) expect_edit(__LINE__, text, op, key, value, want)
#define REFUSE(text, op, key, value, words) expect_error(__LINE__, text, op, key, value, words)

/* A site configuration as HPC centres write it: comments everywhere. */
static const char site_rc[] = "# Site configuration for group storage\n"
                              "channels:  # searched in this order\n"
                              "  - conda-forge   # main\n"
                              "  - bioconda\n"
                              "\n"
                              "# shared caches\n"
                              "pkgs_dirs:\n"
                              "  - /lustre/group/pkgs\n"
                              "channel_priority: strict # as recommended\n"
                              "always_yes: false\n";

static void test_block_lists(void) {
  EDIT(site_rc, KRAIT_RC_OP_APPEND, "channels", "defaults",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "  - defaults\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  EDIT(site_rc, KRAIT_RC_OP_PREPEND, "channels", "https://my.mirror/chan",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - https://my.mirror/chan\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  EDIT(site_rc, KRAIT_RC_OP_REMOVE, "channels", "conda-forge",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  /* the last item: an empty list, as conda writes it */
  EDIT(site_rc, KRAIT_RC_OP_REMOVE, "pkgs_dirs", "/lustre/group/pkgs",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs: []\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  /* an item already there moves (conda's behaviour) */
  EDIT(site_rc, KRAIT_RC_OP_PREPEND, "channels", "bioconda",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - bioconda\n"
       "  - conda-forge   # main\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  /* unindented block list */
  EDIT("envs_dirs:\n- /a\n- /b\n", KRAIT_RC_OP_APPEND, "envs_dirs", "/c", "envs_dirs:\n- /a\n- /b\n- /c\n");
  /* no trailing newline */
  EDIT("envs_dirs:\n  - /a", KRAIT_RC_OP_APPEND, "envs_dirs", "/c", "envs_dirs:\n  - /a\n  - /c\n");
  /* a key with no value yet */
  EDIT("envs_dirs:   # fill me\nx_other: 1\n", KRAIT_RC_OP_APPEND, "envs_dirs", "/g/envs",
       "envs_dirs: [/g/envs]   # fill me\nx_other: 1\n");
}

static void test_scalars_and_keys(void) {
  EDIT(site_rc, KRAIT_RC_OP_SET, "channel_priority", "flexible",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: flexible # as recommended\n"
       "always_yes: false\n");
  EDIT(site_rc, KRAIT_RC_OP_SET, "always_yes", "YES",
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "pkgs_dirs:\n"
       "  - /lustre/group/pkgs\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: true\n");
  EDIT(site_rc, KRAIT_RC_OP_REMOVE_KEY, "pkgs_dirs", NULL,
       "# Site configuration for group storage\n"
       "channels:  # searched in this order\n"
       "  - conda-forge   # main\n"
       "  - bioconda\n"
       "\n"
       "# shared caches\n"
       "channel_priority: strict # as recommended\n"
       "always_yes: false\n");
  EDIT(site_rc, KRAIT_RC_OP_SET, "extract_threads", "4", "# Site configuration for group storage\n"
                                                         "channels:  # searched in this order\n"
                                                         "  - conda-forge   # main\n"
                                                         "  - bioconda\n"
                                                         "\n"
                                                         "# shared caches\n"
                                                         "pkgs_dirs:\n"
                                                         "  - /lustre/group/pkgs\n"
                                                         "channel_priority: strict # as recommended\n"
                                                         "always_yes: false\n"
                                                         "extract_threads: 4\n");
  /* strings YAML would read as something else are quoted */
  EDIT("", KRAIT_RC_OP_SET, "env_prompt", "({name}) ", "env_prompt: '({name}) '\n");
  EDIT("", KRAIT_RC_OP_SET, "channel_alias", "https://mirror.example/conda",
       "channel_alias: https://mirror.example/conda\n");
  EDIT("", KRAIT_RC_OP_SET, "ssl_verify", "false", "ssl_verify: 'false'\n");
  EDIT("# only a comment\n", KRAIT_RC_OP_SET, "offline", "on", "# only a comment\noffline: true\n");
  /* a new channels list keeps defaults after the new channel (conda) */
  EDIT("", KRAIT_RC_OP_PREPEND, "channels", "conda-forge", "channels:\n  - conda-forge\n  - defaults\n");
  EDIT("", KRAIT_RC_OP_APPEND, "channels", "conda-forge", "channels:\n  - defaults\n  - conda-forge\n");
  EDIT("", KRAIT_RC_OP_APPEND, "pkgs_dirs", "/g/pkgs", "pkgs_dirs:\n  - /g/pkgs\n");
  /* UTF-8 before the edited spans: offsets are bytes, libyaml counts characters */
  EDIT("# réglages du groupe — café\nchannel_priority: strict\n", KRAIT_RC_OP_SET, "channel_priority", "disabled",
       "# réglages du groupe — café\nchannel_priority: disabled\n");
  /* indented root mapping */
  EDIT("  offline: false\n", KRAIT_RC_OP_SET, "always_yes", "true", "  offline: false\n  always_yes: true\n");
}

static void test_flow_and_anchors(void) {
  EDIT("channels: [conda-forge, bioconda]  # flow\n", KRAIT_RC_OP_APPEND, "channels", "defaults",
       "channels: [conda-forge, bioconda, defaults]  # flow\n");
  EDIT("channels: [conda-forge, bioconda]\n", KRAIT_RC_OP_PREPEND, "channels", "x",
       "channels: [x, conda-forge, bioconda]\n");
  EDIT("channels: [conda-forge, bioconda]\n", KRAIT_RC_OP_REMOVE, "channels", "conda-forge", "channels: [bioconda]\n");
  EDIT("channels: [conda-forge, bioconda]\n", KRAIT_RC_OP_REMOVE, "channels", "bioconda", "channels: [conda-forge]\n");
  EDIT("channels: [conda-forge]\n", KRAIT_RC_OP_REMOVE, "channels", "conda-forge", "channels: []\n");
  EDIT("channels: []\n", KRAIT_RC_OP_APPEND, "channels", "a", "channels: [a]\n");
  /* flow root mapping */
  EDIT("{channels: [a], offline: true}\n", KRAIT_RC_OP_SET, "always_yes", "true",
       "{channels: [a], offline: true, always_yes: true}\n");
  EDIT("{channels: [a], offline: true}\n", KRAIT_RC_OP_REMOVE_KEY, "channels", NULL, "{offline: true}\n");
  EDIT("{channels: [a], offline: true}\n", KRAIT_RC_OP_REMOVE_KEY, "offline", NULL, "{channels: [a]}\n");
  EDIT("{}\n", KRAIT_RC_OP_SET, "offline", "true", "{offline: true}\n");
  /* anchors are kept; an alias is replaced by the list it now holds */
  static const char anchored[] = "channels: &chans\n  - conda-forge\n  - bioconda\n"
                                 "default_channels: *chans\n";
  EDIT(anchored, KRAIT_RC_OP_APPEND, "channels", "x",
       "channels: &chans\n  - conda-forge\n  - bioconda\n  - x\ndefault_channels: *chans\n");
  EDIT(anchored, KRAIT_RC_OP_APPEND, "default_channels", "x",
       "channels: &chans\n  - conda-forge\n  - bioconda\ndefault_channels: [conda-forge, bioconda, x]\n");
  EDIT(anchored, KRAIT_RC_OP_REMOVE_KEY, "default_channels", NULL, "channels: &chans\n  - conda-forge\n  - bioconda\n");
  EDIT("channel_alias: &a https://x.example\n", KRAIT_RC_OP_SET, "channel_alias", "https://y.example",
       "channel_alias: &a https://y.example\n");
  /* removing the anchor an alias still uses would break the file */
  REFUSE(anchored, KRAIT_RC_OP_REMOVE_KEY, "channels", NULL, "invalid");
}

static void test_refusals(void) {
  REFUSE(site_rc, KRAIT_RC_OP_SET, "chanels", "x", "did you mean \"channels\"");
  REFUSE(site_rc, KRAIT_RC_OP_SET, "channels", "x", "is a list");
  REFUSE(site_rc, KRAIT_RC_OP_APPEND, "channel_priority", "x", "not a list");
  /* values are checked by the rule krait applies them with (rckeys.c), as when a file is read */
  REFUSE(site_rc, KRAIT_RC_OP_SET, "download_threads", "999", "download_threads must be an integer from 1 to 256");
  REFUSE(site_rc, KRAIT_RC_OP_SET, "lock_timeout", "-5", "lock_timeout must be a number of seconds");
  REFUSE(site_rc, KRAIT_RC_OP_SET, "always_yes", "maybe", "true or false");
  REFUSE(site_rc, KRAIT_RC_OP_SET, "extract_threads", "four", "integer");
  REFUSE(site_rc, KRAIT_RC_OP_REMOVE, "channels", "nothere", "not in the channels list");
  REFUSE(site_rc, KRAIT_RC_OP_REMOVE_KEY, "offline", NULL, "not set");
  REFUSE("channels: [a\n", KRAIT_RC_OP_SET, "offline", "true", "test.condarc:");
  REFUSE("- a\n- b\n", KRAIT_RC_OP_SET, "offline", "true", "expected a mapping");
  REFUSE("channels: conda-forge\n", KRAIT_RC_OP_APPEND, "channels", "x", "not a list");
  REFUSE("", KRAIT_RC_OP_SET, "channel_alias", "a\nb", "control character");
  REFUSE("", KRAIT_RC_OP_SET, "proxy_servers", "x", "mapping");
  REFUSE(site_rc, KRAIT_RC_OP_SET, "channel_priority", "strikt", "one of strict|flexible|disabled");
}

static void test_file(void) {
  char dir[] = "/tmp/krait-test-condarc-XXXXXX";
  if (!mkdtemp(dir)) {
    CHECK(0, "mkdtemp");
    return;
  }
  char *path = krait_path_join(dir, "sub/.condarc");
  krait_err err;
  krait_rc_edit_result res;
  CHECK(krait_condarc_edit_file(path, KRAIT_RC_OP_PREPEND, "channels", "conda-forge", &res, &err) == KRAIT_OK,
        "new file: %s", err.msg);
  CHECK(res.added_defaults, "defaults added to a new channels list");
  CHECK(krait_condarc_edit_file(path, KRAIT_RC_OP_APPEND, "channels", "conda-forge", &res, &err) == KRAIT_OK,
        "move: %s", err.msg);
  CHECK(res.moved, "an existing item is reported as moved");
  chmod(path, 0600);
  CHECK(krait_condarc_edit_file(path, KRAIT_RC_OP_SET, "always_yes", "true", &res, &err) == KRAIT_OK, "%s", err.msg);
  krait_buf text = KRAIT_BUF_INIT;
  krait_read_file(path, &text, NULL);
  CHECK_STR(krait_buf_str(&text), "channels:\n  - defaults\n  - conda-forge\nalways_yes: true\n");
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode kept");
  /* a refused edit leaves the file byte for byte */
  CHECK(krait_condarc_edit_file(path, KRAIT_RC_OP_SET, "always_yes", "perhaps", NULL, &err) != KRAIT_OK, "refused");
  krait_buf again = KRAIT_BUF_INIT;
  krait_read_file(path, &again, NULL);
  CHECK_STR(krait_buf_str(&again), krait_buf_str(&text));
  krait_buf_free(&text);
  krait_buf_free(&again);
  free(path);
  krait_rm_rf(dir, NULL);
}

static void test_keys(void) {
  CHECK_STR(krait_rc_key_nearest("pkg_dirs"), "pkgs_dirs");
  CHECK_STR(krait_rc_key_nearest("channel_prority"), "channel_priority");
  CHECK(krait_rc_key_find("envs_dirs") && krait_rc_key_find("envs_dirs")->type == KRAIT_RC_LIST, "envs_dirs list");
  bool b;
  CHECK(krait_rc_parse_bool("Off", &b) && !b, "Off");
}

int main(void) {
  test_block_lists();
  test_scalars_and_keys();
  test_flow_and_anchors();
  test_refusals();
  test_file();
  test_keys();
  return krait_test_finish("condarc_edit");
}
