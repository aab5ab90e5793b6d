/* krait clean: says what it removes from the package caches and how many
 * bytes that frees (libpkg clean: what is "in use" is decided there). */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/clean.h"
#include "krait/json.h"

static const krait_clean_kind kinds[] = {KRAIT_CLEAN_INDEX_CACHE, KRAIT_CLEAN_TARBALLS, KRAIT_CLEAN_PACKAGES,
                                         KRAIT_CLEAN_LOCKS};

static void json_report(const krait_clean_plan *plan, unsigned what, bool dry_run) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  krait_jw_obj_begin(&w);
  krait_jw_kbool(&w, "dry_run", dry_run);
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
    if (!(what & kinds[k]))
      continue;
    int64_t bytes = 0;
    krait_jw_key(&w, krait_clean_kind_name(kinds[k]));
    krait_jw_obj_begin(&w);
    krait_jw_key(&w, "files");
    krait_jw_arr_begin(&w);
    for (size_t i = 0; i < plan->len; i++)
      if (plan->items[i].kind == kinds[k]) {
        krait_jw_str(&w, plan->items[i].path);
        bytes += plan->items[i].bytes;
      }
    krait_jw_arr_end(&w);
    if (kinds[k] == KRAIT_CLEAN_PACKAGES)
      krait_jw_kstrv(&w, "kept_in_use", &plan->kept_packages);
    krait_jw_kint(&w, "total_size", bytes);
    krait_jw_obj_end(&w);
  }
  krait_jw_kbool(&w, "success", true);
  krait_jw_kint(&w, "total_size", plan->total_bytes);
  krait_jw_obj_end(&w);
  cli_emit(&b);
  krait_buf_free(&b);
}

static void human_report(const krait_clean_plan *plan, unsigned what, bool dry_run) {
  static const char *const titles[] = {"index cache", "tarballs", "unused packages", "lock files"};
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
    if (!(what & kinds[k]))
      continue;
    int64_t bytes = 0;
    size_t n = 0;
    for (size_t i = 0; i < plan->len; i++)
      if (plan->items[i].kind == kinds[k]) {
        bytes += plan->items[i].bytes;
        n++;
      }
    char size[32];
    cli_format_size(bytes, size, sizeof size);
    printf("%s%s: %zu to remove, %s\n", dry_run ? "Would remove " : "Removing ", titles[k], n, size);
    for (size_t i = 0; i < plan->len; i++)
      if (plan->items[i].kind == kinds[k]) {
        char one[32];
        cli_format_size(plan->items[i].bytes, one, sizeof one);
        printf("  %-10s %s\n", one, plan->items[i].path);
      }
    if (kinds[k] == KRAIT_CLEAN_PACKAGES && plan->kept_packages.len)
      printf("  (%zu package%s kept: used by an environment)\n", plan->kept_packages.len,
             plan->kept_packages.len == 1 ? "" : "s");
  }
  char total[32];
  cli_format_size(plan->total_bytes, total, sizeof total);
  printf("%s %s (%lld bytes)\n", dry_run ? "Would free" : "Freed", total, (long long)plan->total_bytes);
}

int cmd_clean(const cli_args *args) {
  unsigned what = (args->clean_index_cache ? KRAIT_CLEAN_INDEX_CACHE : 0) |
                  (args->clean_tarballs ? KRAIT_CLEAN_TARBALLS : 0) |
                  (args->clean_packages ? KRAIT_CLEAN_PACKAGES : 0) | (args->clean_locks ? KRAIT_CLEAN_LOCKS : 0);
  if (args->all)
    what = KRAIT_CLEAN_INDEX_CACHE | KRAIT_CLEAN_TARBALLS | KRAIT_CLEAN_PACKAGES | KRAIT_CLEAN_LOCKS;
  if (!what)
    return cli_fail_msg(args, KRAIT_E_INVALID,
                        "say what to clean: -a, --index-cache, --tarballs, --packages or --locks");
  krait_err err;
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  krait_clean_plan plan;
  int status = 1;
  if (krait_clean_plan_make(ctx, what, NULL, &plan, &err)) {
    status = cli_fail(args, &err);
    krait_ctx_free(ctx);
    return status;
  }
  if (!args->json && !args->quiet)
    human_report(&plan, what, true);
  if (args->dry_run || !plan.len) {
    if (args->json)
      json_report(&plan, what, args->dry_run);
    status = 0;
  } else if (!ctx->always_yes && !cli_confirm("Proceed?", &err)) {
    status = cli_fail(args, &err);
  } else if (krait_clean_execute(&plan, &err)) {
    status = cli_fail(args, &err);
  } else {
    if (args->json)
      json_report(&plan, what, false);
    else if (!args->quiet) {
      char total[32];
      cli_format_size(plan.total_bytes, total, sizeof total);
      printf("Freed %s (%lld bytes)\n", total, (long long)plan.total_bytes);
    }
    status = 0;
  }
  krait_clean_plan_free(&plan);
  krait_ctx_free(ctx);
  return status;
}
