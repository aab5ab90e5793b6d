/* Writing environment files: environment.yml (what `conda env export`
 * writes, key for key) and @EXPLICIT files in dependency order. */
#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "krait/env_file.h"

/* Plain YAML scalars need no quotes; everything else is double-quoted so
 * that a value like "yes", "1.10", "a: b" or "*x" reads back as the same
 * string. */
static bool plain_ok(const char *s) {
  if (!*s || isspace((unsigned char)*s) || isspace((unsigned char)s[strlen(s) - 1]))
    return false;
  if (strchr("-?:,[]{}#&*!|>'\"%@`", *s) && !(s[0] == '-' && s[1] && s[1] != ' '))
    return false;
  if (strstr(s, ": ") || strstr(s, " #") || s[strlen(s) - 1] == ':')
    return false;
  static const char *const special[] = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"};
  for (size_t i = 0; i < sizeof special / sizeof *special; i++)
    if (strcasecmp(s, special[i]) == 0)
      return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == '\\')
      return false;
  /* 1.10 would come back as the number 1.1 */
  char *end = NULL;
  (void)strtod(s, &end);
  return !(end && *end == '\0');
}

static void put_scalar(krait_buf *b, const char *s) {
  if (plain_ok(s)) {
    krait_buf_puts(b, s);
    return;
  }
  krait_buf_putc(b, '"');
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\')
      krait_buf_printf(b, "\\%c", c);
    else if (c == '\n')
      krait_buf_puts(b, "\\n");
    else if (c == '\t')
      krait_buf_puts(b, "\\t");
    else if (c < 0x20)
      krait_buf_printf(b, "\\x%02x", c);
    else
      krait_buf_putc(b, (char)c);
  }
  krait_buf_putc(b, '"');
}

static void put_list(krait_buf *b, const char *indent, const krait_strv *v) {
  for (size_t i = 0; i < v->len; i++) {
    krait_buf_printf(b, "%s- ", indent);
    put_scalar(b, v->items[i]);
    krait_buf_putc(b, '\n');
  }
}

char *krait_env_file_render_yaml(const krait_env_file *f) {
  krait_buf b = KRAIT_BUF_INIT;
  if (f->name) {
    krait_buf_puts(&b, "name: ");
    put_scalar(&b, f->name);
    krait_buf_putc(&b, '\n');
  }
  if (f->channels.len || f->nodefaults) {
    krait_buf_puts(&b, "channels:\n");
    put_list(&b, "  ", &f->channels);
    if (f->nodefaults)
      krait_buf_puts(&b, "  - nodefaults\n");
  }
  krait_buf_puts(&b, "dependencies:");
  if (!f->specs.len && !f->pip.len)
    krait_buf_puts(&b, " []");
  krait_buf_putc(&b, '\n');
  put_list(&b, "  ", &f->specs);
  if (f->pip.len) {
    krait_buf_puts(&b, "  - pip:\n");
    put_list(&b, "      ", &f->pip);
  }
  if (f->variables.names.len) {
    krait_buf_puts(&b, "variables:\n");
    for (size_t i = 0; i < f->variables.names.len; i++) {
      krait_buf_puts(&b, "  ");
      put_scalar(&b, f->variables.names.items[i]);
      krait_buf_puts(&b, ": ");
      put_scalar(&b, f->variables.values.items[i]);
      krait_buf_putc(&b, '\n');
    }
  }
  if (f->prefix) {
    krait_buf_puts(&b, "prefix: ");
    put_scalar(&b, f->prefix);
    krait_buf_putc(&b, '\n');
  }
  return krait_buf_steal(&b);
}

char *krait_explicit_render(const krait_record *const *recs, size_t n, const char *platform, bool prefer_md5) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_printf(&b,
                   "# This file may be used to create an environment using:\n"
                   "# $ krait create --name <env> --file <this file>\n"
                   "# platform: %s\n@EXPLICIT\n",
                   platform);
  for (size_t i = 0; i < n; i++) {
    const krait_record *r = recs[i];
    if (!r->url || !*r->url)
      continue; /* nothing to fetch it from */
    bool sha = r->sha256 && *r->sha256, md5 = r->md5 && *r->md5;
    if (sha && !(prefer_md5 && md5))
      krait_buf_printf(&b, "%s#sha256:%s\n", r->url, r->sha256);
    else if (md5)
      krait_buf_printf(&b, "%s#%s\n", r->url, r->md5);
    else
      krait_buf_printf(&b, "%s\n", r->url);
  }
  return krait_buf_steal(&b);
}

/* ---- dependency order: depth-first post-order, visiting in name order ---- */

typedef struct order_state {
  const krait_record **by_name; /* sorted by name */
  size_t n;
  unsigned char *mark;          /* 0 new, 1 on the stack, 2 placed */
  const krait_record **out;
  size_t n_out;
} order_state;

static int cmp_name(const void *a, const void *b) {
  const krait_record *x = *(const krait_record *const *)a, *y = *(const krait_record *const *)b;
  return strcmp(x->name, y->name);
}

static long find_name(const order_state *st, const char *name, size_t len) {
  size_t lo = 0, hi = st->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strncmp(st->by_name[mid]->name, name, len);
    if (c == 0 && st->by_name[mid]->name[len])
      c = 1;
    if (c == 0)
      return (long)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static void visit(order_state *st, size_t i) {
  if (st->mark[i])
    return; /* placed, or on the stack: a cycle, broken here */
  st->mark[i] = 1;
  const krait_record *r = st->by_name[i];
  for (size_t d = 0; d < r->depends.len; d++) {
    const char *dep = r->depends.items[d];
    size_t len = strcspn(dep, " =<>!~[");
    long j = find_name(st, dep, len);
    if (j >= 0)
      visit(st, (size_t)j);
  }
  st->mark[i] = 2;
  st->out[st->n_out++] = r;
}

void krait_records_dependency_order(const krait_record **recs, size_t n) {
  if (n < 2)
    return;
  order_state st = {.n = n};
  st.by_name = krait_malloc(n * sizeof *st.by_name);
  memcpy(st.by_name, recs, n * sizeof *recs);
  qsort(st.by_name, n, sizeof *st.by_name, cmp_name);
  st.mark = krait_calloc(n, 1);
  st.out = krait_malloc(n * sizeof *st.out);
  for (size_t i = 0; i < n; i++)
    visit(&st, i);
  memcpy(recs, st.out, n * sizeof *recs);
  free(st.out);
  free(st.mark);
  free(st.by_name);
}
