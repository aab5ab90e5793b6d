/* `krait index` through its library API (krait/chindex.h) on real archives
 * of conda-index's own test channel: records, incremental reuse, refusal of
 * a misnamed archive, and a missing directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/chindex.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/json.h"

static void copy_file(const char *from, const char *to) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_err err;
  CHECK(krait_read_file(from, &b, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_write_file_atomic(to, b.data ? b.data : "", b.len, 0644, &err) == KRAIT_OK, "%s", err.msg);
  krait_buf_free(&b);
}

int main(void) {
  const char *shared = getenv("KRAIT_SHARED_DIR");
  char *src = krait_asprintf("%s/data/channels/conda-index-packages/osx-64", shared ? shared : "../shared");
  if (!krait_is_dir(src))
    krait_test_skip("conda-index-packages channel not found (set KRAIT_SHARED_DIR)");
  char tmpl[] = "/tmp/krait-chindex-XXXXXX";
  CHECK(mkdtemp(tmpl) != NULL, "mkdtemp");
  char *sub = krait_asprintf("%s/osx-64", tmpl);
  krait_err err;
  CHECK(krait_mkdir_p(sub, 0755, &err) == KRAIT_OK, "%s", err.msg);
  const char *fns[] = {"dummy-package-1.0-0.tar.bz2", "dummy-package-2.0-0.tar.bz2"};
  for (int i = 0; i < 2; i++) {
    char *a = krait_asprintf("%s/%s", src, fns[i]), *b = krait_asprintf("%s/%s", sub, fns[i]);
    copy_file(a, b);
    free(a);
    free(b);
  }

  krait_ctx *ctx = krait_ctx_new();
  krait_index_opts opts = {.threads = 2};
  krait_index_stats st;
  CHECK(krait_index_channel(ctx, tmpl, &opts, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(st.archives == 2 && st.read == 2 && st.subdirs == 2 && st.shards == 1, "stats %ld %ld %ld %ld", st.archives,
        st.read, st.subdirs, st.shards);

  /* the record is conda-index's (repodata_from_packages.json of the real channel) */
  char *mine_path = krait_asprintf("%s/repodata.json", sub);
  char *ref_path = krait_asprintf("%s/repodata_from_packages.json", src);
  krait_json *mine = krait_json_parse_file(mine_path, &err), *ref = krait_json_parse_file(ref_path, &err);
  CHECK(mine && ref, "parse: %s", err.msg);
  for (int i = 0; mine && ref && i < 2; i++) {
    const krait_json *m = krait_json_get_object(krait_json_get_object(mine, "packages"), fns[i]);
    const krait_json *r = krait_json_get_object(krait_json_get_object(ref, "packages"), fns[i]);
    CHECK(m && r, "%s present", fns[i]);
    krait_buf mb = KRAIT_BUF_INIT, rb = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &mb, 0);
    krait_jw_value(&w, m);
    krait_jw_init(&w, &rb, 0);
    krait_jw_value(&w, r); /* both have sorted keys */
    CHECK_STR(mb.data, rb.data);
    krait_buf_free(&mb);
    krait_buf_free(&rb);
  }
  krait_json_free(mine);
  krait_json_free(ref);
  char *noarch = krait_asprintf("%s/noarch/repodata.json", tmpl);
  CHECK(krait_path_exists(noarch), "noarch/repodata.json is always written");

  /* incremental: nothing read again */
  CHECK(krait_index_channel(ctx, tmpl, &opts, &st, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(st.archives == 2 && st.read == 0 && st.shards == 0, "second run read %ld, wrote %ld shards", st.read,
        st.shards);

  /* an archive whose index.json disagrees with its name: refused, nothing rewritten */
  char *bad = krait_asprintf("%s/dummy-package-3.0-0.tar.bz2", sub);
  char *good = krait_asprintf("%s/%s", sub, fns[0]);
  copy_file(good, bad);
  krait_buf before = KRAIT_BUF_INIT, after = KRAIT_BUF_INIT;
  CHECK(krait_read_file(mine_path, &before, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_index_channel(ctx, tmpl, &opts, &st, &err) == KRAIT_E_INVALID, "misnamed archive accepted");
  CHECK(strstr(err.msg, "dummy-package-3.0-0.tar.bz2") && strstr(err.msg, "dummy-package-1.0-0"), "%s", err.msg);
  CHECK(krait_read_file(mine_path, &after, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0, "repodata.json changed");
  krait_buf_free(&before);
  krait_buf_free(&after);

  char *missing = krait_asprintf("%s/nope", tmpl);
  CHECK(krait_index_channel(ctx, missing, &opts, &st, &err) == KRAIT_E_NOTFOUND, "missing dir");
  CHECK(strstr(err.msg, "nope") != NULL, "%s", err.msg);

  krait_rm_rf(tmpl, &err);
  krait_ctx_free(ctx);
  free(missing), free(bad), free(good), free(noarch), free(mine_path), free(ref_path), free(sub), free(src);
  return krait_test_finish("chindex");
}
