/* The memory of one activation level, kept in the exported variable
 * _KRAIT_ACT_<level> so that deactivation (possibly in a child shell) can
 * restore what the level changed. Private to activate.c.
 *
 * Text form: "v1" then ':'-separated entries, each a tag letter and
 * %-encoded fields (so values may hold any byte but NUL):
 *   S<name>=<value>  the variable had this value before the level
 *   U<name>          the variable was unset before the level
 *   P<entry>         PATH entry the level inserted
 *   R<entry>         PATH entry the level removed (the env it suspended)
 *   V<name>=<value> / W<name>
 *                    a variable the env itself sets, with its value just
 *                    before (W: unset) - what suspending the env restores
 *   K                the level suspended the env below it (not --stack) */
#ifndef KRAIT_ACTIVATE_RECORD_H
#define KRAIT_ACTIVATE_RECORD_H

#include <stdbool.h>

#include "krait/activate.h"

typedef struct act_record {
  krait_envmap before;     /* S entries */
  krait_strv unset_before; /* U entries */
  krait_strv inserted;     /* P */
  krait_strv removed;      /* R */
  krait_envmap own_before; /* V entries */
  krait_strv own_unset;    /* W entries */
  bool replaced;           /* K */
} act_record;

char *act_record_encode(const act_record *r);
/* Fills r (zeroed by the caller); errors name `var`. */
krait_code act_record_decode(const char *text, const char *var, act_record *r, krait_err *err);
void act_record_free(act_record *r);

#endif
