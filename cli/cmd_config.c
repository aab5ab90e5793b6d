/* krait config: list / get show the merged settings of the .condarc files
 * (and, with --sources, the file of every value); set / append / prepend /
 * remove / remove-key edit one file in place (libpkg condarc_edit). */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "krait/condarc_edit.h"
#include "krait/condarc_view.h"
#include "krait/fs.h"
#include "krait/json.h"

/* The one file an edit (or a restricted list/get) is about. */
static char *target_file(const krait_ctx *ctx, const cli_args *args, krait_err *err) {
  int chosen = !!args->config_file + args->config_system + args->config_env;
  if (chosen > 1) {
    krait_err_set(err, KRAIT_E_INVALID, "give only one of --file, --env, --system");
    return NULL;
  }
  if (args->config_file)
    return krait_path_absolute(args->config_file);
  if (args->config_system)
    return krait_path_join(ctx->root_prefix, ".condarc");
  if (args->config_env) {
    char *prefix = cli_target_prefix(ctx, args, false, err);
    char *path = prefix ? krait_path_join(prefix, ".condarc") : NULL;
    free(prefix);
    return path;
  }
  return krait_path_absolute("~/.condarc"); /* conda's user file */
}

static void print_scalar_json_text(const char *json) {
  krait_json *v = krait_json_parse(json, strlen(json), "value", NULL);
  if (v && v->type == KRAIT_JSON_STRING)
    fputs(v->string, stdout);
  else if (v && v->type == KRAIT_JSON_NUMBER && v->number == (double)v->integer)
    printf("%lld", (long long)v->integer);
  else
    fputs(json, stdout);
  krait_json_free(v);
}

static void human_setting(const krait_rc_setting *s, bool sources) {
  if (s->is_list) {
    printf("%s:%s\n", s->key, s->items.len ? "" : " []");
    for (size_t i = 0; i < s->items.len; i++) {
      printf("  - %s", s->items.items[i]);
      if (sources)
        printf("    # %s", s->item_sources.items[i]);
      putchar('\n');
    }
    return;
  }
  printf("%s: ", s->key);
  print_scalar_json_text(s->json);
  if (sources)
    printf("    # %s", s->source);
  putchar('\n');
}

static void json_setting_value(krait_jw *w, const krait_rc_setting *s) {
  if (s->is_list) {
    krait_jw_kstrv(w, s->key, &s->items);
    return;
  }
  krait_json *v = krait_json_parse(s->json, strlen(s->json), "value", NULL);
  krait_jw_key(w, s->key);
  if (v)
    krait_jw_value(w, v);
  else
    krait_jw_null(w);
  krait_json_free(v);
}

static void json_file_sources(krait_jw *w, const krait_rc_view *view) {
  /* conda's `config --show-sources --json`: {file: {settings of that file}} */
  krait_jw_obj_begin(w);
  for (size_t i = 0; i < view->n_files; i++) {
    krait_json *v = krait_json_parse(view->files[i].json, strlen(view->files[i].json), view->files[i].path, NULL);
    krait_jw_key(w, view->files[i].path);
    if (v)
      krait_jw_value(w, v);
    else
      krait_jw_null(w);
    krait_json_free(v);
  }
  krait_jw_obj_end(w);
}

/* keys: NULL = every setting; else the named ones (get KEY, list KEY...). */
static int show(const cli_args *args, krait_ctx *ctx, const char *const *keys, size_t n_keys) {
  krait_err err;
  krait_strv files = KRAIT_STRV_INIT;
  if (args->config_file || args->config_env || args->config_system) {
    char *one = target_file(ctx, args, &err);
    if (!one)
      return cli_fail(args, &err);
    krait_strv_push_owned(&files, one);
  } else {
    krait_strv_copy(&files, &ctx->condarc_files);
  }
  krait_rc_view view;
  if (krait_rc_view_load((const char *const *)files.items, files.len, &view, &err)) {
    krait_strv_free(&files);
    return cli_fail(args, &err);
  }
  krait_strv_free(&files);
  /* the whole configuration: environment variables win over files, as in krait_config_load */
  if (!(args->config_file || args->config_env || args->config_system))
    krait_rc_view_apply_env(&view);
  krait_buf b = KRAIT_BUF_INIT;
  krait_jw w;
  krait_jw_init(&w, &b, 2);
  if (keys && args->json)
    krait_jw_obj_begin(&w);
  for (size_t k = 0; keys && k < n_keys; k++) {
    const char *key = keys[k];
    const krait_rc_setting *s = krait_rc_view_find(&view, key);
    if (args->json) {
      if (s)
        json_setting_value(&w, s);
      else {
        krait_jw_key(&w, key);
        krait_jw_null(&w);
      }
      if (args->sources && n_keys == 1) {
        krait_jw_key(&w, "sources");
        krait_jw_arr_begin(&w);
        if (s && s->is_list)
          for (size_t i = 0; i < s->item_sources.len; i++)
            krait_jw_str(&w, s->item_sources.items[i]);
        else if (s)
          krait_jw_str(&w, s->source);
        krait_jw_arr_end(&w);
      }
    } else if (s) {
      human_setting(s, args->sources);
    }
  }
  if (keys) {
    if (args->json)
      krait_jw_obj_end(&w);
  } else if (args->json) {
    if (args->sources) {
      json_file_sources(&w, &view);
    } else {
      krait_jw_obj_begin(&w);
      for (size_t i = 0; i < view.len; i++)
        json_setting_value(&w, &view.settings[i]);
      krait_jw_obj_end(&w);
    }
  } else {
    if (args->sources)
      for (size_t i = 0; i < view.n_files; i++)
        printf("# from %s\n", view.files[i].path);
    for (size_t i = 0; i < view.len; i++)
      human_setting(&view.settings[i], args->sources);
  }
  if (args->json)
    cli_emit(&b);
  krait_buf_free(&b);
  krait_rc_view_free(&view);
  return 0;
}

static const struct {
  const char *name;
  krait_rc_op op;
  size_t n_args; /* after the subcommand */
} edits[] = {
    {"set", KRAIT_RC_OP_SET, 2},         {"append", KRAIT_RC_OP_APPEND, 2}, {"prepend", KRAIT_RC_OP_PREPEND, 2},
    {"add", KRAIT_RC_OP_APPEND, 2},      {"remove", KRAIT_RC_OP_REMOVE, 2}, {"remove-key", KRAIT_RC_OP_REMOVE_KEY, 1},
};

static int edit(const cli_args *args, krait_ctx *ctx, size_t which) {
  krait_err err;
  if (args->specs.len != edits[which].n_args + 1)
    return cli_fail_msg(args, KRAIT_E_INVALID, "krait config %s takes %s", edits[which].name,
                        edits[which].n_args == 2 ? "KEY VALUE" : "KEY");
  const char *key = args->specs.items[1];
  const char *value = edits[which].n_args == 2 ? args->specs.items[2] : NULL;
  char *path = target_file(ctx, args, &err);
  if (!path)
    return cli_fail(args, &err);
  krait_rc_edit_result res;
  if (krait_condarc_edit_file(path, edits[which].op, key, value, &res, &err)) {
    free(path);
    return cli_fail(args, &err);
  }
  if (!args->quiet && !args->json) {
    if (res.moved)
      fprintf(stderr, "krait: warning: \"%s\" was already in %s; moved to the %s\n", value, key,
              edits[which].op == KRAIT_RC_OP_PREPEND ? "front" : "end");
    if (res.added_defaults)
      fprintf(stderr, "krait: %s had no channels list: \"defaults\" kept in it, as conda does "
                      "(remove it with: krait config remove channels defaults)\n", path);
  }
  if (args->json) {
    krait_buf b = KRAIT_BUF_INIT;
    krait_jw w;
    krait_jw_init(&w, &b, 2);
    krait_jw_obj_begin(&w);
    krait_jw_kbool(&w, "added_defaults", res.added_defaults);
    krait_jw_kstr(&w, "file", path);
    krait_jw_kstr(&w, "key", key);
    krait_jw_kbool(&w, "moved", res.moved);
    krait_jw_kstr(&w, "operation", edits[which].name);
    krait_jw_kbool(&w, "success", true);
    krait_jw_kstr(&w, "value", value);
    krait_jw_obj_end(&w);
    cli_emit(&b);
    krait_buf_free(&b);
  }
  free(path);
  return 0;
}

int cmd_config(const cli_args *args) {
  const char *sub = args->specs.len ? args->specs.items[0] : NULL;
  if (!sub)
    return cli_fail_msg(args, KRAIT_E_INVALID,
                        "missing config subcommand (list, get, set, append, prepend, remove, remove-key)");
  krait_err err;
  krait_ctx *ctx = cli_make_ctx(args, &err);
  if (!ctx)
    return cli_fail(args, &err);
  int status;
  bool is_get = strcmp(sub, "get") == 0;
  if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0 || is_get) {
    /* `list KEY...` is micromamba's form (conda-lock runs `config list pkgs_dirs --json`) */
    status = -1;
    if (is_get && args->specs.len != 2)
      status = cli_fail_msg(args, KRAIT_E_INVALID, "krait config get takes KEY");
    for (size_t i = 1; status < 0 && i < args->specs.len; i++)
      if (!krait_rc_key_require(args->specs.items[i], &err))
        status = cli_fail(args, &err);
    if (status < 0)
      status = args->specs.len == 1 ? show(args, ctx, NULL, 0)
                                    : show(args, ctx, (const char *const *)args->specs.items + 1,
                                           args->specs.len - 1);
  } else {
    size_t which = sizeof edits / sizeof *edits;
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++)
      if (strcmp(edits[i].name, sub) == 0)
        which = i;
    status = which < sizeof edits / sizeof *edits
                 ? edit(args, ctx, which)
                 : cli_fail_msg(args, KRAIT_E_INVALID,
                                "unknown config subcommand \"%s\" (list, get, set, append, prepend, remove, "
                                "remove-key)", sub);
  }
  krait_ctx_free(ctx);
  return status;
}
