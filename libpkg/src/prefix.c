/* Reading an installed prefix: conda-meta/<dist>.json records (CEP-32) and
 * the user's requested specs from conda-meta/history. */
#include "krait/prefix.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/text.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The package name a spec is about: "conda-forge::numpy>=1.2" -> "numpy". */
static char *spec_name(const char *spec) {
  const char *colons = strstr(spec, "::");
  if (colons) spec = colons + 2;
  while (*spec == ' ') spec++;
  size_t n = strcspn(spec, " =<>!~[");
  return n ? krait_strndup(spec, n) : NULL;
}

static void requested_remove(krait_strv *v, const char *spec) {
  char *name = spec_name(spec);
  if (!name) return;
  for (size_t i = 0; i < v->len;) {
    char *other = spec_name(v->items[i]);
    bool same = other && strcmp(other, name) == 0;
    free(other);
    if (same) {
      free(v->items[i]);
      memmove(&v->items[i], &v->items[i + 1], (v->len - i - 1) * sizeof *v->items);
      v->len--;
    } else {
      i++;
    }
  }
  free(name);
}

/* Replaces the entry with the same name (keeping its position in the list
 * would hide the order the user asked in; conda keeps the newest last). */
static void requested_set(krait_strv *v, const char *spec) {
  char *name = spec_name(spec);
  if (!name) return;
  free(name);
  requested_remove(v, spec);
  krait_strv_push(v, spec);
}

/* A Python list literal of strings as conda writes it: ['a', "b[version=\">1\"]"]. */
static void parse_spec_list(const char *s, krait_strv *out) {
  const char *p = strchr(s, '[');
  if (!p) return;
  p++;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (*p == ']' || !*p) break;
    char quote = *p;
    if (quote != '\'' && quote != '"') break;
    p++;
    krait_buf b = KRAIT_BUF_INIT;
    while (*p && *p != quote) {
      if (*p == '\\' && p[1]) p++;
      krait_buf_putc(&b, *p++);
    }
    if (*p == quote) p++;
    char *spec = krait_buf_steal(&b);
    if (*spec) krait_strv_push_owned(out, spec);
    else free(spec);
  }
}

static void read_history(const char *path, krait_strv *requested) {
  krait_buf text = KRAIT_BUF_INIT;
  /* A missing or unreadable history only loses the "user asked for it" marks. */
  if (krait_read_file(path, &text, NULL) != KRAIT_OK) return;
  char *cursor = text.data;
  for (char *line; (line = krait_text_next_line(&cursor));) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r') line[n - 1] = '\0';
    bool install = strncmp(line, "# update specs:", 15) == 0 || strncmp(line, "# install specs:", 16) == 0;
    bool remove = strncmp(line, "# remove specs:", 15) == 0 || strncmp(line, "# uninstall specs:", 18) == 0;
    if (!install && !remove) continue;
    krait_strv specs = KRAIT_STRV_INIT;
    parse_spec_list(line, &specs);
    for (size_t i = 0; i < specs.len; i++) {
      if (install) requested_set(requested, specs.items[i]);
      else requested_remove(requested, specs.items[i]);
    }
    krait_strv_free(&specs);
  }
  krait_buf_free(&text);
}

static krait_code read_record(const char *path, krait_prefix_record *pr, krait_err *err) {
  krait_json *root = krait_json_parse_file(path, err);
  if (!root) return err ? err->code : KRAIT_E_PARSE;
  krait_code rc = KRAIT_OK;
  if (root->type != KRAIT_JSON_OBJECT) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: corrupt conda-meta record: not a JSON object", path);
    goto out;
  }
  krait_record_init(&pr->rec);
  rc = krait_record_from_json(&pr->rec, root, NULL, err);
  if (rc != KRAIT_OK) {
    krait_err_prefix(err, "%s: corrupt conda-meta record: ", path);
    goto out;
  }
  if (!pr->rec.name || !pr->rec.version || !pr->rec.build) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: corrupt conda-meta record: missing name, version or build", path);
    goto out;
  }
  const char *req = krait_json_get_str(root, "requested_spec");
  const krait_json *reqs = krait_json_get_array(root, "requested_specs");
  if (reqs && reqs->child && reqs->child->type == KRAIT_JSON_STRING) req = reqs->child->string;
  pr->requested_spec = krait_strdup(req);
  krait_json_get_strv(root, "files", &pr->files);
  pr->meta_path = krait_strdup(path);
out:
  krait_json_free(root);
  return rc;
}

krait_code krait_prefix_load(const char *prefix, krait_prefix_state *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  out->prefix = krait_strdup(prefix);
  char *meta = krait_path_join(prefix, "conda-meta");
  if (!krait_is_dir(meta)) {
    free(meta);
    return KRAIT_OK;
  }
  out->exists = true;
  DIR *d = opendir(meta);
  if (!d) {
    krait_code rc = krait_err_errno(err, KRAIT_E_IO, "cannot read %s", meta);
    free(meta);
    return rc;
  }
  krait_strv names = KRAIT_STRV_INIT;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    /* "._x.json" are macOS AppleDouble droppings, not records. */
    if (e->d_name[0] == '.' || !ends_with(e->d_name, ".json")) continue;
    krait_strv_push(&names, e->d_name);
  }
  closedir(d);
  /* Sorted so that the record order (and so solver input) is reproducible. */
  if (names.len) qsort(names.items, names.len, sizeof *names.items, cmp_str);
  krait_code rc = KRAIT_OK;
  out->records = krait_calloc(names.len ? names.len : 1, sizeof *out->records);
  for (size_t i = 0; i < names.len; i++) {
    char *path = krait_path_join(meta, names.items[i]);
    krait_prefix_record *pr = &out->records[out->len];
    memset(pr, 0, sizeof *pr);
    rc = read_record(path, pr, err);
    free(path);
    if (rc != KRAIT_OK) {
      krait_record_free(&pr->rec);
      free(pr->requested_spec);
      free(pr->meta_path);
      krait_strv_free(&pr->files);
      break;
    }
    out->len++;
  }
  krait_strv_free(&names);
  if (rc == KRAIT_OK) {
    char *hist = krait_path_join(meta, "history");
    read_history(hist, &out->requested_specs);
    free(hist);
  }
  free(meta);
  if (rc != KRAIT_OK) krait_prefix_state_free(out);
  return rc;
}

void krait_prefix_state_free(krait_prefix_state *st) {
  if (!st) return;
  for (size_t i = 0; i < st->len; i++) {
    krait_record_free(&st->records[i].rec);
    free(st->records[i].requested_spec);
    free(st->records[i].meta_path);
    krait_strv_free(&st->records[i].files);
  }
  free(st->records);
  free(st->prefix);
  krait_strv_free(&st->requested_specs);
  memset(st, 0, sizeof *st);
}

const krait_prefix_record *krait_prefix_find(const krait_prefix_state *st, const char *name) {
  for (size_t i = 0; i < st->len; i++)
    if (strcmp(st->records[i].rec.name, name) == 0) return &st->records[i];
  return NULL;
}
