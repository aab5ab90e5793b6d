/* A yes/no question for commands that delete things (clean, env remove). */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

bool cli_confirm(const char *question, krait_err *err) {
  /* no terminal (scripts, batch jobs): proceed, as the transaction does */
  if (!isatty(STDIN_FILENO))
    return true;
  fprintf(stderr, "%s [y/N] ", question);
  fflush(stderr);
  char line[64];
  if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y')) {
    krait_err_set(err, KRAIT_E_CANCELLED, "cancelled: nothing was changed");
    return false;
  }
  return true;
}
