/* Preprocessing selectors of environment.yml (CEP-24): `# [linux64]` comments
 * and `sel(unix): spec` items. The expression language is conda-build's
 * boolean platform variables joined with and / or / not and parentheses;
 * anything else (py, np, build_platform) is an error, never silently true. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_file_int.h"

typedef struct sel_parser {
  const char *p;
  const char *expr;
  const char *platform;
  krait_err *err;
  bool failed;
} sel_parser;

static bool platform_is(const char *platform, const char *subdir) { return strcmp(platform, subdir) == 0; }

static bool os_is(const char *platform, const char *os) {
  size_t n = strlen(os);
  return strncmp(platform, os, n) == 0 && platform[n] == '-';
}

/* -1 for a name that is not a platform variable */
static int variable(const char *name, const char *plat) {
  const char *arch = strchr(plat, '-');
  arch = arch ? arch + 1 : "";
  struct {
    const char *name;
    bool value;
  } vars[] = {
      {"linux", os_is(plat, "linux")},
      {"osx", os_is(plat, "osx")},
      {"win", os_is(plat, "win")},
      {"unix", os_is(plat, "linux") || os_is(plat, "osx")},
      {"x86", strcmp(arch, "64") == 0 || strcmp(arch, "32") == 0},
      {"x86_64", strcmp(arch, "64") == 0},
      {"x64", strcmp(arch, "64") == 0},
      {"linux64", platform_is(plat, "linux-64")},
      {"linux32", platform_is(plat, "linux-32")},
      {"osx64", platform_is(plat, "osx-64")},
      {"win64", platform_is(plat, "win-64")},
      {"win32", platform_is(plat, "win-32")},
      {"aarch64", platform_is(plat, "linux-aarch64")},
      {"arm64", strcmp(arch, "arm64") == 0 || strcmp(arch, "aarch64") == 0},
      {"ppc64le", platform_is(plat, "linux-ppc64le")},
      {"s390x", platform_is(plat, "linux-s390x")},
      {"armv6l", platform_is(plat, "linux-armv6l")},
      {"armv7l", platform_is(plat, "linux-armv7l")},
      {"riscv64", platform_is(plat, "linux-riscv64")},
  };
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (strcmp(vars[i].name, name) == 0)
      return vars[i].value;
  return -1;
}

static void skip_space(sel_parser *s) {
  while (isspace((unsigned char)*s->p))
    s->p++;
}

static bool fail(sel_parser *s, const char *what) {
  if (!s->failed)
    krait_err_set(s->err, KRAIT_E_PARSE, "selector [%s]: %s", s->expr, what);
  s->failed = true;
  return false;
}

/* Reads an identifier into buf; false when there is none. */
static bool ident(sel_parser *s, char *buf, size_t cap) {
  skip_space(s);
  size_t n = 0;
  while ((isalnum((unsigned char)s->p[n]) || s->p[n] == '_') && n + 1 < cap) {
    buf[n] = s->p[n];
    n++;
  }
  buf[n] = '\0';
  return n > 0;
}

static bool keyword(sel_parser *s, const char *kw) {
  char buf[32];
  const char *save = s->p;
  if (ident(s, buf, sizeof buf) && strcmp(buf, kw) == 0) {
    s->p += strlen(kw);
    return true;
  }
  s->p = save;
  return false;
}

static bool parse_or(sel_parser *s);

static bool parse_atom(sel_parser *s) {
  skip_space(s);
  if (*s->p == '(') {
    s->p++;
    bool v = parse_or(s);
    skip_space(s);
    if (*s->p != ')')
      return fail(s, "missing ')'");
    s->p++;
    return v;
  }
  char name[64];
  if (!ident(s, name, sizeof name))
    return fail(s, "expected a platform name");
  s->p += strlen(name);
  int v = variable(name, s->platform);
  if (v < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "unsupported selector variable \"%s\"", name);
    return fail(s, msg);
  }
  return v == 1;
}

static bool parse_not(sel_parser *s) {
  if (keyword(s, "not"))
    return !parse_not(s);
  return parse_atom(s);
}

static bool parse_and(sel_parser *s) {
  bool v = parse_not(s);
  while (!s->failed && keyword(s, "and"))
    v = parse_not(s) && v;
  return v;
}

static bool parse_or(sel_parser *s) {
  bool v = parse_and(s);
  while (!s->failed && keyword(s, "or"))
    v = parse_and(s) || v;
  return v;
}

int krait_selector_eval(const char *expr, const char *platform, krait_err *err) {
  sel_parser s = {expr, expr, platform, err, false};
  bool v = parse_or(&s);
  skip_space(&s);
  if (!s.failed && *s.p)
    fail(&s, "unexpected text after the expression");
  return s.failed ? -1 : v;
}
