/* `krait pack` and `krait unpack`: argument parsing and messages over
 * krait_pack / krait_unpack (libpkg/src/pack*.c, unpack.c).
 *
 * Exit status: 0 ok, 1 failed (nothing written), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "krait/fs.h"
#include "krait/meta.h"
#include "krait/pack.h"

const cli_flag_doc krait_pack_flags[] = {
    {"prefix", 'p', "PREFIX", "path of the environment"},
    {"name", 'n', "NAME", "name of the environment"},
    {"output", 'o', "FILE", "the pack to write (replaced only when complete)"},
    {"format", 0, "FMT",
     "squashfs, tar.zst or tar.gz (default: from FILE's extension, .sqsh/.squashfs/.tar.gz/.tgz, else tar.zst)"},
    {"dest-prefix", 0, "PATH", "the absolute path the environment will live at"},
    {"exclude", 0, "GLOB", "leave out paths (relative to the env) or names matching GLOB"},
    {"ignore-pip", 0, NULL, "pack pip-installed packages unchanged instead of refusing"},
    {"apptainer-def", 0, "FILE", "also write an Apptainer definition using the pack"},
    {"quiet", 'q', NULL, "no summary line"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const char krait_pack_details[] = "The environment's prefixes are rewritten for the path it will be mounted or\n"
                                  "unpacked at (--dest-prefix; default: where it is now).\n";

const cli_flag_doc krait_unpack_flags[] = {
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const char krait_unpack_details[] = "DIR must be absent or empty. The pack's prefixes are rewritten for DIR, and DIR\n"
                                    "is registered in ~/.conda/environments.txt.\n";

static int pack_usage(FILE *f) {
  cli_print_command_help(cli_find_command("pack"), f);
  return f == stdout ? 0 : 2;
}

static int unpack_usage(FILE *f) {
  cli_print_command_help(cli_find_command("unpack"), f);
  return f == stdout ? 0 : 2;
}

static krait_pack_format format_from_name(const char *out) {
  size_t n = strlen(out);
  const char *sq[] = {".sqsh", ".squashfs", ".sqfs"};
  for (size_t i = 0; i < 3; i++)
    if (n >= strlen(sq[i]) && strcmp(out + n - strlen(sq[i]), sq[i]) == 0)
      return KRAIT_PACK_SQUASHFS;
  if ((n >= 7 && strcmp(out + n - 7, ".tar.gz") == 0) || (n >= 4 && strcmp(out + n - 4, ".tgz") == 0))
    return KRAIT_PACK_TAR_GZ;
  return KRAIT_PACK_TAR_ZST;
}

static const char *format_name(krait_pack_format f) {
  return f == KRAIT_PACK_SQUASHFS ? "squashfs" : f == KRAIT_PACK_TAR_GZ ? "tar.gz" : "tar.zst";
}

int krait_cmd_pack(krait_ctx *ctx, int argc, char **argv) {
  cli_args args;
  memset(&args, 0, sizeof args);
  args.command = "pack";
  const char *output = NULL, *format = NULL, *dest = NULL, *def = NULL;
  krait_strv excludes = {0};
  bool ignore_pip = false, quiet = false;
  int status = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      status = pack_usage(stdout);
      goto out;
    } else if (strcmp(a, "--ignore-pip") == 0) {
      ignore_pip = true;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else if (strcmp(a, "-p") == 0 || strcmp(a, "--prefix") == 0) {
      slot = (const char **)&args.prefix;
    } else if (strcmp(a, "-n") == 0 || strcmp(a, "--name") == 0) {
      slot = (const char **)&args.name;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      slot = &output;
    } else if (strcmp(a, "--format") == 0) {
      slot = &format;
    } else if (strcmp(a, "--dest-prefix") == 0) {
      slot = &dest;
    } else if (strcmp(a, "--apptainer-def") == 0) {
      slot = &def;
    } else if (strcmp(a, "--exclude") == 0) {
      if (!next) {
        fprintf(stderr, "krait: error: option --exclude needs a value (GLOB)\n");
        goto out;
      }
      krait_strv_push(&excludes, next);
      i++;
      continue;
    } else {
      fprintf(stderr, "krait: error: krait pack does not take \"%s\" (see krait pack --help)\n", a);
      goto out;
    }
    if (slot) {
      if (!next) {
        fprintf(stderr, "krait: error: option %s needs a value\n", a);
        goto out;
      }
      *slot = next;
      i++;
    }
  }
  if (!output) {
    fprintf(stderr, "krait: error: krait pack needs -o FILE (see krait pack --help)\n");
    goto out;
  }
  krait_pack_opts o = {.output = output, .dest_prefix = dest, .excludes = &excludes, .ignore_pip = ignore_pip};
  o.format = format_from_name(output);
  if (format && !krait_pack_format_parse(format, &o.format)) {
    fprintf(stderr, "krait: error: unknown pack format \"%s\" (squashfs, tar.zst or tar.gz)\n", format);
    goto out;
  }
  status = 1;
  krait_err err;
  krait_err_clear(&err);
  char *prefix = cli_target_prefix(ctx, &args, false, &err);
  if (!prefix) {
    cli_fail(NULL, &err);
    goto out;
  }
  o.prefix = prefix;
  krait_pack_stats st;
  if (krait_pack(&o, &st, &err) != KRAIT_OK) {
    cli_fail(NULL, &err);
  } else if (def && krait_pack_apptainer_def(def, output, o.format, dest ? dest : prefix, &err) != KRAIT_OK) {
    cli_fail(NULL, &err);
  } else {
    if (!quiet)
      fprintf(stderr,
              "packed %s into %s (%s): %zu files (%zu with the prefix rewritten), %zu hard links, %zu symlinks, "
              "%zu directories, %zu excluded\n",
              prefix, output, format_name(o.format), st.files, st.rewritten, st.hardlinks, st.symlinks, st.dirs,
              st.excluded);
    status = 0;
  }
  free(prefix);
out:
  krait_strv_free(&excludes);
  return status;
}

int krait_cmd_unpack(krait_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return unpack_usage(stdout);
    if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "krait: error: krait unpack does not take \"%s\"\n", argv[i]);
      return unpack_usage(stderr);
    }
    if (npos == 2)
      return unpack_usage(stderr);
    pos[npos++] = argv[i];
  }
  if (npos != 2)
    return unpack_usage(stderr);
  krait_err err;
  krait_err_clear(&err);
  char *dir = krait_path_absolute(pos[1]);
  int status = 0;
  if (krait_unpack(pos[0], dir, &err) != KRAIT_OK || krait_env_register(NULL, dir, &err) != KRAIT_OK)
    status = cli_fail(NULL, &err);
  else
    fprintf(stderr, "unpacked %s into %s\n", pos[0], dir);
  free(dir);
  return status;
}
