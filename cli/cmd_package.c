/* `krait package extract ARCHIVE DIR`: a thin wrapper over krait_extract_ex.
 *
 *   krait package extract [--force] [--info] ARCHIVE DIR
 *     --force   replace DIR when it exists and is not empty
 *     --info    .conda only: extract just the info/ metadata
 *
 * Exit status: 0 ok, 1 extraction failed, 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krait/ctx.h"
#include "krait/extract.h"
#include "krait/package_create.h"

/* Entry point the dispatcher in main.c calls with argv[0] == "package". */
int krait_cmd_package(krait_ctx *ctx, int argc, char **argv);

static int usage(FILE *out) {
  fputs("usage: krait package extract [--force] [--info] ARCHIVE DIR\n"
        "       krait package create [-o OUTDIR] DIR\n"
        "extract: a conda package (.conda or .tar.bz2) into DIR, atomically.\n"
        "create:  a .conda (CEP-26) from DIR (payload + info/index.json); writes DIR/info/paths.json\n"
        "         and DIR/info/files, then OUTDIR/<name>-<version>-<build>.conda (default OUTDIR: .).\n",
        out);
  return out == stdout ? 0 : 2;
}

/* krait package create [-o OUTDIR] DIR */
static int package_create(int argc, char **argv) {
  const char *out_dir = ".", *dir = NULL;
  for (int i = 2; i < argc; i++) {
    if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output-dir") == 0) && i + 1 < argc)
      out_dir = argv[++i];
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return usage(stdout);
    else if (argv[i][0] == '-' || dir)
      return usage(stderr);
    else
      dir = argv[i];
  }
  if (!dir)
    return usage(stderr);
  krait_err err = {0};
  char *out = NULL;
  if (krait_package_create(dir, out_dir, &out, &err) != KRAIT_OK) {
    fprintf(stderr, "error: %s\n", err.msg);
    return 1;
  }
  printf("%s\n", out);
  free(out);
  return 0;
}

int krait_cmd_package(krait_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return usage(stderr);
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
    return usage(stdout);
  if (strcmp(argv[1], "create") == 0)
    return package_create(argc, argv);
  if (strcmp(argv[1], "extract") != 0) {
    fprintf(stderr, "krait package: unknown subcommand '%s'\n", argv[1]);
    return usage(stderr);
  }
  krait_extract_opts opts = {0};
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
      opts.replace = true;
    else if (strcmp(argv[i], "--info") == 0)
      opts.info_only = true;
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return usage(stdout);
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "krait package extract: unknown option '%s'\n", argv[i]);
      return usage(stderr);
    } else if (npos < 2)
      pos[npos++] = argv[i];
    else {
      fprintf(stderr, "krait package extract: unexpected argument '%s'\n", argv[i]);
      return usage(stderr);
    }
  }
  if (npos != 2)
    return usage(stderr);
  krait_err err = {0};
  if (krait_extract_ex(ctx, pos[0], pos[1], &opts, &err) != KRAIT_OK) {
    fprintf(stderr, "error: %s\n", err.msg);
    return 1;
  }
  return 0;
}
