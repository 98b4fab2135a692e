// test_loss.c — xent / logconf / product: hand-computed batches (threshold ties, q = 0 and 1,
// one-class batches, multi-class argmax ties, warm-up ramp, a given threshold, the all-zero
// product row), and finite-difference gradient checks against xent(z, T) with T = the loss's
// target computed independently here in double and held fixed (the formulas say targets carry
// no gradient).
#include "test_main.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "loss.h"
#include "rng.h"

// Loss values are fp32 sums of K ≤ 8 terms of size ≤ ~10: a few fp32 ulps of 10.
#define TOL_LOSS 2e-6
// Analytic gradients are fp32 (p·Σt − t)/B with p from expf: ~1e-7 absolute.
#define TOL_GRAD 1e-6
// Central differences in double of the double reference with h = 1e-4: truncation error
// ~h²·|f'''| ≈ 1e-8, far below the fp32 gradient's own error, so TOL_GRAD-sized gaps
// are the C code's rounding, anything larger is a wrong formula.
#define FD_STEP 1e-4
#define TOL_FD 2e-6
// A loss of ~2000 (logits ±1000) in fp32: its ulp is 1.2e-4, so 1e-3 is a few ulps.
#define TOL_LOSS_LARGE 1e-3

// ---- double-precision reference pieces (written from docs/PROTOCOL.md, not from loss.c)

static void softmax_d(const float *z, size_t K, double *p) {
    double m = z[0], s = 0;
    for (size_t k = 1; k < K; k++) m = z[k] > m ? z[k] : m;
    for (size_t k = 0; k < K; k++) s += exp(z[k] - m);
    for (size_t k = 0; k < K; k++) p[k] = exp(z[k] - m) / s;
}

// mean_b −Σ t log softmax(z) in double, z given as double.
static double xent_d(const double *z, const double *t, size_t B, size_t K) {
    double sum = 0;
    for (size_t b = 0; b < B; b++) {
        double m = z[b * K], s = 0;
        for (size_t k = 1; k < K; k++) m = z[b * K + k] > m ? z[b * K + k] : m;
        for (size_t k = 0; k < K; k++) s += exp(z[b * K + k] - m);
        for (size_t k = 0; k < K; k++) sum -= t[b * K + k] * (z[b * K + k] - m - log(s));
    }
    return sum / (double)B;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// numpy/torch 'linear' quantile in double: sorted v, rank q(n−1), (1−w)·v[lo] + w·v[hi].
static double quantile_d(const double *v, size_t n, double q) {
    double *s = malloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_d);
    double r = q * (double)(n - 1);
    size_t lo = (size_t)floor(r), hi = (size_t)ceil(r);
    double out = s[lo] + (r - (double)lo) * (s[hi] - s[lo]);
    free(s);
    return out;
}

// logconf target (B, K) at z: (1−α)y + α·ŷ.
static void logconf_target_d(const float *z, const float *y, size_t B, size_t K, double alpha,
                             double *t, size_t *cls_out) {
    double p[16], p0[256];
    double q = 0;
    for (size_t b = 0; b < B; b++) q += y[b * K + 1];
    q /= (double)B;
    for (size_t b = 0; b < B; b++) {
        softmax_d(z + b * K, K, p);
        p0[b] = p[0];
    }
    double thr = K == 2 ? quantile_d(p0, B, q) : 0;
    for (size_t b = 0; b < B; b++) {
        softmax_d(z + b * K, K, p);
        size_t cls = 0;
        if (K == 2)
            cls = p[0] >= thr ? 0 : 1;
        else
            for (size_t k = 1; k < K; k++)
                if (p[k] > p[cls]) cls = k;
        if (cls_out) cls_out[b] = cls;
        for (size_t k = 0; k < K; k++)
            t[b * K + k] = (1 - alpha) * y[b * K + k] + alpha * (k == cls);
    }
}

// product target: p·y renormalized (α = β = 1), y itself for an all-zero row.
static void product_target_d(const float *z, const float *y, size_t B, size_t K, double *t) {
    double p[16];
    for (size_t b = 0; b < B; b++) {
        softmax_d(z + b * K, K, p);
        double s = 0;
        for (size_t k = 0; k < K; k++) s += p[k] * y[b * K + k];
        for (size_t k = 0; k < K; k++)
            t[b * K + k] = s > 0 ? p[k] * y[b * K + k] / s : y[b * K + k];
    }
}

// Checks loss and dz (from the C loss at z) against xent(·, T) in double: value at z, and
// central differences per logit with T fixed.
static void check_against_target(const float *z, const double *T, size_t B, size_t K,
                                 float loss, const float *dz, const char *what) {
    size_t n = B * K;
    double *zd = malloc(n * sizeof *zd);
    for (size_t i = 0; i < n; i++) zd[i] = z[i];
    double want = xent_d(zd, T, B, K);
    if (fabs(loss - want) > TOL_LOSS * (1 + fabs(want)))
        fail_msg("%s: loss %.9g, reference %.9g", what, (double)loss, want);
    for (size_t i = 0; i < n; i++) {
        double keep = zd[i];
        zd[i] = keep + FD_STEP;
        double fp = xent_d(zd, T, B, K);
        zd[i] = keep - FD_STEP;
        double fm = xent_d(zd, T, B, K);
        zd[i] = keep;
        double g = (fp - fm) / (2 * FD_STEP);
        if (fabs(dz[i] - g) > TOL_FD)
            fail_msg("%s: dz[%zu,%zu] = %.9g, finite difference %.9g", what, i / K, i % K,
                     (double)dz[i], g);
    }
    free(zd);
}

// z for a binary row with p[0] = p0 exactly as far as fp32 allows: z = (logit(p0), 0).
static void binary_rows(const double *p0, size_t B, float *z) {
    for (size_t b = 0; b < B; b++) {
        z[2 * b] = (float)log(p0[b] / (1 - p0[b]));
        z[2 * b + 1] = 0.0f;
    }
}

static void onehot_rows(const int *cls, size_t B, size_t K, float *y) {
    memset(y, 0, B * K * sizeof *y);
    for (size_t b = 0; b < B; b++) y[b * K + cls[b]] = 1.0f;
}

// ---- xent

static void test_xent_hand(void **state) {
    (void)state;
    // Row 0: p = (1/4, 3/4), y = (1, 0): loss ln 4, grad p − y. Row 1: p = y = (½, ½):
    // loss ln 2, grad 0. Mean over B = 2.
    const float z[4] = {0.0f, logf(3.0f), 2.0f, 2.0f};
    const float y[4] = {1.0f, 0.0f, 0.5f, 0.5f};
    float loss, dz[4];
    assert_int_equal(loss_xent(z, y, 2, 2, &loss, dz), 0);
    assert_true(fabs(loss - 1.5 * log(2.0)) < TOL_LOSS);
    assert_true(fabs(dz[0] - (-0.75 / 2)) < TOL_GRAD);
    assert_true(fabs(dz[1] - (0.75 / 2)) < TOL_GRAD);
    assert_true(fabs(dz[2]) < TOL_GRAD && fabs(dz[3]) < TOL_GRAD);
    // Loss only.
    float loss2;
    assert_int_equal(loss_xent(z, y, 2, 2, &loss2, NULL), 0);
    assert_true(loss2 == loss);
    // Huge logits stay finite (log-sum-exp with the max subtracted).
    const float zb[2] = {1000.0f, -1000.0f}, yb[2] = {0.0f, 1.0f};
    assert_int_equal(loss_xent(zb, yb, 1, 2, &loss, dz), 0);
    assert_true(fabs(loss - 2000.0) < TOL_LOSS_LARGE);
    assert_true(fabs(dz[0] - 1.0) < TOL_GRAD && fabs(dz[1] + 1.0) < TOL_GRAD);
}

static void test_errors(void **state) {
    (void)state;
    float z[2] = {0.0f, NAN}, y[2] = {1.0f, 0.0f}, loss, dz[2], work[1];
    assert_int_equal(loss_xent(z, y, 1, 2, &loss, dz), -1);
    assert_non_null(strstr(w2s_error_message(), "logit [0, 1]"));
    z[1] = 0.0f;
    assert_int_equal(loss_xent(z, y, 0, 2, &loss, dz), -1);
    y[1] = NAN;
    assert_int_equal(loss_logconf(z, y, 1, 2, 1.0f, 0.5f, 0.1f, work, &loss, dz), -1);
    loss_kind k;
    assert_int_equal(loss_kind_parse("product", &k), 0);
    assert_int_equal(k, LOSS_PRODUCT);
    assert_string_equal(loss_kind_name(LOSS_LOGCONF), "logconf");
    assert_int_equal(loss_kind_parse("xentropy", &k), -1);
    assert_non_null(strstr(w2s_error_message(), "unknown loss 'xentropy'"));
}

// ---- logconf

static void run_logconf_binary(const double *p0, const int *ycls, size_t B, float step_frac,
                               const int *want_cls, double alpha) {
    float z[64], y[64], dz[64], work[32], loss;
    binary_rows(p0, B, z);
    onehot_rows(ycls, B, 2, y);
    assert_int_equal(loss_logconf(z, y, B, 2, step_frac, 0.5f, 0.1f, work, &loss, dz), 0);
    double T[64];
    for (size_t b = 0; b < B; b++)
        for (size_t k = 0; k < 2; k++)
            T[b * 2 + k] = (1 - alpha) * y[b * 2 + k] + alpha * ((int)k == want_cls[b]);
    check_against_target(z, T, B, 2, loss, dz, "logconf binary (hand)");
}

static void test_logconf_hand(void **state) {
    (void)state;
    // p0 = .9 .7 .5 .3 .1, weak labels put 3 of 5 in class 1: q = 0.6, rank 2.4 between the
    // sorted p0 values .5 and .7: t = 0.58. p0 ≥ t → class 0 (.9, .7), the rest class 1.
    // Past warm-up α = aux_coef = 0.5.
    const double p0[5] = {0.9, 0.7, 0.5, 0.3, 0.1};
    const int y5[5] = {0, 1, 1, 0, 1};
    const int want5[5] = {0, 0, 1, 1, 1};
    run_logconf_binary(p0, y5, 5, 0.5f, want5, 0.5);
    // Warm-up ramp: α = 0.5 · (0.05 / 0.1) = 0.25 (the reference would use 0.025).
    run_logconf_binary(p0, y5, 5, 0.05f, want5, 0.25);

    // Ties at the threshold: p0 = .2 .5 .5 .8, q = 0.5, rank 1.5 between the two equal .5s:
    // t = 0.5 exactly, and both tied examples are ≥ t → class 0 (only 1 of 4 gets class 1).
    const double pt[4] = {0.2, 0.5, 0.5, 0.8};
    const int yt[4] = {0, 1, 0, 1};
    const int wantt[4] = {1, 0, 0, 0};
    run_logconf_binary(pt, yt, 4, 1.0f, wantt, 0.5);

    // One-class batch, all weak labels 0: q = 0, t = min p0, every example → class 0.
    const int y0[5] = {0, 0, 0, 0, 0};
    const int all0[5] = {0, 0, 0, 0, 0};
    run_logconf_binary(p0, y0, 5, 1.0f, all0, 0.5);
    // All weak labels 1: q = 1, t = max p0, only the maximum stays class 0.
    const int y1[5] = {1, 1, 1, 1, 1};
    const int top[5] = {0, 1, 1, 1, 1};
    run_logconf_binary(p0, y1, 5, 1.0f, top, 0.5);
    // B = 1: rank 0, t = p0 itself → class 0.
    const double p_one[1] = {0.3};
    const int y_one[1] = {1};
    const int w_one[1] = {0};
    run_logconf_binary(p_one, y_one, 1, 1.0f, w_one, 0.5);
}

static void test_logconf_step0_is_xent(void **state) {
    (void)state;
    float z[6] = {0.3f, -1.0f, 2.0f, 0.1f, -0.5f, 0.5f}, y[6] = {0.2f, 0.8f, 1, 0, 0.6f, 0.4f};
    float l1, l2, d1[6], d2[6], work[3];
    assert_int_equal(loss_xent(z, y, 3, 2, &l1, d1), 0);
    assert_int_equal(loss_logconf(z, y, 3, 2, 0.0f, 0.5f, 0.1f, work, &l2, d2), 0);
    assert_true(l1 == l2);
    assert_memory_equal(d1, d2, sizeof d1);
}

static void test_logconf_multiclass(void **state) {
    (void)state;
    // K = 3: ŷ = one-hot(argmax p), ties → lowest index. Rows: (1,1,0) → 0 (tie 0/1);
    // (0,2,2) → 1 (tie 1/2); (0,0,3) → 2; (5,5,5) → 0.
    const float z[12] = {1, 1, 0, 0, 2, 2, 0, 0, 3, 5, 5, 5};
    const int ycls[4] = {2, 0, 1, 1};
    const int want[4] = {0, 1, 2, 0};
    float y[12], dz[12], work[4], loss;
    onehot_rows(ycls, 4, 3, y);
    assert_int_equal(loss_logconf(z, y, 4, 3, 1.0f, 0.5f, 0.1f, work, &loss, dz), 0);
    double T[12];
    size_t cls[4];
    logconf_target_d(z, y, 4, 3, 0.5, T, cls);
    for (int b = 0; b < 4; b++) assert_int_equal(cls[b], want[b]);
    check_against_target(z, T, 4, 3, loss, dz, "logconf multi-class (hand)");
}

// loss_logconf_threshold: given the batch quantile it is loss_logconf bit for bit; given 0.5
// (argmax hardening) its targets are (1−α)y + α·[p0 < 0.5], checked by finite differences.
static void test_logconf_given_threshold(void **state) {
    (void)state;
    enum { B = 37 };
    float z[2 * B], y[2 * B], p0[B], work[B], l1, l2, d1[2 * B], d2[2 * B];
    rng r;
    rng_seed(&r, 11);
    double ysum = 0;
    for (size_t b = 0; b < B; b++) {
        z[2 * b] = 2.0f * rng_normal_f32(&r), z[2 * b + 1] = rng_normal_f32(&r);
        y[2 * b + 1] = rng_uniform_f32(&r), y[2 * b] = 1.0f - y[2 * b + 1];
        p0[b] = loss_p0(z + 2 * b);
        ysum += y[2 * b + 1];
    }
    float t = loss_quantile_linear(p0, B, (float)(ysum / B), work);
    assert_int_equal(loss_logconf(z, y, B, 2, 0.7f, 0.5f, 0.1f, work, &l1, d1), 0);
    assert_int_equal(loss_logconf_threshold(z, y, B, 0.7f, 0.5f, 0.1f, t, &l2, d2), 0);
    assert_true(l1 == l2);
    assert_memory_equal(d1, d2, sizeof d1);

    assert_int_equal(loss_logconf_threshold(z, y, B, 0.05f, 0.5f, 0.1f, 0.5f, &l2, d2), 0);
    double T[2 * B];
    size_t hard1 = 0;
    for (size_t b = 0; b < B; b++) {
        double p[2];
        softmax_d(z + 2 * b, 2, p);
        int cls = p[0] >= 0.5 ? 0 : 1;
        hard1 += cls;
        for (int k = 0; k < 2; k++) T[2 * b + k] = 0.75 * y[2 * b + k] + 0.25 * (k == cls);  // α = 0.5·0.05/0.1
    }
    assert_true(hard1 > 0 && hard1 < B);  // both classes hardened: the check covers both branches
    check_against_target(z, T, B, 2, l2, d2, "logconf, threshold 0.5");
    assert_int_equal(loss_logconf_threshold(z, y, 0, 1.0f, 0.5f, 0.1f, 0.5f, &l2, d2), -1);
}

static void test_quantile(void **state) {
    (void)state;
    const float v[5] = {0.7f, 0.1f, 0.9f, 0.5f, 0.3f};
    float work[5];
    assert_true(loss_quantile_linear(v, 5, 0.0f, work) == 0.1f);
    assert_true(loss_quantile_linear(v, 5, 1.0f, work) == 0.9f);
    assert_true(loss_quantile_linear(v, 5, 0.5f, work) == 0.5f);
    assert_true(fabsf(loss_quantile_linear(v, 5, 0.6f, work) - 0.58f) < 1e-6f);
    assert_true(fabsf(loss_quantile_linear(v, 5, 0.125f, work) - 0.2f) < 1e-6f);
    assert_true(v[0] == 0.7f);  // input untouched
}

// ---- product

static void test_product_hand(void **state) {
    (void)state;
    // Row 0: y = (½,½) → target ∝ p = (¼,¾): target = p, gradient 0, loss = H(p).
    // Row 1: y = (1, 0) → target (1, 0). Row 2: p = (½,½), y = (.2,.8) → target y.
    // Row 3: y = (0, 0) → falls back to y: loss 0, gradient 0.
    const float z[8] = {0.0f, logf(3.0f), 0.0f, logf(3.0f), 1.0f, 1.0f, 0.5f, -0.5f};
    const float y[8] = {0.5f, 0.5f, 1.0f, 0.0f, 0.2f, 0.8f, 0.0f, 0.0f};
    float loss, dz[8];
    assert_int_equal(loss_product(z, y, 4, 2, 1.0f, 1.0f, &loss, dz), 0);
    double h = -(0.25 * log(0.25) + 0.75 * log(0.75));
    double want = (h + log(4.0) + (-(0.2 * log(0.5) + 0.8 * log(0.5))) + 0.0) / 4;
    assert_true(fabs(loss - want) < TOL_LOSS);
    assert_true(fabs(dz[0]) < TOL_GRAD && fabs(dz[1]) < TOL_GRAD);
    assert_true(fabs(dz[2] - (-0.75 / 4)) < TOL_GRAD && fabs(dz[3] - 0.75 / 4) < TOL_GRAD);
    assert_true(fabs(dz[4] - 0.3 / 4) < TOL_GRAD && fabs(dz[5] + 0.3 / 4) < TOL_GRAD);
    assert_true(dz[6] == 0.0f && dz[7] == 0.0f);

    // p underflows in fp32 (exp(−400)): the log-domain product still gives target (≈0, 1).
    const float zx[2] = {-200.0f, 200.0f}, yx[2] = {0.5f, 0.5f};
    assert_int_equal(loss_product(zx, yx, 1, 2, 1.0f, 1.0f, &loss, dz), 0);
    assert_true(isfinite(loss) && fabs(loss) < TOL_GRAD);  // target ≈ p: loss ≈ 0 up to fp32 rounding
}

// ---- random batches: losses and finite-difference gradients

static void random_batch(rng *r, size_t B, size_t K, float *z, float *y, int soft) {
    for (size_t i = 0; i < B * K; i++) z[i] = 2.0f * rng_normal_f32(r);
    for (size_t b = 0; b < B; b++) {
        if (soft) {
            double s = 0;
            for (size_t k = 0; k < K; k++) s += y[b * K + k] = rng_uniform_f32(r) + 0.01f;
            for (size_t k = 0; k < K; k++) y[b * K + k] = (float)(y[b * K + k] / s);
        } else {
            memset(y + b * K, 0, K * sizeof *y);
            y[b * K + rng_below(r, K)] = 1.0f;
        }
    }
}

static void test_random_fd(void **state) {
    (void)state;
    enum { B = 16, KMAX = 5 };
    float z[B * KMAX], y[B * KMAX], dz[B * KMAX], work[B], loss;
    double T[B * KMAX];
    rng r;
    for (int seed = 0; seed < 12; seed++) {
        rng_seed(&r, (uint64_t)seed);
        size_t K = seed % 3 == 0 ? 2 : seed % 3 == 1 ? 3 : 5;
        random_batch(&r, B, K, z, y, seed & 1);
        for (size_t i = 0; i < B * K; i++) T[i] = y[i];
        assert_int_equal(loss_xent(z, y, B, K, &loss, dz), 0);
        check_against_target(z, T, B, K, loss, dz, "xent random");

        float step = seed < 6 ? 0.03f : 0.7f;
        double alpha = 0.5 * fmin(1.0, step / 0.1);
        assert_int_equal(loss_logconf(z, y, B, K, step, 0.5f, 0.1f, work, &loss, dz), 0);
        logconf_target_d(z, y, B, K, alpha, T, NULL);
        check_against_target(z, T, B, K, loss, dz, "logconf random");

        assert_int_equal(loss_product(z, y, B, K, 1.0f, 1.0f, &loss, dz), 0);
        product_target_d(z, y, B, K, T);
        check_against_target(z, T, B, K, loss, dz, "product random");

        loss_config c;
        loss_config_default(&c, LOSS_PRODUCT);
        float l2, d2[B * KMAX];
        assert_true(loss_work_floats(B, K) <= B);
        assert_int_equal(loss_compute(&c, z, y, B, K, step, work, &l2, d2), 0);
        assert_true(l2 == loss);
        assert_memory_equal(d2, dz, B * K * sizeof *dz);
    }
}

W2S_TEST_MAIN(NULL, NULL, test_xent_hand, test_errors, test_logconf_hand, test_logconf_step0_is_xent,
              test_logconf_given_threshold, test_logconf_multiclass, test_quantile, test_product_hand, test_random_fd)
