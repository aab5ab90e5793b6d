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
CURLM *krait_curl_multi_init(void);
CURLMcode krait_curl_multi_setopt(CURLM *m, CURLMoption opt, ...);
CURLMcode krait_curl_multi_add_handle(CURLM *m, CURL *c);
CURLMcode krait_curl_multi_remove_handle(CURLM *m, CURL *c);
CURLMcode krait_curl_multi_perform(CURLM *m, int *running);
CURLMcode krait_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms, int *numfds);
CURLMsg *krait_curl_multi_info_read(CURLM *m, int *left);
CURLMcode krait_curl_multi_cleanup(CURLM *m);
const char *krait_curl_multi_strerror(CURLMcode code);
CURLSH *krait_curl_share_init(void);
CURLSHcode krait_curl_share_setopt(CURLSH *s, CURLSHoption opt, ...);
CURLSHcode krait_curl_share_cleanup(CURLSH *s);
curl_version_info_data *krait_curl_version_info(CURLversion v);
/* NULL when libcurl is loaded, else why not (static string). */
const char *krait_curl_unavailable(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt
#define curl_global_init krait_curl_global_init
#define curl_easy_init krait_curl_easy_init
#define curl_easy_setopt krait_curl_easy_setopt
#define curl_easy_perform krait_curl_easy_perform
#define curl_easy_getinfo krait_curl_easy_getinfo
#define curl_easy_cleanup krait_curl_easy_cleanup
#define curl_easy_strerror krait_curl_easy_strerror
#define curl_slist_append krait_curl_slist_append
#define curl_slist_free_all krait_curl_slist_free_all
#define curl_multi_init krait_curl_multi_init
#define curl_multi_setopt krait_curl_multi_setopt
#define curl_multi_add_handle krait_curl_multi_add_handle
#define curl_multi_remove_handle krait_curl_multi_remove_handle
#define curl_multi_perform krait_curl_multi_perform
#define curl_multi_poll krait_curl_multi_poll
#define curl_multi_info_read krait_curl_multi_info_read
#define curl_multi_cleanup krait_curl_multi_cleanup
#define curl_multi_strerror krait_curl_multi_strerror
#define curl_share_init krait_curl_share_init
#define curl_share_setopt krait_curl_share_setopt
#define curl_share_cleanup krait_curl_share_cleanup
#define curl_version_info krait_curl_version_info

#endif
