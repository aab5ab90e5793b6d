/* `krait __complete bash|zsh|fish`: completion scripts generated from the
 * command and option tables (main.c, args.c, subcommand tables), the same ones
 * that drive parsing and `--help`, so they cannot drift. What an option's value
 * completes to follows its metavar: NAME, ENV -> environment names (`krait __values
 * envs`), PREFIX/DIR -> directories, FILE/ARCHIVE -> files; a command whose
 * positional arguments are installed packages (command_docs.c) gets them
 * from `krait __values packages WORDS...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "krait/buf.h"

typedef enum value_kind { V_NONE, V_ENV, V_DIR, V_FILE, V_OTHER } value_kind;

static value_kind kind_of(const char *metavar) {
  if (!metavar)
    return V_NONE;
  if (strcmp(metavar, "NAME") == 0 || strcmp(metavar, "ENV") == 0)
    return V_ENV;
  if (strcmp(metavar, "PREFIX") == 0 || strcmp(metavar, "DIR") == 0)
    return V_DIR;
  if (strcmp(metavar, "FILE") == 0 || strcmp(metavar, "ARCHIVE") == 0)
    return V_FILE;
  return V_OTHER;
}

/* A command without subcommands seen like a subcommand: its options from
 * args.c, its positional arguments from command_docs.c. */
static void command_view(const cli_command *cmd, cli_sub_view *out) {
  memset(out, 0, sizeof *out);
  out->name = cmd->name;
  out->usage = cmd->usage;
  out->summary = cmd->summary;
  out->n_flags = cli_command_flags(cmd, out->flags, CLI_MAX_FLAGS);
  out->positional = cli_positional_of(cmd) == CLI_POS_INSTALLED ? "INSTALLED" : NULL;
}

static void print_words(FILE *f, const cli_sub_view *v) {
  for (size_t i = 0; i < v->n_flags; i++) {
    if (v->flags[i].short_name)
      fprintf(f, "-%c ", v->flags[i].short_name);
    fprintf(f, "--%s%s", v->flags[i].long_name, i + 1 < v->n_flags ? " " : "");
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

static void pattern_words(FILE *f, const cli_sub_view *v, value_kind want, seen_set *seen, const char *lead) {
  for (size_t k = 0; k < v->n_flags; k++) {
    const cli_flag_doc *o = &v->flags[k];
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
  cli_sub_view v;
  for (size_t i = 0; i < n; i++) {
    size_t n_subs = cli_subcommand_count(&cmds[i]);
    if (!n_subs) {
      command_view(&cmds[i], &v);
      pattern_words(f, &v, want, &seen, lead);
    }
    for (size_t s = 0; s < n_subs; s++) {
      cli_subcommand_view(&cmds[i], s, &v);
      pattern_words(f, &v, want, &seen, lead);
    }
  }
  if (seen.len == 0)
    fprintf(f, "%s--krait-no-such-option", lead); /* keeps the generated case syntax valid */
}

/* What the scripts' `pos` variable says about positional arguments. */
static const char *positional_word(const cli_sub_view *v) {
  if (v->positional && strcmp(v->positional, "INSTALLED") == 0)
    return "installed";
  value_kind k = kind_of(v->positional);
  return k == V_FILE ? "file" : k == V_DIR ? "dir" : "";
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
  void (*subcommand_menu)(FILE *f, const cli_command *cmd, size_t n_subs);
  const char *envs, *dirs, *files;     /* what completes a value of each kind */
} sh_dialect;

/* case $cmd in <command>) opts=... pos=... ;; ... esac */
static void sh_command_cases(FILE *f, const sh_dialect *d) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  cli_sub_view v;
  fputs("  case $cmd in\n", f);
  for (size_t i = 0; i < n; i++) {
    const cli_command *c = &cmds[i];
    size_t n_subs = cli_subcommand_count(c);
    fprintf(f, "    %s)\n", c->name);
    if (!n_subs) {
      command_view(c, &v);
      fprintf(f, "      opts=%s", d->opts_open);
      print_words(f, &v);
      fprintf(f, "%s pos=\"%s\" ;;\n", d->opts_close, positional_word(&v));
      continue;
    }
    d->subcommand_menu(f, c, n_subs);
    for (size_t s = 0; s < n_subs; s++) {
      cli_subcommand_view(c, s, &v);
      fprintf(f, "        %s) opts=%s", v.name, d->opts_open);
      print_words(f, &v);
      fprintf(f, "%s pos=\"%s\" ;;\n", d->opts_close, positional_word(&v));
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

static void bash_subcommand_menu(FILE *f, const cli_command *cmd, size_t n_subs) {
  fputs("      first=3\n      if [ \"$COMP_CWORD\" -eq 2 ]; then\n        COMPREPLY=($(compgen -W \"", f);
  cli_sub_view v;
  for (size_t s = 0; s < n_subs; s++) {
    cli_subcommand_view(cmd, s, &v);
    fprintf(f, "%s%s", v.name, s + 1 < n_subs ? " " : "");
  }
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

static void zsh_subcommand_menu(FILE *f, const cli_command *cmd, size_t n_subs) {
  fputs("      first=4\n      if (( CURRENT == 3 )); then\n        subs=(", f);
  cli_sub_view v;
  for (size_t s = 0; s < n_subs; s++) {
    cli_subcommand_view(cmd, s, &v);
    zsh_describe_item(f, v.name, v.summary);
  }
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

/* Conditions by position (krait takes no option before the command), so that
 * `krait env update` is not mistaken for `krait update`. */
static const char fish_helpers[] =
    "function __krait_at --description 'the command line is at krait CMD [SUB]'\n"
    "    set -l t (commandline -opc)\n"
    "    test (count $t) -ge 2; and test \"$t[2]\" = $argv[1]; or return 1\n"
    "    test (count $argv) -lt 2; and return 0\n"
    "    test (count $t) -ge 3; and test \"$t[3]\" = $argv[2]\n"
    "end\n"
    "function __krait_words_are --description 'exactly N words before the cursor'\n"
    "    test (count (commandline -opc)) -eq $argv[1]\n"
    "end\n";

static void fish_script(FILE *f) {
  size_t n;
  const cli_command *cmds = cli_commands(&n);
  cli_sub_view v;
  fputs("# fish completion for krait (generated by `krait __complete fish`; do not edit)\n"
        "complete -c krait -f\n",
        f);
  fputs(fish_helpers, f);
  for (size_t i = 0; i < n; i++) {
    const cli_command *c = &cmds[i];
    size_t n_subs = cli_subcommand_count(c);
    fprintf(f, "complete -c krait -n '__krait_words_are 1' -a %s -d ", c->name);
    quoted(f, c->summary, true);
    fputc('\n', f);
    char *cond = krait_asprintf("__krait_at %s", c->name);
    if (!n_subs) {
      command_view(c, &v);
      for (size_t k = 0; k < v.n_flags; k++)
        fish_flag(f, cond, &v.flags[k]);
      if (cli_positional_of(c) == CLI_POS_INSTALLED) {
        fputs("complete -c krait -n ", f);
        quoted(f, cond, true);
        fputs(" -a '(krait __values packages (commandline -opc)[3..-1] 2>/dev/null)'\n", f);
      }
      free(cond);
      continue;
    }
    for (size_t s = 0; s < n_subs; s++) {
      cli_subcommand_view(c, s, &v);
      /* "krait env <TAB>": the subcommands */
      fprintf(f, "complete -c krait -n '%s; and __krait_words_are 2' -a %s -d ", cond, v.name);
      quoted(f, v.summary, true);
      fputc('\n', f);
      char *sub_cond = krait_asprintf("%s %s", cond, v.name);
      for (size_t k = 0; k < v.n_flags; k++)
        fish_flag(f, sub_cond, &v.flags[k]);
      if (kind_of(v.positional) == V_FILE || kind_of(v.positional) == V_DIR) {
        fputs("complete -c krait -n ", f);
        quoted(f, sub_cond, true);
        fputs(" -F\n", f);
      }
      free(sub_cond);
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
