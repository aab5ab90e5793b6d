/* A process environment as an ordered NAME -> VALUE map (krait/activate.h). */
#include <stdlib.h>
#include <string.h>

#include "krait/activate.h"

extern char **environ;

void krait_envmap_from_environ(krait_envmap *m, char *const *envp) {
  if (!envp)
    envp = environ;
  for (; *envp; envp++) {
    const char *eq = strchr(*envp, '=');
    if (!eq || eq == *envp)
      continue;
    char *name = krait_strndup(*envp, (size_t)(eq - *envp));
    krait_envmap_set(m, name, eq + 1);
    free(name);
  }
}

static krait_env_var *find(const krait_envmap *m, const char *name) {
  for (size_t i = 0; i < m->len; i++)
    if (strcmp(m->items[i].name, name) == 0)
      return &m->items[i];
  return NULL;
}

const char *krait_envmap_get(const krait_envmap *m, const char *name) {
  const krait_env_var *v = find(m, name);
  return v ? v->value : NULL;
}

void krait_envmap_set(krait_envmap *m, const char *name, const char *value) {
  krait_env_var *v = find(m, name);
  if (v && value) {
    char *copy = krait_strdup(value); /* value may point into v->value */
    free(v->value);
    v->value = copy;
    return;
  }
  if (v) {
    size_t i = (size_t)(v - m->items);
    free(v->name);
    free(v->value);
    memmove(&m->items[i], &m->items[i + 1], (m->len - i - 1) * sizeof *m->items);
    m->len--;
    return;
  }
  if (!value)
    return;
  if (m->len == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 64;
    m->items = krait_realloc(m->items, m->cap * sizeof *m->items);
  }
  m->items[m->len++] = (krait_env_var){krait_strdup(name), krait_strdup(value)};
}

char **krait_envmap_to_environ(const krait_envmap *m) {
  char **envp = krait_calloc(m->len + 1, sizeof *envp);
  for (size_t i = 0; i < m->len; i++)
    envp[i] = krait_asprintf("%s=%s", m->items[i].name, m->items[i].value);
  return envp;
}

void krait_environ_free(char **envp) {
  if (!envp)
    return;
  for (char **p = envp; *p; p++)
    free(*p);
  free(envp);
}

void krait_envmap_free(krait_envmap *m) {
  for (size_t i = 0; i < m->len; i++) {
    free(m->items[i].name);
    free(m->items[i].value);
  }
  free(m->items);
  memset(m, 0, sizeof *m);
}
