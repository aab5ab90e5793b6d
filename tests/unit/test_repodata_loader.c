/* The repodata loader (repodata/src/loader.c) against its oracle, libsolv's
 * own repo_add_conda plus an independent pass for the krait:* keys
 * (tests/oracle/repodata_oracle.c): every JSON
 * file under shared/data is loaded by both into fresh pools, and the pools
 * are compared record by record: solvable ids, name, evr, arch, vendor, every
 * dependency array, and every attribute libsolv or krait stored (libsolv's
 * dataiterator, stringified), plus base_url/subdir. A file one reader rejects
 * must be rejected by the other. Then the window edge cases the shared files
 * cannot reach (a record straddling the read window, a value larger than it,
 * escapes in keys, the legacy .tar.bz2/.conda pairing in both orders, a
 * subdir only known after the packages). Every file is also loaded the way a
 * solve loads it (name index, then the records of every name by their
 * spans: repodata/src/reachable.c), which must give the loader's pool line
 * for line and reject what it rejects in the same words, including files
 * large enough for the two-thread scan (loader_scan.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <solv/dataiterator.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repodata.h>

#include "harness.h"
#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/fs.h"
#include "krait/repodata.h"
#include "name_index.h"
#include "repodata_int.h"
#include "repodata_oracle.h"

static int g_files, g_rejected, g_records;
static int g_expect_halves; /* the next reachable load's index must come from this many scan threads (0: any) */
static size_t g_expect_second_end; /* ...and the second thread must have stopped at this file offset (0: any) */

static Pool *new_pool(void) {
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_CONDA);
  return pool;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void dump_deps(Pool *pool, Repo *repo, const char *what, Offset o, krait_buf *out) {
  if (!o)
    return;
  for (Id *dp = repo->idarraydata + o; *dp; dp++)
    krait_buf_printf(out, " %s=%s", what, pool_dep2str(pool, *dp));
}

static void dump_strv(const char *what, const krait_strv *v, krait_buf *out) {
  krait_buf_printf(out, " %s=[", what);
  for (size_t i = 0; i < v->len; i++)
    krait_buf_printf(out, "%s%s", i ? "|" : "", v->items[i]);
  krait_buf_putc(out, ']');
}

/* What libsolv drops, as krait_solvable_record gives it: for the oracle from
 * its own krait:* keys, for the loader read back from the record's text in
 * the file at json_fd (record_span.c). */
static void dump_extras(Pool *pool, Id p, int json_fd, const char *path, krait_buf *out) {
  krait_record r;
  krait_record_init(&r);
  krait_err err;
  if (json_fd < 0)
    krait_oracle_record_extras(pool, p, &r);
  else if (krait_record_read_span(pool, p, json_fd, path, &r, &err) != KRAIT_OK)
    krait_buf_printf(out, " extras-error=%s", err.msg);
  dump_strv("depends", &r.depends, out);
  dump_strv("constrains", &r.constrains, out);
  krait_buf_printf(out, " noarch=%s timestamp=%lld license_family=%s features=%s site=%s", r.noarch ? r.noarch : "-",
                   (long long)r.timestamp, r.license_family ? r.license_family : "-", r.features ? r.features : "-",
                   r.python_site_packages_path ? r.python_site_packages_path : "-");
  krait_record_free(&r);
}

/* One line per solvable; attribute order inside a line is canonical (the
 * readers register keys in different orders), element order is kept. The
 * krait:* attributes differ by design (the oracle's copies, the loader's
 * record spans): what they stand for is compared by dump_extras. */
static char *dump_repo(Pool *pool, Repo *repo, const krait_repo_meta *meta, int json_fd, const char *path) {
  krait_buf out = KRAIT_BUF_INIT;
  krait_buf_printf(&out, "base_url=%s base_is_channel=%d subdir=%s n=%d\n", meta->base_url ? meta->base_url : "-",
                   meta->base_is_channel, meta->subdir ? meta->subdir : "-", repo->nsolvables);
  Id p;
  Solvable *s;
  krait_strv attrs = {0};
  FOR_REPO_SOLVABLES(repo, p, s) {
    krait_buf_printf(&out, "%d %s %s arch=%s vendor=%s", p, pool_id2str(pool, s->name), pool_id2str(pool, s->evr),
                     s->arch ? pool_id2str(pool, s->arch) : "-", s->vendor ? pool_id2str(pool, s->vendor) : "-");
    dump_deps(pool, repo, "provides", s->provides, &out);
    dump_deps(pool, repo, "requires", s->requires, &out);
    dump_deps(pool, repo, "conflicts", s->conflicts, &out);
    dump_deps(pool, repo, "obsoletes", s->obsoletes, &out);
    dump_deps(pool, repo, "recommends", s->recommends, &out);
    dump_deps(pool, repo, "suggests", s->suggests, &out);
    dump_deps(pool, repo, "supplements", s->supplements, &out);
    dump_deps(pool, repo, "enhances", s->enhances, &out);
    Dataiterator di;
    dataiterator_init(&di, pool, repo, p, 0, 0, 0);
    while (dataiterator_step(&di)) {
      if (strncmp(pool_id2str(pool, di.key->name), "krait:", 6) == 0)
        continue;
      const char *v = repodata_stringify(pool, di.data, di.key, &di.kv, SEARCH_FILES | SEARCH_CHECKSUMS);
      krait_strv_push_owned(&attrs, krait_asprintf("%s#%04d=%s", pool_id2str(pool, di.key->name), di.kv.entry,
                                                   v ? v : "(null)"));
    }
    dataiterator_free(&di);
    qsort(attrs.items, attrs.len, sizeof(*attrs.items), cmp_str);
    for (size_t i = 0; i < attrs.len; i++)
      krait_buf_printf(&out, " %s", attrs.items[i]);
    krait_strv_free(&attrs);
    attrs = (krait_strv){0};
    dump_extras(pool, p, json_fd, path, &out);
    krait_buf_putc(&out, '\n');
  }
  return krait_buf_steal(&out);
}

/* Two dumps of path's pool must be equal; else the first record that differs is named. */
static void check_same_dump(const char *path, const char *what_a, const char *da, const char *what_b, const char *db) {
  const char *a = da, *b = db;
  while (*a && *a == *b)
    a++, b++;
  if (!*a && !*b) {
    CHECK(1, "%s", path);
    return;
  }
  while (a > da && a[-1] != '\n')
    a--, b--;
  CHECK(0, "%s: pools differ\n  %s %.600s\n  %s %.600s", path, what_a, a, what_b, b);
}

/* The way a solve loads path: indexed by name, then the records the roots
 * reach, here every name the full load found, so the pool must be the
 * loader's line for line (a file the loader rejects, the index rejects too). */
static void compare_reachable(const char *path, Pool *full_pool, Repo *full, const char *full_dump, bool full_ok,
                              const char *full_err) {
  Pool *pool = new_pool();
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = NULL;
  ctx->add_pip_as_python_dependency = false;
  krait_repodata_opts opts = {.names_only = true};
  Repo *repo = NULL;
  krait_err err;
  krait_code rc = krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err);
  CHECK((rc == KRAIT_OK) == full_ok, "%s: loader %s, name index %s", path, full_ok ? "accepts" : full_err,
        rc ? err.msg : "accepts");
  /* a bad file is reported in the same words, wherever the scan's threads met it */
  if (rc != KRAIT_OK && !full_ok)
    CHECK(strcmp(err.msg, full_err) == 0, "%s: loader says \"%s\", name index \"%s\"", path, full_err, err.msg);
  if (rc == KRAIT_OK && g_expect_halves)
    CHECK(krait_repo_info(repo)->name_index->halves == g_expect_halves, "%s: scanned in %d halves, want %d", path,
          krait_repo_info(repo)->name_index->halves, g_expect_halves);
  if (rc == KRAIT_OK && g_expect_second_end)
    CHECK(krait_repo_info(repo)->name_index->second_end == g_expect_second_end,
          "%s: the second scan thread stopped at %zu, want %zu", path, krait_repo_info(repo)->name_index->second_end,
          g_expect_second_end);
  if (rc == KRAIT_OK && full_ok) {
    krait_repo_meta meta = {0};
    const krait_name_index *idx = krait_repo_info(repo)->name_index;
    krait_repo_meta_take(&meta, idx->meta.base_url, idx->meta.subdir, false);
    meta.base_is_channel = idx->meta.base_is_channel;
    krait_strv roots = KRAIT_STRV_INIT;
    Id p;
    Solvable *s;
    bool all_named = true;
    FOR_REPO_SOLVABLES(full, p, s) {
      all_named &= s->name != 0;
      if (s->name && !krait_strv_contains(&roots, pool_id2str(full_pool, s->name)))
        krait_strv_push(&roots, pool_id2str(full_pool, s->name));
    }
    rc = krait_repodata_fill_reachable(ctx, pool, &roots, &err);
    CHECK(rc == KRAIT_OK, "%s: reachable records: %s", path, rc ? err.msg : "");
    char *dump = dump_repo(pool, repo, &meta, krait_repo_info(repo)->json_fd, path);
    /* a record without a name is never reached (nothing can ask for it) */
    if (all_named)
      check_same_dump(path, "loader:   ", full_dump, "reachable:", dump);
    else
      CHECK(repo->nsolvables < full->nsolvables, "%s: a nameless record was loaded", path);
    free(dump);
    krait_strv_free(&roots);
    krait_repo_meta_free(&meta);
  }
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  krait_ctx_free(ctx);
}

/* Loads path with both readers and compares; returns the number of records
 * compared, or -1 when both readers rejected the file. */
static int compare_file(const char *path) {
  krait_buf text = KRAIT_BUF_INIT;
  krait_err err;
  if (krait_read_file(path, &text, &err) != KRAIT_OK) {
    CHECK(0, "read %s: %s", path, err.msg);
    return -1;
  }
  Pool *pa = new_pool(), *pb = new_pool();
  Repo *ra = repo_create(pa, "oracle"), *rb = repo_create(pb, "loader");
  krait_repo_meta ma = {0}, mb = {0};
  krait_err ea, eb;
  krait_code ca = krait_repo_add_json_libsolv(ra, path, text.data, text.len, &ma, &ea);
  krait_code cb = krait_repo_add_json_file(rb, path, &mb, &eb);
  int ra_n = -1;
  CHECK((ca == KRAIT_OK) == (cb == KRAIT_OK), "%s: libsolv %s, loader %s", path, ca ? ea.msg : "accepts",
        cb ? eb.msg : "accepts");
  g_files++;
  if (ca == KRAIT_OK && cb == KRAIT_OK) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open %s", path);
    char *da = dump_repo(pa, ra, &ma, -1, path), *db = dump_repo(pb, rb, &mb, fd, path);
    if (fd >= 0)
      close(fd);
    compare_reachable(path, pb, rb, db, true, NULL);
    check_same_dump(path, "libsolv:", da, "loader: ", db);
    g_records += ra->nsolvables;
    ra_n = ra->nsolvables;
    free(da);
    free(db);
  } else if (ca != KRAIT_OK) {
    g_rejected++;
    compare_reachable(path, pb, rb, "", cb == KRAIT_OK, cb ? eb.msg : "");
  }
  krait_repo_meta_free(&ma);
  krait_repo_meta_free(&mb);
  pool_free(pa);
  pool_free(pb);
  krait_buf_free(&text);
  return ca == KRAIT_OK ? ra_n : -1;
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  krait_strv names = {0};
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      krait_strv_push(&names, e->d_name);
  closedir(d);
  qsort(names.items, names.len, sizeof(*names.items), cmp_str);
  for (size_t i = 0; i < names.len; i++) {
    char *p = krait_path_join(dir, names.items[i]);
    struct stat sb;
    size_t n = strlen(p);
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
      walk(p);
    else if (n > 5 && strcmp(p + n - 5, ".json") == 0)
      compare_file(p);
    free(p);
  }
  krait_strv_free(&names);
}

/* ---- edge cases of the streaming window, built here ---- */

static char *g_tmp;

static int compare_text(const char *name, const char *text) {
  char *p = krait_path_join(g_tmp, name);
  krait_err err;
  CHECK(krait_write_file_atomic(p, text, strlen(text), 0644, &err) == KRAIT_OK, "write %s", p);
  int n = compare_file(p);
  free(p);
  return n;
}

static void record(krait_buf *b, const char *fn, const char *name, int i, const char *pad) {
  krait_buf_printf(b,
                   "\"%s\":{\"name\":\"%s\",\"version\":\"1.%d\",\"build\":\"h_%d\",\"build_number\":%d,"
                   "\"depends\":[\"python >=3.8\",\"libzlib\"],\"constrains\":[\"foo <2\"],\"timestamp\":%d000,"
                   "\"md5\":\"0123456789abcdef0123456789abcdef\",\"noarch\":\"python\",\"license\":\"MIT\","
                   "\"track_features\":\"a b\",\"size\":%d,\"pad\":\"%s\"}",
                   fn, name, i, i, i, 1600000000 + i, 1000 + i, pad);
}

/* A file past the size where the name index is scanned by two threads
 * (loader_scan.c), `n` records, each with `extra` inside and with the key
 * `fn_fmt` (printf: name index, record index); `bad` (if not NULL) replaces
 * one record's build_number in the second half; `tail` (if not NULL): the
 * root's members after "packages" (see conda_records). */
static char *big_file(int n, const char *fn_fmt, const char *extra, const char *bad, const char *tail) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{");
  char fn[96];
  for (int i = 0; i < n; i++) {
    snprintf(fn, sizeof fn, fn_fmt, i % 700, i);
    krait_buf_printf(&b, "%s\"%s\":{\"name\":\"n%d\",\"version\":\"1.%d\",\"build\":\"h_%d\",\"build_number\":%s,"
                         "\"depends\":[\"n%d >=1\",\"python >=3.8\"],\"md5\":\"0123456789abcdef0123456789abcdef\","
                         "\"license\":\"MIT\",\"size\":%d,\"timestamp\":1600000000000,\"extra\":%s,"
                         "\"pad\":\"%0300d\"}",
                     i ? "," : "", fn, i % 700, i, i, bad && i == n * 3 / 4 ? bad : "0", (i + 1) % 700, 1000 + i,
                     extra, i);
  }
  krait_buf_printf(&b, "}%s}", tail ? tail : "");
  return krait_buf_steal(&b);
}

/* `key`:{ `n` .conda records } (or [ ] when `array`), for big_file's tail;
 * `bad` (if not NULL) replaces the last one's build_number. */
static void conda_records(krait_buf *b, const char *key, int n, bool array, const char *bad) {
  krait_buf_printf(b, ",\"%s\":%c", key, array ? '[' : '{');
  for (int i = 0; i < n; i++) {
    if (!array)
      krait_buf_printf(b, "%s\"c%d-2.%d-h_0.conda\":", i ? "," : "", i % 50, i);
    else if (i)
      krait_buf_putc(b, ',');
    krait_buf_printf(b, "{\"name\":\"c%d\",\"version\":\"2.%d\",\"build\":\"h_0\",\"build_number\":%s,"
                        "\"depends\":[\"n%d\"],\"subdir\":\"linux-64\",\"fn\":\"c%d-2.%d-h_0.conda\"}",
                     i % 50, i, bad && i == n - 1 ? bad : "1", i % 700, i % 50, i);
  }
  krait_buf_putc(b, array ? ']' : '}');
}

/* The second thread of a split scan goes on through the records objects
 * after its own ("packages.conda" after "packages") and stops at any other
 * member, where the first thread reads on: the same pool, and the same
 * error, whatever follows. */
static void split_tails(void) {
  static const struct {
    const char *file;
    int records;        /* -1: rejected */
    const char *stop_at; /* where the second thread stops: this text's offset, NULL: the root's '}' */
  } cases[] = {
      {"tail-conda.json", 10000 + 300, NULL},                  /* packages.conda: read by the second thread */
      {"tail-array.json", 10000 + 300, NULL},                  /* packages.conda as an array */
      {"tail-info.json", 10000 + 300 + 300, ",\"info\""},       /* info between two packages.conda */
      {"tail-null.json", 10000, ",\"packages.conda\":null"},   /* not records: the first thread skips it */
      {"tail-bad.json", -1, NULL},                             /* a bad record after the split's object */
      {"tail-badkey.json", -1, NULL},                          /* a member name that is not a string */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    krait_buf tail = KRAIT_BUF_INIT;
    const char *f = cases[i].file;
    if (strcmp(f, "tail-conda.json") == 0)
      conda_records(&tail, "packages.conda", 300, false, NULL);
    else if (strcmp(f, "tail-array.json") == 0)
      conda_records(&tail, "packages.conda", 300, true, NULL);
    else if (strcmp(f, "tail-info.json") == 0) {
      conda_records(&tail, "packages.conda", 300, false, NULL);
      krait_buf_puts(&tail, ",\"info\":{\"subdir\":\"linux-64\",\"base_url\":\"https://example.org/x\"}");
      conda_records(&tail, "packages.conda", 300, false, NULL);
    } else if (strcmp(f, "tail-null.json") == 0)
      krait_buf_puts(&tail, ",\"packages.conda\":null,\"repodata_version\":1");
    else if (strcmp(f, "tail-bad.json") == 0)
      conda_records(&tail, "packages.conda", 300, false, "\"x\"y");
    else {
      conda_records(&tail, "packages.conda", 300, false, NULL);
      krait_buf_puts(&tail, ",7:1");
    }
    char *text = big_file(10000, "n%d-1.%d-h_0.tar.bz2", "{}", NULL, krait_buf_str(&tail));
    g_expect_halves = cases[i].records < 0 ? 0 : 2;
    const char *stop = cases[i].stop_at ? strstr(text, cases[i].stop_at) : NULL;
    g_expect_second_end = cases[i].records < 0 ? 0 : stop ? (size_t)(stop - text) : strlen(text) - 1;
    int n = compare_text(f, text);
    CHECK(n == cases[i].records, "%s: %d records, want %d", f, n, cases[i].records);
    free(text);
    krait_buf_free(&tail);
  }
  g_expect_halves = 0;
  g_expect_second_end = 0;
}

static void split_scans(void) {
  char *text = big_file(10000, "n%d-1.%d-h_0.tar.bz2", "{}", NULL, NULL);
  CHECK(strlen(text) > (4u << 20), "big file: %zu bytes", strlen(text));
  g_expect_halves = 2;
  CHECK(compare_text("split.json", text) == 10000, "split.json");
  free(text);
  /* the boundary guessed near the middle is a key inside a record: the
   * second half is dropped and the first thread reads on */
  text = big_file(10000, "n%d-1.%d-h_0.whl", "{\"k\":0,\"q-1.conda\":{\"k\":1}}", NULL, NULL);
  g_expect_halves = 1;
  CHECK(compare_text("split-guess.json", text) == 10000, "split-guess.json");
  free(text);
  /* a bad value in the second half: rejected in the words of one thread */
  text = big_file(10000, "n%d-1.%d-h_0.tar.bz2", "{}", "12x", NULL);
  g_expect_halves = 0;
  CHECK(compare_text("split-bad.json", text) == -1, "split-bad.json");
  free(text);
  split_tails();
}

static void edge_cases(void) {
  /* more than one window (1 MB) of records, one record larger than a window,
   * and subdir given only after the packages (locations set at the end) */
  krait_buf b = KRAIT_BUF_INIT;
  char *big = krait_calloc(5u << 20, 1);
  memset(big, 'x', (5u << 20) - 1);
  krait_buf_puts(&b, "{\"packages\":{");
  char fn[64];
  for (int i = 0; i < 3000; i++) {
    snprintf(fn, sizeof(fn), "p%d-1.%d-h_%d.tar.bz2", i % 50, i, i);
    if (i)
      krait_buf_putc(&b, ',');
    record(&b, fn, i % 50 ? "pkg" : "Pkg\\u00e9", i, i == 1500 ? big : "\\n\\\"esc\\\"");
  }
  krait_buf_puts(&b, "},\"packages.conda\":{");
  for (int i = 0; i < 1000; i += 2) {
    snprintf(fn, sizeof(fn), "p%d-1.%d-h_%d.conda", i % 50, i, i);
    if (i)
      krait_buf_putc(&b, ',');
    record(&b, fn, "pkg", i, "");
  }
  krait_buf_puts(&b, "},\"info\":{\"subdir\":\"linux-64\",\"x\":[1,{\"a\":2}]},\"repodata_version\":1}");
  int n = compare_text("window.json", krait_buf_str(&b));
  CHECK(n == 3000, "window.json: %d records", n);
  free(big);

  /* .conda first, then its .tar.bz2 (ignored); key escapes; array form;
   * subdir mismatch kept under info.subdir; a record without fn or key fn */
  n = compare_text("legacy.json",
               "{\"info\":{\"subdir\":\"noarch\"},\"packages.conda\":{\"a-1-0.conda\":{\"name\":\"a\",\"version\":\"1\","
               "\"build\":\"0\",\"subdir\":\"linux-64\"}},\"packages\":{\"a-1-0.tar.bz2\":{\"name\":\"a\","
               "\"version\":\"1\",\"build\":\"0\"},\"b\\u002d1-0.tar.bz2\":{\"name\":\"b\",\"requires\":[\"a\"]},"
               "\"c.txt\":{\"name\":\"c\",\"depends\":[],\"requires\":[\"a >=1\"]},\"x\":3}}");
  CHECK(n == 3, "legacy.json: %d records", n);
  n = compare_text("array.json", "{\"packages\":[{\"name\":\"a\",\"version\":\"1\",\"fn\":\"a-1-0.tar.bz2\"},7,"
                             "{\"name\":\"b\",\"version\":\"2\",\"timestamp\":1.5}]}");
  CHECK(n == 2, "array.json: %d records", n);
  /* a name given twice: the last string counts (found by fuzz_repodata; depends given twice are
   * walked in test_repodata_reachable) */
  n = compare_text("twice.json", "{\"packages\":{\"a-1-0.tar.bz2\":{\"name\":\"a\",\"depends\":[\"x\"],"
                                 "\"version\":\"1\",\"name\":\"b\",\"name\":7}}}");
  CHECK(n == 1, "twice.json: %d records", n);
  CHECK(compare_text("empty-object.json", "{}") == 0, "empty object");
  CHECK(compare_text("not-object.json", "[1,2]") == -1, "array accepted");
  CHECK(compare_text("truncated.json", "{\"packages\":{\"a-1-0.tar.bz2\":{\"name\":\"a\"") == -1, "truncated");
  CHECK(compare_text("subdir-twice.json", "{\"info\":{\"subdir\":\"a\",\"subdir\":\"b\"},\"packages\":{}}") == -1,
        "subdir twice");
  CHECK(compare_text("nul.json", "{\"packages\":{},\"x\":\"a\\u0000\"}") == -1, "NUL escape");
  krait_buf_free(&b);
  split_scans();
}

/* ---- warm starts: the .solv cache is checked without reading the JSON ---- */

/* Rewrites path in place (same inode, same size) and puts its mtime back:
 * only a reader of the bytes could tell. */
static void rewrite_same_stamp(const char *path, const char *text) {
  struct stat before;
  CHECK(stat(path, &before) == 0, "stat %s", path);
  int fd = open(path, O_WRONLY);
  CHECK(fd >= 0 && pwrite(fd, text, strlen(text), 0) == (ssize_t)strlen(text), "rewrite %s", path);
  if (fd >= 0)
    close(fd);
  struct timespec ts[2] = {before.st_atim, before.st_mtim};
  CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0, "utimensat %s", path);
}

static void set_mtime(const char *path, time_t sec, long nsec) {
  struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0, "utimensat %s", path);
}

/* Loads path through the .solv cache; returns the first record's version
 * ("" on error) and whether the cache was used. */
static char *load_version(krait_ctx *ctx, const char *path, bool *from_cache) {
  Pool *pool = new_pool();
  Repo *repo = NULL;
  krait_err err;
  krait_repodata_opts opts = {0};
  char *v = NULL;
  if (krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK && repo->nsolvables) {
    *from_cache = krait_repo_info(repo)->from_solv_cache;
    v = krait_strdup(pool_id2str(pool, pool->solvables[repo->start].evr));
  } else
    CHECK(0, "load %s: %s", path, repo ? "no records" : err.msg);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  return v ? v : krait_strdup("");
}

#define REPODATA_V(v) "{\"info\":{\"subdir\":\"noarch\"},\"packages\":{\"a-" v "-0.tar.bz2\":{\"name\":\"a\",\"version\":\"" v "\"}}}"

static void warm_starts(void) {
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir); /* owned by the context */
  ctx->repodata_cache_dir = krait_path_join(g_tmp, "cache");
  char *path = krait_path_join(g_tmp, "warm.json");
  krait_err err;
  bool hit = false;
  char *v;

  /* an old file: the stamp alone decides */
  CHECK(krait_write_file_atomic(path, REPODATA_V("1.0"), strlen(REPODATA_V("1.0")), 0644, &err) == KRAIT_OK, "w");
  set_mtime(path, time(NULL) - 3600, 123456789);
  v = load_version(ctx, path, &hit);
  CHECK(!hit && strcmp(v, "1.0") == 0, "cold: %s hit=%d", v, hit);
  free(v);
  rewrite_same_stamp(path, REPODATA_V("2.0"));
  v = load_version(ctx, path, &hit);
  CHECK(hit && strcmp(v, "1.0") == 0, "warm: the JSON was not read (stamp unchanged): %s hit=%d", v, hit);
  free(v);
  set_mtime(path, time(NULL) - 3600, 123456790); /* one nanosecond later */
  v = load_version(ctx, path, &hit);
  CHECK(!hit && strcmp(v, "2.0") == 0, "mtime_ns changed: reparsed: %s hit=%d", v, hit);
  free(v);

  /* a fresh file (mtime within the racy window): the content hash decides */
  CHECK(krait_write_file_atomic(path, REPODATA_V("3.0"), strlen(REPODATA_V("3.0")), 0644, &err) == KRAIT_OK, "w");
  v = load_version(ctx, path, &hit);
  CHECK(!hit && strcmp(v, "3.0") == 0, "new inode: reparsed: %s hit=%d", v, hit);
  free(v);
  v = load_version(ctx, path, &hit);
  CHECK(hit && strcmp(v, "3.0") == 0, "racy but unchanged: cache used after hashing: %s hit=%d", v, hit);
  free(v);
  rewrite_same_stamp(path, REPODATA_V("4.0"));
  v = load_version(ctx, path, &hit);
  CHECK(!hit && strcmp(v, "4.0") == 0, "racy and rewritten within the tick: reparsed: %s hit=%d", v, hit);
  free(v);

  /* a download: the HTTP validators fetch recorded are part of the stamp */
  char *state = krait_path_join(g_tmp, "warm.state.json");
  const char *st1 = "{\"etag\":\"\\\"abc\\\"\",\"mod\":\"\"}";
  CHECK(krait_write_file_atomic(state, st1, strlen(st1), 0644, &err) == KRAIT_OK, "w");
  set_mtime(path, time(NULL) - 3600, 0);
  v = load_version(ctx, path, &hit);
  CHECK(!hit, "state added: reparsed (hit=%d)", hit);
  free(v);
  v = load_version(ctx, path, &hit);
  CHECK(hit, "same state: warm (hit=%d)", hit);
  free(v);
  const char *st2 = "{\"etag\":\"\\\"abd\\\"\",\"mod\":\"\"}";
  CHECK(krait_write_file_atomic(state, st2, strlen(st2), 0644, &err) == KRAIT_OK, "w");
  v = load_version(ctx, path, &hit);
  CHECK(!hit, "new ETag: reparsed (hit=%d)", hit);
  free(v);
  /* a fresh download with validators is not hashed although its mtime is
   * "racy": krait renames every download into place and the ETag names the
   * bytes (a hash here made the next run hash the JSON and rewrite the .solv) */
  CHECK(krait_write_file_atomic(path, REPODATA_V("5.0"), strlen(REPODATA_V("5.0")), 0644, &err) == KRAIT_OK, "w");
  v = load_version(ctx, path, &hit);
  CHECK(!hit && strcmp(v, "5.0") == 0, "new download: parsed: %s hit=%d", v, hit);
  free(v);
  char key[9], *abs = krait_path_absolute(path);
  krait_cache_key(abs, key);
  char *solv = krait_asprintf("%s/%s.solv", ctx->repodata_cache_dir, key);
  krait_buf head = KRAIT_BUF_INIT;
  CHECK(krait_read_file(solv, &head, &err) == KRAIT_OK && strstr(krait_buf_str(&head), "\"sha256\":\"\"") &&
            strstr(krait_buf_str(&head), "etag=\\\"abd\\\""),
        "a validated download's .solv carries no content hash: %.200s", krait_buf_str(&head));
  krait_buf_free(&head);
  free(solv);
  free(abs);
  free(state);
  free(path);
  krait_ctx_free(ctx);
}

/* ---- record spans: what libsolv drops is read back from the file ---- */

#define SPAN_JSON(v)                                                                                                \
  "{\"info\":{\"subdir\":\"noarch\"},\"packages\":{\"a-" v "-0.tar.bz2\":{\"name\":\"a\",\"version\":\"" v   \
  "\",\"depends\":[\"b >=1\",\"c\"],\"constrains\":[\"d <2\"],\"noarch\":\"python\",\"timestamp\":1700000000123," \
  "\"license_family\":\"MIT\",\"features\":\"f1\",\"python_site_packages_path\":\"lib/sp\"}}}"

/* The first record's depends/constrains/noarch/timestamp/... in one line
 * ("error: <message>" when krait_solvable_record fails). */
static char *record_extras(Pool *pool, Repo *repo) {
  krait_record r;
  krait_err err;
  if (krait_solvable_record(pool, repo->start, &r, &err) != KRAIT_OK)
    return krait_asprintf("error: %s", err.msg);
  krait_buf out = KRAIT_BUF_INIT;
  krait_buf_printf(&out, "%s %s", r.name, r.version);
  dump_strv("depends", &r.depends, &out);
  dump_strv("constrains", &r.constrains, &out);
  krait_buf_printf(&out, " %s %lld %s %s %s", r.noarch, (long long)r.timestamp, r.license_family, r.features,
                   r.python_site_packages_path);
  krait_record_free(&r);
  return krait_buf_steal(&out);
}

static Repo *load_span_file(krait_ctx *ctx, Pool *pool, const char *path) {
  Repo *repo = NULL;
  krait_err err;
  krait_repodata_opts opts = {0};
  CHECK(krait_repodata_load_file(ctx, pool, path, NULL, &opts, &repo, &err) == KRAIT_OK, "load: %s", err.msg);
  return repo;
}

static void record_spans(void) {
  krait_ctx *ctx = krait_ctx_new();
  free(ctx->repodata_cache_dir);
  ctx->repodata_cache_dir = krait_path_join(g_tmp, "span-cache");
  char *path = krait_path_join(g_tmp, "span.json");
  krait_err err;
  const char *want = "a 1.0 depends=[b >=1|c] constrains=[d <2] python 1700000000123 MIT f1 lib/sp";
  CHECK(krait_write_file_atomic(path, SPAN_JSON("1.0"), strlen(SPAN_JSON("1.0")), 0644, &err) == KRAIT_OK, "w");
  set_mtime(path, time(NULL) - 3600, 0);

  /* cold: parsed; the fields come from the text */
  Pool *pool = new_pool();
  Repo *repo = load_span_file(ctx, pool, path);
  char *got = repo ? record_extras(pool, repo) : NULL;
  CHECK(got && strcmp(got, want) == 0, "cold record: %s", got);
  free(got);
  /* a newer file renamed over it meanwhile (a refreshed download): the
   * open repo still reads the file it parsed */
  CHECK(krait_write_file_atomic(path, SPAN_JSON("2.0"), strlen(SPAN_JSON("2.0")), 0644, &err) == KRAIT_OK, "w");
  got = repo ? record_extras(pool, repo) : NULL;
  CHECK(got && strcmp(got, want) == 0, "after a rename over the file: %s", got);
  free(got);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);

  /* warm: from the .solv cache, the same fields, read from the file */
  set_mtime(path, time(NULL) - 3600, 0);
  pool = new_pool();
  repo = load_span_file(ctx, pool, path);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  pool = new_pool();
  repo = load_span_file(ctx, pool, path);
  CHECK(repo && krait_repo_info(repo)->from_solv_cache, "second load is warm");
  got = repo ? record_extras(pool, repo) : NULL;
  const char *want2 = "a 2.0 depends=[b >=1|c] constrains=[d <2] python 1700000000123 MIT f1 lib/sp";
  CHECK(got && strcmp(got, want2) == 0, "warm record: %s", got);
  free(got);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);

  /* rewritten in place with the same size and mtime (only the bytes differ):
   * the .solv is trusted, and reading the record back says the file changed */
  rewrite_same_stamp(path, SPAN_JSON("3.0"));
  pool = new_pool();
  repo = load_span_file(ctx, pool, path);
  CHECK(repo && krait_repo_info(repo)->from_solv_cache, "rewritten in place: still warm");
  got = repo ? record_extras(pool, repo) : NULL;
  CHECK(got && strncmp(got, "error: ", 7) == 0 && strstr(got, "span.json") && strstr(got, "a 2.0") &&
            strstr(got, "changed while krait was reading it"),
        "rewritten in place: %s", got);
  free(got);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  /* ... and the cache that trusted the stamp is gone: the next load parses */
  pool = new_pool();
  repo = load_span_file(ctx, pool, path);
  CHECK(repo && !krait_repo_info(repo)->from_solv_cache, "after the error: parsed again");
  got = repo ? record_extras(pool, repo) : NULL;
  CHECK(got && strncmp(got, "a 3.0 ", 6) == 0, "after the error: %s", got);
  free(got);
  krait_repodata_free_pool_info(pool);
  pool_free(pool);
  free(path);
  krait_ctx_free(ctx);
}

int main(void) {
  char *data = krait_test_shared("");
  if (!data)
    krait_test_skip("shared data not found (KRAIT_SHARED_DIR)");
  walk(data);
  free(data);
  /* the corpus must really have been compared, not silently found empty */
  CHECK(g_files >= 100 && g_records >= 20000, "only %d files, %d records compared", g_files, g_records);
  fprintf(stderr, "shared/data: %d JSON files (%d rejected by both), %d records equal\n", g_files, g_rejected,
          g_records);

  char tmpl[] = "/tmp/krait-loader-XXXXXX";
  g_tmp = mkdtemp(tmpl);
  CHECK(g_tmp != NULL, "mkdtemp");
  if (g_tmp) {
    edge_cases();
    warm_starts();
    record_spans();
    krait_rm_rf(g_tmp, NULL);
  }
  return krait_test_finish("repodata_loader");
}
