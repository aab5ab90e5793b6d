#include "pool_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "krait/buf.h"
#include "krait/extract.h"

typedef struct pool {
  atomic_size_t next;
  size_t n;
  krait_pool_fn fn;
  void *user;
} pool;

static void *worker(void *arg) {
  pool *p = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n)
      break;
    p->fn(p->user, i);
  }
  return NULL;
}

int krait_thread_count(int configured) {
  if (configured > 0)
    return configured;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? (int)cores : 1;
}

void krait_pool_run(int threads, size_t n, krait_pool_fn fn, void *user) {
  pool p = {.n = n, .fn = fn, .user = user};
  atomic_init(&p.next, 0);
  if (threads < 1)
    threads = 1;
  if ((size_t)threads > n)
    threads = n ? (int)n : 1;
  pthread_t *tids = krait_calloc((size_t)threads, sizeof *tids);
  int started = 0;
  /* threads-1 helpers; the caller is the last worker. A failed
   * pthread_create just means fewer helpers: the work still gets done. */
  for (int t = 1; t < threads; t++)
    if (pthread_create(&tids[started], NULL, worker, &p) == 0)
      started++;
  worker(&p);
  for (int t = 0; t < started; t++)
    pthread_join(tids[t], NULL);
  free(tids);
}
