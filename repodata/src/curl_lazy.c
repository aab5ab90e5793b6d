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
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM *, CURL *);
  CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
  CURLMcode (*multi_perform)(CURLM *, int *);
  CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
  CURLMsg *(*multi_info_read)(CURLM *, int *);
  CURLMcode (*multi_cleanup)(CURLM *);
  const char *(*multi_strerror)(CURLMcode);
  CURLSH *(*share_init)(void);
  CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
  CURLSHcode (*share_cleanup)(CURLSH *);
  curl_version_info_data *(*version_info)(CURLversion);
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
      BIND(slist_free_all, "curl_slist_free_all") && BIND(multi_init, "curl_multi_init") &&
      BIND(multi_setopt, "curl_multi_setopt") && BIND(multi_add_handle, "curl_multi_add_handle") &&
      BIND(multi_remove_handle, "curl_multi_remove_handle") && BIND(multi_perform, "curl_multi_perform") &&
      BIND(multi_poll, "curl_multi_poll") && BIND(multi_info_read, "curl_multi_info_read") &&
      BIND(multi_cleanup, "curl_multi_cleanup") && BIND(multi_strerror, "curl_multi_strerror") &&
      BIND(share_init, "curl_share_init") && BIND(share_setopt, "curl_share_setopt") &&
      BIND(share_cleanup, "curl_share_cleanup") && BIND(version_info, "curl_version_info"))
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

CURLM *krait_curl_multi_init(void) { return loaded() ? api.multi_init() : NULL; }

/* curl_multi_setopt: one long, pointer or function pointer, by option range */
CURLMcode krait_curl_multi_setopt(CURLM *m, CURLMoption opt, ...) {
  if (!loaded())
    return CURLM_INTERNAL_ERROR;
  va_list ap;
  va_start(ap, opt);
  CURLMcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT) {
    long v = va_arg(ap, long);
    rc = api.multi_setopt(m, opt, v);
  } else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
    void *p = va_arg(ap, void *);
    rc = api.multi_setopt(m, opt, p);
  } else if (opt < CURLOPTTYPE_OFF_T) {
    void (*f)(void) = va_arg(ap, void (*)(void));
    rc = api.multi_setopt(m, opt, f);
  } else {
    curl_off_t v = va_arg(ap, curl_off_t);
    rc = api.multi_setopt(m, opt, v);
  }
  va_end(ap);
  return rc;
}

CURLMcode krait_curl_multi_add_handle(CURLM *m, CURL *c) {
  return loaded() ? api.multi_add_handle(m, c) : CURLM_INTERNAL_ERROR;
}
CURLMcode krait_curl_multi_remove_handle(CURLM *m, CURL *c) {
  return loaded() ? api.multi_remove_handle(m, c) : CURLM_INTERNAL_ERROR;
}
CURLMcode krait_curl_multi_perform(CURLM *m, int *running) {
  return loaded() ? api.multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}
CURLMcode krait_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms, int *numfds) {
  return loaded() ? api.multi_poll(m, fds, n, timeout_ms, numfds) : CURLM_INTERNAL_ERROR;
}
CURLMsg *krait_curl_multi_info_read(CURLM *m, int *left) { return loaded() ? api.multi_info_read(m, left) : NULL; }
CURLMcode krait_curl_multi_cleanup(CURLM *m) { return loaded() ? api.multi_cleanup(m) : CURLM_INTERNAL_ERROR; }
const char *krait_curl_multi_strerror(CURLMcode code) {
  return loaded() ? api.multi_strerror(code) : unavailable;
}
CURLSH *krait_curl_share_init(void) { return loaded() ? api.share_init() : NULL; }
/* every CURLSHoption used by krait takes one long (CURL_LOCK_DATA_*) */
CURLSHcode krait_curl_share_setopt(CURLSH *s, CURLSHoption opt, ...) {
  if (!loaded())
    return CURLSHE_NOT_BUILT_IN;
  va_list ap;
  va_start(ap, opt);
  long v = va_arg(ap, long);
  va_end(ap);
  return api.share_setopt(s, opt, v);
}
CURLSHcode krait_curl_share_cleanup(CURLSH *s) { return loaded() ? api.share_cleanup(s) : CURLSHE_NOT_BUILT_IN; }
curl_version_info_data *krait_curl_version_info(CURLversion v) { return loaded() ? api.version_info(v) : NULL; }
