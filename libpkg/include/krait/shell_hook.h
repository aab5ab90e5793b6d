/* The shell side of activation: the hook that defines a `krait` shell
 * function (so `krait activate` can change the calling shell), and the
 * marked block `krait shell init` keeps in a shell's startup file. */
#ifndef KRAIT_SHELL_HOOK_H
#define KRAIT_SHELL_HOOK_H

#include <stdbool.h>

#include "krait/activate.h"
#include "krait/buf.h"
#include "krait/err.h"

/* Appends the hook for `shell`. `exe` is the absolute path of the krait
 * binary the function calls, so the hook works without krait on PATH. */
KRAIT_API void krait_shell_hook(krait_shell shell, const char *exe, krait_buf *out);

/* The startup file `shell init` edits: ~/.bashrc, ${ZDOTDIR:-~}/.zshrc,
 * ${XDG_CONFIG_HOME:-~/.config}/fish/config.fish, ~/.tcshrc, ~/.profile
 * (posix). Heap string; NULL with err filled when HOME is unset. */
KRAIT_API char *krait_shell_rc_path(krait_shell shell, krait_err *err);

/* The block's body: the line that evaluates the hook of `exe`. */
KRAIT_API void krait_shell_rc_line(krait_shell shell, const char *exe, krait_buf *out);

/* Puts `body` between krait's markers in `rc_path` (created if missing):
 * an existing block is replaced in place, otherwise the block is appended.
 * *changed is false when the file already held exactly this block. */
KRAIT_API krait_code krait_shell_rc_add(const char *rc_path, const char *body, bool *changed, krait_err *err);
/* Removes krait's block; *changed is false when there was none. */
KRAIT_API krait_code krait_shell_rc_remove(const char *rc_path, bool *changed, krait_err *err);

#define KRAIT_RC_BEGIN "# >>> krait initialize >>>"
#define KRAIT_RC_END "# <<< krait initialize <<<"

#endif
