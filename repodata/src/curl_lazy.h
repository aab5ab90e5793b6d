/* libcurl, loaded on first use instead of at every krait start.
 *
 * The shared libcurl drags ~25 libraries (TLS, Kerberos, LDAP, SSH, IDN,
 * brotli...) into the process; loading and relocating them was a third of a
 * warm `krait create` that never touches the network (file:// channels,
 * cached repodata, packages already in the cache). fetch.c and fetch_pkg.c
 * include this header after <curl/curl.h>: the curl_* calls they make become
 * krait_curl_* wrappers that dlopen libcurl.so.4 once (thread-safe) and
 * forward. When it cannot be loaded, curl_global_init fails with
 * CURLE_FAILED_INIT, curl_easy_init returns NULL and krait_curl_unavailable()
 * says why. Internal to the repodata library. */
#ifndef KRAIT_CURL_LAZY_H
#define KRAIT_CURL_LAZY_H

#include <curl/curl.h>

CURLcode krait_curl_global_init(long flags);
CURL *krait_curl_easy_init(void);
CURLcode krait_curl_easy_setopt(CURL *c, CURLoption opt, ...);
CURLcode krait_curl_easy_perform(CURL *c);
CURLcode krait_curl_easy_getinfo(CURL *c, CURLINFO info, ...);
void krait_curl_easy_cleanup(CURL *c);
const char *krait_curl_easy_strerror(CURLcode code);
struct curl_slist *krait_curl_slist_append(struct curl_slist *list, const char *s);
void krait_curl_slist_free_all(struct curl_slist *list);
/* NULL when libcurl is loaded, else why not (static string). */
const char *krait_curl_unavailable(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init krait_curl_global_init
#define curl_easy_init krait_curl_easy_init
#define curl_easy_setopt krait_curl_easy_setopt
#define curl_easy_perform krait_curl_easy_perform
#define curl_easy_getinfo krait_curl_easy_getinfo
#define curl_easy_cleanup krait_curl_easy_cleanup
#define curl_easy_strerror krait_curl_easy_strerror
#define curl_slist_append krait_curl_slist_append
#define curl_slist_free_all krait_curl_slist_free_all

#endif
