/* Reading a package's file list: info/paths.json (CEP-34) or the legacy
 * info/files + info/has_prefix + info/no_link trio. */
#include "krait/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"

/* indexed by krait_path_type */
static const char *const type_names[] = {"hardlink",
                                         "softlink",
                                         "directory",
                                         "pyc_file",
                                         "unix_python_entry_point",
                                         "windows_python_entry_point_script",
                                         "windows_python_entry_point_exe",
                                         "linked_package_record"};

const char *krait_path_type_name(krait_path_type t) {
  if ((size_t)t < sizeof type_names / sizeof type_names[0])
    return type_names[t];
  return "hardlink";
}

bool krait_path_type_parse(const char *s, krait_path_type *out) {
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (strcmp(s, type_names[i]) == 0) {
      *out = (krait_path_type)i;
      return true;
    }
  return false;
}

krait_path_entry *krait_paths_add(krait_paths *p, const char *path, krait_path_type type) {
  if (p->len == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 16;
    p->items = krait_realloc(p->items, p->cap * sizeof *p->items);
  }
  krait_path_entry *e = &p->items[p->len++];
  memset(e, 0, sizeof *e);
  e->path = krait_strdup(path);
  e->type = type;
  e->size = -1;
  return e;
}

void krait_paths_free(krait_paths *p) {
  for (size_t i = 0; i < p->len; i++) {
    krait_path_entry *e = &p->items[i];
    free(e->path);
    free(e->sha256);
    free(e->sha256_in_prefix);
    free(e->prefix_placeholder);
  }
  free(p->items);
  p->items = NULL;
  p->len = p->cap = 0;
}

/* A path from package metadata must stay inside the prefix. */
static bool path_is_safe(const char *p) {
  if (!*p || p[0] == '/')
    return false;
  for (const char *s = p; *s;) {
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.')
      return false;
    if (!slash)
      break;
    s = slash + 1;
  }
  return true;
}

krait_code krait_paths_from_json(const krait_json *obj, const char *origin, krait_paths *out, krait_err *err) {
  const krait_json *arr = krait_json_get_array(obj, "paths");
  if (!arr)
    return krait_err_set(err, KRAIT_E_PARSE, "%s: no \"paths\" list", origin);
  size_t idx = 0;
  krait_json_foreach(it, arr) {
    const char *p = it->type == KRAIT_JSON_OBJECT ? krait_json_get_str(it, "_path") : NULL;
    if (!p)
      return krait_err_set(err, KRAIT_E_PARSE, "%s: paths[%zu] has no \"_path\"", origin, idx);
    if (!path_is_safe(p))
      return krait_err_set(err, KRAIT_E_UNSAFE, "%s: paths[%zu]: unsafe path \"%s\"", origin, idx, p);
    krait_path_type type = KRAIT_PATH_HARDLINK;
    const char *ts = krait_json_get_str(it, "path_type");
    if (ts && !krait_path_type_parse(ts, &type))
      return krait_err_set(err, KRAIT_E_PARSE, "%s: %s: unknown path_type \"%s\"", origin, p, ts);
    krait_path_entry *e = krait_paths_add(out, p, type);
    e->sha256 = krait_strdup(krait_json_get_str(it, "sha256"));
    e->sha256_in_prefix = krait_strdup(krait_json_get_str(it, "sha256_in_prefix"));
    int64_t size;
    if (krait_json_get_int(it, "size_in_bytes", &size))
      e->size = size;
    const char *ph = krait_json_get_str(it, "prefix_placeholder");
    if (ph && *ph)
      e->prefix_placeholder = krait_strdup(ph);
    const char *fm = krait_json_get_str(it, "file_mode");
    if (fm && strcmp(fm, "binary") == 0)
      e->file_mode = KRAIT_FILE_MODE_BINARY;
    else if (fm && strcmp(fm, "text") != 0)
      return krait_err_set(err, KRAIT_E_PARSE, "%s: %s: unknown file_mode \"%s\"", origin, p, fm);
    const krait_json *nl = krait_json_get(it, "no_link");
    e->no_link = nl && nl->type == KRAIT_JSON_BOOL && nl->boolean;
    idx++;
  }
  return KRAIT_OK;
}

/* Splits one has_prefix line into up to 3 tokens; quotes group spaces. */
static int split_tokens(char *line, char *tok[3], int max) {
  int n = 0;
  char *s = line;
  while (*s) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      break;
    if (n == max)
      return -1;
    if (*s == '"' || *s == '\'') {
      char q = *s++;
      tok[n++] = s;
      char *end = strchr(s, q);
      if (!end)
        return -1;
      *end = '\0';
      s = end + 1;
    } else {
      tok[n++] = s;
      while (*s && *s != ' ' && *s != '\t')
        s++;
      if (*s)
        *s++ = '\0';
    }
  }
  return n;
}

static krait_path_entry *find_entry(krait_paths *p, const char *path) {
  for (size_t i = 0; i < p->len; i++)
    if (strcmp(p->items[i].path, path) == 0)
      return &p->items[i];
  return NULL;
}

/* Calls fn(line) for each non-empty line of an optional file (absent = no lines). */
static krait_code for_lines(const char *path, krait_code (*fn)(char *line, int lineno, const char *origin,
                                                               krait_paths *out, krait_err *err),
                            krait_paths *out, krait_err *err) {
  if (!krait_path_exists(path))
    return KRAIT_OK;
  krait_buf b = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(path, &b, err);
  int lineno = 0;
  for (char *s = b.data; rc == KRAIT_OK && s && *s;) {
    char *nl = strchr(s, '\n');
    if (nl)
      *nl = '\0';
    lineno++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
      s[--n] = '\0';
    if (n)
      rc = fn(s, lineno, path, out, err);
    s = nl ? nl + 1 : NULL;
  }
  krait_buf_free(&b);
  return rc;
}

static krait_code files_line(char *line, int lineno, const char *origin, krait_paths *out, krait_err *err) {
  if (!path_is_safe(line))
    return krait_err_set(err, KRAIT_E_UNSAFE, "%s:%d: unsafe path \"%s\"", origin, lineno, line);
  krait_paths_add(out, line, KRAIT_PATH_HARDLINK);
  return KRAIT_OK;
}

static krait_code has_prefix_line(char *line, int lineno, const char *origin, krait_paths *out,
                                  krait_err *err) {
  char *tok[3];
  int n = split_tokens(line, tok, 3);
  const char *ph = KRAIT_DEFAULT_PLACEHOLDER, *mode = "text", *path;
  if (n == 1) {
    path = tok[0];
  } else if (n == 3) {
    ph = tok[0];
    mode = tok[1];
    path = tok[2];
  } else {
    return krait_err_set(err, KRAIT_E_PARSE, "%s:%d: expected \"path\" or \"placeholder mode path\"", origin,
                         lineno);
  }
  if (strcmp(mode, "text") != 0 && strcmp(mode, "binary") != 0)
    return krait_err_set(err, KRAIT_E_PARSE, "%s:%d: unknown mode \"%s\"", origin, lineno, mode);
  krait_path_entry *e = find_entry(out, path);
  if (!e)
    return krait_err_set(err, KRAIT_E_PARSE, "%s:%d: \"%s\" is not listed in info/files", origin, lineno, path);
  free(e->prefix_placeholder);
  e->prefix_placeholder = krait_strdup(ph);
  e->file_mode = strcmp(mode, "binary") == 0 ? KRAIT_FILE_MODE_BINARY : KRAIT_FILE_MODE_TEXT;
  return KRAIT_OK;
}

static krait_code no_link_line(char *line, int lineno, const char *origin, krait_paths *out, krait_err *err) {
  (void)lineno;
  (void)origin;
  (void)err;
  krait_path_entry *e = find_entry(out, line);
  if (e)
    e->no_link = true;
  return KRAIT_OK;
}

static krait_code read_legacy(const char *pkg_dir, krait_paths *out, krait_err *err) {
  char *files = krait_path_join(pkg_dir, "info/files");
  char *has_prefix = krait_path_join(pkg_dir, "info/has_prefix");
  char *no_link = krait_path_join(pkg_dir, "info/no_link");
  krait_code rc;
  if (!krait_path_exists(files))
    rc = krait_err_set(err, KRAIT_E_NOTFOUND, "%s: neither info/paths.json nor info/files", pkg_dir);
  else if ((rc = for_lines(files, files_line, out, err)) == KRAIT_OK &&
           (rc = for_lines(has_prefix, has_prefix_line, out, err)) == KRAIT_OK)
    rc = for_lines(no_link, no_link_line, out, err);
  /* the legacy lists carry no types: take them from the extracted files */
  for (size_t i = 0; rc == KRAIT_OK && i < out->len; i++) {
    char *full = krait_path_join(pkg_dir, out->items[i].path);
    struct stat st;
    if (lstat(full, &st) == 0) {
      if (S_ISLNK(st.st_mode))
        out->items[i].type = KRAIT_PATH_SOFTLINK;
      else if (S_ISDIR(st.st_mode))
        out->items[i].type = KRAIT_PATH_DIRECTORY;
      else
        out->items[i].size = (int64_t)st.st_size;
    }
    free(full);
  }
  free(files);
  free(has_prefix);
  free(no_link);
  return rc;
}

krait_code krait_paths_read(const char *pkg_dir, krait_paths *out, krait_err *err) {
  char *pj = krait_path_join(pkg_dir, "info/paths.json");
  krait_code rc;
  if (krait_path_exists(pj)) {
    krait_json *root = krait_json_parse_file(pj, err);
    if (!root) {
      free(pj);
      return err ? err->code : KRAIT_E_PARSE;
    }
    int64_t ver = 1;
    if (krait_json_get_int(root, "paths_version", &ver) && ver != 1)
      rc = krait_err_set(err, KRAIT_E_UNSUPPORTED, "%s: paths_version %lld is not supported", pj,
                         (long long)ver);
    else
      rc = krait_paths_from_json(root, pj, out, err);
    krait_json_free(root);
  } else {
    rc = read_legacy(pkg_dir, out, err);
  }
  free(pj);
  if (rc)
    krait_paths_free(out);
  return rc;
}
