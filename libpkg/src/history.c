/* conda-meta/history as a list of revisions (see krait/history.h). */
#include "krait/history.h"

#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/platform.h"
#include "krait/text.h"

static krait_revision *new_rev(krait_history *h, const char *date, size_t n) {
  h->revs = krait_realloc(h->revs, (h->len + 1) * sizeof *h->revs);
  krait_revision *r = &h->revs[h->len++];
  memset(r, 0, sizeof *r);
  r->date = krait_strndup(date, n);
  return r;
}

krait_code krait_history_read(const char *prefix, krait_history *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  char *path = krait_path_join(prefix, "conda-meta/history");
  krait_buf text = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  if (krait_path_exists(path))
    rc = krait_read_file(path, &text, err);
  krait_revision *cur = NULL;
  size_t lineno = 0;
  char *cursor = text.data;
  for (char *line; rc == KRAIT_OK && (line = krait_text_next_line(&cursor));) {
    lineno++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
      line[--n] = '\0';
    if (strncmp(line, "==>", 3) == 0 && n > 6 && strcmp(line + n - 3, "<==") == 0) {
      const char *d = line + 3;
      while (*d == ' ')
        d++;
      size_t dl = (size_t)(line + n - 3 - d);
      while (dl && d[dl - 1] == ' ')
        dl--;
      cur = new_rev(out, d, dl);
    } else if (n && line[0] == '#') {
      if (cur && !cur->cmd && strncmp(line, "# cmd:", 6) == 0)
        cur->cmd = krait_strdup(line + 6 + (line[6] == ' '));
    } else if (n) {
      if (!cur) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: package line before the first \"==> date <==\" line", path,
                           lineno);
        break;
      }
      if (line[0] == '+')
        krait_strv_push(&cur->added, line + 1);
      else if (line[0] == '-')
        krait_strv_push(&cur->removed, line + 1);
      else {
        cur->full_state = true;
        krait_strv_push(&cur->added, line);
      }
    }
  }
  krait_buf_free(&text);
  free(path);
  if (rc)
    krait_history_free(out);
  return rc;
}

void krait_history_free(krait_history *h) {
  for (size_t i = 0; i < h->len; i++) {
    free(h->revs[i].date);
    free(h->revs[i].cmd);
    krait_strv_free(&h->revs[i].added);
    krait_strv_free(&h->revs[i].removed);
  }
  free(h->revs);
  memset(h, 0, sizeof *h);
}

/* Dists are compared by name-version-build: the channel spelling changes
 * between conda versions (short name, URL, with or without subdir). */
static const char *dist_key(const char *d) {
  const char *sep = strstr(d, "::");
  return sep ? sep + 2 : d;
}

static void remove_dist(krait_strv *v, const char *d) {
  for (size_t i = 0; i < v->len; i++)
    if (strcmp(dist_key(v->items[i]), dist_key(d)) == 0) {
      free(v->items[i]);
      memmove(&v->items[i], &v->items[i + 1], (v->len - i - 1) * sizeof *v->items);
      v->len--;
      return;
    }
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(dist_key(*(char *const *)a), dist_key(*(char *const *)b));
}

krait_code krait_history_state(const krait_history *h, size_t rev, krait_strv *out, krait_err *err) {
  if (rev >= h->len)
    return krait_err_set(err, KRAIT_E_NOTFOUND, "no revision %zu in the history (the last one is %s%zu)", rev,
                         h->len ? "" : "none: ", h->len ? h->len - 1 : 0);
  for (size_t i = 0; i <= rev; i++) {
    const krait_revision *r = &h->revs[i];
    if (r->full_state) {
      krait_strv_free(out);
    } else {
      for (size_t j = 0; j < r->removed.len; j++)
        remove_dist(out, r->removed.items[j]);
    }
    for (size_t j = 0; j < r->added.len; j++) {
      remove_dist(out, r->added.items[j]);
      krait_strv_push(out, r->added.items[j]);
    }
  }
  if (out->len)
    qsort(out->items, out->len, sizeof *out->items, cmp_key);
  return KRAIT_OK;
}

bool krait_hist_dist_parse(const char *text, krait_hist_dist *out) {
  memset(out, 0, sizeof *out);
  const char *sep = strstr(text, "::");
  const char *dist = sep ? sep + 2 : text;
  const char *b = strrchr(dist, '-');
  if (!b || b == dist)
    return false;
  const char *v = b - 1;
  while (v > dist && *v != '-')
    v--;
  if (v == dist || v + 1 == b || !b[1])
    return false;
  out->name = krait_strndup(dist, (size_t)(v - dist));
  out->version = krait_strndup(v + 1, (size_t)(b - v - 1));
  out->build = krait_strdup(b + 1);
  if (sep && sep > text) {
    char *chan = krait_strndup(text, (size_t)(sep - text));
    char *slash = strrchr(chan, '/');
    if (slash && krait_subdir_known(slash + 1)) {
      out->subdir = krait_strdup(slash + 1);
      *slash = '\0';
    }
    out->channel = chan;
  }
  return true;
}

void krait_hist_dist_free(krait_hist_dist *d) {
  free(d->channel);
  free(d->subdir);
  free(d->name);
  free(d->version);
  free(d->build);
  memset(d, 0, sizeof *d);
}
