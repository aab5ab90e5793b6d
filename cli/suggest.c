/* "did you mean ...?": the nearest known word to a mistyped command or option. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Optimal string alignment distance (Levenshtein plus swapped neighbours,
 * the commonest typo). Words here are short: a small fixed table suffices. */
static size_t distance(const char *a, const char *b) {
  enum { MAX = 40 };
  size_t la = strlen(a), lb = strlen(b);
  if (la >= MAX || lb >= MAX)
    return (size_t)-1;
  size_t d[MAX + 1][MAX + 1];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best)
        best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *cli_nearest(const char *word, const char *const *candidates, size_t n) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    size_t d = distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  /* a typo, not another word: up to 1 edit for short words, a third of the length for longer */
  size_t len = strlen(word);
  size_t allowed = len <= 4 ? 1 : len / 3 + 1;
  if (allowed > 3)
    allowed = 3;
  return best && best_d <= allowed ? best : NULL;
}
