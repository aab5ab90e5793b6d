/* The terminal progress display (see progress.h). Library callbacks arrive
 * from the download loop and from extraction threads at once: everything
 * goes through one mutex, and the screen is redrawn at most every 100 ms. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "krait/buf.h"

#define MAX_SHOWN 6       /* download lines at once; the rest are summed up */
#define REDRAW_SECS 0.1

typedef struct dl {
  char *item;
  double done, total, start;
  bool finished;
} dl;

static struct {
  pthread_mutex_t mu;
  bool enabled;
  dl *dls;
  size_t n_dls, cap;
  double fetched, fetch_total, extracted, extract_total, linked, link_total;
  double started, last_draw;
  int lines_on_screen;
  bool anything;
} P = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(char *out, size_t cap, double b) {
  const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    u++;
  }
  snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static int term_width(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    return ws.ws_col;
  return 80;
}

/* Moves back over what was drawn and clears it. Caller holds the lock. */
static void erase_locked(krait_buf *out) {
  if (P.lines_on_screen > 0)
    krait_buf_printf(out, "\r\033[%dA\033[J", P.lines_on_screen);
  P.lines_on_screen = 0;
}

static void line(krait_buf *out, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(krait_buf *out, int width, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if ((int)strlen(text) >= width)
    text[width - 1] = 0; /* never wrap: the cursor arithmetic counts lines */
  krait_buf_printf(out, "%s\n", text);
  P.lines_on_screen++;
}

static void draw_locked(void) {
  krait_buf out = KRAIT_BUF_INIT;
  erase_locked(&out);
  int width = term_width();
  double t = now();
  size_t shown = 0, waiting = 0;
  double all_done = 0;
  for (size_t i = 0; i < P.n_dls; i++) {
    dl *d = &P.dls[i];
    all_done += d->done;
    if (d->finished)
      continue;
    if (shown == MAX_SHOWN) {
      waiting++;
      continue;
    }
    shown++;
    char done[32], total[32], rate[32], eta[32] = "";
    human_bytes(done, sizeof done, d->done);
    human_bytes(total, sizeof total, d->total);
    double secs = t - d->start;
    double r = secs > 0.05 ? d->done / secs : 0;
    human_bytes(rate, sizeof rate, r);
    if (r > 0 && d->total > d->done)
      snprintf(eta, sizeof eta, "  ETA %.0fs", (d->total - d->done) / r);
    line(&out, width, "  %-36.36s %9s / %-9s %9s/s%s", d->item, done, d->total > 0 ? total : "?", rate, eta);
  }
  if (waiting)
    line(&out, width, "  ... and %zu more", waiting);
  char sum[32], rate[32];
  human_bytes(sum, sizeof sum, all_done);
  human_bytes(rate, sizeof rate, t > P.started ? all_done / (t - P.started) : 0);
  if (P.fetch_total > 0 || P.n_dls)
    line(&out, width, "Downloaded %.0f/%.0f packages, %s (%s/s)", P.fetched, P.fetch_total, sum, rate);
  if (P.extract_total > 0)
    line(&out, width, "Extracted  %.0f/%.0f", P.extracted, P.extract_total);
  if (P.link_total > 0)
    line(&out, width, "Linked     %.0f/%.0f", P.linked, P.link_total);
  fwrite(out.data, 1, out.len, stderr);
  fflush(stderr);
  krait_buf_free(&out);
  P.last_draw = t;
}

/* The line of `item` (file names are unique within a transaction; a
 * "repodata.json" of the next subdir restarts the finished line). */
static dl *find_dl(const char *item, double done) {
  for (size_t i = 0; i < P.n_dls; i++) {
    dl *d = &P.dls[i];
    if (strcmp(d->item, item) != 0)
      continue;
    if (d->finished && done < d->done) {
      d->finished = false;
      d->start = now();
    }
    return d;
  }
  if (P.n_dls == P.cap) {
    P.cap = P.cap ? 2 * P.cap : 16;
    P.dls = realloc(P.dls, P.cap * sizeof *P.dls);
    if (!P.dls)
      abort();
  }
  dl *d = &P.dls[P.n_dls++];
  memset(d, 0, sizeof *d);
  d->item = krait_strdup(item);
  d->start = now();
  return d;
}

static void on_progress(void *user, const char *task, const char *item, double done, double total) {
  (void)user;
  pthread_mutex_lock(&P.mu);
  if (!P.anything)
    P.started = now();
  P.anything = true;
  bool force = false;
  if (strcmp(task, "download") == 0 && item) {
    dl *d = find_dl(item, done);
    d->done = done;
    d->total = total;
    if (total > 0 && done >= total) {
      d->finished = true;
      force = true;
    }
  } else if (strcmp(task, "fetch") == 0) {
    P.fetched = done;
    P.fetch_total = total;
    for (size_t i = 0; item && i < P.n_dls; i++)
      if (strcmp(P.dls[i].item, item) == 0)
        P.dls[i].finished = true;
    force = true;
  } else if (strcmp(task, "extract") == 0) {
    P.extracted = done;
    P.extract_total = total;
  } else if (strcmp(task, "link") == 0 || strcmp(task, "unlink") == 0) {
    P.linked = done + 1;
    P.link_total = total;
    force = done + 1 >= total;
  }
  if (force || now() - P.last_draw >= REDRAW_SECS)
    draw_locked();
  pthread_mutex_unlock(&P.mu);
}

void cli_progress_attach(krait_ctx *ctx, bool quiet, bool json) {
  if (quiet || json || !isatty(STDERR_FILENO))
    return;
  const char *term = getenv("TERM");
  if (term && strcmp(term, "dumb") == 0)
    return;
  P.enabled = true;
  ctx->on_progress = on_progress;
}

void cli_progress_clear(void) {
  if (!P.enabled)
    return;
  pthread_mutex_lock(&P.mu);
  krait_buf out = KRAIT_BUF_INIT;
  erase_locked(&out);
  fwrite(out.data, 1, out.len, stderr);
  krait_buf_free(&out);
  pthread_mutex_unlock(&P.mu);
}

void cli_progress_finish(void) {
  if (!P.enabled)
    return;
  pthread_mutex_lock(&P.mu);
  krait_buf out = KRAIT_BUF_INIT;
  erase_locked(&out);
  if (P.anything && (P.fetch_total > 0 || P.link_total > 0)) {
    double all = 0;
    for (size_t i = 0; i < P.n_dls; i++)
      all += P.dls[i].done;
    char sum[32];
    human_bytes(sum, sizeof sum, all);
    krait_buf_printf(&out, "Downloaded %.0f packages (%s), extracted %.0f, linked %.0f in %.1f s\n", P.fetched, sum,
                     P.extracted, P.linked, now() - P.started);
  }
  fwrite(out.data, 1, out.len, stderr);
  fflush(stderr);
  krait_buf_free(&out);
  for (size_t i = 0; i < P.n_dls; i++)
    free(P.dls[i].item);
  free(P.dls);
  P.dls = NULL;
  P.n_dls = P.cap = 0;
  P.anything = false;
  pthread_mutex_unlock(&P.mu);
}
