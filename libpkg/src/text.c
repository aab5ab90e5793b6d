/* Hex digits, %XX decoding, feature lists (see krait/text.h). */
#include "krait/text.h"

#include <string.h>

int krait_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void krait_percent_decode(krait_buf *out, const char *s, size_t n) {
  krait_buf_append(out, "", 0); /* an empty input still gives a string */
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < n && (hi = krait_hex_digit(s[i + 1])) >= 0 && (lo = krait_hex_digit(s[i + 2])) >= 0) {
      krait_buf_putc(out, (char)(hi * 16 + lo));
      i += 2;
    } else {
      krait_buf_putc(out, s[i]);
    }
  }
}

void krait_features_split(krait_strv *out, const char *s) {
  while (*s) {
    while (*s == ' ' || *s == ',')
      s++;
    const char *e = s;
    while (*e && *e != ' ' && *e != ',')
      e++;
    if (e > s)
      krait_strv_push_owned(out, krait_strndup(s, (size_t)(e - s)));
    s = e;
  }
}

char *krait_features_join(const krait_strv *features) {
  krait_buf b = KRAIT_BUF_INIT;
  krait_buf_append(&b, "", 0);
  for (size_t i = 0; i < features->len; i++)
    krait_buf_printf(&b, "%s%s", i ? " " : "", features->items[i]);
  return krait_buf_steal(&b);
}

void krait_text_put_printable(krait_buf *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      krait_buf_printf(out, "\\x%02x", *p);
    else
      krait_buf_putc(out, (char)*p);
  }
}

char *krait_text_next_line(char **cursor) {
  char *line = *cursor;
  if (!line || !*line)
    return NULL;
  char *nl = strchr(line, '\n');
  if (nl)
    *nl = '\0';
  *cursor = nl ? nl + 1 : NULL;
  return line;
}
