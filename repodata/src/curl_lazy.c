/* Forwarders to a libcurl loaded on first use (see curl_lazy.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include <curl/curl.h>

/* the real entry points; this file must not see curl_lazy.h's macros */
static struct {
  CURLcode (*global_init)(long);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  void (*easy_cleanup)(CURL *);
  const char *(*easy_strerror)(CURLcode);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
} api;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char why[512];
static const char *unavailable = "libcurl was not loaded";

#include "curl_lazy.h"

/* dlsym returns an object pointer; copying its bytes into the function
 * pointer is the portable way (POSIX guarantees they are the same size). */
static int bind_symbol(void *lib, const char *name, void *fn_slot, size_t size) {
  void *sym = dlsym(lib, name);
  if (!sym) {
    snprintf(why, sizeof why, "libcurl.so.4 has no %s", name);
    return 0;
  }
  __builtin_memcpy(fn_slot, &sym, size);
  return 1;
}

static void load(void) {
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "cannot load libcurl.so.4: %s", e ? e : "unknown error");
    unavailable = why;
    return;
  }
#define BIND(field, name) bind_symbol(lib, name, &api.field, sizeof api.field)
  if (BIND(global_init, "curl_global_init") && BIND(easy_init, "curl_easy_init") &&
      BIND(easy_setopt, "curl_easy_setopt") && BIND(easy_perform, "curl_easy_perform") &&
      BIND(easy_getinfo, "curl_easy_getinfo") && BIND(easy_cleanup, "curl_easy_cleanup") &&
      BIND(easy_strerror, "curl_easy_strerror") && BIND(slist_append, "curl_slist_append") &&
      BIND(slist_free_all, "curl_slist_free_all"))
    unavailable = NULL;
  else
    unavailable = why;
#undef BIND
}

static int loaded(void) {
  pthread_once(&load_once, load);
  return unavailable == NULL;
}

const char *krait_curl_unavailable(void) {
  return loaded() ? NULL : unavailable;
}

CURLcode krait_curl_global_init(long flags) {
  return loaded() ? api.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *krait_curl_easy_init(void) {
  return loaded() ? api.easy_init() : NULL;
}

/* curl_easy_setopt takes one value whose type follows from the option's
 * range (curl.h's CURLOPTTYPE_*): read it with that type and pass it on. */
CURLcode krait_curl_easy_setopt(CURL *c, CURLoption opt, ...) {
  if (!loaded())
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, opt);
  CURLcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    rc = api.easy_setopt(c, opt, v);
  } else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
    void *p = va_arg(ap, void *);
    rc = api.easy_setopt(c, opt, p);
  } else if (opt < CURLOPTTYPE_OFF_T) {
    void (*f)(void) = va_arg(ap, void (*)(void));
    rc = api.easy_setopt(c, opt, f);
  } else if (opt < CURLOPTTYPE_BLOB) {
    curl_off_t v = va_arg(ap, curl_off_t);
    rc = api.easy_setopt(c, opt, v);
  } else {
    void *p = va_arg(ap, void *);
    rc = api.easy_setopt(c, opt, p);
  }
  va_end(ap);
  return rc;
}

CURLcode krait_curl_easy_perform(CURL *c) {
  return loaded() ? api.easy_perform(c) : CURLE_FAILED_INIT;
}

/* every CURLINFO takes one pointer to the result */
CURLcode krait_curl_easy_getinfo(CURL *c, CURLINFO info, ...) {
  if (!loaded())
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);
  void *out = va_arg(ap, void *);
  va_end(ap);
  return api.easy_getinfo(c, info, out);
}

void krait_curl_easy_cleanup(CURL *c) {
  if (loaded())
    api.easy_cleanup(c);
}

const char *krait_curl_easy_strerror(CURLcode code) {
  if (!loaded())
    return unavailable;
  return api.easy_strerror(code);
}

struct curl_slist *krait_curl_slist_append(struct curl_slist *list, const char *s) {
  return loaded() ? api.slist_append(list, s) : NULL;
}

void krait_curl_slist_free_all(struct curl_slist *list) {
  if (loaded())
    api.slist_free_all(list);
}
