/* Finds `info` / `metadata` in a repodata.json by skipping over the (huge)
 * `packages` values byte by byte instead of parsing them: libsolv parses the
 * packages, but ignores base_url, which decides where archives are fetched. */
#include <stdlib.h>
#include <string.h>

#include "krait/buf.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "repodata_int.h"

size_t krait_scan_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    i++;
  return i;
}

/* Index just past the string starting at s[i] == '"', or n. */
size_t krait_scan_string(const char *s, size_t i, size_t n) {
  for (i++; i < n; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '"')
      return i + 1;
  }
  return n;
}

/* Index just past the JSON value starting at s[i], or n when it never ends. */
size_t krait_scan_value(const char *s, size_t i, size_t n) {
  if (i >= n)
    return n;
  if (s[i] == '"')
    return krait_scan_string(s, i, n);
  if (s[i] == '{' || s[i] == '[') {
    size_t depth = 0;
    while (i < n) {
      char c = s[i];
      if (c == '"') {
        i = krait_scan_string(s, i, n);
        continue;
      }
      if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']') {
        if (--depth == 0)
          return i + 1;
      }
      i++;
    }
    return n;
  }
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
    i++;
  return i;
}

static void take_object(const char *text, size_t len, bool is_metadata, krait_repo_meta *out) {
  krait_json *j = krait_json_parse(text, len, "repodata info", NULL);
  if (!j)
    return;
  const char *base = krait_json_get_str(j, "base_url");
  const char *subdir = krait_json_get_str(j, "subdir");
  /* info (the standard spelling) wins over the early metadata spelling. */
  if (base && *base && (!out->base_url || !is_metadata)) {
    free(out->base_url);
    out->base_url = krait_strdup(base);
    out->base_is_channel = is_metadata;
  }
  if (subdir && *subdir && (!out->subdir || !is_metadata)) {
    free(out->subdir);
    out->subdir = krait_strdup(subdir);
  }
  krait_json_free(j);
}

/* libsolv 0.7.32's parse_info() does not skip nested values, so an `info`
 * member holding an object (e.g. "repodata_revisions": {...}) ends its
 * parse early and every package after it is silently dropped. Such values
 * mean nothing to libsolv: replace each with `0` padded by spaces (newlines
 * kept, so line numbers in later errors stay right). */
static void flatten_info_members(char *s, size_t i, size_t end) {
  i++; /* past '{' */
  while (i < end) {
    i = krait_scan_ws(s, i, end);
    if (i >= end || s[i] != '"')
      return;
    i = krait_scan_ws(s, krait_scan_string(s, i, end), end);
    if (i >= end || s[i] != ':')
      return;
    i = krait_scan_ws(s, i + 1, end);
    size_t v = i;
    i = krait_scan_value(s, i, end);
    if (s[v] == '{' || s[v] == '[') {
      s[v] = '0';
      for (size_t k = v + 1; k < i; k++)
        if (s[k] != '\n')
          s[k] = ' ';
    }
    i = krait_scan_ws(s, i, end);
    if (i >= end || s[i] != ',')
      return;
    i++;
  }
}

void krait_repo_meta_scan(char *s, size_t n, krait_repo_meta *out) {
  memset(out, 0, sizeof(*out));
  size_t i = 0;
  krait_scan_member m = {0};
  while (krait_scan_next_member(s, &i, n, &m)) {
    bool is_info = m.key_len == 4 && memcmp(s + m.key, "info", 4) == 0;
    bool is_metadata = m.key_len == 8 && memcmp(s + m.key, "metadata", 8) == 0;
    if ((is_info || is_metadata) && s[m.value] == '{') {
      take_object(s + m.value, m.value_end - m.value, is_metadata, out);
      if (is_info)
        flatten_info_members(s, m.value, m.value_end);
    }
  }
}

void krait_repo_meta_free(krait_repo_meta *m) {
  free(m->base_url);
  free(m->subdir);
  memset(m, 0, sizeof(*m));
}

void krait_cache_key(const char *url, char out[9]) {
  char hex[33];
  krait_digest_hex("md5", url, strlen(url), hex, sizeof(hex));
  memcpy(out, hex, 8);
  out[8] = '\0';
}

bool krait_scan_next_member(const char *s, size_t *pi, size_t n, krait_scan_member *m) {
  size_t i = *pi;
  if (m->value_end == 0) { /* first call: step into the object */
    i = krait_scan_ws(s, i, n);
    if (i >= n || s[i] != '{')
      return false;
    i++;
  } else { /* after a member: a ',' must follow, else the object ended */
    i = krait_scan_ws(s, m->value_end, n);
    if (i >= n || s[i] != ',')
      return false;
    i++;
  }
  i = krait_scan_ws(s, i, n);
  if (i >= n || s[i] != '"')
    return false;
  m->key = i + 1;
  i = krait_scan_string(s, i, n);
  m->key_len = i > m->key ? i - 1 - m->key : 0;
  i = krait_scan_ws(s, i, n);
  if (i >= n || s[i] != ':')
    return false;
  m->value = krait_scan_ws(s, i + 1, n);
  m->value_end = krait_scan_value(s, m->value, n);
  *pi = m->value_end;
  return m->value_end < n && m->value_end > m->value;
}
