/* Progress on a terminal: live per-download lines (bytes, rate, ETA) and
 * fetch/extract/link counts, redrawn in place on stderr; a one-line summary
 * when the display is closed. Nothing at all when stderr is not a terminal,
 * with -q or with --json. */
#ifndef KRAIT_CLI_PROGRESS_H
#define KRAIT_CLI_PROGRESS_H

#include <stdbool.h>

#include "krait/ctx.h"

/* Hooks ctx->on_progress when enabled (stderr a tty, not quiet, not json). */
void cli_progress_attach(krait_ctx *ctx, bool quiet, bool json);
/* Erases the live display (before a message is printed below it); the next
 * progress event draws it again. */
void cli_progress_clear(void);
/* Erases the display and prints the summary line, if anything was shown. */
void cli_progress_finish(void);

#endif
