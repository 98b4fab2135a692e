// cli_stats.h — order statistics for the bench and profile commands' repeated timings.
#ifndef W2S_CLI_STATS_H
#define W2S_CLI_STATS_H

#include <stddef.h>

// Sorts v[0..n) ascending.
void cli_sort(double *v, size_t n);
// The median of v[0..n) (n >= 1; the mean of the middle two when n is even); sorts v.
double cli_median(double *v, size_t n);

#endif
