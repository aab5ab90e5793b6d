/* `krait index [--threads N] [--no-cache] DIR`: a thin wrapper over
 * krait_index_channel (repodata/include/krait/chindex.h).
 *
 * Exit status: 0 ok, 1 indexing failed (nothing written), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/chindex.h"

const cli_flag_doc krait_index_flags[] = {
    {"threads", 0, "N", "archives read in parallel (default: extract_threads, else cores)"},
    {"no-cache", 0, NULL, "read every archive again (default: unchanged size+mtime reuse the record)"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const char krait_index_details[] = "Writes <subdir>/repodata.json(.zst), CEP-16 sharded repodata\n"
                                   "(repodata_shards.msgpack.zst + shards/) and channeldata.json.\n";

static int usage(FILE *out) {
  cli_print_command_help(cli_find_command("index"), out);
  return out == stdout ? 0 : 2;
}

int krait_cmd_index(krait_ctx *ctx, int argc, char **argv) {
  krait_index_opts opts = {0};
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
      return usage(stdout);
    if (!strcmp(argv[i], "--no-cache")) {
      opts.no_cache = true;
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      char *end;
      long n = strtol(argv[++i], &end, 10);
      if (*end || n < 1 || n > 1024) {
        fprintf(stderr, "krait index: --threads wants a number from 1 to 1024, not '%s'\n", argv[i]);
        return 2;
      }
      opts.threads = (int)n;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "krait index: unknown option '%s'\n", argv[i]);
      return usage(stderr);
    } else if (!dir) {
      dir = argv[i];
    } else {
      fprintf(stderr, "krait index: unexpected argument '%s'\n", argv[i]);
      return usage(stderr);
    }
  }
  if (!dir)
    return usage(stderr);
  krait_err err = {0};
  krait_index_stats st;
  if (krait_index_channel(ctx, dir, &opts, &st, &err) != KRAIT_OK) {
    fprintf(stderr, "error: %s\n", err.msg);
    return 1;
  }
  printf("indexed %s: %ld subdirs, %ld packages (%ld read, %ld from the cache), %ld new shards\n", dir, st.subdirs,
         st.archives, st.read, st.archives - st.read, st.shards);
  return 0;
}
