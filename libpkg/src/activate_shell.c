/* An activation plan as commands for a shell (krait/activate.h). The hook's
 * shell function evaluates them in the user's shell.
 *
 * The prompt is the one thing kept in shell variables rather than in the
 * environment record: shells do not export it, so only the shell can save
 * and restore it (per level, in _krait_ps1_<n> / _krait_prompt_<n>). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "krait/activate.h"

static void quote_posix(const char *s, krait_buf *out) {
  krait_buf_putc(out, '\'');
  for (const char *p = s; *p; p++)
    if (*p == '\'')
      krait_buf_puts(out, "'\\''");
    else
      krait_buf_putc(out, *p);
  krait_buf_putc(out, '\'');
}

static void quote_fish(const char *s, krait_buf *out) {
  krait_buf_putc(out, '\'');
  for (const char *p = s; *p; p++) {
    if (*p == '\'' || *p == '\\')
      krait_buf_putc(out, '\\');
    krait_buf_putc(out, *p);
  }
  krait_buf_putc(out, '\'');
}

/* csh: single quotes stop everything but history substitution, so '!' is
 * escaped; a newline cannot be quoted (callers reject it first). */
static void quote_csh(const char *s, krait_buf *out) {
  krait_buf_putc(out, '\'');
  for (const char *p = s; *p; p++)
    if (*p == '\'')
      krait_buf_puts(out, "'\\''");
    else if (*p == '!')
      krait_buf_puts(out, "\\!");
    else
      krait_buf_putc(out, *p);
  krait_buf_putc(out, '\'');
}

void krait_shell_quote(krait_shell shell, const char *s, krait_buf *out) {
  switch (shell) {
  case KRAIT_SHELL_FISH: quote_fish(s, out); break;
  case KRAIT_SHELL_TCSH: quote_csh(s, out); break;
  default: quote_posix(s, out); break;
  }
}

static bool valid_name(const char *n) {
  if (!((*n >= 'A' && *n <= 'Z') || (*n >= 'a' && *n <= 'z') || *n == '_'))
    return false;
  for (const char *p = n + 1; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

static void render_posix(const krait_act_plan *p, krait_buf *o) {
  for (size_t i = 0; i < p->deactivate_scripts.len; i++) {
    krait_buf_puts(o, ". ");
    quote_posix(p->deactivate_scripts.items[i], o);
    krait_buf_putc(o, '\n');
  }
  if (p->prompt_save_level)
    krait_buf_printf(o, "_krait_ps1_%d=\"${PS1-}\"; _krait_ps1set_%d=\"${PS1+x}\"\n", p->prompt_save_level,
                     p->prompt_save_level);
  if (p->prompt_restore_level) {
    int n = p->prompt_restore_level;
    krait_buf_printf(o,
                     "if [ \"${_krait_ps1set_%d-none}\" = x ]; then PS1=\"$_krait_ps1_%d\"; "
                     "elif [ -z \"${_krait_ps1set_%d-none}\" ]; then unset PS1; fi\n",
                     n, n, n);
    if (!p->prompt_save_level) /* deactivation: this level's saved prompt is spent */
      krait_buf_printf(o, "unset _krait_ps1_%d _krait_ps1set_%d\n", n, n);
  }
  for (size_t i = 0; i < p->n_changes; i++) {
    const krait_env_var *c = &p->changes[i];
    if (c->value) {
      krait_buf_printf(o, "export %s=", c->name);
      quote_posix(c->value, o);
      krait_buf_putc(o, '\n');
    } else {
      krait_buf_printf(o, "unset %s\n", c->name);
    }
  }
  if (p->prompt_prefix) {
    krait_buf_puts(o, "PS1=");
    quote_posix(p->prompt_prefix, o);
    krait_buf_puts(o, "\"${PS1-}\"\n");
  }
  if (p->n_changes)
    krait_buf_puts(o, "hash -r 2>/dev/null || true\n");
  for (size_t i = 0; i < p->activate_scripts.len; i++) {
    krait_buf_puts(o, ". ");
    quote_posix(p->activate_scripts.items[i], o);
    krait_buf_putc(o, '\n');
  }
}

static void render_fish(const krait_act_plan *p, krait_buf *o) {
  for (size_t i = 0; i < p->deactivate_scripts.len; i++) {
    krait_buf_puts(o, "source ");
    quote_fish(p->deactivate_scripts.items[i], o);
    krait_buf_putc(o, '\n');
  }
  /* the prompt: the hook's fish_prompt wrapper shows CONDA_PROMPT_MODIFIER */
  for (size_t i = 0; i < p->n_changes; i++) {
    const krait_env_var *c = &p->changes[i];
    if (!c->value) {
      krait_buf_printf(o, "set -e %s\n", c->name);
      continue;
    }
    krait_buf_printf(o, "set -gx %s", c->name);
    if (strcmp(c->name, "PATH") == 0) { /* a list in fish */
      for (const char *s = c->value;;) {
        size_t n = strcspn(s, ":");
        char *entry = krait_strndup(s, n);
        krait_buf_putc(o, ' ');
        quote_fish(entry, o);
        free(entry);
        if (!s[n])
          break;
        s += n + 1;
      }
    } else {
      krait_buf_putc(o, ' ');
      quote_fish(c->value, o);
    }
    krait_buf_putc(o, '\n');
  }
  for (size_t i = 0; i < p->activate_scripts.len; i++) {
    krait_buf_puts(o, "source ");
    quote_fish(p->activate_scripts.items[i], o);
    krait_buf_putc(o, '\n');
  }
}

/* csh evaluates our output through `eval "`...`"`, which joins lines: every
 * command ends with ';'. */
static krait_code render_csh(const krait_act_plan *p, krait_buf *o, krait_err *err) {
  for (size_t i = 0; i < p->n_changes; i++)
    if (p->changes[i].value && strchr(p->changes[i].value, '\n'))
      return krait_err_set(err, KRAIT_E_UNSUPPORTED,
                           "the value of %s holds a newline, which tcsh cannot be given through activation",
                           p->changes[i].name);
  for (size_t i = 0; i < p->deactivate_scripts.len; i++) {
    krait_buf_puts(o, "source ");
    quote_csh(p->deactivate_scripts.items[i], o);
    krait_buf_puts(o, ";\n");
  }
  /* csh substitutes variables on the whole line of a one-line `if` even when
   * the condition is false: the guarded command is single-quoted for eval */
  if (p->prompt_save_level)
    krait_buf_printf(o, "if ($?prompt) eval 'set _krait_prompt_%d = \"$prompt:q\"';\n", p->prompt_save_level);
  if (p->prompt_restore_level) {
    int n = p->prompt_restore_level;
    krait_buf_printf(o, "if ($?_krait_prompt_%d) eval 'set prompt = \"$_krait_prompt_%d:q\"';\n", n, n);
    if (!p->prompt_save_level)
      krait_buf_printf(o, "unset _krait_prompt_%d;\n", n);
  }
  for (size_t i = 0; i < p->n_changes; i++) {
    const krait_env_var *c = &p->changes[i];
    if (c->value) {
      krait_buf_printf(o, "setenv %s ", c->name);
      quote_csh(c->value, o);
      krait_buf_puts(o, ";\n");
    } else {
      krait_buf_printf(o, "unsetenv %s;\n", c->name);
    }
  }
  if (p->prompt_prefix) {
    krait_buf_puts(o, "set _krait_modifier = ");
    quote_csh(p->prompt_prefix, o);
    krait_buf_puts(o, ";\nif ($?prompt) eval 'set prompt = \"$_krait_modifier:q$prompt:q\"';\nunset _krait_modifier;\n");
  }
  if (p->n_changes)
    krait_buf_puts(o, "rehash;\n");
  for (size_t i = 0; i < p->activate_scripts.len; i++) {
    krait_buf_puts(o, "source ");
    quote_csh(p->activate_scripts.items[i], o);
    krait_buf_puts(o, ";\n");
  }
  return KRAIT_OK;
}

krait_code krait_act_render(const krait_act_plan *plan, krait_shell shell, krait_buf *out, krait_err *err) {
  for (size_t i = 0; i < plan->n_changes; i++)
    if (!valid_name(plan->changes[i].name))
      return krait_err_set(err, KRAIT_E_INVALID, "cannot set environment variable \"%s\" from a shell: not a valid name",
                           plan->changes[i].name);
  switch (shell) {
  case KRAIT_SHELL_FISH: render_fish(plan, out); return KRAIT_OK;
  case KRAIT_SHELL_TCSH: return render_csh(plan, out, err);
  default: render_posix(plan, out); return KRAIT_OK;
  }
}

void krait_act_render_first_phase(const krait_act_plan *plan, krait_shell shell, const char *const *argv, krait_buf *out) {
  const char *source = shell == KRAIT_SHELL_FISH || shell == KRAIT_SHELL_TCSH ? "source " : ". ";
  const char *end = shell == KRAIT_SHELL_TCSH ? ";\n" : "\n";
  for (size_t i = 0; i < plan->deactivate_scripts.len; i++) {
    krait_buf_puts(out, source);
    krait_shell_quote(shell, plan->deactivate_scripts.items[i], out);
    krait_buf_puts(out, end);
  }
  krait_buf cmd = KRAIT_BUF_INIT;
  for (const char *const *a = argv; *a; a++) {
    if (a != argv)
      krait_buf_putc(&cmd, ' ');
    krait_shell_quote(shell, *a, &cmd);
  }
  switch (shell) {
  case KRAIT_SHELL_FISH: krait_buf_printf(out, "%s | source\n", krait_buf_str(&cmd)); break;
  case KRAIT_SHELL_TCSH: krait_buf_printf(out, "eval \"`%s`\";\n", krait_buf_str(&cmd)); break;
  default: krait_buf_printf(out, "eval \"$(%s)\"\n", krait_buf_str(&cmd)); break;
  }
  krait_buf_free(&cmd);
}
