/* Loading one YAML document; see yaml_doc.h. */
#include "yaml_doc.h"

#include "krait/buf.h"
#include "krait/fs.h"

krait_code krait_yaml_load(const char *origin, const char *text, size_t len, yaml_document_t *doc, krait_err *err) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    krait_oom();
  yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), text ? len : 0);
  krait_code rc = KRAIT_OK;
  if (!yaml_parser_load(&parser, doc))
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: invalid YAML: %s", origin, parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "parse error");
  yaml_parser_delete(&parser); /* the document owns its nodes */
  return rc;
}

krait_code krait_yaml_load_file(const char *path, krait_buf *text, yaml_document_t *doc, krait_err *err) {
  *text = (krait_buf)KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(path, text, err);
  if (rc == KRAIT_OK)
    rc = krait_yaml_load(path, text->data, text->len, doc, err);
  if (rc)
    krait_buf_free(text);
  return rc;
}

krait_code krait_yaml_settings_root(const char *origin, yaml_document_t *doc, yaml_node_t **root, krait_err *err) {
  yaml_node_t *r = yaml_document_get_root_node(doc);
  if (r && r->type == YAML_SCALAR_NODE && r->data.scalar.length == 0)
    r = NULL; /* "---" alone */
  *root = r && r->type == YAML_MAPPING_NODE ? r : NULL;
  if (r && r->type != YAML_MAPPING_NODE)
    return krait_err_set(err, KRAIT_E_PARSE, "%s:%zu: expected a mapping of settings (key: value)", origin,
                         r->start_mark.line + 1);
  return KRAIT_OK;
}
