// test_metrics.c — accuracy, AUROC, PGR and mean ± std against hand-computed values, the 95% t
// quantile against a numerically integrated t CDF, and AUROC against a brute-force pair count
// (ties = ½) on random data with many tied scores.
#include "test_main.h"

#include <math.h>
#include <string.h>

#include "metrics.h"
#include "rng.h"

// Exact rationals computed in double (sums of halves, one division): 1e-12 is generous.
#define TOL_EXACT 1e-12
// A spread of 1 on values near 1e9: double's ulp there is 1.2e-7 relative to 1e9 ≈ 1e-7
// absolute per value, so the two-pass std is exact to ~1e-9 where a one-pass sum loses it all.
#define TOL_LARGE_OFFSET 1e-9

static void test_accuracy(void **state) {
    (void)state;
    // Rows: argmax 1, 0, 0 (tie 0/1 → lowest), 2, and one unlabeled row (skipped).
    const float logits[5 * 3] = {0, 2, 1, 3, 1, 1, 5, 5, 0, -1, -2, 0, 9, 0, 0};
    const int32_t labels[5] = {1, 1, 0, 2, -1};
    assert_true(fabs(metrics_accuracy(logits, labels, 5, 3) - 0.75) < TOL_EXACT);
    assert_int_equal(metrics_argmax(logits + 6, 3), 0);
    assert_true(isnan(metrics_accuracy(logits, labels, 0, 3)));
}

static void test_auroc_hand(void **state) {
    (void)state;
    const char *why = "unset";
    // Positives 0.35, 0.8 vs negatives 0.1, 0.4: 3 of 4 pairs ordered right.
    const float s[4] = {0.1f, 0.4f, 0.35f, 0.8f};
    const int32_t y[4] = {0, 0, 1, 1};
    assert_true(fabs(metrics_auroc(s, y, 4, &why) - 0.75) < TOL_EXACT);
    assert_null(why);
    // All tied: ½. Perfect: 1. Reversed: 0. Unlabeled entries skipped.
    const float tie[3] = {0.5f, 0.5f, 0.5f};
    const int32_t yt[3] = {0, 1, 1};
    assert_true(fabs(metrics_auroc(tie, yt, 3, NULL) - 0.5) < TOL_EXACT);
    const float sp[5] = {0.1f, 0.2f, 0.9f, 0.8f, 100.0f};
    const int32_t yp[5] = {0, 0, 1, 1, -1};
    assert_true(fabs(metrics_auroc(sp, yp, 5, NULL) - 1.0) < TOL_EXACT);
    const int32_t yr[5] = {1, 1, 0, 0, -1};
    assert_true(fabs(metrics_auroc(sp, yr, 5, NULL) - 0.0) < TOL_EXACT);
    // One class only: undefined, with the reason.
    const int32_t y1[3] = {1, 1, 1};
    assert_true(isnan(metrics_auroc(tie, y1, 3, &why)));
    assert_non_null(why);
    assert_non_null(strstr(why, "only one class"));
    const float sn[2] = {NAN, 0.5f};
    const int32_t yn[2] = {0, 1};
    assert_true(isnan(metrics_auroc(sn, yn, 2, &why)));
    assert_non_null(why);
}

static void test_auroc_brute_force(void **state) {
    (void)state;
    enum { N = 400 };
    float s[N];
    int32_t y[N];
    rng r;
    for (uint64_t seed = 0; seed < 10; seed++) {
        rng_seed(&r, seed);
        size_t levels = 2 + seed * 3;  // few distinct scores → many ties across classes
        for (size_t i = 0; i < N; i++) {
            y[i] = rng_uniform_f32(&r) < 0.3f + 0.04f * (float)seed;
            // Scores correlated with the label so the AUROC is far from ½.
            size_t lv = (size_t)rng_below(&r, levels) + (y[i] ? levels / 2 : 0);
            s[i] = (float)lv * 0.25f;
            if (i % 17 == 0) y[i] = -1;
        }
        double good = 0;
        size_t n0 = 0, n1 = 0;
        for (size_t i = 0; i < N; i++) {
            if (y[i] < 0) continue;
            n0 += y[i] == 0;
            n1 += y[i] == 1;
            if (y[i] != 1) continue;
            for (size_t j = 0; j < N; j++)
                if (y[j] == 0) good += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
        double want = good / ((double)n0 * (double)n1);
        const char *why;
        double got = metrics_auroc(s, y, N, &why);
        assert_null(why);
        if (fabs(got - want) > TOL_EXACT)
            fail_msg("seed %d: auroc %.15g, brute force %.15g", (int)seed, got, want);
    }
}

static void test_auroc_logits(void **state) {
    (void)state;
    // Margins 40 and 60 both saturate fp32 softmax to p1 = 1 (a tie), but their logit
    // differences keep the order: positives at margins 60 and 1, negatives at 40 and −3.
    const float z[4 * 2] = {0, 40, 0, 60, 2, 3, 3, 0};
    const int32_t y[4] = {0, 1, 1, 0};
    const char *why = "unset";
    assert_true(fabs(metrics_auroc_logits(z, y, 4, &why) - 0.75) < TOL_EXACT);
    assert_null(why);
}

static void test_pgr(void **state) {
    (void)state;
    const char *why = "unset";
    assert_true(fabs(metrics_pgr(0.6, 0.7, 0.8, &why) - 0.5) < TOL_EXACT);
    assert_null(why);
    assert_true(fabs(metrics_pgr(0.6, 0.5, 0.8, NULL) + 0.5) < TOL_EXACT);   // worse than weak
    assert_true(fabs(metrics_pgr(0.6, 0.9, 0.8, NULL) - 1.5) < TOL_EXACT);   // beats the ceiling
    assert_true(isnan(metrics_pgr(0.8, 0.7, 0.8, &why)));                     // ceiling = weak
    assert_non_null(strstr(why, "does not beat the weak model"));
    assert_true(isnan(metrics_pgr(0.8, 0.7, 0.75, &why)));                    // ceiling < weak
    assert_non_null(why);
    assert_true(isnan(metrics_pgr(NAN, 0.7, 0.75, &why)));
    assert_non_null(strstr(why, "missing"));
}

static void test_mean_std(void **state) {
    (void)state;
    double mean, std;
    const double x[6] = {1, NAN, 2, 3, 4, NAN};
    assert_int_equal(metrics_mean_std(x, 6, &mean, &std), 4);
    assert_true(fabs(mean - 2.5) < TOL_EXACT);
    assert_true(fabs(std - sqrt(5.0 / 3.0)) < TOL_EXACT);  // Σ(x−2.5)² = 5, over n−1 = 3
    assert_int_equal(metrics_mean_std(x, 1, &mean, &std), 1);
    assert_true(mean == 1.0 && isnan(std));
    assert_int_equal(metrics_mean_std(x + 1, 1, &mean, &std), 0);
    assert_true(isnan(mean) && isnan(std));
    // Large offset: the two-pass formula keeps the small spread exact.
    const double big[3] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    metrics_mean_std(big, 3, &mean, &std);
    assert_true(fabs(std - 1.0) < TOL_LARGE_OFFSET);
}

// Student's t CDF by Simpson's rule on its density (normalized with lgamma): written from the
// definition, so the table and the series in metrics.c are checked, not copied.
static double t_cdf(double t, double v) {
    const double c = exp(lgamma((v + 1) / 2) - lgamma(v / 2)) / sqrt(v * M_PI);
    const int n = 20000;  // even
    const double h = t / n;
    double sum = 0;
    for (int i = 0; i <= n; i++) {
        double x = i * h, f = c * pow(1 + x * x / v, -(v + 1) / 2);
        sum += f * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
    }
    return 0.5 + sum * h / 3;
}

static void test_t975(void **state) {
    (void)state;
    const size_t dfs[] = {1, 2, 3, 5, 9, 10, 19, 29, 30, 31, 40, 63, 100, 1000};
    for (size_t i = 0; i < sizeof dfs / sizeof dfs[0]; i++) {
        double t = metrics_t975(dfs[i]), p = t_cdf(t, (double)dfs[i]);
        if (fabs(p - 0.975) > 2e-5) fail_msg("df %zu: t %.5f has CDF %.7f, not 0.975", dfs[i], t, p);
    }
    assert_true(isnan(metrics_t975(0)));
    // 3 values with std 1: 4.3027 / sqrt(3); one value: no interval.
    assert_true(fabs(metrics_ci95_half(3, 1.0) - 4.3027 / sqrt(3.0)) < TOL_EXACT);
    assert_true(isnan(metrics_ci95_half(1, 0.5)));
}

W2S_TEST_MAIN(NULL, NULL, test_t975, test_accuracy, test_auroc_hand, test_auroc_brute_force, test_auroc_logits, test_pgr,
              test_mean_std)
