/* krait/fetch_pkg.h: the libcurl downloader, alone and behind
 * krait_cache_prepare, against a tiny HTTP server on 127.0.0.1 run by the test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "harness.h"
#include "archive_fixtures.h"

#include <string.h>

#include "krait/cache.h"
#include "krait/fetch_pkg.h"

static char *g_tmp, *g_root;
static int g_listen = -1;
static int g_requests;

/* Serves GET /<path> from g_root: 200 with the file, else 404. One request
 * per connection; stops when the listening socket is shut down. */
static void *serve(void *arg) {
  (void)arg;
  for (;;) {
    int c = accept(g_listen, NULL, NULL);
    if (c < 0)
      return NULL;
    char req[4096];
    ssize_t n = recv(c, req, sizeof req - 1, 0);
    req[n > 0 ? n : 0] = 0;
    __atomic_add_fetch(&g_requests, 1, __ATOMIC_SEQ_CST);
    char path[1024] = "";
    sscanf(req, "GET %1000s", path);
    char *file = krait_asprintf("%s%s", g_root, path);
    krait_buf body = KRAIT_BUF_INIT;
    bool found = strstr(path, "..") == NULL && krait_read_file(file, &body, NULL) == KRAIT_OK;
    char *head = found ? krait_asprintf("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", body.len)
                       : krait_strdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    ssize_t w = send(c, head, strlen(head), MSG_NOSIGNAL);
    if (found && w > 0)
      w = send(c, body.data, body.len, MSG_NOSIGNAL);
    (void)w;
    free(head);
    krait_buf_free(&body);
    free(file);
    close(c);
  }
}

static int start_server(pthread_t *tid) {
  g_listen = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (g_listen < 0 || bind(g_listen, (struct sockaddr *)&a, sizeof a) != 0 || listen(g_listen, 16) != 0)
    return -1;
  socklen_t len = sizeof a;
  getsockname(g_listen, (struct sockaddr *)&a, &len);
  pthread_create(tid, NULL, serve, NULL);
  return ntohs(a.sin_port);
}

static void fill_record(krait_record *r, const char *fn, const char *url) {
  krait_record_init(r);
  r->name = krait_strdup("web");
  r->version = krait_strdup("1.0");
  r->build = krait_strdup("0");
  r->fn = krait_strdup(fn);
  r->url = krait_strdup(url);
  r->channel = krait_strdup("http://127.0.0.1");
  r->subdir = krait_strdup("noarch");
  char *path = krait_asprintf("%s/noarch/%s", g_root, fn);
  char hex[65];
  if (krait_file_digest(path, "sha256", hex, sizeof hex, NULL) == KRAIT_OK)
    r->sha256 = krait_strdup(hex);
  struct stat sb;
  r->size = stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
  free(path);
}

int main(void) {
  setenv("no_proxy", "127.0.0.1", 1); /* never route the local server through a proxy */
  setenv("NO_PROXY", "127.0.0.1", 1);
  g_tmp = ax_tmpdir("fetch");
  g_root = krait_asprintf("%s/www", g_tmp);
  char *noarch = krait_asprintf("%s/noarch", g_root);
  krait_mkdir_p(noarch, 0755, NULL);
  char *archive = krait_asprintf("%s/web-1.0-0.conda", noarch);
  ax_entry info[] = {{"info/index.json", 'f', "{\"name\":\"web\",\"version\":\"1.0\",\"build\":\"0\"}", 0, 0}};
  ax_entry pkg[] = {{"bin/web", 'f', "#!/bin/sh\n", 0755, 0}};
  ax_make_conda(archive, "web-1.0-0", NULL, info, 1, pkg, 1);

  krait_err err = {0};
  /* the downloader speaks http(s) only: file:// is the cache's own business */
  char *dest = krait_asprintf("%s/copy.conda", g_tmp);
  char *url = krait_asprintf("file://%s", archive);
  CHECK(krait_fetch_pkg_download(NULL, NULL, url, dest, &err) == KRAIT_E_NET && strstr(err.msg, "web-1.0-0.conda"),
        "file url refused: %s", err.msg);
  char a[65] = "", b[65] = "";
  krait_file_digest(archive, "sha256", a, sizeof a, NULL);
  free(url);

  pthread_t tid;
  int port = start_server(&tid);
  CHECK(port > 0, "could not start the test HTTP server");
  if (port > 0) {
    url = krait_asprintf("http://127.0.0.1:%d/noarch/web-1.0-0.conda", port);
    unlink(dest);
    CHECK(krait_fetch_pkg_download(NULL, NULL, url, dest, &err) == KRAIT_OK, "http: %s", err.msg);
    krait_file_digest(dest, "sha256", b, sizeof b, NULL);
    CHECK_STR(b, a);
    char *missing = krait_asprintf("http://127.0.0.1:%d/noarch/gone-1-0.conda", port);
    CHECK(krait_fetch_pkg_download(NULL, NULL, missing, dest, &err) == KRAIT_E_NOTFOUND && strstr(err.msg, "404"),
          "http 404: %s", err.msg);
    free(missing);

    /* through the cache */
    char *pkgs = krait_asprintf("%s/pkgs", g_tmp);
    krait_ctx *ctx = krait_ctx_new();
    ctx->remote_backoff_factor = 0.001; /* the bad-sha256 case retries; do not wait */
    krait_strv_free(&ctx->pkgs_dirs);
    krait_strv_push(&ctx->pkgs_dirs, pkgs);
    ctx->offline = false;
    ctx->use_lockfiles = true;
    krait_cache_fetcher f = krait_fetch_pkg_fetcher();
    krait_record r;
    fill_record(&r, "web-1.0-0.conda", url);
    char *out = NULL;
    CHECK(krait_cache_prepare(ctx, &r, 1, &f, &out, &err) == KRAIT_OK && out, "prepare over http: %s", err.msg);
    char *bin = out ? krait_asprintf("%s/bin/web", out) : NULL;
    CHECK(bin && krait_path_exists(bin), "extracted file missing");
    free(bin);
    free(out);
    /* a wrong sha256 over http: refused, nothing left */
    char *pkgs2 = krait_asprintf("%s/pkgs2", g_tmp);
    krait_strv_free(&ctx->pkgs_dirs);
    krait_strv_push(&ctx->pkgs_dirs, pkgs2);
    free(r.sha256);
    r.sha256 = krait_strdup("abababababababababababababababababababababababababababababababab");
    out = NULL;
    krait_code rc = krait_cache_prepare(ctx, &r, 1, &f, &out, &err);
    CHECK(rc == KRAIT_E_CHECKSUM && strstr(err.msg, "web-1.0-0.conda") && strstr(err.msg, a), "bad sha: %s", err.msg);
    CHECK(ax_count_named(pkgs2, "web") == 0, "bad download left files");
    krait_record_free(&r);
    krait_ctx_free(ctx);
    free(pkgs2);
    free(pkgs);
    free(url);
    shutdown(g_listen, SHUT_RDWR);
    close(g_listen);
    pthread_join(tid, NULL);
    CHECK(g_requests >= 4, "server saw %d requests", g_requests);
  }
  krait_rm_rf(g_tmp, NULL);
  free(dest);
  free(archive);
  free(noarch);
  free(g_root);
  free(g_tmp);
  return krait_test_finish("fetch_pkg");
}
