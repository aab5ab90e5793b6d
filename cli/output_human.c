/* Output for people: aligned tables on stdout. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *cli_channel_display(const krait_ctx *ctx, const char *channel_url) {
  if (!channel_url)
    return krait_strdup("");
  size_t n = ctx->channel_alias ? strlen(ctx->channel_alias) : 0;
  if (n && strncmp(channel_url, ctx->channel_alias, n) == 0 && channel_url[n] == '/' && channel_url[n + 1])
    return krait_strdup(channel_url + n + 1);
  return krait_strdup(channel_url);
}

void cli_format_size(int64_t bytes, char *out, size_t cap) {
  /* decimal units, as conda and micromamba print them */
  if (bytes < 0)
    snprintf(out, cap, "?");
  else if (bytes < 1000)
    snprintf(out, cap, "%lld B", (long long)bytes);
  else if (bytes < 1000 * 1000)
    snprintf(out, cap, "%.0f kB", (double)bytes / 1e3);
  else if (bytes < 1000LL * 1000 * 1000)
    snprintf(out, cap, "%.1f MB", (double)bytes / 1e6);
  else
    snprintf(out, cap, "%.2f GB", (double)bytes / 1e9);
}

typedef struct table {
  krait_strv cells;  /* row-major */
  size_t ncols;
  krait_strv titles; /* per row: a section title printed above it, or "" */
} table;

static void table_add_titled(table *t, const char *title, const char *const *row) {
  for (size_t i = 0; i < t->ncols; i++)
    krait_strv_push(&t->cells, row[i] ? row[i] : "");
  krait_strv_push(&t->titles, title ? title : "");
}

static void table_add(table *t, const char *const *row) { table_add_titled(t, NULL, row); }

static void table_free(table *t) {
  krait_strv_free(&t->cells);
  krait_strv_free(&t->titles);
}

static void table_print(FILE *f, const table *t, const char *indent) {
  size_t width[16] = {0};
  size_t nrows = t->cells.len / t->ncols;
  for (size_t r = 0; r < nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t w = strlen(t->cells.items[r * t->ncols + c]);
      if (w > width[c])
        width[c] = w;
    }
  size_t total = 0;
  for (size_t c = 0; c < t->ncols; c++)
    total += width[c] + (c + 1 < t->ncols ? 2 : 0);
  for (size_t r = 0; r < nrows; r++) {
    if (*t->titles.items[r]) {
      fprintf(f, "%s", indent);
      for (size_t i = 0; i < total; i++)
        fputc('-', f);
      fprintf(f, "\n%s%s\n", indent, t->titles.items[r]);
    }
    fputs(indent, f);
    for (size_t c = 0; c < t->ncols; c++) {
      const char *cell = t->cells.items[r * t->ncols + c];
      if (c + 1 == t->ncols)
        fprintf(f, "%*s", (int)width[c], cell); /* sizes right-aligned */
      else
        fprintf(f, "%-*s  ", (int)width[c], cell);
    }
    fputc('\n', f);
  }
}

static const char *action_title(cli_action a) {
  static const char *const titles[] = {"Install", "Upgrade", "Downgrade", "Reinstall", "Change", "Remove"};
  return titles[a];
}

static const char *action_mark(cli_action a) {
  static const char *const marks[] = {"+", "^", "v", "o", "~", "-"};
  return marks[a];
}

void cli_human_transaction(FILE *f, const krait_ctx *ctx, const char *prefix, const cli_txn_view *v,
                           bool dry_run) {
  fprintf(f, "\nTransaction for %s%s\n\n", prefix, dry_run ? " (dry run)" : "");
  if (!v->len) {
    fputs(v->empty_env ? "  An empty environment: no packages to link.\n\n"
                       : "  All requested packages already installed; nothing to do.\n\n",
          f);
    return;
  }
  size_t count[CLI_REMOVE + 1] = {0};
  table t = {KRAIT_STRV_INIT, 6, KRAIT_STRV_INIT};
  const char *header[] = {"", "Package", "Version", "Build", "Channel", "Size"};
  table_add(&t, header);
  for (size_t i = 0; i < v->len; i++) {
    const cli_txn_row *row = &v->rows[i];
    char *title = i == 0 || v->rows[i - 1].action != row->action
                      ? krait_asprintf("%s:", action_title(row->action))
                      : NULL;
    count[row->action]++;
    const krait_record *r = row->to ? row->to : row->from;
    char size[32] = "";
    if (row->to)
      cli_format_size(r->size, size, sizeof size);
    char *chan = cli_channel_display(ctx, r->channel);
    char *version = row->from && row->to && strcmp(row->from->version, row->to->version) != 0
                        ? krait_asprintf("%s -> %s", row->from->version, row->to->version)
                        : krait_strdup(r->version);
    char *build = row->from && row->to && strcmp(row->from->build, row->to->build) != 0
                      ? krait_asprintf("%s -> %s", row->from->build, row->to->build)
                      : krait_strdup(r->build);
    const char *cells[] = {action_mark(row->action), r->name, version, build, chan, size};
    table_add_titled(&t, title, cells);
    free(title);
    free(chan);
    free(version);
    free(build);
  }
  table_print(f, &t, "  ");
  table_free(&t);
  fputs("\n  Summary:\n", f);
  for (int a = CLI_INSTALL; a <= CLI_REMOVE; a++)
    if (count[a])
      fprintf(f, "    %-10s %zu package%s\n", action_title((cli_action)a), count[a], count[a] == 1 ? "" : "s");
  char total[32];
  cli_format_size(v->download_bytes, total, sizeof total);
  if (v->download_bytes > 0)
    fprintf(f, "\n  Total download: %s\n", total);
  fputc('\n', f);
}

void cli_human_records(FILE *f, const krait_ctx *ctx, const krait_record *recs, size_t n) {
  table t = {KRAIT_STRV_INIT, 6, KRAIT_STRV_INIT};
  const char *header[] = {"Name", "Version", "Build", "Channel", "Subdir", "Size"};
  table_add(&t, header);
  for (size_t i = 0; i < n; i++) {
    char size[32];
    cli_format_size(recs[i].size, size, sizeof size);
    char *chan = cli_channel_display(ctx, recs[i].channel);
    const char *cells[] = {recs[i].name, recs[i].version, recs[i].build, chan, recs[i].subdir, size};
    table_add(&t, cells);
    free(chan);
  }
  table_print(f, &t, "");
  table_free(&t);
}
