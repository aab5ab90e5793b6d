/* Checkpoints: interrupt requests in every build, injected faults and pauses in test builds. */
#include "krait/checkpoint.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupt_signal;

void krait_interrupt_request(int signo) { interrupt_signal = signo; }

int krait_interrupted(void) { return (int)interrupt_signal; }

static krait_code interrupted_error(const char *step, krait_err *err) {
  int sig = (int)interrupt_signal;
  return krait_err_set(err, KRAIT_E_CANCELLED, "interrupted by %s (at step %s)",
                       sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal", step);
}

#ifndef KRAIT_TEST_HOOKS

bool krait_test_hooks_enabled(void) { return false; }

krait_code krait_checkpoint(const char *step, krait_err *err) {
  return interrupt_signal ? interrupted_error(step, err) : KRAIT_OK;
}

#else /* test builds: KRAIT_TEST_FAIL_AT / KRAIT_TEST_PAUSE_AT */

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct hook {
  char step[64];
  long nth;       /* which pass triggers (1-based); 0 = hook unset */
  int fail_errno; /* 0 = a plain injected failure */
  atomic_long passes;
} hook;

static hook fail_hook, pause_hook;
static const char *pause_fifo;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static const struct {
  const char *name;
  int value;
} errno_names[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EACCES", EACCES}, {"EDQUOT", EDQUOT},
                   {"EROFS", EROFS},   {"EPERM", EPERM}, {"ENOMEM", ENOMEM}};

/* "<step>[:<n>[:<errno-name>]]" */
static void parse_hook(const char *spec, hook *h) {
  if (!spec || !*spec)
    return;
  size_t n = strcspn(spec, ":");
  if (n == 0 || n >= sizeof h->step)
    return;
  memcpy(h->step, spec, n);
  h->step[n] = '\0';
  h->nth = 1;
  if (spec[n] == ':') {
    char *end;
    long v = strtol(spec + n + 1, &end, 10);
    if (v > 0)
      h->nth = v;
    if (*end == ':')
      for (size_t i = 0; i < sizeof errno_names / sizeof *errno_names; i++)
        if (strcmp(end + 1, errno_names[i].name) == 0)
          h->fail_errno = errno_names[i].value;
  }
  atomic_init(&h->passes, 0);
}

static void load_hooks(void) {
  parse_hook(getenv("KRAIT_TEST_FAIL_AT"), &fail_hook);
  parse_hook(getenv("KRAIT_TEST_PAUSE_AT"), &pause_hook);
  pause_fifo = getenv("KRAIT_TEST_PAUSE_FIFO");
}

static bool hits(hook *h, const char *step) {
  return h->nth && strcmp(h->step, step) == 0 && atomic_fetch_add(&h->passes, 1) + 1 == h->nth;
}

/* Tells the test where we are, then waits for its go-ahead (both through the FIFO). */
static void pause_here(const char *step) {
  if (!pause_fifo)
    return;
  int fd = open(pause_fifo, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  char line[128];
  int n = snprintf(line, sizeof line, "%s %ld\n", step, (long)getpid());
  ssize_t w = write(fd, line, (size_t)n);
  (void)w;
  close(fd);
  if (interrupt_signal)
    return; /* asked to stop meanwhile: do it rather than wait for the go-ahead */
  fd = open(pause_fifo, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') {
  }
  close(fd);
}

bool krait_test_hooks_enabled(void) { return true; }

krait_code krait_checkpoint(const char *step, krait_err *err) {
  pthread_once(&hooks_once, load_hooks);
  if (hits(&pause_hook, step))
    pause_here(step);
  if (interrupt_signal)
    return interrupted_error(step, err);
  if (hits(&fail_hook, step)) {
    if (fail_hook.fail_errno) {
      errno = fail_hook.fail_errno;
      return krait_err_errno(err, KRAIT_E_IO, "injected failure at step %s (pass %ld)", step, fail_hook.nth);
    }
    return krait_err_set(err, KRAIT_E_IO, "injected failure at step %s (pass %ld)", step, fail_hook.nth);
  }
  return KRAIT_OK;
}

#endif
