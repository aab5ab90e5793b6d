/* Content rewriting at link time: prefix placeholders (text and binary
 * mode), over-long shebangs, noarch: python paths and entry point scripts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "krait/link.h"

/* Linux's limit on the "#!..." line (without the newline). */
#define MAX_SHEBANG 127

static void replace_all(krait_buf *out, const char *data, size_t len, const char *ph, const char *prefix) {
  size_t phl = strlen(ph), pl = strlen(prefix);
  size_t i = 0;
  while (i < len) {
    const char *hit = phl ? memmem(data + i, len - i, ph, phl) : NULL;
    if (!hit) {
      krait_buf_append(out, data + i, len - i);
      break;
    }
    krait_buf_append(out, data + i, (size_t)(hit - (data + i)));
    krait_buf_append(out, prefix, pl);
    i = (size_t)(hit - data) + phl;
  }
}

void krait_replace_text(const char *data, size_t len, const char *placeholder, const char *prefix,
                        krait_buf *out) {
  krait_buf_clear(out);
  size_t body = 0;
  if (len > 2 && data[0] == '#' && data[1] == '!') {
    /* The interpreter is split off on the ORIGINAL line so that a prefix with
     * spaces is still seen as one path. */
    const char *nl = memchr(data, '\n', len);
    size_t line_len = nl ? (size_t)(nl - data) : len;
    size_t interp_end = 2;
    while (interp_end < line_len && data[interp_end] != ' ' && data[interp_end] != '\t')
      interp_end++;
    krait_buf interp = KRAIT_BUF_INIT, args = KRAIT_BUF_INIT;
    replace_all(&interp, data + 2, interp_end - 2, placeholder, prefix);
    replace_all(&args, data + interp_end, line_len - interp_end, placeholder, prefix);
    const char *ip = krait_buf_str(&interp);
    if (2 + interp.len + args.len > MAX_SHEBANG || strchr(ip, ' ')) {
      const char *slash = strrchr(ip, '/');
      krait_buf_printf(out, "#!/usr/bin/env %s", slash ? slash + 1 : ip);
    } else {
      krait_buf_printf(out, "#!%s", ip);
    }
    krait_buf_append(out, args.data ? args.data : "", args.len);
    krait_buf_free(&interp);
    krait_buf_free(&args);
    body = line_len;
  }
  replace_all(out, data + body, len - body, placeholder, prefix);
  if (!out->data)
    krait_buf_append(out, "", 0);
}

krait_code krait_replace_binary(char *data, size_t len, const char *placeholder, const char *prefix,
                                size_t *count, krait_err *err) {
  size_t phl = strlen(placeholder), pl = strlen(prefix);
  if (pl > phl) {
    if (count)
      *count = 0;
    return krait_err_set(err, KRAIT_E_INVALID,
                         "prefix \"%s\" (%zu bytes) is longer than the binary placeholder (%zu bytes)", prefix,
                         pl, phl);
  }
  return krait_replace_binary_strings(data, len, placeholder, prefix, count, err);
}

krait_code krait_replace_binary_strings(char *data, size_t len, const char *from, const char *to, size_t *count,
                                        krait_err *err) {
  size_t fl = strlen(from);
  if (count)
    *count = 0;
  if (!fl)
    return KRAIT_OK;
  krait_buf seg_out = KRAIT_BUF_INIT;
  krait_code rc = KRAIT_OK;
  size_t i = 0;
  while (i < len) {
    char *hit = memmem(data + i, len - i, from, fl);
    if (!hit)
      break;
    /* the C string runs from the hit to the next NUL; without one it is not a
     * string we can safely rewrite */
    char *nul = memchr(hit, '\0', len - (size_t)(hit - data));
    if (!nul)
      break;
    size_t seg = (size_t)(nul - hit);
    krait_buf_clear(&seg_out);
    replace_all(&seg_out, hit, seg, from, to);
    /* the room: the string, its NUL and the NULs after it */
    size_t room = seg + 1;
    while ((size_t)(hit - data) + room < len && hit[room] == '\0')
      room++;
    if (seg_out.len + 1 > room) {
      rc = krait_err_set(err, KRAIT_E_INVALID, "prefix \"%s\" does not fit into a binary string", to);
      break;
    }
    /* the new string and its NUL, NULs over the rest of the old one */
    size_t span = seg_out.len + 1 > seg + 1 ? seg_out.len + 1 : seg + 1;
    memcpy(hit, seg_out.data, seg_out.len);
    memset(hit + seg_out.len, 0, span - seg_out.len);
    if (count)
      (*count)++;
    i = (size_t)(hit - data) + span;
  }
  krait_buf_free(&seg_out);
  return rc;
}

char *krait_python_xy(const char *version) {
  if (!version)
    return NULL;
  const char *s = version;
  const char *bang = strchr(s, '!'); /* an epoch is not part of it */
  if (bang)
    s = bang + 1;
  size_t major = strspn(s, "0123456789");
  if (!major || s[major] != '.')
    return NULL;
  size_t minor = strspn(s + major + 1, "0123456789");
  if (!minor)
    return NULL;
  return krait_strndup(s, major + 1 + minor);
}

char *krait_noarch_python_path(const char *path, const char *site_packages) {
  if (strncmp(path, "site-packages/", 14) == 0)
    return krait_asprintf("%s/%s", site_packages, path + 14);
  if (strncmp(path, "python-scripts/", 15) == 0)
    return krait_asprintf("bin/%s", path + 15);
  return krait_strdup(path);
}

/* Copies s[0..n) trimmed of spaces into a new string. */
static char *trimmed(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s))
    s++, n--;
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return krait_strndup(s, n);
}

static bool is_dotted_ident(const char *s) {
  if (!*s || *s == '.')
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
      return false;
  return true;
}

bool krait_entry_point_script(const char *spec, const char *python_exe, char **cmd_out, krait_buf *script) {
  const char *eq = strchr(spec, '=');
  const char *colon = eq ? strchr(eq, ':') : NULL;
  if (!eq || !colon)
    return false;
  char *cmd = trimmed(spec, (size_t)(eq - spec));
  char *module = trimmed(eq + 1, (size_t)(colon - eq - 1));
  char *func = trimmed(colon + 1, strlen(colon + 1));
  bool ok = *cmd && !strchr(cmd, '/') && strcmp(cmd, "..") != 0 && strcmp(cmd, ".") != 0 &&
            is_dotted_ident(module) && is_dotted_ident(func);
  if (ok) {
    krait_buf_clear(script);
    /* a kernel shebang cannot hold spaces or exceed 127 bytes: then let
     * /bin/sh exec python on this same file (the quotes make the line a
     * harmless string expression for python) */
    if (2 + strlen(python_exe) > MAX_SHEBANG || strchr(python_exe, ' '))
      krait_buf_printf(script, "#!/bin/sh\n'''exec' \"%s\" \"$0\" \"$@\" #'''\n", python_exe);
    else
      krait_buf_printf(script, "#!%s\n", python_exe);
    size_t import_len = strcspn(func, ".");
    krait_buf_printf(script,
                     "# -*- coding: utf-8 -*-\n"
                     "import re\n"
                     "import sys\n"
                     "\n"
                     "from %s import %.*s\n"
                     "\n"
                     "if __name__ == \"__main__\":\n"
                     "    sys.argv[0] = re.sub(r\"(-script\\.pyw?|\\.exe)?$\", \"\", sys.argv[0])\n"
                     "    sys.exit(%s())\n",
                     module, (int)import_len, func, func);
    *cmd_out = cmd;
  } else {
    free(cmd);
  }
  free(module);
  free(func);
  return ok;
}
