/* `krait __values`: what the completion scripts (docs_complete.c) offer.
 *   envs                  names of the environments (-n): the names `krait env
 *                         list` shows (base, the envs dirs' environments and the
 *                         registered ones inside an envs dir)
 *   packages [WORDS...]   names of the packages installed in the environment the
 *                         words select (-n NAME / -p PREFIX, else $CONDA_PREFIX)
 * One name a line, sorted; nothing (exit 0) when there is nothing to offer: a
 * completion must never print an error into the user's command line. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/envreg.h"
#include "krait/fs.h"
#include "krait/prefix.h"

/* The names `krait env list` shows (envs dirs, base, registered envs inside an envs dir). */
static void env_names(const krait_ctx *ctx, krait_strv *out) {
  krait_env_set set;
  if (krait_env_list(ctx, NULL, &set, NULL))
    return;
  for (size_t i = 0; i < set.len; i++)
    if (set.items[i].name && !krait_strv_contains(out, set.items[i].name))
      krait_strv_push(out, set.items[i].name);
  krait_env_set_free(&set);
}

/* -n NAME, --name NAME, --name=NAME, -p PREFIX, ... from the words typed so far. */
static void target_from_words(int argc, char **argv, cli_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *w = argv[i];
    char **slot = NULL;
    const char *value = NULL;
    if (strcmp(w, "-n") == 0 || strcmp(w, "--name") == 0)
      slot = &a->name, value = i + 1 < argc ? argv[++i] : NULL;
    else if (strcmp(w, "-p") == 0 || strcmp(w, "--prefix") == 0)
      slot = &a->prefix, value = i + 1 < argc ? argv[++i] : NULL;
    else if (strncmp(w, "--name=", 7) == 0)
      slot = &a->name, value = w + 7;
    else if (strncmp(w, "--prefix=", 9) == 0)
      slot = &a->prefix, value = w + 9;
    if (slot && value) {
      free(*slot);
      *slot = krait_strdup(value);
    }
  }
}

static void package_names(const krait_ctx *ctx, int argc, char **argv, krait_strv *out) {
  cli_args a;
  memset(&a, 0, sizeof a);
  target_from_words(argc, argv, &a);
  krait_err err = {0};
  char *prefix = cli_target_prefix(ctx, &a, false, &err);
  if (prefix) {
    krait_prefix_state st;
    memset(&st, 0, sizeof st);
    if (krait_prefix_load(prefix, &st, &err) == KRAIT_OK)
      for (size_t i = 0; i < st.len; i++)
        krait_strv_push(out, st.records[i].rec.name);
    krait_prefix_state_free(&st);
  }
  free(prefix);
  cli_args_free(&a);
}

int cli_cmd_values(krait_ctx *ctx, int argc, char **argv) {
  krait_strv names = {0};
  if (argc >= 2 && strcmp(argv[1], "envs") == 0)
    env_names(ctx, &names);
  else if (argc >= 2 && strcmp(argv[1], "packages") == 0)
    package_names(ctx, argc - 2, argv + 2, &names);
  else {
    fprintf(stderr, "krait: error: usage: krait __values envs | packages [WORDS...]\n");
    return 2;
  }
  krait_strv_sort(&names);
  for (size_t i = 0; i < names.len; i++)
    puts(names.items[i]);
  krait_strv_free(&names);
  return 0;
}
