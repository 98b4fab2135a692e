// metrics.c — accuracy, rank-based AUROC, PGR, mean ± sample std (see metrics.h).
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

size_t metrics_argmax(const float *row, size_t K) {
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (row[k] > row[best]) best = k;
    return best;
}

double metrics_accuracy(const float *logits, const int32_t *labels, size_t N, size_t K) {
    size_t n = 0, right = 0;
    for (size_t i = 0; i < N; i++) {
        if (labels[i] < 0) continue;
        n++;
        right += metrics_argmax(logits + i * K, K) == (size_t)labels[i];
    }
    return n ? (double)right / (double)n : NAN;
}

// ---- AUROC

typedef struct {
    float score;
    int32_t label;
} scored;

static int cmp_scored(const void *a, const void *b) {
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

double metrics_auroc(const float *scores, const int32_t *labels, size_t N, const char **reason) {
    const char *why = NULL;
    double auc = NAN;
    scored *s = malloc((N ? N : 1) * sizeof *s);
    if (!s) {
        why = "out of memory";
        goto out;
    }
    size_t n = 0, n1 = 0;
    for (size_t i = 0; i < N; i++) {
        if (labels[i] < 0) continue;
        if (isnan(scores[i])) {
            why = "a score is NaN";
            goto out;
        }
        s[n].score = scores[i];
        s[n].label = labels[i] != 0;
        n1 += s[n].label;
        n++;
    }
    size_t n0 = n - n1;
    if (n0 == 0 || n1 == 0) {
        why = "AUROC is undefined: the examples hold only one class";
        goto out;
    }
    qsort(s, n, sizeof *s, cmp_scored);
    // Sum of the positives' ranks (1-based), each tie group sharing its average rank.
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, pos = 0;
        while (j < n && s[j].score == s[i].score) pos += (size_t)s[j++].label;
        rank_sum += (double)pos * 0.5 * (double)(i + 1 + j);  // mean of ranks i+1 .. j
        i = j;
    }
    double u = rank_sum - 0.5 * (double)n1 * (double)(n1 + 1);
    auc = u / ((double)n0 * (double)n1);
out:
    free(s);
    if (reason) *reason = why;
    return auc;
}

double metrics_auroc_logits(const float *logits, const int32_t *labels, size_t N,
                            const char **reason) {
    float *score = malloc((N ? N : 1) * sizeof *score);
    if (!score) {
        if (reason) *reason = "out of memory";
        return NAN;
    }
    for (size_t i = 0; i < N; i++) score[i] = logits[2 * i + 1] - logits[2 * i];
    double auc = metrics_auroc(score, labels, N, reason);
    free(score);
    return auc;
}

// ---- PGR and summaries

double metrics_pgr(double acc_weak, double acc_w2s, double acc_ceiling, const char **reason) {
    const char *why = NULL;
    double pgr = NAN;
    if (isnan(acc_weak) || isnan(acc_w2s) || isnan(acc_ceiling))
        why = "PGR is undefined: an accuracy is missing";
    else if (acc_ceiling <= acc_weak)
        why = "PGR is undefined: the strong ceiling does not beat the weak model";
    else
        pgr = (acc_w2s - acc_weak) / (acc_ceiling - acc_weak);
    if (reason) *reason = why;
    return pgr;
}

size_t metrics_mean_std(const double *x, size_t n, double *mean, double *std) {
    size_t m = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            m++;
        }
    *mean = m ? sum / (double)m : NAN;
    // Two passes (sum of squared deviations from the mean): no cancellation.
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *std = m >= 2 ? sqrt(ss / (double)(m - 1)) : NAN;
    return m;
}

double metrics_t975(size_t df) {
    // t_{0.975} for df = 1..30, the standard table (5 significant digits).
    static const double table[30] = {12.706, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                     2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                     2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (df == 0) return NAN;
    if (df <= 30) return table[df - 1];
    // Beyond the table, the first three terms of the Cornish–Fisher expansion around the normal
    // quantile z = 1.959964 are accurate to ~1e-5.
    const double z = 1.959963985, z3 = z * z * z, z5 = z3 * z * z, v = (double)df;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v);
}

double metrics_ci95_half(size_t m, double std) {
    return m >= 2 ? metrics_t975(m - 1) * std / sqrt((double)m) : NAN;
}
