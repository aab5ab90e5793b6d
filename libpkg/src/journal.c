/* Transaction journal: intent lines before every change, replayed backwards to undo. */
#include "krait/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/prefix_path.h"

#define TXN_DIR "conda-meta/.krait-txn"

struct krait_journal {
  char *prefix;
  char *dir;     /* <prefix>/conda-meta/.krait-txn */
  char *backup;  /* <dir>/backup */
  char *path;    /* <dir>/journal */
  int fd;
  unsigned next_backup;
};

static void encode(krait_buf *b, const char *s) {
  for (; *s; s++) {
    if (*s == '%' || *s == '\n' || *s == '\r' || *s == '\t' || *s == ' ')
      krait_buf_printf(b, "%%%02X", (unsigned char)*s);
    else
      krait_buf_putc(b, *s);
  }
}

static char *decode(const char *s, size_t n) {
  krait_buf b = KRAIT_BUF_INIT;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      krait_buf_putc(&b, (char)strtol(hex, NULL, 16));
      i += 2;
    } else {
      krait_buf_putc(&b, s[i]);
    }
  }
  return krait_buf_steal(&b);
}

static krait_code append_line(krait_journal *j, const char *line, size_t len, krait_err *err) {
  krait_code rc = krait_checkpoint(KRAIT_STEP_JOURNAL_WRITE, err);
  if (rc)
    return rc;
  while (len) {
    ssize_t n = write(j->fd, line, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return krait_err_errno(err, KRAIT_E_IO, "cannot write transaction journal %s", j->path);
    }
    line += n;
    len -= (size_t)n;
  }
  return KRAIT_OK;
}

static krait_journal *journal_alloc(const char *prefix) {
  krait_journal *j = krait_calloc(1, sizeof *j);
  j->prefix = krait_strdup(prefix);
  j->dir = krait_path_join(prefix, TXN_DIR);
  j->backup = krait_path_join(j->dir, "backup");
  j->path = krait_path_join(j->dir, "journal");
  j->fd = -1;
  return j;
}

static void journal_free(krait_journal *j) {
  if (!j)
    return;
  if (j->fd >= 0)
    close(j->fd);
  free(j->prefix);
  free(j->dir);
  free(j->backup);
  free(j->path);
  free(j);
}

bool krait_journal_pending(const char *prefix) {
  char *p = krait_path_join(prefix, TXN_DIR "/journal");
  bool pending = krait_path_exists(p);
  free(p);
  return pending;
}

krait_code krait_journal_begin(const char *prefix, bool prefix_is_new, krait_journal **out, krait_err *err) {
  if (krait_journal_pending(prefix))
    return krait_err_set(err, KRAIT_E_INVALID, "%s has an unfinished transaction; recover it first", prefix);
  krait_journal *j = journal_alloc(prefix);
  /* only this user may change what a later recovery will replay */
  krait_code rc = krait_mkdir_p(j->backup, 0700, err);
  if (rc) {
    journal_free(j);
    return rc;
  }
  j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (j->fd < 0) {
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot create transaction journal %s", j->path);
    journal_free(j);
    return rc;
  }
  if (prefix_is_new && (rc = append_line(j, "P\n", 2, err))) {
    journal_free(j);
    return rc;
  }
  /* the journal's own existence must be durable before any change is made */
  fsync(j->fd);
  *out = j;
  return KRAIT_OK;
}

krait_code krait_journal_will_create(krait_journal *j, const char *relpath, krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "C ");
  encode(&b, relpath);
  krait_buf_putc(&b, '\n');
  krait_code rc = append_line(j, b.data, b.len, err);
  krait_buf_free(&b);
  return rc;
}

krait_code krait_journal_will_create_many(krait_journal *j, const char *const *relpaths, size_t n,
                                          krait_err *err) {
  krait_buf b = KRAIT_BUF_INIT;
  for (size_t i = 0; i < n; i++) {
    krait_buf_puts(&b, "C ");
    encode(&b, relpaths[i]);
    krait_buf_putc(&b, '\n');
  }
  krait_code rc = n ? append_line(j, b.data, b.len, err) : KRAIT_OK;
  krait_buf_free(&b);
  return rc;
}

krait_code krait_journal_set_aside(krait_journal *j, const char *relpath, krait_err *err) {
  char *abs = krait_path_join(j->prefix, relpath);
  struct stat st;
  if (lstat(abs, &st) != 0) {
    free(abs);
    return KRAIT_OK;
  }
  unsigned n = j->next_backup++;
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "B ");
  encode(&b, relpath);
  krait_buf_printf(&b, " %u\n", n);
  krait_code rc = append_line(j, b.data, b.len, err);
  krait_buf_free(&b);
  if (rc == KRAIT_OK) {
    char *dst = krait_asprintf("%s/%u", j->backup, n);
    if (rename(abs, dst) != 0)
      rc = krait_err_errno(err, KRAIT_E_IO, "cannot move %s aside", abs);
    free(dst);
  }
  free(abs);
  return rc;
}

krait_code krait_journal_will_append(krait_journal *j, const char *relpath, krait_err *err) {
  char *abs = krait_path_join(j->prefix, relpath);
  struct stat st;
  krait_code rc = KRAIT_OK;
  if (lstat(abs, &st) != 0) {
    rc = krait_journal_will_create(j, relpath, err);
  } else {
    krait_buf b = KRAIT_BUF_INIT;
    krait_buf_puts(&b, "T ");
    encode(&b, relpath);
    krait_buf_printf(&b, " %" PRIdMAX "\n", (intmax_t)st.st_size);
    rc = append_line(j, b.data, b.len, err);
    krait_buf_free(&b);
  }
  free(abs);
  return rc;
}

/* Removes whatever is at abs: a file, a link, or a directory only if empty
 * (a created directory that still holds files the journal does not own stays). */
static void undo_create(const char *abs) {
  struct stat st;
  if (lstat(abs, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode))
    rmdir(abs);
  else
    unlink(abs);
}

static krait_code undo_backup(const char *abs, const char *saved, krait_err *err) {
  struct stat st;
  if (lstat(saved, &st) != 0)
    return KRAIT_OK; /* the move never happened, or was already undone */
  struct stat cur;
  if (lstat(abs, &cur) == 0 && (S_ISDIR(cur.st_mode) != S_ISDIR(st.st_mode) || S_ISDIR(cur.st_mode)))
    krait_rm_rf(abs, NULL);
  char *parent = krait_path_dirname(abs);
  krait_mkdir_p(parent, 0755, NULL);
  free(parent);
  if (rename(saved, abs) != 0)
    return krait_err_errno(err, KRAIT_E_IO, "cannot restore %s", abs);
  return KRAIT_OK;
}

typedef struct entry {
  char kind;
  char *rel;
  char *arg;
} entry;

static bool all_digits(const char *s) {
  if (!s || !*s || strlen(s) > 18)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* A journal is replayed only if this user wrote it and nobody else could have
 * changed it: a regular file of ours, writable by us alone, in real
 * directories (no symlink at .krait-txn or backup). */
static const char *journal_untrusted(const krait_journal *j) {
  struct stat st;
  if (lstat(j->dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return "conda-meta/.krait-txn is not a directory";
  if (lstat(j->backup, &st) == 0 && !S_ISDIR(st.st_mode))
    return "conda-meta/.krait-txn/backup is not a directory";
  if (lstat(j->path, &st) != 0 || !S_ISREG(st.st_mode))
    return "it is not a regular file";
  if (st.st_uid != geteuid())
    return "it belongs to another user";
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return "other users may write it";
  return NULL;
}

/* Checks one parsed entry; NULL when it only touches paths inside the prefix. */
static krait_code entry_untrusted(const krait_journal *j, const char *real_prefix, const entry *e, size_t lineno,
                                  krait_err *err) {
  char origin[64];
  snprintf(origin, sizeof origin, "line %zu", lineno);
  krait_code rc = krait_prefix_path_check(j->prefix, real_prefix, e->rel, origin, err);
  if (rc == KRAIT_OK && (e->kind == 'B' || e->kind == 'T') && !all_digits(e->arg))
    rc = krait_err_set(err, KRAIT_E_UNSAFE, "line %zu: \"%s\" is not a number", lineno, e->arg ? e->arg : "");
  return rc;
}

static krait_code refuse(const krait_journal *j, krait_err *err, const char *why) {
  return krait_err_set(err, KRAIT_E_UNSAFE,
                       "refusing to replay the transaction journal %s: %s; it was left untouched for inspection "
                       "(check the environment, then remove %s)",
                       j->path, why, j->dir);
}

/* Replays the journal file at j->path backwards, after checking all of it:
 * one bad line and nothing is replayed. */
static krait_code replay_backwards(krait_journal *j, bool *committed, krait_err *err) {
  const char *untrusted = journal_untrusted(j);
  if (untrusted)
    return refuse(j, err, untrusted);
  krait_buf text = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(j->path, &text, err);
  if (rc) {
    krait_buf_free(&text);
    return rc;
  }
  char *real_prefix = realpath(j->prefix, NULL);
  size_t lineno = 0;
  krait_err why;
  krait_err_clear(&why);
  entry *ents = NULL;
  size_t n = 0, cap = 0;
  bool prefix_new = false;
  *committed = false;
  bool bad = false;
  for (char *line = text.data; line && *line && !bad;) {
    char *nl = strchr(line, '\n');
    if (!nl)
      break; /* a torn last line was never acted upon */
    *nl = '\0';
    lineno++;
    if (strcmp(line, "COMMIT") == 0) {
      *committed = true;
    } else if (strcmp(line, "P") == 0) {
      prefix_new = true;
    } else if ((line[0] == 'C' || line[0] == 'B' || line[0] == 'T') && line[1] == ' ') {
      char *rel = line + 2;
      char *sp = strchr(rel, ' ');
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        ents = krait_realloc(ents, cap * sizeof *ents);
      }
      ents[n].kind = line[0];
      ents[n].rel = decode(rel, sp ? (size_t)(sp - rel) : strlen(rel));
      ents[n].arg = sp ? krait_strdup(sp + 1) : NULL;
      n++;
      bad = entry_untrusted(j, real_prefix, &ents[n - 1], lineno, &why) != KRAIT_OK;
    } else {
      krait_err_set(&why, KRAIT_E_UNSAFE, "line %zu is not a journal entry", lineno);
      bad = true;
    }
    line = nl + 1;
  }
  krait_buf_free(&text);
  free(real_prefix);
  if (bad)
    rc = refuse(j, err, why.msg);
  if (!*committed && !bad) {
    for (size_t i = n; i-- > 0 && rc == KRAIT_OK;) {
      char *abs = krait_path_join(j->prefix, ents[i].rel);
      if (ents[i].kind == 'C') {
        undo_create(abs);
      } else if (ents[i].kind == 'B') {
        char *saved = krait_asprintf("%s/%s", j->backup, ents[i].arg ? ents[i].arg : "");
        rc = undo_backup(abs, saved, err);
        free(saved);
      } else if (ents[i].kind == 'T') {
        if (truncate(abs, (off_t)strtoll(ents[i].arg ? ents[i].arg : "0", NULL, 10)) != 0 && errno != ENOENT)
          rc = krait_err_errno(err, KRAIT_E_IO, "cannot restore %s", abs);
      }
      free(abs);
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(ents[i].rel);
    free(ents[i].arg);
  }
  free(ents);
  if (rc == KRAIT_OK && !*committed && prefix_new)
    return krait_rm_rf(j->prefix, err);
  return rc;
}

static krait_code finish(krait_journal *j, krait_err *err) {
  krait_code rc = krait_rm_rf(j->backup, err);
  if (rc == KRAIT_OK && unlink(j->path) != 0 && errno != ENOENT)
    rc = krait_err_errno(err, KRAIT_E_IO, "cannot remove %s", j->path);
  if (rc == KRAIT_OK)
    rmdir(j->dir);
  return rc;
}

krait_code krait_journal_commit(krait_journal *j, krait_err *err) {
  krait_code rc = append_line(j, "COMMIT\n", 7, err);
  if (rc == KRAIT_OK) {
    fdatasync(j->fd);
    rc = finish(j, err);
  }
  journal_free(j);
  return rc;
}

krait_code krait_journal_rollback(krait_journal *j, krait_err *err) {
  bool committed;
  if (j->fd >= 0) {
    close(j->fd);
    j->fd = -1;
  }
  krait_code rc = replay_backwards(j, &committed, err);
  if (rc == KRAIT_OK && krait_path_exists(j->prefix))
    rc = finish(j, err);
  journal_free(j);
  return rc;
}

krait_code krait_journal_recover(const char *prefix, const char **what, krait_err *err) {
  if (what)
    *what = "none";
  if (!krait_journal_pending(prefix))
    return KRAIT_OK;
  krait_journal *j = journal_alloc(prefix);
  bool committed;
  krait_code rc = replay_backwards(j, &committed, err);
  if (rc == KRAIT_OK && krait_path_exists(prefix))
    rc = finish(j, err);
  if (rc == KRAIT_OK && what)
    *what = committed ? "finished" : "rolled back";
  journal_free(j);
  return rc;
}
