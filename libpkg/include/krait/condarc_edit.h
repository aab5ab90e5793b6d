/* Editing a .condarc in place: the text is changed only at the spans libyaml
 * reports for the nodes concerned, so comments, blank lines, key order,
 * anchors and the flow/block style of everything else are kept.
 *
 * Every edit is checked before it is written: the new text must parse and
 * the edited key must hold exactly the expected value; otherwise the file is
 * left untouched and the error says why. Values are written with the YAML
 * type the key has in conda (krait/rckeys.h); strings that YAML would read as
 * another type (true, 1.10, null, "a: b") are single-quoted.
 *
 * List edits follow conda: appending or prepending an item already present
 * moves it (krait_rc_edit_result.moved); adding to "channels" in a file that
 * has no channels key starts the list with "defaults", as conda does, so the
 * default channels are not silently dropped.
 *
 * Ownership: out buffers belong to the caller. */
#ifndef KRAIT_CONDARC_EDIT_H
#define KRAIT_CONDARC_EDIT_H

#include <stdbool.h>

#include "krait/buf.h"
#include "krait/err.h"

typedef enum krait_rc_op {
  KRAIT_RC_OP_SET,        /* KEY VALUE: scalar keys */
  KRAIT_RC_OP_APPEND,     /* KEY VALUE: list keys, at the end */
  KRAIT_RC_OP_PREPEND,    /* KEY VALUE: list keys, at the front */
  KRAIT_RC_OP_REMOVE,     /* KEY VALUE: one item of a list key */
  KRAIT_RC_OP_REMOVE_KEY, /* KEY: the whole setting */
} krait_rc_op;

typedef struct krait_rc_edit_result {
  bool moved;        /* append/prepend: the item was already there and was moved */
  bool added_defaults; /* "defaults" was put first in a new channels list */
} krait_rc_edit_result;

/* Applies one edit to `text` (a .condarc's content; len bytes) and writes the
 * new content to *out (cleared first). `origin` names the file in errors.
 * Unknown keys, values of the wrong type, a missing key or item are errors. */
KRAIT_API krait_code krait_condarc_edit_text(const char *text, size_t len, const char *origin, krait_rc_op op,
                                             const char *key, const char *value, krait_buf *out,
                                             krait_rc_edit_result *res, krait_err *err);

/* Reads `path` (a missing file is empty), applies the edit and replaces the
 * file atomically (directories created, mode kept). */
KRAIT_API krait_code krait_condarc_edit_file(const char *path, krait_rc_op op, const char *key, const char *value,
                                             krait_rc_edit_result *res, krait_err *err);

/* Renders a value as the YAML scalar text krait would write for a key of
 * the given type (validated: "maybe" for a boolean is an error). */
KRAIT_API krait_code krait_condarc_render_scalar(const char *key, const char *value, bool in_flow, krait_buf *out,
                                                 krait_err *err);

#endif
