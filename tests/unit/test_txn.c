/* Transactions against real packages from ../shared/data/channels/conda-test-recipes:
 * create, update (unlink + link), remove, and failures that must leave the prefix
 * exactly as it was (a failing post-link script, a package whose checksum is wrong). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/journal.h"
#include "krait/json.h"
#include "krait/prefix.h"
#include "krait/txn.h"

static krait_json *repodata;
static char *channel_dir;

/* A record for `fn` as the solver would hand it over (file:// URL, channel). */
static void record_for(const char *fn, krait_record *out) {
  const krait_json *pkgs = krait_json_get(repodata, "packages.conda");
  const krait_json *obj = krait_json_get(pkgs, fn);
  krait_err err;
  CHECK(obj && krait_record_from_json(out, obj, fn, &err) == KRAIT_OK, "record %s", fn);
  out->channel = krait_asprintf("file://%s", channel_dir);
  out->url = krait_asprintf("file://%s/noarch/%s", channel_dir, fn);
}

/* A listing of every path under dir with type, size and content hash: "nothing changed" means equal. */
static void tree_digest(const char *dir, const char *rel, krait_buf *out) {
  char *abs = rel[0] ? krait_path_join(dir, rel) : krait_strdup(dir);
  DIR *d = opendir(abs);
  if (!d) {
    free(abs);
    return;
  }
  krait_strv names = KRAIT_STRV_INIT;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".krait.lock"))
      krait_strv_push(&names, e->d_name);
  closedir(d);
  krait_strv_sort(&names);
  for (size_t i = 0; i < names.len; i++) {
    char *r = rel[0] ? krait_asprintf("%s/%s", rel, names.items[i]) : krait_strdup(names.items[i]);
    char *p = krait_path_join(dir, r);
    struct stat st;
    lstat(p, &st);
    char hex[65] = "";
    if (S_ISREG(st.st_mode))
      krait_file_digest(p, "sha256", hex, sizeof hex, NULL);
    krait_buf_printf(out, "%s %o %lld %s\n", r, st.st_mode, (long long)st.st_size, hex);
    if (S_ISDIR(st.st_mode))
      tree_digest(dir, r, out);
    free(p);
    free(r);
  }
  krait_strv_free(&names);
  free(abs);
}

static char *digest(const char *dir) {
  krait_buf b = KRAIT_BUF_INIT;
  tree_digest(dir, "", &b);
  return krait_buf_steal(&b);
}

static krait_ctx *make_ctx(const char *root) {
  krait_ctx *ctx = krait_ctx_new();
  krait_strv_free(&ctx->pkgs_dirs);
  krait_strv_push_owned(&ctx->pkgs_dirs, krait_path_join(root, "pkgs"));
  ctx->extract_threads = 2;
  ctx->lock_timeout_seconds = 5;
  return ctx;
}

static krait_code run(krait_ctx *ctx, const char *prefix, const krait_record *link, size_t n_link,
                      const krait_record *unlink, size_t n_unlink, const char *spec, const char *envs_txt,
                      krait_err *err) {
  krait_prefix_state st;
  memset(&st, 0, sizeof st);
  krait_code rc = krait_prefix_load(prefix, &st, err);
  if (rc)
    return rc;
  const char *specs[] = {spec};
  krait_txn_plan plan = {.prefix = prefix, .link = link, .n_link = n_link, .unlink = unlink,
                         .n_unlink = n_unlink, .installed = &st, .requested_specs = specs,
                         .n_requested = spec ? 1 : 0, .cmd_line = "krait test", .environments_txt = envs_txt};
  rc = krait_txn_execute(ctx, &plan, err);
  krait_prefix_state_free(&st);
  return rc;
}

static bool has_meta(const char *prefix, const char *dist) {
  char *p = krait_asprintf("%s/conda-meta/%s.json", prefix, dist);
  bool e = krait_path_exists(p);
  free(p);
  return e;
}

int main(void) {
  char *rd = krait_test_shared("channels/conda-test-recipes/noarch/repodata.json");
  if (!rd)
    krait_test_skip("../shared/data/channels/conda-test-recipes not found");
  krait_err err;
  repodata = krait_json_parse_file(rd, &err);
  channel_dir = krait_path_dirname(rd);
  char *slash = strrchr(channel_dir, '/');
  *slash = '\0'; /* strip /noarch */
  free(rd);

  char tmpl[] = "/tmp/krait-txn-XXXXXX";
  char *root = mkdtemp(tmpl);
  krait_ctx *ctx = make_ctx(root);
  char *prefix = krait_path_join(root, "env");
  char *envs_txt = krait_path_join(root, "environments.txt");

  krait_record v1[2], v2[2], bad, failing;
  record_for("dependency-1.0-0.conda", &v1[0]);
  record_for("dependent-1.0-0.conda", &v1[1]);
  record_for("dependency-2.0-0.conda", &v2[0]);
  record_for("dependent-2.0-0.conda", &v2[1]);
  record_for("failing_post_link-1.0-0.conda", &failing);
  record_for("versioned-1.0-0.conda", &bad);
  free(bad.sha256);
  bad.sha256 = krait_strdup("0000000000000000000000000000000000000000000000000000000000000000");

  /* a failed create leaves no prefix behind */
  CHECK(run(ctx, prefix, &failing, 1, NULL, 0, "failing_post_link", envs_txt, &err) != KRAIT_OK,
        "failing post-link must fail the create");
  CHECK(!krait_path_exists(prefix), "failed create left %s behind", prefix);
  CHECK(run(ctx, prefix, &bad, 1, NULL, 0, "versioned", envs_txt, &err) == KRAIT_E_CHECKSUM,
        "bad sha256 refused: %s", err.msg);
  CHECK(!krait_path_exists(prefix), "checksum failure left a prefix");

  /* create */
  CHECK(run(ctx, prefix, v1, 2, NULL, 0, "dependent=1.0", envs_txt, &err) == KRAIT_OK, "create: %s", err.msg);
  CHECK(has_meta(prefix, "dependency-1.0-0") && has_meta(prefix, "dependent-1.0-0"), "conda-meta records");
  char *hist = krait_path_join(prefix, "conda-meta/history");
  krait_buf hb = KRAIT_BUF_INIT;
  CHECK(krait_read_file(hist, &hb, NULL) == KRAIT_OK && strstr(krait_buf_str(&hb), "dependent-1.0-0") &&
            strstr(krait_buf_str(&hb), "# update specs: ['dependent=1.0']"),
        "history: %s", krait_buf_str(&hb));
  krait_buf envs = KRAIT_BUF_INIT;
  CHECK(krait_read_file(envs_txt, &envs, NULL) == KRAIT_OK && strstr(krait_buf_str(&envs), prefix),
        "env registered");
  krait_prefix_state st;
  CHECK(krait_prefix_load(prefix, &st, &err) == KRAIT_OK && st.len == 2, "2 records installed");
  const krait_prefix_record *dep = krait_prefix_find(&st, "dependent");
  CHECK(dep && dep->requested_spec && strcmp(dep->requested_spec, "dependent=1.0") == 0, "requested_spec kept");
  krait_prefix_state_free(&st);

  /* a failing transaction on an existing env changes nothing */
  char *before = digest(prefix);
  CHECK(run(ctx, prefix, &failing, 1, NULL, 0, "failing_post_link", envs_txt, &err) == KRAIT_E_SCRIPT,
        "post-link failure reported as a script error: %s", err.msg);
  char *after = digest(prefix);
  CHECK(strcmp(before, after) == 0, "prefix changed by a failed install:\n--- before\n%s--- after\n%s", before,
        after);
  free(after);
  /* the same for an update that fails at its last step (unlink of v1 already happened) */
  krait_record upd[3];
  krait_record_copy(&upd[0], &v2[0]);
  krait_record_copy(&upd[1], &v2[1]);
  krait_record_copy(&upd[2], &failing);
  CHECK(run(ctx, prefix, upd, 3, v1, 2, "dependent=2", envs_txt, &err) != KRAIT_OK, "update with failure");
  after = digest(prefix);
  CHECK(strcmp(before, after) == 0, "prefix changed by a failed update");
  free(after);
  free(before);

  /* update for real: v1 -> v2 */
  CHECK(run(ctx, prefix, v2, 2, v1, 2, "dependent=2", envs_txt, &err) == KRAIT_OK, "update: %s", err.msg);
  CHECK(has_meta(prefix, "dependent-2.0-0") && !has_meta(prefix, "dependent-1.0-0"), "updated records");
  CHECK(!krait_journal_pending(prefix), "no journal left");

  /* remove everything: the env stays (conda-meta/history), the packages go */
  CHECK(run(ctx, prefix, NULL, 0, v2, 2, "dependent", envs_txt, &err) == KRAIT_OK, "remove: %s", err.msg);
  CHECK(krait_prefix_load(prefix, &st, &err) == KRAIT_OK && st.len == 0, "nothing installed after remove");
  krait_prefix_state_free(&st);
  CHECK(krait_path_exists(hist), "history kept after remove");

  for (int i = 0; i < 2; i++) {
    krait_record_free(&v1[i]);
    krait_record_free(&v2[i]);
  }
  for (int i = 0; i < 3; i++)
    krait_record_free(&upd[i]);
  krait_record_free(&bad);
  krait_record_free(&failing);
  krait_buf_free(&hb);
  krait_buf_free(&envs);
  free(hist);
  krait_rm_rf(root, NULL);
  free(prefix);
  free(envs_txt);
  free(channel_dir);
  krait_json_free(repodata);
  krait_ctx_free(ctx);
  return krait_test_finish("txn");
}
