/* Private: a tiny fork-join thread pool. Runs fn(user, i) for every i in
 * [0, n) on up to `threads` threads (the calling thread included) and
 * returns when all are done. Work items are taken in index order. */
#ifndef KRAIT_POOL_INT_H
#define KRAIT_POOL_INT_H

#include <stddef.h>

typedef void (*krait_pool_fn)(void *user, size_t index);

void krait_pool_run(int threads, size_t n, krait_pool_fn fn, void *user);

#endif
