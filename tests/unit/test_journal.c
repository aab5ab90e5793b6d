/* Transaction journal: rollback, commit, and recovery after a process dies mid-change. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "krait/fs.h"
#include "krait/journal.h"

static void write_file(const char *dir, const char *rel, const char *content) {
  char *p = krait_path_join(dir, rel);
  char *parent = krait_path_dirname(p);
  krait_mkdir_p(parent, 0755, NULL);
  krait_write_file_atomic(p, content, strlen(content), 0644, NULL);
  free(parent);
  free(p);
}

static char *read_rel(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  krait_buf b = KRAIT_BUF_INIT;
  char *out = krait_read_file(p, &b, NULL) == KRAIT_OK ? krait_buf_steal(&b) : NULL;
  krait_buf_free(&b);
  free(p);
  return out;
}

static bool exists_rel(const char *dir, const char *rel) {
  char *p = krait_path_join(dir, rel);
  bool e = krait_path_exists(p);
  free(p);
  return e;
}

/* The changes a transaction makes: replace a.txt, delete b.txt, add new/c.txt, append to history. */
static void make_changes(krait_journal *j, const char *prefix) {
  krait_err err;
  CHECK(krait_journal_set_aside(j, "a.txt", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_journal_will_create(j, "a.txt", &err) == KRAIT_OK, "%s", err.msg);
  write_file(prefix, "a.txt", "new a");
  CHECK(krait_journal_set_aside(j, "b dir/b.txt", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_journal_will_create(j, "new", &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_journal_will_create(j, "new/c.txt", &err) == KRAIT_OK, "%s", err.msg);
  write_file(prefix, "new/c.txt", "c");
  /* a run announced in one write; e.txt is never created (a no-op to undo) */
  static const char *const run[] = {"new/d 1.txt", "new/e.txt"};
  CHECK(krait_journal_will_create_many(j, run, 2, &err) == KRAIT_OK, "%s", err.msg);
  write_file(prefix, "new/d 1.txt", "d");
  CHECK(krait_journal_will_append(j, "conda-meta/history", &err) == KRAIT_OK, "%s", err.msg);
  char *h = krait_path_join(prefix, "conda-meta/history");
  int fd = open(h, O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "+more\n", 6) == 6, "append history");
  if (fd >= 0)
    close(fd);
  free(h);
}

static void setup(const char *prefix) {
  krait_rm_rf(prefix, NULL);
  write_file(prefix, "a.txt", "old a");
  write_file(prefix, "b dir/b.txt", "old b");
  write_file(prefix, "conda-meta/history", "==> x <==\n");
}

static void check_original(const char *prefix, const char *when) {
  char *a = read_rel(prefix, "a.txt");
  char *b = read_rel(prefix, "b dir/b.txt");
  char *h = read_rel(prefix, "conda-meta/history");
  CHECK(a && strcmp(a, "old a") == 0, "%s: a.txt restored (got %s)", when, a ? a : "(missing)");
  CHECK(b && strcmp(b, "old b") == 0, "%s: b.txt restored", when);
  CHECK(h && strcmp(h, "==> x <==\n") == 0, "%s: history truncated back", when);
  CHECK(!exists_rel(prefix, "new/c.txt") && !exists_rel(prefix, "new"), "%s: created paths removed", when);
  CHECK(!krait_journal_pending(prefix), "%s: journal gone", when);
  CHECK(!exists_rel(prefix, "conda-meta/.krait-txn"), "%s: txn dir gone", when);
  free(a);
  free(b);
  free(h);
}

int main(void) {
  char tmpl[] = "/tmp/krait-journal-XXXXXX";
  char *root = mkdtemp(tmpl);
  char *prefix = krait_path_join(root, "env");
  krait_err err;

  /* 1. rollback in-process */
  setup(prefix);
  krait_journal *j;
  CHECK(krait_journal_begin(prefix, false, &j, &err) == KRAIT_OK, "%s", err.msg);
  make_changes(j, prefix);
  CHECK(krait_journal_rollback(j, &err) == KRAIT_OK, "%s", err.msg);
  check_original(prefix, "rollback");

  /* 2. commit keeps the changes and cleans up */
  setup(prefix);
  CHECK(krait_journal_begin(prefix, false, &j, &err) == KRAIT_OK, "%s", err.msg);
  make_changes(j, prefix);
  CHECK(krait_journal_commit(j, &err) == KRAIT_OK, "%s", err.msg);
  char *a = read_rel(prefix, "a.txt");
  CHECK(a && strcmp(a, "new a") == 0, "commit keeps new a.txt");
  free(a);
  CHECK(!exists_rel(prefix, "b dir/b.txt"), "commit: b.txt removed");
  CHECK(exists_rel(prefix, "new/c.txt") && exists_rel(prefix, "new/d 1.txt"), "commit: c.txt, d 1.txt kept");
  CHECK(!exists_rel(prefix, "conda-meta/.krait-txn"), "commit: txn dir gone");

  /* 3. a process that dies mid-transaction: the next run rolls it back */
  setup(prefix);
  pid_t pid = fork();
  if (pid == 0) {
    krait_journal *cj;
    if (krait_journal_begin(prefix, false, &cj, NULL) != KRAIT_OK)
      _exit(2);
    make_changes(cj, prefix);
    _exit(0); /* dies without commit or rollback, like kill -9 */
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(krait_journal_pending(prefix), "journal left by dead process");
  CHECK(krait_journal_begin(prefix, false, &j, &err) != KRAIT_OK, "begin refuses while a journal is pending");
  const char *what = NULL;
  CHECK(krait_journal_recover(prefix, &what, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(what && strcmp(what, "rolled back") == 0, "recover says rolled back (%s)", what ? what : "");
  check_original(prefix, "recover");
  /* recovering twice is harmless */
  CHECK(krait_journal_recover(prefix, &what, &err) == KRAIT_OK && strcmp(what, "none") == 0, "idempotent");

  /* 4. a new prefix that is rolled back disappears entirely */
  char *fresh = krait_path_join(root, "fresh");
  krait_mkdir_p(fresh, 0755, NULL);
  CHECK(krait_journal_begin(fresh, true, &j, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(krait_journal_will_create(j, "bin", &err) == KRAIT_OK, "%s", err.msg);
  write_file(fresh, "bin/x", "x");
  CHECK(krait_journal_rollback(j, &err) == KRAIT_OK, "%s", err.msg);
  CHECK(!krait_path_exists(fresh), "new prefix removed on rollback");

  krait_rm_rf(root, NULL);
  free(prefix);
  free(fresh);
  return krait_test_finish("journal");
}
