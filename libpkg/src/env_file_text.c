/* Text environment files (CEP-23): explicit package-URL files and spec
 * lists; plus the entry point that picks the format (see krait/env_file.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "env_file_int.h"
#include "krait/config.h"
#include "krait/env_file.h"
#include "krait/fs.h"
#include "krait/matchspec.h"
#include "krait/platform.h"

void krait_env_file_free(krait_env_file *f) {
  free(f->name);
  free(f->prefix);
  krait_strv_free(&f->channels);
  krait_strv_free(&f->specs);
  krait_strv_free(&f->pip);
  krait_env_vars_free(&f->variables);
  krait_strv_free(&f->platforms);
  for (size_t i = 0; i < f->n_packages; i++)
    krait_record_free(&f->packages[i]);
  free(f->packages);
  free(f->platform);
  krait_strv_free(&f->warnings);
  memset(f, 0, sizeof *f);
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool all_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]))
      return false;
  return true;
}

bool krait_is_package_url(const char *text) {
  const char *hash = strchr(text, '#');
  size_t n = hash ? (size_t)(hash - text) : strlen(text);
  return ends_with(text, n, ".conda") || ends_with(text, n, ".tar.bz2");
}

/* "#<md5>", "#sha256:<hex>", "#<sha256>", "#md5=<hex>" / "#md5:<hex>" */
static krait_code parse_hash(const char *h, krait_record *out, krait_err *err) {
  size_t n = strlen(h);
  if (strncmp(h, "sha256:", 7) == 0 || strncmp(h, "sha256=", 7) == 0) {
    h += 7;
    n -= 7;
    if (n != 64 || !all_hex(h, n))
      return krait_err_set(err, KRAIT_E_PARSE, "\"#sha256:\" needs 64 hex digits");
  } else if (strncmp(h, "md5=", 4) == 0 || strncmp(h, "md5:", 4) == 0) {
    h += 4;
    n -= 4;
    if (n != 32 || !all_hex(h, n))
      return krait_err_set(err, KRAIT_E_PARSE, "\"#md5=\" needs 32 hex digits");
  } else if ((n != 32 && n != 64) || !all_hex(h, n)) {
    return krait_err_set(err, KRAIT_E_PARSE, "\"#%s\" is neither an md5 (32 hex digits) nor a sha256 (64)", h);
  }
  char *lower = krait_strndup(h, n);
  for (char *p = lower; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  if (n == 64)
    out->sha256 = lower;
  else
    out->md5 = lower;
  return KRAIT_OK;
}

/* A path -> an absolute file:// URL (spaces, '%' and '#' escaped); an
 * existing file's path is canonical (no "./", "../" or symlinked dirs). */
static char *path_to_url(const char *path) {
  char *abs = realpath(path, NULL);
  if (!abs)
    abs = krait_path_absolute(path);
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_puts(&b, "file://");
  for (const char *p = abs; *p; p++) {
    if (*p == ' ' || *p == '%' || *p == '#')
      krait_buf_printf(&b, "%%%02X", (unsigned char)*p);
    else
      krait_buf_putc(&b, *p);
  }
  free(abs);
  return krait_buf_steal(&b);
}

krait_code krait_explicit_record(const char *line, krait_record *out, krait_err *err) {
  krait_record_init(out);
  char *text = krait_config_expand_vars(line);
  if (text[0] == '~' && (text[1] == '/' || !text[1]) && getenv("HOME")) {
    char *home = krait_asprintf("%s%s", getenv("HOME"), text + 1);
    free(text);
    text = home;
  }
  krait_code rc = KRAIT_OK;
  char *hash = strchr(text, '#');
  if (hash) {
    *hash++ = '\0';
    if ((rc = parse_hash(hash, out, err)))
      goto done;
  }
  size_t n = strlen(text);
  const char *ext = ends_with(text, n, ".conda") ? ".conda" : ends_with(text, n, ".tar.bz2") ? ".tar.bz2" : NULL;
  if (!ext) {
    rc = krait_err_set(err, KRAIT_E_PARSE, "\"%s\" is not a package archive URL (.conda or .tar.bz2)", text);
    goto done;
  }
  if (strstr(text, "://"))
    out->url = krait_strdup(text);
  else
    out->url = path_to_url(text);
  const char *fn = strrchr(out->url, '/') + 1; /* every URL here has a '/' */
  out->fn = krait_strdup(fn);
  /* name-version-build: the last two dashes of the stem separate them */
  char *stem = krait_strndup(fn, strlen(fn) - strlen(ext));
  char *d2 = strrchr(stem, '-');
  char *d1 = NULL;
  if (d2) {
    *d2 = '\0';
    d1 = strrchr(stem, '-');
  }
  if (!d1 || d1 == stem || !d1[1] || !d2[1]) {
    free(stem);
    rc = krait_err_set(err, KRAIT_E_PARSE, "\"%s\" is not a name-version-build%s file name", fn, ext);
    goto done;
  }
  *d1 = '\0';
  out->name = krait_strdup(stem);
  out->version = krait_strdup(d1 + 1);
  out->build = krait_strdup(d2 + 1);
  free(stem);
  /* <channel>/<subdir>/<fn>: the channel is what comes before the subdir;
   * an archive in any other directory is a channel of its own (its subdir
   * then comes from its info/index.json) */
  size_t dir_len = (size_t)(fn - 1 - out->url);
  char *dir = krait_strndup(out->url, dir_len);
  char *slash = strrchr(dir, '/');
  const char *scheme = strstr(dir, "://");
  if (slash && scheme && slash > scheme + 2 && krait_subdir_known(slash + 1)) {
    out->subdir = krait_strdup(slash + 1);
    out->channel = krait_strndup(dir, (size_t)(slash - dir));
    free(dir);
  } else {
    out->channel = dir;
  }
done:
  free(text);
  if (rc)
    krait_record_free(out);
  return rc;
}

/* The line without surrounding whitespace, as a new string. */
static char *trimmed(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return krait_strndup(s, n);
}

static krait_code parse_text(const char *origin, const char *text, size_t len, krait_env_file *out,
                             krait_err *err) {
  /* CEP-23: a line that is exactly @EXPLICIT makes the whole file explicit */
  out->kind = KRAIT_ENV_FILE_SPECS;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *line = trimmed(p, n);
    if (strcmp(line, "@EXPLICIT") == 0)
      out->kind = KRAIT_ENV_FILE_EXPLICIT;
    free(line);
    p += n + 1;
  }
  size_t cap = 0;
  size_t lineno = 0;
  krait_code rc = KRAIT_OK;
  for (const char *p = text, *end = text + len; !rc && p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *line = trimmed(p, n);
    p += n + 1;
    lineno++;
    if (line[0] == '#') {
      if (strncmp(line, "# platform:", 11) == 0 && !out->platform)
        out->platform = trimmed(line + 11, strlen(line + 11));
    } else if (!*line || strcmp(line, "@EXPLICIT") == 0) {
      /* nothing */
    } else if (out->kind == KRAIT_ENV_FILE_EXPLICIT) {
      if (out->n_packages == cap) {
        cap = cap ? 2 * cap : 16;
        out->packages = krait_realloc(out->packages, cap * sizeof *out->packages);
      }
      if ((rc = krait_explicit_record(line, &out->packages[out->n_packages], err)) == KRAIT_OK)
        out->n_packages++;
    } else {
      /* spec lists allow a trailing comment; a '#' never belongs to a MatchSpec */
      char *hash = strchr(line, '#');
      if (hash)
        *hash = '\0';
      char *spec = trimmed(line, strlen(line));
      if (strstr(spec, "://") && !krait_is_package_url(spec)) {
        rc = krait_err_set(err, KRAIT_E_PARSE, "\"%s\" is a URL but not of a package archive (.conda or .tar.bz2)",
                           spec);
      } else if (krait_is_package_url(spec)) {
        rc = krait_err_set(err, KRAIT_E_PARSE,
                           "package URL \"%s\" in a file without an @EXPLICIT line (add one to install URLs)", spec);
      } else {
        krait_matchspec *ms = NULL;
        rc = krait_matchspec_parse(spec, &ms, err);
        krait_matchspec_free(ms);
        if (!rc)
          krait_strv_push(&out->specs, spec);
      }
      free(spec);
    }
    if (rc)
      krait_err_prefix(err, "%s:%zu: ", origin, lineno);
    free(line);
  }
  if (!rc && out->kind == KRAIT_ENV_FILE_EXPLICIT && !out->n_packages)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: @EXPLICIT file lists no package URL", origin);
  if (!rc && out->kind == KRAIT_ENV_FILE_SPECS && !out->specs.len)
    rc = krait_err_set(err, KRAIT_E_PARSE, "%s: no spec in the file (only comments or blank lines)", origin);
  return rc;
}

krait_code krait_env_file_parse(const char *origin, const char *text, size_t len, bool yaml, const char *platform,
                                krait_env_file *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_code rc = yaml ? krait_env_yaml_parse(origin, text, len, platform, out, err)
                       : parse_text(origin, text, len, out, err);
  if (rc)
    krait_env_file_free(out);
  return rc;
}

krait_code krait_env_file_read(const char *path, const char *platform, krait_env_file *out, krait_err *err) {
  memset(out, 0, sizeof *out);
  krait_buf b = KRAIT_BUF_INIT;
  krait_code rc = krait_read_file(path, &b, err);
  if (rc) {
    krait_buf_free(&b);
    return rc;
  }
  size_t n = strlen(path);
  bool yaml = ends_with(path, n, ".yml") || ends_with(path, n, ".yaml");
  if (memchr(b.data ? b.data : "", '\0', b.len)) {
    krait_buf_free(&b);
    return krait_err_set(err, KRAIT_E_PARSE, "%s: binary file (NUL byte), not an environment file", path);
  }
  rc = krait_env_file_parse(path, b.data ? b.data : "", b.len, yaml, platform, out, err);
  krait_buf_free(&b);
  return rc;
}
