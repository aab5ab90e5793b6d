/* Writing conda-meta records, conda-meta/history and environments.txt. */
#include "krait/meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krait/checkpoint.h"
#include "krait/fs.h"
#include "krait/secrets.h"
#include "krait/json.h"

static void write_path_entry(krait_jw *w, const krait_path_entry *e) {
  /* keys in sorted order, as conda's json dump sorts them */
  krait_jw_obj_begin(w);
  krait_jw_kstr(w, "_path", e->path);
  if (e->prefix_placeholder)
    krait_jw_kstr(w, "file_mode", e->file_mode == KRAIT_FILE_MODE_BINARY ? "binary" : "text");
  if (e->no_link)
    krait_jw_kbool(w, "no_link", true);
  krait_jw_kstr(w, "path_type", krait_path_type_name(e->type));
  krait_jw_kstr_opt(w, "prefix_placeholder", e->prefix_placeholder);
  krait_jw_kstr_opt(w, "sha256", e->sha256);
  krait_jw_kstr_opt(w, "sha256_in_prefix", e->sha256_in_prefix);
  if (e->size >= 0)
    krait_jw_kint(w, "size_in_bytes", e->size);
  krait_jw_obj_end(w);
}

/* The members conda-meta adds to the record, one writer each, in sorted key
 * order (conda writes these files with sort_keys). */
static void x_extracted_package_dir(krait_jw *w, const krait_meta_info *m) {
  krait_jw_str(w, m->extracted_package_dir ? m->extracted_package_dir : "");
}

static void x_files(krait_jw *w, const krait_meta_info *m) {
  krait_jw_arr_begin(w);
  for (size_t i = 0; m->paths && i < m->paths->len; i++)
    krait_jw_str(w, m->paths->items[i].path);
  krait_jw_arr_end(w);
}

static void x_link(krait_jw *w, const krait_meta_info *m) {
  krait_jw_obj_begin(w);
  krait_jw_kstr(w, "source", m->extracted_package_dir ? m->extracted_package_dir : "");
  krait_jw_kint(w, "type", m->link_type ? (int64_t)m->link_type : KRAIT_LINK_HARDLINK);
  krait_jw_obj_end(w);
}

static void x_package_tarball_full_path(krait_jw *w, const krait_meta_info *m) {
  krait_jw_str(w, m->package_tarball_full_path ? m->package_tarball_full_path : "");
}

/* conda records how a noarch package was installed (only for noarch ones) */
static const char *package_type(const krait_meta_info *m) {
  const char *noarch = m->rec->noarch;
  if (noarch && strcmp(noarch, "python") == 0)
    return "noarch_python";
  if (noarch && strcmp(noarch, "generic") == 0)
    return "noarch_generic";
  return NULL;
}

static void x_package_type(krait_jw *w, const krait_meta_info *m) { krait_jw_str(w, package_type(m)); }

static void x_paths_data(krait_jw *w, const krait_meta_info *m) {
  krait_jw_obj_begin(w);
  krait_jw_key(w, "paths");
  krait_jw_arr_begin(w);
  for (size_t i = 0; m->paths && i < m->paths->len; i++)
    write_path_entry(w, &m->paths->items[i]);
  krait_jw_arr_end(w);
  krait_jw_kint(w, "paths_version", 1);
  krait_jw_obj_end(w);
}

static void x_requested_spec(krait_jw *w, const krait_meta_info *m) {
  krait_jw_str(w, m->requested_spec ? m->requested_spec : "");
}

static void x_requested_specs(krait_jw *w, const krait_meta_info *m) {
  krait_jw_arr_begin(w);
  if (m->requested_specs)
    for (size_t i = 0; i < m->requested_specs->len; i++)
      krait_jw_str(w, m->requested_specs->items[i]);
  else if (m->requested_spec && *m->requested_spec)
    krait_jw_str(w, m->requested_spec);
  krait_jw_arr_end(w);
}

typedef struct meta_extra {
  const char *key;
  void (*write)(krait_jw *w, const krait_meta_info *m);
} meta_extra;

static const meta_extra EXTRAS[] = { /* sorted by key */
    {"extracted_package_dir", x_extracted_package_dir},
    {"files", x_files},
    {"link", x_link},
    {"package_tarball_full_path", x_package_tarball_full_path},
    {"package_type", x_package_type},
    {"paths_data", x_paths_data},
    {"requested_spec", x_requested_spec},
    {"requested_specs", x_requested_specs},
};

static int member_cmp(const void *a, const void *b) {
  const krait_json *x = *(const krait_json *const *)a, *y = *(const krait_json *const *)b;
  return strcmp(x->key, y->key);
}

char *krait_meta_render(const krait_meta_info *m) {
  /* The record's fields (a few, rendered, parsed back and sorted) merged
   * with ours in one sorted key order; ours are written straight into the
   * output: paths_data holds every file of the package, and a round trip
   * through text and a DOM was most of a warm install's time in user space. */
  krait_buf a = KRAIT_BUF_INIT, out = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &a, 0);
  krait_jw_obj_begin(&w);
  krait_record_write_fields(&w, m->rec);
  krait_jw_obj_end(&w);
  krait_json *ra = krait_json_parse(a.data, a.len, "record", NULL);
  if (!ra) /* our own output: cannot fail */
    krait_oom();
  const krait_json **fields = krait_calloc(ra->len ? ra->len : 1, sizeof *fields);
  size_t nf = 0;
  krait_json_foreach(it, ra) fields[nf++] = it;
  qsort(fields, nf, sizeof *fields, member_cmp);

  krait_jw_init(&w, &out, 2);
  krait_jw_obj_begin(&w);
  size_t f = 0, x = 0, nx = sizeof(EXTRAS) / sizeof(EXTRAS[0]);
  while (f < nf || x < nx) {
    if (x < nx && EXTRAS[x].write == x_package_type && !package_type(m)) {
      x++;
      continue;
    }
    int c = f == nf ? 1 : x == nx ? -1 : strcmp(fields[f]->key, EXTRAS[x].key);
    if (c <= 0) { /* a record field never shadows ours, but if it did it would win */
      krait_jw_key(&w, fields[f]->key);
      krait_jw_value(&w, fields[f]);
      f++;
      x += c == 0;
    } else {
      krait_jw_key(&w, EXTRAS[x].key);
      EXTRAS[x].write(&w, m);
      x++;
    }
  }
  krait_jw_obj_end(&w);
  krait_buf_putc(&out, '\n');
  free(fields);
  krait_json_free(ra);
  krait_buf_free(&a);
  return krait_buf_steal(&out);
}

static char *meta_rel(const krait_record *rec) {
  char *dist = krait_record_dist(rec);
  char *p = krait_asprintf("conda-meta/%s.json", dist);
  free(dist);
  return p;
}

/* conda-meta/ exists afterwards (announced to the journal if we made it). */
static krait_code ensure_meta_dir(const char *prefix, krait_journal *journal, krait_err *err) {
  char *dir = krait_path_join(prefix, "conda-meta");
  krait_code rc = KRAIT_OK;
  if (!krait_is_dir(dir)) {
    if (journal)
      rc = krait_journal_will_create(journal, "conda-meta", err);
    if (rc == KRAIT_OK)
      rc = krait_mkdir_p(dir, 0755, err);
  }
  free(dir);
  return rc;
}

krait_code krait_meta_write(const char *prefix, const krait_meta_info *m, krait_journal *journal, krait_err *err) {
  krait_code rc = krait_record_check_names(m->rec, err);
  if (rc == KRAIT_OK)
    rc = ensure_meta_dir(prefix, journal, err);
  if (rc)
    return rc;
  char *rel = meta_rel(m->rec);
  char *path = krait_path_join(prefix, rel);
  if (journal && (rc = krait_journal_set_aside(journal, rel, err)) == KRAIT_OK)
    rc = krait_journal_will_create(journal, rel, err);
  if (rc == KRAIT_OK)
    rc = krait_checkpoint(KRAIT_STEP_META_WRITE, err);
  if (rc == KRAIT_OK) {
    char *text = krait_meta_render(m);
    /* Inside a transaction a record is not fsync'ed (one round trip to the
     * servers per package on NFS/Lustre, ~100 us each on a local disk).
     * What users rely on is all-or-nothing against the process dying (kill -9,
     * Ctrl-C, an error): the journal gives that from the page cache, fsync or
     * not, and the rename still keeps readers from a torn record. Against a
     * power loss an fsync of the records alone never gave a consistent
     * prefix (the links and directories of the transaction were not synced
     * either); conda and mamba do not fsync conda-meta at all. A syncfs() of
     * the prefix before COMMIT was measured and rejected: it took as long
     * as the 8 fsyncs it replaced (~0.8 ms on ext4) because it flushes every
     * other process's dirty data on that filesystem too (a shared login node;
     * on Lustre it syncs every OST). Without a journal the record is synced
     * as before. */
    rc = journal ? krait_write_file_atomic_nosync(path, text, strlen(text), 0644, err)
                 : krait_write_file_atomic(path, text, strlen(text), 0644, err);
    free(text);
  }
  free(path);
  free(rel);
  return rc;
}

krait_code krait_meta_remove(const char *prefix, const krait_record *rec, krait_journal *journal, krait_err *err) {
  krait_code bad = krait_record_check_names(rec, err);
  if (bad)
    return bad;
  char *rel = meta_rel(rec);
  char *path = krait_path_join(prefix, rel);
  krait_code rc = KRAIT_OK;
  if (journal)
    rc = krait_journal_set_aside(journal, rel, err);
  else if (unlink(path) != 0 && errno != ENOENT)
    rc = krait_err_errno(err, KRAIT_E_IO, "remove %s", path);
  free(path);
  free(rel);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "files" is what conda itself trusts for removal: some conda versions wrote
 * paths_data of noarch: python packages with package-relative paths
 * ("site-packages/x") next to the right prefix-relative files list
 * ("lib/python3.11/site-packages/x"). Align the two: same length -> files[i]
 * names entry i; otherwise add every file paths_data does not list. */
static void reconcile_files(const krait_json *files, krait_paths *out) {
  if (files->len == out->len) {
    size_t i = 0;
    krait_json_foreach(f, files) {
      if (f->type == KRAIT_JSON_STRING && strcmp(out->items[i].path, f->string) != 0) {
        free(out->items[i].path);
        out->items[i].path = krait_strdup(f->string);
      }
      i++;
    }
    return;
  }
  krait_strv known = KRAIT_STRV_INIT;
  for (size_t i = 0; i < out->len; i++)
    krait_strv_push(&known, out->items[i].path);
  if (known.len)
    qsort(known.items, known.len, sizeof *known.items, cmp_str);
  krait_json_foreach(f, files) {
    const char *key = f->string;
    if (f->type == KRAIT_JSON_STRING &&
        (!known.len || !bsearch(&key, known.items, known.len, sizeof *known.items, cmp_str)))
      krait_paths_add(out, f->string, KRAIT_PATH_HARDLINK);
  }
  krait_strv_free(&known);
}

krait_code krait_meta_read_paths(const char *meta_json_path, krait_paths *out, krait_err *err) {
  krait_json *root = krait_json_parse_file(meta_json_path, err);
  if (!root)
    return err ? err->code : KRAIT_E_PARSE;
  krait_code rc = KRAIT_OK;
  const krait_json *pd = krait_json_get_object(root, "paths_data");
  const krait_json *files = krait_json_get_array(root, "files");
  if (pd && krait_json_get_array(pd, "paths")) {
    rc = krait_paths_from_json(pd, meta_json_path, out, err);
    if (rc == KRAIT_OK && files)
      reconcile_files(files, out);
  } else if (files) {
    krait_json_foreach(f, files) {
      if (f->type == KRAIT_JSON_STRING)
        krait_paths_add(out, f->string, KRAIT_PATH_HARDLINK);
    }
  } else {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: neither \"paths_data\" nor \"files\"", meta_json_path);
  }
  krait_json_free(root);
  if (rc)
    krait_paths_free(out);
  return rc;
}

/* ---- history ---- */

char *krait_history_dist(const krait_record *r) {
  static const char alias[] = "https://conda.anaconda.org/";
  char *dist = krait_record_dist(r);
  krait_buf b = KRAIT_BUF_INIT;
  const char *ch = r->channel ? r->channel : "";
  size_t cl = strlen(ch);
  while (cl && ch[cl - 1] == '/')
    cl--;
  /* some records carry the subdir in the channel URL: do not repeat it */
  size_t sl = r->subdir ? strlen(r->subdir) : 0;
  if (sl && cl > sl + 1 && ch[cl - sl - 1] == '/' && strncmp(ch + cl - sl, r->subdir, sl) == 0)
    cl -= sl + 1;
  if (strncmp(ch, alias, sizeof alias - 1) == 0)
    krait_buf_append(&b, ch + sizeof alias - 1, cl - (sizeof alias - 1));
  else
    krait_buf_append(&b, ch, cl);
  if (b.len && r->subdir && *r->subdir)
    krait_buf_printf(&b, "/%s", r->subdir);
  krait_buf_printf(&b, "%s%s", b.len ? "::" : "", dist);
  free(dist);
  return krait_buf_steal(&b);
}

/* Python's repr() of a list of str, as conda writes the specs lines. */
static void py_list_repr(krait_buf *b, const krait_strv *v) {
  krait_buf_putc(b, '[');
  for (size_t i = 0; i < v->len; i++) {
    const char *s = v->items[i];
    char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
    krait_buf_printf(b, "%s%c", i ? ", " : "", q);
    for (; *s; s++) {
      if (*s == q || *s == '\\')
        krait_buf_putc(b, '\\');
      krait_buf_putc(b, *s);
    }
    krait_buf_putc(b, q);
  }
  krait_buf_putc(b, ']');
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static krait_code append_file(const char *path, const char *text, size_t len, krait_err *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return krait_err_errno(err, KRAIT_E_IO, "open %s", path);
  krait_code rc = KRAIT_OK;
  for (size_t off = 0; off < len;) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      rc = krait_err_errno(err, KRAIT_E_IO, "write %s", path);
      break;
    }
    off += (size_t)w;
  }
  if (close(fd) != 0 && rc == KRAIT_OK)
    rc = krait_err_errno(err, KRAIT_E_IO, "close %s", path);
  return rc;
}

krait_code krait_history_touch(const char *prefix, krait_journal *journal, krait_err *err) {
  krait_code rc = ensure_meta_dir(prefix, journal, err);
  char *path = krait_path_join(prefix, "conda-meta/history");
  if (rc == KRAIT_OK && journal && !krait_path_exists(path))
    rc = krait_journal_will_create(journal, "conda-meta/history", err);
  if (rc == KRAIT_OK)
    rc = append_file(path, "", 0, err);
  free(path);
  return rc;
}

static void dist_lines(krait_buf *b, char sign, const krait_record *const *recs, size_t n) {
  krait_strv v = KRAIT_STRV_INIT;
  for (size_t i = 0; i < n; i++)
    krait_strv_push_owned(&v, krait_history_dist(recs[i]));
  if (v.len)
    qsort(v.items, v.len, sizeof *v.items, str_cmp);
  for (size_t i = 0; i < v.len; i++)
    krait_buf_printf(b, "%c%s\n", sign, v.items[i]);
  krait_strv_free(&v);
}

krait_code krait_history_append(const char *prefix, const krait_history_entry *h, krait_journal *journal,
                                krait_err *err) {
  krait_code rc = krait_history_touch(prefix, journal, err);
  if (rc == KRAIT_OK && journal)
    rc = krait_journal_will_append(journal, "conda-meta/history", err);
  if (rc)
    return rc;
  time_t t = h->when ? h->when : time(NULL);
  struct tm tm;
  char stamp[64];
  localtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_printf(&b, "==> %s <==\n", stamp);
  if (h->cmd)
    krait_buf_printf(&b, "# cmd: %s\n", h->cmd);
  if (h->tool_version)
    krait_buf_printf(&b, "# conda version: %s\n", h->tool_version);
  dist_lines(&b, '-', h->unlinked, h->n_unlinked);
  dist_lines(&b, '+', h->linked, h->n_linked);
  if (h->update_specs && h->update_specs->len) {
    krait_buf_puts(&b, "# update specs: ");
    py_list_repr(&b, h->update_specs);
    krait_buf_putc(&b, '\n');
  }
  if (h->remove_specs && h->remove_specs->len) {
    krait_buf_puts(&b, "# remove specs: ");
    py_list_repr(&b, h->remove_specs);
    krait_buf_putc(&b, '\n');
  }
  if (h->neutered_specs && h->neutered_specs->len) {
    krait_buf_puts(&b, "# neutered specs: ");
    py_list_repr(&b, h->neutered_specs);
    krait_buf_putc(&b, '\n');
  }
  /* the command line may name a channel with its token or password */
  char *shown = krait_text_redact(krait_buf_str(&b));
  char *path = krait_asprintf("%s/conda-meta/history", prefix);
  rc = append_file(path, shown, strlen(shown), err);
  free(shown);
  free(path);
  krait_buf_free(&b);
  return rc;
}

/* ---- environments.txt ---- */

static size_t trimmed_len(const char *s, size_t n) {
  while (n && (s[n - 1] == '/' || s[n - 1] == ' ' || s[n - 1] == '\r'))
    n--;
  return n;
}

krait_code krait_env_register(const char *environments_txt, const char *prefix, krait_err *err) {
  char *path = environments_txt ? krait_strdup(environments_txt) : krait_path_absolute("~/.conda/environments.txt");
  char *dir = krait_path_dirname(path);
  krait_code rc = krait_mkdir_p(dir, 0755, err);
  krait_buf cur = KRAIT_BUF_INIT;
  bool found = false;
  size_t pl = trimmed_len(prefix, strlen(prefix));
  if (rc == KRAIT_OK && krait_path_exists(path))
    rc = krait_read_file(path, &cur, err);
  for (const char *s = cur.data; rc == KRAIT_OK && s && *s && !found;) {
    const char *nl = strchr(s, '\n');
    size_t n = trimmed_len(s, nl ? (size_t)(nl - s) : strlen(s));
    found = n == pl && strncmp(s, prefix, pl) == 0;
    s = nl ? nl + 1 : NULL;
  }
  if (rc == KRAIT_OK && !found) {
    krait_buf line = KRAIT_BUF_INIT;
    if (cur.len && cur.data[cur.len - 1] != '\n')
      krait_buf_putc(&line, '\n');
    krait_buf_printf(&line, "%.*s\n", (int)pl, prefix);
    rc = append_file(path, line.data, line.len, err);
    krait_buf_free(&line);
  }
  krait_buf_free(&cur);
  free(dir);
  free(path);
  return rc;
}
