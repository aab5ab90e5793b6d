/* Shell hooks and the startup-file block (krait/shell_hook.h). */
#include "krait/shell_hook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "krait/fs.h"

/* bash, zsh and POSIX sh share one function: only `eval` of our output and
 * `"$@"` are needed, and the output is plain POSIX. */
static void hook_posix(krait_shell shell, const char *exe, krait_buf *o) {
  krait_buf q = KRAIT_BUF_INIT;
  krait_shell_quote(shell, exe, &q);
  krait_buf_printf(o,
                   "# krait shell hook (%s): `krait activate ENV` and `krait deactivate` change this shell.\n"
                   "krait() {\n"
                   "    case \"${1-}\" in\n"
                   "        activate|deactivate|reactivate)\n"
                   "            __krait_script=\"$(%s shell \"$@\" -s %s)\" || {\n"
                   "                __krait_rc=$?; unset __krait_script; return \"$__krait_rc\"; }\n"
                   "            eval \"$__krait_script\"\n"
                   "            unset __krait_script\n"
                   "            ;;\n"
                   "        *)\n"
                   "            %s \"$@\"\n"
                   "            ;;\n"
                   "    esac\n"
                   "}\n",
                   krait_shell_name(shell), krait_buf_str(&q), krait_shell_name(shell), krait_buf_str(&q));
  krait_buf_free(&q);
}

static void hook_fish(const char *exe, krait_buf *o) {
  krait_buf q = KRAIT_BUF_INIT;
  krait_shell_quote(KRAIT_SHELL_FISH, exe, &q);
  const char *e = krait_buf_str(&q);
  krait_buf_printf(o,
                   "# krait shell hook (fish): `krait activate ENV` and `krait deactivate` change this shell.\n"
                   "function krait --description 'krait package manager'\n"
                   "    switch \"$argv[1]\"\n"
                   "        case activate deactivate reactivate\n"
                   "            set -l __krait_script (%s shell $argv -s fish)\n"
                   "            or return $status\n"
                   "            printf '%%s\\n' $__krait_script | source\n"
                   "        case '*'\n"
                   "            %s $argv\n"
                   "    end\n"
                   "end\n"
                   "# the prompt shows the active environment (CONDA_PROMPT_MODIFIER), as conda's does\n"
                   "if status is-interactive; and functions -q fish_prompt; and not functions -q __krait_fish_prompt\n"
                   "    functions -c fish_prompt __krait_fish_prompt\n"
                   "    function fish_prompt\n"
                   "        set -q CONDA_PROMPT_MODIFIER; and echo -n -s $CONDA_PROMPT_MODIFIER\n"
                   "        __krait_fish_prompt\n"
                   "    end\n"
                   "end\n",
                   e, e);
  krait_buf_free(&q);
}

/* csh has no functions: an alias evaluates what `krait shell dispatch`
 * prints (the activation commands, or the quoted krait command line). Each
 * line ends with ';' because `eval "`...`"` joins lines. The arguments are
 * substituted as `\!*:q`: without the :q modifier tcsh re-splits them inside
 * the backquotes, so a prefix holding a blank broke the command line. */
static void hook_csh(const char *exe, krait_buf *o) {
  krait_buf q = KRAIT_BUF_INIT;
  krait_shell_quote(KRAIT_SHELL_TCSH, exe, &q);
  krait_buf_printf(o,
                   "set _krait_exe = %s;\n"
                   "alias krait 'eval \"`$_krait_exe:q shell dispatch -s tcsh \\!*:q`\"';\n",
                   krait_buf_str(&q));
  krait_buf_free(&q);
}

void krait_shell_hook(krait_shell shell, const char *exe, krait_buf *out) {
  switch (shell) {
  case KRAIT_SHELL_FISH: hook_fish(exe, out); break;
  case KRAIT_SHELL_TCSH: hook_csh(exe, out); break;
  default: hook_posix(shell, exe, out); break;
  }
}

char *krait_shell_rc_path(krait_shell shell, krait_err *err) {
  const char *home = getenv("HOME");
  if (!home || !*home) {
    krait_err_set(err, KRAIT_E_INVALID, "HOME is not set: give the startup file with --rc-file FILE");
    return NULL;
  }
  switch (shell) {
  case KRAIT_SHELL_BASH: return krait_path_join(home, ".bashrc");
  case KRAIT_SHELL_ZSH: {
    const char *zdot = getenv("ZDOTDIR");
    return krait_path_join(zdot && *zdot ? zdot : home, ".zshrc");
  }
  case KRAIT_SHELL_FISH: {
    const char *xdg = getenv("XDG_CONFIG_HOME");
    return xdg && *xdg ? krait_path_join(xdg, "fish/config.fish") : krait_asprintf("%s/.config/fish/config.fish", home);
  }
  case KRAIT_SHELL_TCSH: return krait_path_join(home, ".tcshrc");
  case KRAIT_SHELL_POSIX: break;
  }
  return krait_path_join(home, ".profile");
}

void krait_shell_rc_line(krait_shell shell, const char *exe, krait_buf *out) {
  krait_buf q = KRAIT_BUF_INIT;
  krait_shell_quote(shell, exe, &q);
  const char *e = krait_buf_str(&q);
  switch (shell) {
  case KRAIT_SHELL_FISH:
    krait_buf_printf(out, "test -x %s; and %s shell hook -s fish | source\n", e, e);
    break;
  case KRAIT_SHELL_TCSH:
    krait_buf_printf(out, "if ( -x %s ) eval \"`%s shell hook -s tcsh`\"\n", e, e);
    break;
  default:
    krait_buf_printf(out, "if [ -x %s ]; then eval \"$(%s shell hook -s %s)\"; fi\n", e, e, krait_shell_name(shell));
    break;
  }
  krait_buf_free(&q);
}

/* Finds the block: [*start, *end) byte range including the end marker's line. */
static bool find_block(const char *text, size_t *start, size_t *end) {
  const char *b = strstr(text, KRAIT_RC_BEGIN);
  while (b && b != text && b[-1] != '\n')
    b = strstr(b + 1, KRAIT_RC_BEGIN);
  if (!b)
    return false;
  const char *e = strstr(b, KRAIT_RC_END);
  if (!e)
    return false;
  e += strlen(KRAIT_RC_END);
  if (*e == '\n')
    e++;
  *start = (size_t)(b - text);
  *end = (size_t)(e - text);
  return true;
}

static krait_code read_rc(const char *path, krait_buf *b, mode_t *mode, krait_err *err) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno != ENOENT)
      return krait_err_errno(err, KRAIT_E_IO, "cannot read %s", path);
    *mode = 0644;
    return KRAIT_OK;
  }
  *mode = st.st_mode & 07777;
  return krait_read_file(path, b, err);
}

static krait_code write_rc(const char *path, const krait_buf *b, mode_t mode, krait_err *err) {
  char *dir = krait_path_dirname(path);
  krait_code rc = krait_mkdir_p(dir, 0755, err);
  free(dir);
  if (!rc)
    rc = krait_write_file_atomic(path, krait_buf_str(b), b->len, mode, err);
  return rc;
}

krait_code krait_shell_rc_add(const char *rc_path, const char *body, bool *changed, krait_err *err) {
  krait_buf old = KRAIT_BUF_INIT, block = KRAIT_BUF_INIT, out = KRAIT_BUF_INIT;
  mode_t mode = 0644; /* read_rc sets it; initialised for gcc -O3, which cannot see that */
  krait_code rc = read_rc(rc_path, &old, &mode, err);
  *changed = false;
  if (rc)
    goto done;
  krait_buf_printf(&block, "%s\n%s%s%s\n", KRAIT_RC_BEGIN, body,
                   *body && body[strlen(body) - 1] == '\n' ? "" : "\n", KRAIT_RC_END);
  const char *text = krait_buf_str(&old);
  size_t start, end;
  if (find_block(text, &start, &end)) {
    if (end - start == block.len && memcmp(text + start, block.data, block.len) == 0)
      goto done;
    krait_buf_append(&out, text, start);
    krait_buf_append(&out, block.data, block.len);
    krait_buf_puts(&out, text + end);
  } else {
    krait_buf_append(&out, text, old.len);
    if (old.len && text[old.len - 1] != '\n')
      krait_buf_putc(&out, '\n');
    if (old.len)
      krait_buf_putc(&out, '\n');
    krait_buf_append(&out, block.data, block.len);
  }
  rc = write_rc(rc_path, &out, mode, err);
  *changed = rc == KRAIT_OK;
done:
  krait_buf_free(&old);
  krait_buf_free(&block);
  krait_buf_free(&out);
  return rc;
}

krait_code krait_shell_rc_remove(const char *rc_path, bool *changed, krait_err *err) {
  krait_buf old = KRAIT_BUF_INIT, out = KRAIT_BUF_INIT;
  mode_t mode = 0644; /* read_rc sets it; initialised for gcc -O3, which cannot see that */
  *changed = false;
  krait_code rc = read_rc(rc_path, &old, &mode, err);
  size_t start, end;
  if (!rc && old.len && find_block(krait_buf_str(&old), &start, &end)) {
    /* also the blank line `init` put before the block */
    size_t from = start >= 2 && old.data[start - 1] == '\n' && old.data[start - 2] == '\n' ? start - 1 : start;
    krait_buf_append(&out, old.data, from);
    krait_buf_puts(&out, old.data + end);
    rc = write_rc(rc_path, &out, mode, err);
    *changed = rc == KRAIT_OK;
  }
  krait_buf_free(&old);
  krait_buf_free(&out);
  return rc;
}
