/* Private: loading one YAML document (libyaml's document API) with krait's
 * error form, for .condarc reading, editing and viewing and environment.yml. */
#ifndef KRAIT_YAML_DOC_H
#define KRAIT_YAML_DOC_H

#include <stddef.h>
#include <yaml.h>

#include "krait/buf.h"
#include "krait/err.h"

/* Loads text as one document into *doc (the caller deletes it with
 * yaml_document_delete). On error: "ORIGIN:LINE: invalid YAML: <problem>". */
krait_code krait_yaml_load(const char *origin, const char *text, size_t len, yaml_document_t *doc, krait_err *err);

/* Reads path into *text (kept for what libyaml drops: comments) and loads it
 * as krait_yaml_load() does; on error *text is freed. */
krait_code krait_yaml_load_file(const char *path, krait_buf *text, yaml_document_t *doc, krait_err *err);

/* The settings mapping of a loaded .condarc: *root NULL for an empty file or
 * "---" alone; for anything but a mapping *root NULL and an error
 * ("ORIGIN:LINE: expected a mapping of settings (key: value)"). */
krait_code krait_yaml_settings_root(const char *origin, yaml_document_t *doc, yaml_node_t **root, krait_err *err);

#endif
