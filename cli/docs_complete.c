/* `krait __complete bash|zsh|fish`: completion scripts generated from the
 * command and option tables (main.c, args.c, subcommand tables), the same ones
 * that drive parsing and `--help`, so they cannot drift. What an option's value
 * completes to follows its metavar: NAME -> environment names (`krait __values
 * envs`), PREFIX/DIR -> directories, FILE/ARCHIVE -> files; a command whose
 * positional arguments are installed packages (cli_command.positional) gets
 * them from `krait __values packages WORDS...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/buf.h"

typedef enum value_kind { V_NONE, V_ENV, V_DIR, V_FILE, V_OTHER } value_kind;

static value_kind kind_of(const char *metavar) {
  if (!metavar)
    return V_NONE;
  if (strcmp(metavar, "NAME") == 0)
    return V_ENV;
  if (strcmp(metavar, "PREFIX") == 0 || strcmp(metavar, "DIR") == 0)
    return V_DIR;
  if (strcmp(metavar, "FILE") == 0 || strcmp(metavar, "ARCHIVE") == 0)
    return V_FILE;
  return V_OTHER;
}

/* The options a command (or a run_raw command's subcommand) offers. */
typedef struct flag_set {
  cli_flag_doc items[CLI_MAX_FLAGS];
  size_t len;
} flag_set;

static void flags_of(const cli_command *cmd, const cli_subcommand *sub, flag_set *out) {
  out->len = 0;
  if (sub) {
    for (const cli_flag_doc *o = sub->flags; o && o->long_name && out->len < CLI_MAX_FLAGS; o++)
      out->items[out->len++] = *o;
  } else if (!cli_subcommands_of(cmd)) {
    out->len = cli_command_flags(cmd, out->items, CLI_MAX_FLAGS);
  }
}

static void print_words(FILE *f, const flag_set *fs) {
  for (size_t i = 0; i < fs->len; i++) {
    if (fs->items[i].short_name)
      fprintf(f, "-%c ", fs->items[i].short_name);
    fprintf(f, "--%s%s", fs->items[i].long_name, i + 1 < fs->len ? " " : "");
  }
}

/* Remembers each long option once; false when it was already seen. */
typedef struct seen_set {
  const char *names[CLI_MAX_FLAGS];
  size_t len;
} seen_set;

static bool first_sight(seen_set *seen, const char *name) {
  for (size_t j = 0; j < seen->len; j++)
    if (strcmp(seen->names[j], name) == 0)
      return false;
  if (seen->len < CLI_MAX_FLAGS)
    seen->names[seen->len++] = name;
  return true;
}

static void pattern_words(FILE *f, const flag_set *fs, value_kind want, seen_set *seen, const char *lead) {
  for (size_t k = 0; k < fs->len; k++) {
    const cli_flag_doc *o = &fs->items[k];
    if (kind_of(o->metavar) != want || !first_sight(seen, o->long_name))
      continue;
    if (o->short_name)
      fprintf(f, "%s-%c", seen->len == 1 ? lead : "|", o->short_name);
    fprintf(f, "%s--%s", seen->len == 1 && !o->short_name ? lead : "|", o->long_name);
  }
}

/* Every value-taking option of one kind, of every command and subcommand, as
 * a case pattern "-n|--name" (options share their meaning across commands). */
static void value_patterns(FILE *f, value_kind want, const char *lead) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  seen_set seen = {.len = 0};
  for (size_t i = 0; i < n; i++) {
    const cli_subcommand *subs = cli_subcommands_of(&cmds[i]);
    flag_set fs;
    if (!subs) {
      flags_of(&cmds[i], NULL, &fs);
      pattern_words(f, &fs, want, &seen, lead);
    }
    for (const cli_subcommand *s = subs; s && s->name; s++) {
      flags_of(&cmds[i], s, &fs);
      pattern_words(f, &fs, want, &seen, lead);
    }
  }
  if (seen.len == 0)
    fprintf(f, "%s--krait-no-such-option", lead); /* keeps the generated case syntax valid */
}

static const char *positional_of(const cli_command *cmd, const cli_subcommand *sub) {
  if (sub) {
    value_kind k = kind_of(sub->positional);
    return k == V_FILE ? "file" : k == V_DIR ? "dir" : "";
  }
  return cli_positional_of(cmd) == CLI_POS_INSTALLED ? "installed" : "";
}

/* Single-quoted for sh/zsh/fish: ' becomes '\'' (fish: \'). */
static void quoted(FILE *f, const char *s, bool fish) {
  fputc('\'', f);
  for (; *s; s++)
    if (*s == '\'')
      fputs(fish ? "\\'" : "'\\''", f);
    else if (fish && *s == '\\')
      fputs("\\\\", f);
    else
      fputc(*s, f);
  fputc('\'', f);
}

/* ---- bash and zsh: the same case structure, two dialects ------------------ */

typedef struct sh_dialect {
  const char *opts_open, *opts_close; /* bash: opts="..."; zsh: opts=(...) */
  void (*subcommand_menu)(FILE *f, const cli_subcommand *subs);
  const char *envs, *dirs, *files;     /* what completes a value of each kind */
} sh_dialect;

/* case $cmd in <command>) opts=... pos=... ;; ... esac */
static void sh_command_cases(FILE *f, const sh_dialect *d) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  fputs("  case $cmd in\n", f);
  for (size_t i = 0; i < n; i++) {
    const cli_command *c = &cmds[i];
    const cli_subcommand *subs = cli_subcommands_of(c);
    flag_set fs;
    fprintf(f, "    %s)\n", c->name);
    if (!subs) {
      flags_of(c, NULL, &fs);
      fprintf(f, "      opts=%s", d->opts_open);
      print_words(f, &fs);
      fprintf(f, "%s pos=\"%s\" ;;\n", d->opts_close, positional_of(c, NULL));
      continue;
    }
    d->subcommand_menu(f, subs);
    for (const cli_subcommand *sub = subs; sub->name; sub++) {
      flags_of(c, sub, &fs);
      fprintf(f, "        %s) opts=%s", sub->name, d->opts_open);
      print_words(f, &fs);
      fprintf(f, "%s pos=\"%s\" ;;\n", d->opts_close, positional_of(c, sub));
    }
    fputs("      esac\n      ;;\n", f);
  }
  fputs("  esac\n", f);
}

/* case $prev in -n|--name) <envs> ;; -p|--prefix) <dirs> ;; ... esac */
static void sh_value_cases(FILE *f, const sh_dialect *d) {
  const struct {
    value_kind kind;
    const char *body;
  } kinds[] = {{V_ENV, d->envs}, {V_DIR, d->dirs}, {V_FILE, d->files}, {V_OTHER, ""}};
  fputs("  case $prev in\n", f);
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    value_patterns(f, kinds[i].kind, "    ");
    fprintf(f, ")\n%s      return ;;\n", kinds[i].body);
  }
  fputs("  esac\n", f);
}

/* Both case blocks, in the order the scripts need them. */
static void sh_cases(FILE *f, const sh_dialect *d) {
  sh_command_cases(f, d);
  sh_value_cases(f, d);
}

static void bash_subcommand_menu(FILE *f, const cli_subcommand *subs) {
  fputs("      first=3\n      if [ \"$COMP_CWORD\" -eq 2 ]; then\n        COMPREPLY=($(compgen -W \"", f);
  for (const cli_subcommand *s = subs; s->name; s++)
    fprintf(f, "%s%s", s->name, s[1].name ? " " : "");
  fputs("\" -- \"$cur\"))\n        return\n      fi\n      case ${COMP_WORDS[2]} in\n", f);
}

static void zsh_describe_item(FILE *f, const char *name, const char *summary) {
  /* "name:summary" with ':' in the summary escaped for _describe */
  krait_buf item = KRAIT_BUF_INIT;
  krait_buf_printf(&item, "%s:", name);
  for (const char *p = summary; *p; p++) {
    if (*p == ':')
      krait_buf_putc(&item, '\\');
    krait_buf_putc(&item, *p);
  }
  fputs(" ", f);
  quoted(f, krait_buf_str(&item), false);
  krait_buf_free(&item);
}

static void zsh_subcommand_menu(FILE *f, const cli_subcommand *subs) {
  fputs("      first=4\n      if (( CURRENT == 3 )); then\n        subs=(", f);
  for (const cli_subcommand *s = subs; s->name; s++)
    zsh_describe_item(f, s->name, s->summary);
  fputs(" )\n        _describe -t commands 'subcommand' subs\n        return\n      fi\n      case ${words[3]} in\n", f);
}

static void bash_script(FILE *f) {
  static const sh_dialect bash = {
      "\"", "\"", bash_subcommand_menu,
      "      COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]}\" __values envs 2>/dev/null)\" -- \"$cur\"))\n",
      "      COMPREPLY=($(compgen -d -- \"$cur\"))\n", "      COMPREPLY=($(compgen -f -- \"$cur\"))\n"};
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  fputs("# bash completion for krait (generated by `krait __complete bash`; do not edit)\n"
        "_krait() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        "  local cmd=${COMP_WORDS[1]} opts=\"\" pos=\"\" first=2\n"
        "  COMPREPLY=()\n"
        "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
        "    COMPREPLY=($(compgen -W \"",
        f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s ", cmds[i].name);
  fputs("--help --version\" -- \"$cur\"))\n    return\n  fi\n", f);
  sh_cases(f, &bash);
  fputs("  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n    return\n  fi\n"
        "  case $pos in\n"
        "    installed)\n"
        "      COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]}\" __values packages \"${COMP_WORDS[@]:first}\" "
        "2>/dev/null)\" -- \"$cur\")) ;;\n"
        "    file) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
        "    dir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
        "  esac\n}\ncomplete -F _krait krait\n",
        f);
}

static void zsh_script(FILE *f) {
  static const sh_dialect zsh = {"(", ")", zsh_subcommand_menu,
                                 "      compadd -- ${(f)\"$(${words[1]} __values envs 2>/dev/null)\"}\n",
                                 "      _files -/\n", "      _files\n"};
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  fputs("#compdef krait\n# zsh completion for krait (generated by `krait __complete zsh`; do not edit)\n"
        "_krait() {\n"
        "  local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd=${words[2]} pos=\"\" first=3\n"
        "  local -a opts cmds subs\n"
        "  if (( CURRENT == 2 )); then\n    cmds=(",
        f);
  for (size_t i = 0; i < n; i++)
    zsh_describe_item(f, cmds[i].name, cmds[i].summary);
  fputs(" )\n    _describe -t commands 'krait command' cmds\n    return\n  fi\n", f);
  sh_cases(f, &zsh);
  fputs("  if [[ $cur == -* ]]; then\n    compadd -- $opts\n    return\n  fi\n"
        "  case $pos in\n"
        "    installed) compadd -- ${(f)\"$(${words[1]} __values packages ${words[first,CURRENT-1]} "
        "2>/dev/null)\"} ;;\n"
        "    file) _files ;;\n"
        "    dir) _files -/ ;;\n"
        "  esac\n}\n_krait \"$@\"\n",
        f);
}

/* ---- fish ------------------------------------------------------------------ */

static void fish_flag(FILE *f, const char *cond, const cli_flag_doc *o) {
  fputs("complete -c krait -n ", f);
  quoted(f, cond, true);
  if (o->short_name)
    fprintf(f, " -s %c", o->short_name);
  fprintf(f, " -l %s", o->long_name);
  static const char *const value[] = {
      [V_NONE] = "", [V_ENV] = " -x -a '(krait __values envs 2>/dev/null)'",
      [V_DIR] = " -x -a '(__fish_complete_directories)'", [V_FILE] = " -r -F", [V_OTHER] = " -x"};
  fputs(value[kind_of(o->metavar)], f);
  fputs(" -d ", f);
  quoted(f, o->help, true);
  fputc('\n', f);
}

static void fish_script(FILE *f) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  fputs("# fish completion for krait (generated by `krait __complete fish`; do not edit)\n"
        "complete -c krait -f\n",
        f);
  for (size_t i = 0; i < n; i++) {
    const cli_command *c = &cmds[i];
    fprintf(f, "complete -c krait -n __fish_use_subcommand -a %s -d ", c->name);
    quoted(f, c->summary, true);
    fputc('\n', f);
    char *cond = krait_asprintf("__fish_seen_subcommand_from %s", c->name);
    const cli_subcommand *subs = cli_subcommands_of(c);
    if (subs) {
      for (const cli_subcommand *s = subs; s->name; s++) {
        char *none = krait_asprintf("%s; and not __fish_seen_subcommand_from", cond);
        for (const cli_subcommand *t = subs; t->name; t++) {
          char *more = krait_asprintf("%s %s", none, t->name);
          free(none);
          none = more;
        }
        fprintf(f, "complete -c krait -n ");
        quoted(f, none, true);
        fprintf(f, " -a %s -d ", s->name);
        quoted(f, s->summary, true);
        fputc('\n', f);
        free(none);
        char *sub_cond = krait_asprintf("%s; and __fish_seen_subcommand_from %s", cond, s->name);
        flag_set fs;
        flags_of(c, s, &fs);
        for (size_t k = 0; k < fs.len; k++)
          fish_flag(f, sub_cond, &fs.items[k]);
        if (kind_of(s->positional) == V_FILE || kind_of(s->positional) == V_DIR) {
          fputs("complete -c krait -n ", f);
          quoted(f, sub_cond, true);
          fputs(" -F\n", f);
        }
        free(sub_cond);
      }
    } else {
      flag_set fs;
      flags_of(c, NULL, &fs);
      for (size_t k = 0; k < fs.len; k++)
        fish_flag(f, cond, &fs.items[k]);
      if (cli_positional_of(c) == CLI_POS_INSTALLED) {
        fputs("complete -c krait -n ", f);
        quoted(f, cond, true);
        fputs(" -a '(krait __values packages (commandline -opc)[3..-1] 2>/dev/null)'\n", f);
      }
    }
    free(cond);
  }
}

typedef struct script {
  const char *file;
  void (*write)(FILE *);
} script;

static void write_script(FILE *f, const void *s) { ((const script *)s)->write(f); }

/* The three scripts under the names their shells look for: krait (bash),
 * _krait (zsh), krait.fish. */
static int write_all(const char *dir) {
  static const script scripts[] = {{"krait", bash_script}, {"_krait", zsh_script}, {"krait.fish", fish_script}};
  int status = 0;
  for (size_t i = 0; i < sizeof scripts / sizeof *scripts && status == 0; i++)
    status = cli_write_generated(dir, scripts[i].file, write_script, &scripts[i]);
  return status;
}

int cli_cmd_complete(krait_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  if (argc == 3 && strcmp(argv[1], "--dir") == 0)
    return write_all(argv[2]);
  const char *shell = argc == 2 ? argv[1] : "";
  if (strcmp(shell, "bash") == 0)
    bash_script(stdout);
  else if (strcmp(shell, "zsh") == 0)
    zsh_script(stdout);
  else if (strcmp(shell, "fish") == 0)
    fish_script(stdout);
  else {
    fprintf(stderr, "krait: error: usage: krait __complete bash|zsh|fish | --dir DIR\n");
    return 2;
  }
  return 0;
}
