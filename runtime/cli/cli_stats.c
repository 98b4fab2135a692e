// cli_stats.c — order statistics for repeated timings (cli_stats.h).
#include "cli_stats.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void cli_sort(double *v, size_t n) { qsort(v, n, sizeof *v, cmp_double); }

double cli_median(double *v, size_t n) {
    cli_sort(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
