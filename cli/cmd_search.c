/* krait search SPEC: every matching record of the channels, all versions and
 * builds, oldest first (the newest ends up next to the prompt). */
#include "cmds.h"
#include "krait/query.h"

int cmd_search(const cli_args *args) {
  krait_err err;
  krait_err_clear(&err);
  if (args->specs.len != 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait search takes exactly one SPEC (got %zu)", args->specs.len);
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  krait_query_result res;
  int status = 0;
  if (krait_query_search(ctx, args->specs.items[0], &res, &err)) {
    status = cli_fail(args, &err);
  } else {
    if (args->json) {
      krait_buf b = KRAIT_BUF_INIT;
      cli_json_records(&b, ctx, res.records, res.len, true);
      cli_emit(&b);
      krait_buf_free(&b);
    } else if (res.len) {
      cli_human_records(stdout, ctx, res.records, res.len);
    } else {
      printf("No match found for \"%s\" in the channels.\n", args->specs.items[0]);
    }
    krait_query_result_free(&res);
  }
  krait_ctx_free(ctx);
  return status;
}
