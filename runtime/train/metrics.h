// metrics.h — evaluation numbers of the W2S protocol: accuracy, AUROC, PGR, mean ± std.
// Plain functions over arrays; not a results writer. Undefined quantities are NAN plus a
// reason string (never a made-up 0), so reports can print null and say why (docs/PROTOCOL.md).
#ifndef W2S_RUNTIME_METRICS_H
#define W2S_RUNTIME_METRICS_H

#include <stddef.h>
#include <stdint.h>

// argmax_k of row (K), ties → the lowest index (torch.argmax's rule).
size_t metrics_argmax(const float *row, size_t K);

// Fraction of examples whose argmax over logits (N, K) equals labels[i]. N == 0 → NAN.
// Examples with labels[i] < 0 (unlabeled) are skipped and not counted in N.
double metrics_accuracy(const float *logits, const int32_t *labels, size_t N, size_t K);

// Binary AUROC of scores (N) (higher = more likely class 1) against labels (N) in {0, 1}:
// the Mann–Whitney U statistic / (n0·n1), with tied scores given their average rank (a tie
// between a positive and a negative counts ½). Labels < 0 are skipped. Returns NAN and sets
// *reason when one class is absent (AUROC is undefined) or on allocation failure; *reason
// is NULL on success. reason may be NULL. Allocates N indices temporarily.
double metrics_auroc(const float *scores, const int32_t *labels, size_t N, const char **reason);

// AUROC of a binary classifier from its logits (N, 2), scored by z[i,1] − z[i,0]: the same
// order as p1 = softmax(z)[1], without the ties fp32 softmax creates when it saturates at 1.
double metrics_auroc_logits(const float *logits, const int32_t *labels, size_t N,
                            const char **reason);

// Performance gap recovered: (acc_w2s − acc_weak) / (acc_ceiling − acc_weak). When the
// ceiling does not beat the weak model (acc_ceiling ≤ acc_weak) or an input is NAN, returns
// NAN and sets *reason; otherwise *reason = NULL. reason may be NULL.
double metrics_pgr(double acc_weak, double acc_w2s, double acc_ceiling, const char **reason);

// Mean and sample standard deviation (divisor n − 1) of the non-NAN values of x (n), e.g.
// one metric over seeds where some seeds' PGR was undefined. Returns the count used;
// *mean = NAN when it is 0, *std = NAN when it is < 2.
size_t metrics_mean_std(const double *x, size_t n, double *mean, double *std);

// Student's t quantile t_{0.975, df} (df ≥ 1): the half-width of a two-sided 95% interval for a
// mean of n = df + 1 values is t · std / √n. Tabulated to df 30, then its Cornish–Fisher series.
double metrics_t975(size_t df);
// The 95% t interval's half-width for a mean of m values with sample std `std` (NAN for m < 2).
double metrics_ci95_half(size_t m, double std);

#endif
