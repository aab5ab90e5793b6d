/* Channels and repodata loading: channel parsing, record counts of real
 * repodata files, .conda-over-.tar.bz2, base_url, records against the JSON
 * they came from, the .solv cache (hit, invalidation, corruption),
 * priorities, add_pip_as_python_dependency, bad-JSON positions, and HTTP
 * download/revalidation against a real local server. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <solv/pool.h>
#include <solv/repo.h>

#include "harness.h"
#include "krait/channel.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/repodata.h"

static char *g_tmp;   /* scratch dir, removed at the end */
static krait_ctx *g_ctx;

static Pool *new_pool(void) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  return pool;
}

static void free_pool(Pool *pool) {
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
}

static char *tmp_path(const char *name) { return krait_path_join(g_tmp, name); }

static void write_text(const char *path, const char *text) {
  krait_err err;
  krait_code rc = krait_write_file_atomic(path, text, strlen(text), 0644, &err);
  CHECK(rc == KRAIT_OK, "write %s: %s", path, rc ? err.msg : "");
}

/* Fresh empty repodata cache dir for one scenario. */
static void use_cache_dir(const char *name) {
  free(g_ctx->repodata_cache_dir);
  g_ctx->repodata_cache_dir = tmp_path(name);
  krait_rm_rf(g_ctx->repodata_cache_dir, NULL);
}

/* ---------------------------------------------------------------- channels */

typedef struct {
  const char *text;
  const char *url;   /* NULL: parse must fail */
  const char *name;
  const char *subdir;
} channel_case;

static void test_channel_parse(void) {
  char *cwd = getcwd(NULL, 0);
  char *rel_url = krait_asprintf("file://%s/rel/chan", cwd);
  const channel_case cases[] = {
      {"conda-forge", "https://conda.anaconda.org/conda-forge", "conda-forge", NULL},
      {" conda-forge/ ", "https://conda.anaconda.org/conda-forge", "conda-forge", NULL},
      {"conda-forge/linux-64", "https://conda.anaconda.org/conda-forge", "conda-forge", "linux-64"},
      {"conda-forge/label/dev", "https://conda.anaconda.org/conda-forge/label/dev", "conda-forge/label/dev", NULL},
      {"https://conda.anaconda.org/bioconda/noarch", "https://conda.anaconda.org/bioconda", "bioconda", "noarch"},
      {"https://repo.anaconda.com/pkgs/main/", "https://repo.anaconda.com/pkgs/main",
       "https://repo.anaconda.com/pkgs/main", NULL},
      {"http://127.0.0.1:8000/chan", "http://127.0.0.1:8000/chan", "http://127.0.0.1:8000/chan", NULL},
      {"http://127.0.0.1:8000", "http://127.0.0.1:8000", "http://127.0.0.1:8000", NULL},
      {"file:///srv/chan/", "file:///srv/chan", "file:///srv/chan", NULL},
      {"file:///srv/chan/osx-arm64", "file:///srv/chan", "file:///srv/chan", "osx-arm64"},
      {"/srv/my chan", "file:///srv/my%20chan", "file:///srv/my%20chan", NULL},
      {"/srv/chan/noarch/", "file:///srv/chan", "file:///srv/chan", "noarch"},
      {"./rel/chan", rel_url, rel_url, NULL},
      {"https://conda.anaconda.org/t/tk-123/private-chan", "https://conda.anaconda.org/t/tk-123/private-chan",
       "private-chan", NULL},
      {"https://user:secret@repo.example/chan", "https://user:secret@repo.example/chan",
       "https://user:***@repo.example/chan", NULL},
      {"https://repo.example/t/tk-9/chan/", "https://repo.example/t/tk-9/chan", "https://repo.example/t/<TOKEN>/chan",
       NULL},
      {"defaults", NULL, NULL, NULL},
      {"", NULL, NULL, NULL},
      {"s3://bucket/chan", NULL, NULL, NULL},
      {"file://relative/dir", NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const channel_case *c = &cases[i];
    krait_channel ch;
    krait_err err;
    krait_err_clear(&err);
    krait_code rc = krait_channel_parse(g_ctx, c->text, &ch, &err);
    if (!c->url) {
      CHECK(rc != KRAIT_OK && err.msg[0], "\"%s\" should be rejected with a message", c->text);
      continue;
    }
    CHECK(rc == KRAIT_OK, "parse \"%s\": %s", c->text, err.msg);
    if (rc)
      continue;
    CHECK_STR(ch.url, c->url);
    CHECK_STR(ch.name, c->name);
    if (c->subdir) {
      CHECK(ch.subdirs.len == 1, "\"%s\": %zu subdirs", c->text, ch.subdirs.len);
      if (ch.subdirs.len == 1)
        CHECK_STR(ch.subdirs.items[0], c->subdir);
    } else {
      CHECK(ch.subdirs.len == 0, "\"%s\": unexpected subdir", c->text);
    }
    krait_channel_free(&ch);
  }
  free(rel_url);
  free(cwd);

  /* A custom channel alias names channels below it. */
  char *saved = g_ctx->channel_alias;
  g_ctx->channel_alias = krait_strdup("https://mirror.example/conda/");
  krait_channel ch;
  CHECK(krait_channel_parse(g_ctx, "bioconda", &ch, NULL) == KRAIT_OK, "alias parse");
  CHECK_STR(ch.url, "https://mirror.example/conda/bioconda");
  CHECK_STR(ch.name, "bioconda");
  krait_channel_free(&ch);
  free(g_ctx->channel_alias);
  g_ctx->channel_alias = saved;
}

typedef struct {
  const char *channel;
  const char *text;
  bool want;
} match_case;

static void test_channel_matches(void) {
  const match_case cases[] = {
      {"conda-forge", "conda-forge", true},
      {"conda-forge", "https://conda.anaconda.org/conda-forge", true},
      {"conda-forge", "https://conda.anaconda.org/conda-forge/", true},
      {"conda-forge", "conda-forge/linux-64", true},
      {"conda-forge", "bioconda", false},
      {"conda-forge", "https://other.example/conda-forge", false},
      {"/srv/chan", "file:///srv/chan", true},
      {"/srv/chan", "/srv/chan/", true},
      {"/srv/chan", "file://localhost/srv/chan", true},
      {"/srv/my chan", "/srv/my chan", true},
      {"/srv/chan", "/srv/chan2", false},
      {"/srv/chan", "chan", false},
      {"https://repo.example/pkgs/main", "https://repo.example/pkgs/main", true},
      {"https://repo.example/pkgs/main", "main", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    krait_channel ch;
    CHECK(krait_channel_parse(g_ctx, cases[i].channel, &ch, NULL) == KRAIT_OK, "parse %s", cases[i].channel);
    bool got = krait_channel_matches(&ch, g_ctx, cases[i].text);
    CHECK(got == cases[i].want, "%s matches %s: got %d", cases[i].channel, cases[i].text, got);
    krait_channel_free(&ch);
  }
}

/* ---------------------------------------------------------- record counts */

/* Raw entry count of a repodata file and how many entries libsolv drops
 * because a .conda with the same stem exists (in either map), computed
 * independently from libsolv. */
static bool json_counts(const char *path, int *total, int *dups) {
  krait_err err;
  krait_json *j = krait_json_parse_file(path, &err);
  CHECK(j != NULL, "%s", j ? "" : err.msg);
  if (!j)
    return false;
  const krait_json *maps[2] = {krait_json_get_object(j, "packages"), krait_json_get_object(j, "packages.conda")};
  krait_strv stems = KRAIT_STRV_INIT;
  *total = 0;
  for (int m = 0; m < 2; m++) {
    krait_json_foreach(e, maps[m]) {
      (*total)++;
      size_t n = strlen(e->key);
      size_t ext = n > 6 && strcmp(e->key + n - 6, ".conda") == 0 ? 6 : n > 8 && strcmp(e->key + n - 8, ".tar.bz2") == 0 ? 8 : 0;
      char *stem = krait_strndup(e->key, n - ext);
      if (krait_strv_contains(&stems, stem))
        free(stem);
      else
        krait_strv_push_owned(&stems, stem);
    }
  }
  *dups = *total - (int)stems.len;
  krait_strv_free(&stems);
  krait_json_free(j);
  return true;
}

typedef struct {
  const char *path;
  int total; /* the SOURCES.md table's "total" */
} count_case;

static void test_counts(void) {
  const count_case cases[] = {
      {"repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json", 2709},
      {"repodata/conda-forge-subchannel-py39-20240516/win-64/repodata.json", 2339},
      {"repodata/conda-forge-subchannel-py39-20240516/osx-arm64/repodata.json", 832},
      {"repodata/conda-forge-subchannel-py39-20240516/noarch/repodata.json", 205},
      {"repodata/anaconda-r-linux-64-2018/repodata.json", 4211},
      {"repodata/pytorch-linux-64-2023/repodata.json", 2181},
      {"repodata/anaconda-main-noarch-2018/repodata.json", 322},
      {"repodata/synthetic/sudoku.json", 729},
      {"repodata/conda-forge-numpy-slice/conda-forge-numpy-linux-64.json", 34},
      {"repodata/repodata-v2-base-url/conda-forge-repodata-version-2.json", 2},
      {"channels/rattler-dummy/linux-64/repodata.json", 29},
      {"channels/conda-test-recipes/noarch/repodata.json", 32},
      {"channels/rattler-with-wheels/noarch/repodata.json", 6}, /* info holds a nested object */
      {"channels/conda-format-repo/linux-64/repodata.json", 3},
      {"channels/micromamba-channel_a/linux-64/repodata.json", 3},
      {"channels/rattler-empty/noarch/repodata.json", 0},
  };
  use_cache_dir("cache-counts");
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *path = krait_test_shared(cases[i].path);
    CHECK(path != NULL, "missing %s", cases[i].path);
    if (!path)
      continue;
    int total = 0, dups = 0;
    if (json_counts(path, &total, &dups)) {
      CHECK(total == cases[i].total, "%s: %d entries, table says %d", cases[i].path, total, cases[i].total);
      Pool *pool = new_pool();
      Repo *repo = NULL;
      krait_err err;
      krait_repodata_opts opts = {0};
      krait_code rc = krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err);
      CHECK(rc == KRAIT_OK, "load %s: %s", path, rc ? err.msg : "");
      if (rc == KRAIT_OK)
        CHECK(repo->nsolvables == total - dups, "%s: %d solvables, want %d - %d duplicates", cases[i].path,
              repo->nsolvables, total, dups);
      free_pool(pool);
    }
    free(path);
  }
}

/* --------------------------------------------------------- records vs JSON */

static Id find_solvable(Pool *pool, Repo *repo, const char *fn) {
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    krait_record r;
    krait_solvable_record(pool, p, &r, NULL);
    bool hit = r.fn && strcmp(r.fn, fn) == 0;
    krait_record_free(&r);
    if (hit)
      return p;
  }
  return 0;
}

static void test_conda_wins(void) {
  char *path = krait_test_shared("channels/conda-format-repo/linux-64/repodata.json");
  if (!path)
    return;
  use_cache_dir("cache-wins");
  Pool *pool = new_pool();
  Repo *repo = NULL;
  krait_repodata_opts opts = {0};
  krait_err err;
  CHECK(krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK, "%s", err.msg);
  if (repo) {
    CHECK(repo->nsolvables == 2, "libgcc-ng + one zlib, got %d", repo->nsolvables);
    CHECK(find_solvable(pool, repo, "zlib-1.2.11-h7b6447c_3.tar.bz2") == 0, ".tar.bz2 twin must be dropped");
    Id p = find_solvable(pool, repo, "zlib-1.2.11-h7b6447c_3.conda");
    CHECK(p != 0, ".conda record kept");
    krait_record r;
    if (p && krait_solvable_record(pool, p, &r, &err) == KRAIT_OK) {
      CHECK_STR(r.md5, "cb23839f06da92ec92c6d2d2d5e0cb4a");
      CHECK(r.size == 105917, "size %lld", (long long)r.size);
      krait_record_free(&r);
    }
  }
  free_pool(pool);
  free(path);
}

static bool same_str(const char *a, const char *b) {
  if (!a || !*a)
    return !b || !*b;
  return b && strcmp(a, b) == 0;
}

static bool same_strv(const krait_strv *a, const krait_strv *b) {
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (strcmp(a->items[i], b->items[i]) != 0)
      return false;
  return true;
}

/* Every solvable's record equals the JSON entry it came from, field by
 * field, depends and constrains in file order and spelling. */
static void compare_records_with_json(const char *path, Pool *pool, Repo *repo, const char *url_prefix) {
  krait_json *j = krait_json_parse_file(path, NULL);
  CHECK(j != NULL, "parse %s", path);
  if (!j)
    return;
  const krait_json *tb = krait_json_get_object(j, "packages");
  const krait_json *cd = krait_json_get_object(j, "packages.conda");
  int compared = 0, mismatched = 0;
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    krait_record r;
    if (krait_solvable_record(pool, p, &r, NULL) != KRAIT_OK)
      continue;
    const krait_json *e = r.fn ? krait_json_get_object(cd, r.fn) : NULL;
    if (!e && r.fn)
      e = krait_json_get_object(tb, r.fn);
    CHECK(e != NULL, "%s: no JSON entry for %s", path, r.fn ? r.fn : "(null)");
    if (e) {
      krait_record want;
      krait_record_init(&want);
      krait_record_from_json(&want, e, r.fn, NULL);
      bool same = strcmp(r.name, want.name) == 0 && strcmp(r.version, want.version) == 0 &&
                  strcmp(r.build, want.build) == 0 && r.build_number == want.build_number &&
                  (!want.md5 || (r.md5 && strcmp(r.md5, want.md5) == 0)) &&
                  (!want.sha256 || (r.sha256 && strcmp(r.sha256, want.sha256) == 0)) &&
                  (want.size <= 0 || r.size == want.size) && r.timestamp == want.timestamp &&
                  same_str(r.noarch, want.noarch) && same_str(r.license_family, want.license_family) &&
                  same_str(r.license, want.license) && same_str(r.features, want.features) &&
                  same_strv(&r.depends, &want.depends) && same_strv(&r.constrains, &want.constrains) &&
                  same_strv(&r.track_features, &want.track_features);
      char *url = krait_asprintf("%s/%s", url_prefix, r.fn);
      same = same && r.url && strcmp(r.url, url) == 0;
      free(url);
      if (!same && mismatched++ < 5)
        fprintf(stderr, "record mismatch %s: got %s %s %s bn=%lld deps=%zu ts=%lld/%lld noarch=%s/%s url=%s\n", r.fn,
                r.name, r.version, r.build, (long long)r.build_number, r.depends.len, (long long)r.timestamp,
                (long long)want.timestamp, r.noarch ? r.noarch : "-", want.noarch ? want.noarch : "-",
                r.url ? r.url : "(null)");
      krait_record_free(&want);
      compared++;
    }
    krait_record_free(&r);
  }
  CHECK(mismatched == 0, "%s: %d of %d records differ from the JSON", path, mismatched, compared);
  CHECK(compared == repo->nsolvables, "%s: compared %d of %d", path, compared, repo->nsolvables);
  krait_json_free(j);
}

static void test_records_and_base_url(void) {
  use_cache_dir("cache-records");
  /* metadata.base_url (early spelling): a channel URL, archives under <base>/<subdir>. */
  char *sub = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json");
  if (sub) {
    for (int pass = 0; pass < 2; pass++) { /* pass 1 reads the .solv cache: same records */
      Pool *pool = new_pool();
      Repo *repo = NULL;
      krait_subdir_info info = {0};
      info.channel_url = (char *)"https://example.org/conda-forge-subchannel";
      info.channel_name = (char *)"subchannel";
      info.subdir = (char *)"linux-64";
      krait_repodata_opts opts = {0};
      krait_err err;
      CHECK(krait_repodata_load_file(g_ctx, pool, sub, &info, &opts, &repo, &err) == KRAIT_OK, "%s", err.msg);
      if (repo) {
        const krait_subdir_info *got = krait_repo_info(repo);
        CHECK(got->from_solv_cache == (pass == 1), "pass %d: from_solv_cache=%d", pass, got->from_solv_cache);
        CHECK_STR(got->packages_url, "https://conda.anaconda.org/conda-forge/linux-64");
        compare_records_with_json(sub, pool, repo, "https://conda.anaconda.org/conda-forge/linux-64");
        Id p = find_solvable(pool, repo, "python-3.9.19-h0755675_0_cpython.conda");
        CHECK(p != 0, "python 3.9.19 present");
        krait_record r;
        if (p && krait_solvable_record(pool, p, &r, NULL) == KRAIT_OK) {
          CHECK_STR(r.channel, "https://example.org/conda-forge-subchannel");
          CHECK_STR(r.subdir, "linux-64");
          CHECK_STR(r.license, "Python-2.0");
          CHECK(r.timestamp > 1700000000000LL, "timestamp in ms: %lld", (long long)r.timestamp);
          krait_record_free(&r);
        }
      }
      free_pool(pool);
    }
    free(sub);
  }
  /* More real files, field by field (noarch, track_features, features, .conda in "packages"). */
  const struct {
    const char *path;
    const char *base; /* NULL: beside the file */
  } more[] = {
      {"repodata/conda-forge-subchannel-py39-20240516/noarch/repodata.json",
       "https://conda.anaconda.org/conda-forge/noarch"},
      {"repodata/conda-forge-subchannel-py39-20240516/win-64/repodata.json",
       "https://conda.anaconda.org/conda-forge/win-64"},
      {"repodata/anaconda-main-noarch-2018/repodata.json", NULL},
      {"repodata/anaconda-r-linux-64-2018/repodata.json", NULL},
      {"repodata/pytorch-linux-64-2023/repodata.json", NULL},
      {"channels/rattler-dummy/linux-64/repodata.json", NULL},
      {"channels/rattler-with-wheels/noarch/repodata.json", NULL},
      {"channels/conda-test-recipes/noarch/repodata.json", NULL},
  };
  for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
    char *path = krait_test_shared(more[i].path);
    if (!path)
      continue;
    Pool *pool = new_pool();
    Repo *repo = NULL;
    krait_repodata_opts opts = {0};
    krait_err err;
    CHECK(krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK, "%s", err.msg);
    char *dir = krait_path_dirname(path);
    char *prefix = more[i].base ? krait_strdup(more[i].base) : krait_asprintf("file://%s", dir);
    if (repo)
      compare_records_with_json(path, pool, repo, prefix);
    free(prefix);
    free(dir);
    free_pool(pool);
    free(path);
  }
  /* noarch survives libsolv (which drops it) via krait's own attribute, also from the cache. */
  char *na = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/noarch/repodata.json");
  if (na) {
    use_cache_dir("cache-noarch");
    for (int pass = 0; pass < 2; pass++) {
      Pool *pool = new_pool();
      Repo *repo = NULL;
      krait_repodata_opts opts = {0};
      CHECK(krait_repodata_load_file(g_ctx, pool, na, NULL, &opts, &repo, NULL) == KRAIT_OK, "load noarch");
      int python = 0;
      Id p;
      Solvable *sv;
      if (repo) {
        FOR_REPO_SOLVABLES(repo, p, sv) {
          krait_record r;
          krait_solvable_record(pool, p, &r, NULL);
          python += r.noarch && strcmp(r.noarch, "python") == 0;
          krait_record_free(&r);
        }
        CHECK(python > 0 && krait_repo_info(repo)->from_solv_cache == (pass == 1), "noarch python records: %d (pass %d)",
              python, pass);
      }
      free_pool(pool);
    }
    free(na);
  }
  /* info.base_url (CEP-15): the subdir's package URL as is. */
  char *v2 = krait_test_shared("repodata/repodata-v2-base-url/conda-forge-repodata-version-2.json");
  if (v2) {
    Pool *pool = new_pool();
    Repo *repo = NULL;
    krait_repodata_opts opts = {0};
    CHECK(krait_repodata_load_file(g_ctx, pool, v2, NULL, &opts, &repo, NULL) == KRAIT_OK, "load v2");
    if (repo)
      compare_records_with_json(v2, pool, repo, "https://repo.anaconda.com/repo/main/linux-64");
    free_pool(pool);
    free(v2);
  }
  /* Without base_url the archives sit beside the repodata. */
  char *nob = krait_test_shared("repodata/repodata-v2-base-url/conda-forge-repodata-version-2-missing-base_url.json");
  if (nob) {
    Pool *pool = new_pool();
    Repo *repo = NULL;
    krait_repodata_opts opts = {0};
    CHECK(krait_repodata_load_file(g_ctx, pool, nob, NULL, &opts, &repo, NULL) == KRAIT_OK, "load no-base");
    char *dir = krait_path_dirname(nob);
    char *prefix = krait_asprintf("file://%s", dir);
    if (repo)
      compare_records_with_json(nob, pool, repo, prefix);
    free(prefix);
    free(dir);
    free_pool(pool);
    free(nob);
  }
  /* A local channel whose records live elsewhere (base_url), via krait_repodata_load. */
  char *chdir_ = krait_test_shared("repodata/repodata-v2-base-url/conda-base_url_channel");
  if (chdir_) {
    krait_channel ch;
    CHECK(krait_channel_parse(g_ctx, chdir_, &ch, NULL) == KRAIT_OK, "parse %s", chdir_);
    Pool *pool = new_pool();
    Repo *repo = NULL;
    krait_repodata_opts opts = {0};
    krait_err err;
    CHECK(krait_repodata_load(g_ctx, pool, &ch, "linux-64", &opts, &repo, &err) == KRAIT_OK, "%s", err.msg);
    if (repo) {
      Id p = find_solvable(pool, repo, "ca-certificates-2024.3.11-h06a4308_0.conda");
      krait_record r;
      CHECK(p != 0, "ca-certificates present");
      if (p && krait_solvable_record(pool, p, &r, NULL) == KRAIT_OK) {
        CHECK_STR(r.url, "https://repo.anaconda.com/pkgs/main/linux-64/ca-certificates-2024.3.11-h06a4308_0.conda");
        CHECK_STR(r.channel, ch.url);
        krait_record_free(&r);
      }
    }
    free_pool(pool);
    krait_channel_free(&ch);
    free(chdir_);
  }
  /* A relative base_url resolves against the repodata's directory. */
  char *reldir = tmp_path("relchan/linux-64");
  krait_mkdir_p(reldir, 0755, NULL);
  char *relfile = krait_path_join(reldir, "repodata.json");
  write_text(relfile, "{\"info\": {\"subdir\": \"linux-64\", \"base_url\": \"../../mirror/linux-64/\"},\n"
                      " \"packages.conda\": {\"a-1-0.conda\": {\"name\": \"a\", \"version\": \"1\", \"build\": \"0\","
                      " \"build_number\": 0, \"depends\": [], \"subdir\": \"linux-64\"}}}\n");
  char *chan = tmp_path("relchan");
  krait_channel ch;
  krait_channel_parse(g_ctx, chan, &ch, NULL);
  Pool *pool = new_pool();
  Repo *repo = NULL;
  krait_repodata_opts opts = {0};
  krait_err err;
  CHECK(krait_repodata_load(g_ctx, pool, &ch, "linux-64", &opts, &repo, &err) == KRAIT_OK, "%s", err.msg);
  if (repo && repo->nsolvables == 1) {
    krait_record r;
    krait_solvable_record(pool, repo->start, &r, NULL);
    char *want = krait_asprintf("file://%s/mirror/linux-64/a-1-0.conda", g_tmp);
    CHECK_STR(r.url, want);
    free(want);
    krait_record_free(&r);
  }
  free_pool(pool);
  krait_channel_free(&ch);
  free(chan);
  free(relfile);
  free(reldir);
}

/* ------------------------------------------------------------- .solv cache */

static char *only_solv_file(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  char *found = NULL;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 5 && strcmp(e->d_name + l - 5, ".solv") == 0) {
      free(found);
      found = krait_path_join(dir, e->d_name);
      n++;
    }
  }
  closedir(d);
  CHECK(n == 1, "%d .solv files in %s", n, dir);
  return found;
}

/* Loads path into a fresh pool; returns the solvable count (-1 on error). */
static int load_count_opts(const char *path, bool *from_cache, bool no_cache) {
  Pool *pool = new_pool();
  Repo *repo = NULL;
  krait_repodata_opts opts = {.no_solv_cache = no_cache};
  krait_err err;
  int n = -1;
  krait_code rc = krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err);
  CHECK(rc == KRAIT_OK, "load %s: %s", path, rc ? err.msg : "");
  if (rc == KRAIT_OK) {
    n = repo->nsolvables;
    *from_cache = krait_repo_info(repo)->from_solv_cache;
  }
  free_pool(pool);
  return n;
}

static int load_count(const char *path, bool *from_cache) { return load_count_opts(path, from_cache, false); }

static void test_solv_cache(void) {
  char *src = krait_test_shared("channels/conda-format-repo/linux-64/repodata.json");
  if (!src)
    return;
  use_cache_dir("cache-solv");
  char *copy = tmp_path("editable-repodata.json");
  krait_buf text = KRAIT_BUF_INIT;
  krait_read_file(src, &text, NULL);
  write_text(copy, krait_buf_str(&text));

  bool hit = true;
  CHECK(load_count(copy, &hit) == 2 && !hit, "first load parses JSON");
  CHECK(load_count(copy, &hit) == 2 && hit, "second load reads the .solv cache");

  /* Editing the source invalidates the cache: a third package appears. */
  const char *old = "\"packages.conda\": {";
  char *pos = strstr(text.data, old);
  CHECK(pos != NULL, "fixture shape");
  if (pos) {
    krait_buf edited = KRAIT_BUF_INIT;
    krait_buf_append(&edited, text.data, (size_t)(pos - text.data) + strlen(old));
    krait_buf_puts(&edited, "\n \"extra-1.0-0.conda\": {\"name\": \"extra\", \"version\": \"1.0\", \"build\": \"0\","
                            " \"build_number\": 0, \"depends\": [], \"subdir\": \"linux-64\"},");
    krait_buf_puts(&edited, pos + strlen(old));
    write_text(copy, krait_buf_str(&edited));
    krait_buf_free(&edited);
    CHECK(load_count(copy, &hit) == 3 && !hit, "edited source is reparsed");
    CHECK(load_count(copy, &hit) == 3 && hit, "and cached again");
  }

  /* A corrupt .solv (valid header, garbage body) is ignored and rewritten. */
  char *solv = only_solv_file(g_ctx->repodata_cache_dir);
  if (solv) {
    krait_buf s = KRAIT_BUF_INIT;
    krait_read_file(solv, &s, NULL);
    char *nl = strchr(s.data, '\n');
    if (nl) {
      size_t keep = (size_t)(nl - s.data) + 1;
      for (size_t i = keep; i < s.len; i++)
        s.data[i] = (char)(i * 7);
      krait_write_file_atomic(solv, s.data, s.len, 0644, NULL);
    }
    krait_buf_free(&s);
    CHECK(load_count(copy, &hit) == 3 && !hit, "corrupt cache ignored");
    CHECK(load_count(copy, &hit) == 3 && hit, "corrupt cache rewritten");
    /* A truncated one too. */
    CHECK(truncate(solv, 40) == 0, "truncate");
    CHECK(load_count(copy, &hit) == 3 && !hit, "truncated cache ignored");
    free(solv);
  }
  /* A read-only cache dir is not an error: the load just is not cached. */
  free(g_ctx->repodata_cache_dir);
  g_ctx->repodata_cache_dir = krait_strdup("/proc/krait-no-such-cache");
  CHECK(load_count(copy, &hit) == 3 && !hit, "unwritable cache dir tolerated");
  use_cache_dir("cache-solv");
  krait_buf_free(&text);
  free(copy);
  free(src);
}

/* Cold vs warm timing of the biggest slice (printed, not asserted). */
static void report_timing(void) {
  char *path = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json");
  if (!path)
    return;
  use_cache_dir("cache-timing");
  for (int i = 0; i < 4; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    bool hit = false;
    int n = load_count_opts(path, &hit, i == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("load %s: %d records, %s, %.1f ms\n", "conda-forge-subchannel linux-64", n,
           i == 0 ? "JSON only (no .solv cache)" : hit ? "warm (.solv)" : "cold (JSON + write .solv)",
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  }
  free(path);
}

/* ------------------------------------------------- local channels, options */

static void test_local_channel(void) {
  char *dir = krait_test_shared("channels/micromamba-channel_a");
  char *dummy = krait_test_shared("channels/rattler-dummy");
  if (!dir || !dummy) {
    free(dir);
    free(dummy);
    return;
  }
  use_cache_dir("cache-local");
  krait_channel a, b;
  char *url = krait_asprintf("file://%s", dir);
  CHECK(krait_channel_parse(g_ctx, url, &a, NULL) == KRAIT_OK, "parse a");
  CHECK(krait_channel_parse(g_ctx, dummy, &b, NULL) == KRAIT_OK, "parse b");
  Pool *pool = new_pool();
  krait_err err;
  Repo *a64 = NULL, *anoarch = NULL, *b64 = NULL, *bnoarch = NULL;
  krait_repodata_opts oa = {.channel_index = 0, .n_channels = 2, .priority_mode = KRAIT_PRIORITY_STRICT};
  krait_repodata_opts ob = {.channel_index = 1, .n_channels = 2, .priority_mode = KRAIT_PRIORITY_STRICT};
  CHECK(krait_repodata_load(g_ctx, pool, &a, "linux-64", &oa, &a64, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_repodata_load(g_ctx, pool, &a, "noarch", &oa, &anoarch, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_repodata_load(g_ctx, pool, &b, "linux-64", &ob, &b64, &err) == KRAIT_OK, "%s", err.msg);
  /* rattler-dummy has no noarch/: an error naming the URL, or an empty repo when missing_ok. */
  krait_err_clear(&err);
  CHECK(krait_repodata_load(g_ctx, pool, &b, "noarch", &ob, &bnoarch, &err) == KRAIT_E_NOTFOUND, "missing noarch");
  char *want = krait_asprintf("%s/noarch/repodata.json", b.url);
  CHECK(strstr(err.msg, want) != NULL, "message names the URL: %s", err.msg);
  free(want);
  ob.missing_ok = true;
  CHECK(krait_repodata_load(g_ctx, pool, &b, "noarch", &ob, &bnoarch, &err) == KRAIT_OK, "%s", err.msg);
  if (a64 && anoarch && b64 && bnoarch) {
    CHECK(a64->nsolvables == 3 && anoarch->nsolvables == 2 && b64->nsolvables > 0,
          "counts %d %d %d", a64->nsolvables, anoarch->nsolvables, b64->nsolvables);
    CHECK(bnoarch->nsolvables == 0 && krait_repo_info(bnoarch)->missing, "missing noarch is an empty repo");
    CHECK(a64->priority == 2 && anoarch->priority == 2 && b64->priority == 1 && bnoarch->priority == 1,
          "priorities %d %d %d %d", a64->priority, anoarch->priority, b64->priority, bnoarch->priority);
    CHECK(a64->subpriority > anoarch->subpriority, "native subdir above noarch");
    const krait_subdir_info *ia = krait_repo_info(a64);
    CHECK_STR(ia->channel_url, a.url);
    CHECK_STR(ia->channel_name, a.name);
    CHECK_STR(ia->subdir, "linux-64");
    char *pk = krait_asprintf("%s/linux-64", a.url);
    CHECK_STR(ia->packages_url, pk);
    free(pk);
  }
  free_pool(pool);

  /* Priority disabled: every channel equal. */
  pool = new_pool();
  krait_repodata_opts od = {.channel_index = 1, .n_channels = 2, .priority_mode = KRAIT_PRIORITY_DISABLED};
  Repo *r = NULL;
  CHECK(krait_repodata_load(g_ctx, pool, &a, "linux-64", &od, &r, &err) == KRAIT_OK, "%s", err.msg);
  Repo *r0 = NULL;
  od.channel_index = 0;
  CHECK(krait_repodata_load(g_ctx, pool, &b, "linux-64", &od, &r0, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(r && r0 && r->priority == 0 && r0->priority == 0, "disabled priority is 0");
  CHECK(r && r0 && r0->subpriority > r->subpriority, "disabled: earlier channel still wins ties on version");
  free_pool(pool);

  krait_channel_free(&a);
  krait_channel_free(&b);
  free(url);
  free(dir);
  free(dummy);
}

/* Which records require pip, as "name-version" strings. */
static void pip_requirers(Pool *pool, Repo *repo, krait_strv *out) {
  Id p;
  Solvable *s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    krait_record r;
    krait_solvable_record(pool, p, &r, NULL);
    if (krait_strv_contains(&r.depends, "pip"))
      krait_strv_push_owned(out, krait_asprintf("%s-%s", r.name, r.version));
    krait_record_free(&r);
  }
  krait_strv_sort(out);
}

static void test_pip_dependency(void) {
  use_cache_dir("cache-pip");
  char *path = tmp_path("pip-repodata.json");
  write_text(path, "{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {\n"
                   " \"python-3.9.0-h0.tar.bz2\": {\"name\": \"python\", \"version\": \"3.9.0\", \"build\": \"h0\","
                   "  \"build_number\": 0, \"depends\": [\"openssl\"]},\n"
                   " \"python-2.7.18-h0.tar.bz2\": {\"name\": \"python\", \"version\": \"2.7.18\", \"build\": \"h0\","
                   "  \"build_number\": 0, \"depends\": []},\n"
                   " \"python-1.6-h0.tar.bz2\": {\"name\": \"python\", \"version\": \"1.6\", \"build\": \"h0\","
                   "  \"build_number\": 0, \"depends\": []},\n"
                   " \"pythonx-3.0-h0.tar.bz2\": {\"name\": \"pythonx\", \"version\": \"3.0\", \"build\": \"h0\","
                   "  \"build_number\": 0, \"depends\": []},\n"
                   " \"tool-1.0-h0.tar.bz2\": {\"name\": \"tool\", \"version\": \"1.0\", \"build\": \"h0\","
                   "  \"build_number\": 0, \"depends\": [\"pip\", \"python >=3\"]}}}\n");
  /* on, off, on: the second and third loads come from the .solv cache, so the
   * flag must be applied after loading, not baked into the cache. */
  const bool flags[] = {true, false, true};
  for (int i = 0; i < 3; i++) {
    Pool *pool = new_pool();
    Repo *repo = NULL;
    krait_repodata_opts opts = {.add_pip_as_python_dependency = flags[i]};
    krait_err err;
    CHECK(krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK, "load: %s", err.msg);
    if (repo) {
      krait_strv got = KRAIT_STRV_INIT;
      pip_requirers(pool, repo, &got);
      krait_buf joined = KRAIT_BUF_INIT;
      for (size_t k = 0; k < got.len; k++)
        krait_buf_printf(&joined, "%s%s", k ? " " : "", got.items[k]);
      CHECK_STR(krait_buf_str(&joined), flags[i] ? "python-2.7.18 python-3.9.0 tool-1.0" : "tool-1.0");
      krait_buf_free(&joined);
      krait_strv_free(&got);
      CHECK(krait_repo_info(repo)->from_solv_cache == (i > 0), "pass %d cache", i);
      /* pip comes after the record's own depends */
      Id p = find_solvable(pool, repo, "python-3.9.0-h0.tar.bz2");
      krait_record r;
      if (flags[i] && p && krait_solvable_record(pool, p, &r, NULL) == KRAIT_OK) {
        CHECK(r.depends.len == 2 && strcmp(r.depends.items[0], "openssl") == 0 &&
                  strcmp(r.depends.items[1], "pip") == 0,
              "python depends: %zu", r.depends.len);
        krait_record_free(&r);
      }
    }
    free_pool(pool);
  }
  free(path);
}

/* ------------------------------------------------------------------ errors */

static void test_bad_json(void) {
  use_cache_dir("cache-bad");
  char *path = tmp_path("bad-repodata.json");
  write_text(path, "{\n  \"info\": {\"subdir\": \"noarch\"},\n  \"packages\": {\n"
                   "    \"a-1-0.tar.bz2\": {\"name\": \"a\",, \"version\": \"1\"}\n  }\n}\n");
  Pool *pool = new_pool();
  Repo *repo = NULL;
  krait_err err;
  krait_err_clear(&err);
  krait_repodata_opts opts = {0};
  krait_code rc = krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err);
  CHECK(rc == KRAIT_E_PARSE, "bad JSON is a parse error (rc %d)", rc);
  char *want = krait_asprintf("%s:4:", path);
  CHECK(strncmp(err.msg, want, strlen(want)) == 0, "message names file:line:col: %s", err.msg);
  free(want);
  CHECK(repo == NULL && pool->nrepos <= 1, "no repo left behind");

  write_text(path, "");
  CHECK(krait_repodata_load_file(g_ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_E_PARSE, "empty file");
  CHECK(strstr(err.msg, path) != NULL, "names the file: %s", err.msg);
  krait_repodata_opts nocache = {.no_solv_cache = true};
  CHECK(krait_repodata_load_file(g_ctx, pool, path, NULL, &nocache, &repo, &err) == KRAIT_E_PARSE, "empty, no cache");

  CHECK(krait_repodata_load_file(g_ctx, pool, "/nonexistent/repodata.json", NULL, &opts, &repo, &err) ==
            KRAIT_E_NOTFOUND,
        "missing file");
  free_pool(pool);
  free(path);
}

/* -------------------------------------------------------------------- HTTP */

typedef struct server {
  pid_t pid;
  int port;
} server;

/* Starts python's http.server on 127.0.0.1 (kernel-chosen port) serving dir. */
static bool server_start(const char *dir, server *srv) {
  if (access("/usr/bin/python3", X_OK) != 0)
    return false;
  int fds[2];
  if (pipe(fds) != 0)
    return false;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    int devnull = open("/dev/null", 1);
    dup2(devnull, 2);
    close(fds[0]);
    execl("/usr/bin/python3", "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, "0",
          (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  FILE *out = fdopen(fds[0], "r");
  char line[512];
  srv->pid = pid;
  srv->port = 0;
  /* "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..." */
  if (out && fgets(line, sizeof(line), out)) {
    const char *p = strstr(line, " port ");
    if (p)
      srv->port = atoi(p + 6);
  }
  if (out)
    fclose(out);
  if (srv->port <= 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return false;
  }
  return true;
}

static void server_stop(server *srv) {
  kill(srv->pid, SIGTERM);
  waitpid(srv->pid, NULL, 0);
}

static krait_json *read_state(const char *subdir_url) {
  char *key_url = krait_asprintf("%s/", subdir_url);
  char hex[33];
  krait_digest_hex("md5", key_url, strlen(key_url), hex, sizeof(hex));
  hex[8] = '\0';
  char *path = krait_asprintf("%s/%s.state.json", g_ctx->repodata_cache_dir, hex);
  krait_json *j = krait_json_parse_file(path, NULL);
  CHECK(j != NULL, "state file %s", path);
  free(path);
  free(key_url);
  return j;
}

static Repo *http_load(Pool *pool, krait_channel *ch, const char *subdir, bool missing_ok, krait_code want_rc,
                       krait_err *err) {
  Repo *repo = NULL;
  krait_repodata_opts opts = {.missing_ok = missing_ok};
  krait_err_clear(err);
  krait_code rc = krait_repodata_load(g_ctx, pool, ch, subdir, &opts, &repo, err);
  CHECK(rc == want_rc, "%s: rc %d want %d: %s", subdir, rc, want_rc, err->msg);
  return repo;
}

static void test_http(void) {
  char *src = krait_test_shared("channels/conda-format-repo/linux-64/repodata.json");
  char *noarch_src = krait_test_shared("channels/micromamba-channel_a/noarch/repodata.json");
  if (!src || !noarch_src) {
    free(src);
    free(noarch_src);
    return;
  }
  /* Served channel: linux-64 only as .json.zst, noarch only as plain .json, no osx-64. */
  char *root = tmp_path("www");
  char *l64 = krait_path_join(root, "chan/linux-64");
  char *na = krait_path_join(root, "chan/noarch");
  krait_mkdir_p(l64, 0755, NULL);
  krait_mkdir_p(na, 0755, NULL);
  krait_buf text = KRAIT_BUF_INIT, ntext = KRAIT_BUF_INIT;
  krait_read_file(src, &text, NULL);
  krait_read_file(noarch_src, &ntext, NULL);
  size_t cap = ZSTD_compressBound(text.len);
  char *z = krait_malloc(cap);
  size_t zlen = ZSTD_compress(z, cap, text.data, text.len, 3);
  char *zpath = krait_path_join(l64, "repodata.json.zst");
  krait_write_file_atomic(zpath, z, zlen, 0644, NULL);
  char *npath = krait_path_join(na, "repodata.json");
  write_text(npath, krait_buf_str(&ntext));
  /* Modification times in the past, so Last-Modified is stable. */
  struct timespec past[2] = {{1600000000, 0}, {1600000000, 0}};
  utimensat(AT_FDCWD, zpath, past, 0);
  utimensat(AT_FDCWD, npath, past, 0);

  server srv;
  if (!server_start(root, &srv)) {
    krait_test_missing("HTTP tests: could not start /usr/bin/python3 -m http.server");
    goto out;
  }
  use_cache_dir("cache-http");
  char *chan_url = krait_asprintf("http://127.0.0.1:%d/chan", srv.port);
  krait_channel ch;
  CHECK(krait_channel_parse(g_ctx, chan_url, &ch, NULL) == KRAIT_OK, "parse %s", chan_url);
  krait_err err;
  Pool *pool = new_pool();

  /* 1. First fetch downloads the .zst, decompresses it, writes conda's state file. */
  Repo *r = http_load(pool, &ch, "linux-64", false, KRAIT_OK, &err);
  if (r) {
    const krait_subdir_info *info = krait_repo_info(r);
    CHECK(info->http_status == 200 && !info->from_solv_cache, "first: status %d", info->http_status);
    CHECK(r->nsolvables == 2, "solvables %d", r->nsolvables);
    krait_buf cached = KRAIT_BUF_INIT;
    krait_read_file(info->source_path, &cached, NULL);
    CHECK(cached.len == text.len && memcmp(cached.data, text.data, text.len) == 0, "cached JSON = original bytes");
    krait_buf_free(&cached);
    char *sub_url = krait_asprintf("%s/linux-64", chan_url);
    krait_json *st = read_state(sub_url);
    if (st) {
      char *zurl = krait_asprintf("%s/repodata.json.zst", sub_url);
      CHECK_STR(krait_json_get_str(st, "url"), zurl);
      free(zurl);
      const char *mod = krait_json_get_str(st, "mod");
      CHECK(mod && strstr(mod, "2020"), "mod is Last-Modified: %s", mod ? mod : "(null)");
      int64_t size = 0, mtime = 0;
      CHECK(krait_json_get_int(st, "size", &size) && size == (int64_t)text.len, "size %lld", (long long)size);
      CHECK(krait_json_get_int(st, "mtime_ns", &mtime) && mtime > 0, "mtime_ns");
      const krait_json *hz = krait_json_get_object(st, "has_zst");
      const krait_json *hv = hz ? krait_json_get(hz, "value") : NULL;
      CHECK(hv && hv->type == KRAIT_JSON_BOOL && hv->boolean, "has_zst true");
      krait_json_free(st);
    }
    Id p = find_solvable(pool, r, "zlib-1.2.11-h7b6447c_3.conda");
    krait_record rec;
    if (p && krait_solvable_record(pool, p, &rec, NULL) == KRAIT_OK) {
      char *want = krait_asprintf("%s/zlib-1.2.11-h7b6447c_3.conda", sub_url);
      CHECK_STR(rec.url, want);
      free(want);
      krait_record_free(&rec);
    }
    free(sub_url);
  }
  /* 2. Second fetch: conditional GET answered 304; the .solv cache serves the records. */
  r = http_load(pool, &ch, "linux-64", false, KRAIT_OK, &err);
  if (r) {
    CHECK(krait_repo_info(r)->http_status == 304, "second: status %d", krait_repo_info(r)->http_status);
    CHECK(krait_repo_info(r)->from_solv_cache && r->nsolvables == 2, "second from .solv cache");
  }
  /* 3. noarch has no .zst: falls back to repodata.json and remembers it. */
  r = http_load(pool, &ch, "noarch", false, KRAIT_OK, &err);
  if (r) {
    CHECK(krait_repo_info(r)->http_status == 200 && r->nsolvables == 2, "noarch: status %d, %d records",
          krait_repo_info(r)->http_status, r->nsolvables);
    char *sub_url = krait_asprintf("%s/noarch", chan_url);
    krait_json *st = read_state(sub_url);
    if (st) {
      const krait_json *hz = krait_json_get_object(st, "has_zst");
      const krait_json *hv = hz ? krait_json_get(hz, "value") : NULL;
      CHECK(hv && hv->type == KRAIT_JSON_BOOL && !hv->boolean, "has_zst false");
      krait_json_free(st);
    }
    free(sub_url);
  }
  r = http_load(pool, &ch, "noarch", false, KRAIT_OK, &err);
  CHECK(r && krait_repo_info(r)->http_status == 304, "noarch second: 304");
  /* 3b. A corrupted cached JSON is fetched again (not a hard error). */
  {
    char *sub_url = krait_asprintf("%s/noarch", chan_url);
    char *key_url = krait_asprintf("%s/", sub_url);
    char hex[33];
    krait_digest_hex("md5", key_url, strlen(key_url), hex, sizeof(hex));
    hex[8] = '\0';
    char *cached = krait_asprintf("%s/%s.json", g_ctx->repodata_cache_dir, hex);
    /* same size (so the state still matches) but broken bytes */
    krait_buf cb = KRAIT_BUF_INIT;
    krait_read_file(cached, &cb, NULL);
    struct stat before;
    stat(cached, &before);
    if (cb.len > 10)
      memset(cb.data + 1, '#', 5);
    FILE *f = fopen(cached, "r+b");
    if (f) {
      fwrite(cb.data, 1, cb.len, f);
      fclose(f);
    }
    struct timespec keep[2] = {before.st_atim, before.st_mtim};
    utimensat(AT_FDCWD, cached, keep, 0);
    /* without its .solv (whose stamp, size + mtime + inode + ETag, still
     * holds: a download with validators is trusted without a content hash),
     * so the JSON is parsed */
    char *solv = krait_asprintf("%s/%s.solv", g_ctx->repodata_cache_dir, hex);
    CHECK(unlink(solv) == 0, "remove %s", solv);
    free(solv);
    r = http_load(pool, &ch, "noarch", false, KRAIT_OK, &err);
    CHECK(r && r->nsolvables == 2 && krait_repo_info(r)->http_status == 200, "corrupt cache refetched: %s",
          err.msg);
    krait_buf_free(&cb);
    free(cached);
    free(key_url);
    free(sub_url);
  }
  /* 3c. A real multi-megabyte .zst (conda-forge slice): decompressed bytes
   * equal the shipped repodata.json, and every record is there. */
  char *big_zst = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json.zst");
  char *big_json = krait_test_shared("repodata/conda-forge-subchannel-py39-20240516/linux-64/repodata.json");
  if (big_zst && big_json) {
    char *bdir = krait_path_join(root, "big/linux-64");
    krait_mkdir_p(bdir, 0755, NULL);
    char *link = krait_path_join(bdir, "repodata.json.zst");
    CHECK(symlink(big_zst, link) == 0, "symlink %s", link);
    char *big_url = krait_asprintf("http://127.0.0.1:%d/big", srv.port);
    krait_channel bch;
    krait_channel_parse(g_ctx, big_url, &bch, NULL);
    r = http_load(pool, &bch, "linux-64", false, KRAIT_OK, &err);
    if (r) {
      CHECK(r->nsolvables == 2709, "big: %d records", r->nsolvables);
      krait_buf a = KRAIT_BUF_INIT, b = KRAIT_BUF_INIT;
      krait_read_file(krait_repo_info(r)->source_path, &a, NULL);
      krait_read_file(big_json, &b, NULL);
      CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "big: decompressed %zu bytes, want %zu", a.len,
            b.len);
      krait_buf_free(&a);
      krait_buf_free(&b);
    }
    krait_channel_free(&bch);
    free(big_url);
    free(link);
    free(bdir);
  }
  free(big_zst);
  free(big_json);
  /* 4. A subdir the server lacks. */
  http_load(pool, &ch, "osx-64", false, KRAIT_E_NOTFOUND, &err);
  CHECK(strstr(err.msg, "/chan/osx-64/repodata.json") != NULL, "names URL: %s", err.msg);
  r = http_load(pool, &ch, "osx-64", true, KRAIT_OK, &err);
  CHECK(r && r->nsolvables == 0 && krait_repo_info(r)->missing, "missing_ok: empty repo");
  /* 5. Changed upstream: a new download, not a 304. */
  char *newer = krait_asprintf("%.*s", (int)ntext.len, ntext.data);
  write_text(npath, newer);
  free(newer);
  r = http_load(pool, &ch, "noarch", false, KRAIT_OK, &err);
  CHECK(r && krait_repo_info(r)->http_status == 200, "changed upstream: status %d",
        r ? krait_repo_info(r)->http_status : -1);
  free_pool(pool);

  /* 6. Offline: the cache is used as is; nothing cached is an error. */
  server_stop(&srv);
  g_ctx->offline = true;
  pool = new_pool();
  r = http_load(pool, &ch, "linux-64", false, KRAIT_OK, &err);
  CHECK(r && r->nsolvables == 2 && krait_repo_info(r)->http_status == 0, "offline uses cache");
  http_load(pool, &ch, "win-64", false, KRAIT_E_NET, &err);
  CHECK(strstr(err.msg, "offline") != NULL, "offline message: %s", err.msg);
  g_ctx->offline = false;
  /* 7. Server gone: a network error naming the URL. */
  http_load(pool, &ch, "win-64", false, KRAIT_E_NET, &err);
  CHECK(strstr(err.msg, chan_url) != NULL, "net error names URL: %s", err.msg);
  /* 8. Cache-Control max-age still running: no request at all (the server is
   * gone, so any request would fail). */
  char *sub_url = krait_asprintf("%s/linux-64", chan_url);
  krait_json *st = read_state(sub_url);
  if (st) {
    krait_buf nb = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &nb, 0);
    krait_jw_object_with(&w, st, "cache_control", "public, max-age=3600");
    char hex[33];
    char *key_url = krait_asprintf("%s/", sub_url);
    krait_digest_hex("md5", key_url, strlen(key_url), hex, sizeof(hex));
    hex[8] = '\0';
    char *state_path = krait_asprintf("%s/%s.state.json", g_ctx->repodata_cache_dir, hex);
    write_text(state_path, krait_buf_str(&nb));
    r = http_load(pool, &ch, "linux-64", false, KRAIT_OK, &err);
    CHECK(r && r->nsolvables == 2 && krait_repo_info(r)->http_status == 0, "fresh cache: no request");
    free(state_path);
    free(key_url);
    krait_buf_free(&nb);
    krait_json_free(st);
  }
  free(sub_url);
  free_pool(pool);
  krait_channel_free(&ch);
  free(chan_url);
out:
  free(zpath);
  free(npath);
  free(z);
  krait_buf_free(&text);
  krait_buf_free(&ntext);
  free(l64);
  free(na);
  free(root);
  free(src);
  free(noarch_src);
}

int main(void) {
  char *probe = krait_test_shared("SOURCES.md");
  if (!probe)
    krait_test_skip("shared data not found (set KRAIT_SHARED_DIR)");
  free(probe);
  char tmpl[] = "/tmp/krait-test-repodata-XXXXXX";
  g_tmp = mkdtemp(tmpl);
  if (!g_tmp)
    krait_test_skip("cannot create a temp dir");
  g_ctx = krait_ctx_new();

  test_channel_parse();
  test_channel_matches();
  test_counts();
  test_conda_wins();
  test_records_and_base_url();
  test_solv_cache();
  test_local_channel();
  test_pip_dependency();
  test_bad_json();
  test_http();
  report_timing();

  krait_ctx_free(g_ctx);
  krait_rm_rf(g_tmp, NULL);
  return krait_test_finish("repodata");
}
