// test_probe.c — linear probes: learning a known linear rule, standardization statistics,
// determinism in the seed, every loss running end to end, and logconf's threshold rules.
#include "test_main.h"

#include "probe.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { D = 8, K = 2, N_TRAIN = 2000, N_TEST = 1000 };

// Features: a Gaussian cloud with per-dimension offsets and scales (so standardization
// matters); label = sign of a fixed direction with a margin, so a linear probe can be exact.
static void make_data(uint64_t seed, size_t n, float *x, float *y, int *label) {
    static const float w_true[D] = {1.5f, -2.0f, 0.5f, 0.0f, 1.0f, -0.7f, 0.0f, 2.2f};
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        float s;
        do {
            s = 0;
            for (size_t j = 0; j < D; j++) {
                float z = rng_normal_f32(&r);
                x[i * D + j] = 3.0f * (float)j + (1.0f + (float)j) * z;
                s += w_true[j] * z;
            }
        } while (fabsf(s) < 0.3f);
        label[i] = s > 0;
        y[i * K + 0] = (float)(s <= 0);
        y[i * K + 1] = (float)(s > 0);
    }
}

static double accuracy(const probe_head *h, const float *x, const int *label, size_t n) {
    float *p = malloc(n * K * sizeof(float));
    assert_int_equal(probe_predict(h, x, n, p), 0);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) ok += (p[i * K + 1] > p[i * K + 0]) == label[i];
    free(p);
    return (double)ok / (double)n;
}

static void test_learns_linear_rule(void **state) {
    float *x = malloc(N_TRAIN * D * sizeof(float)), *y = malloc(N_TRAIN * K * sizeof(float));
    float *xt = malloc(N_TEST * D * sizeof(float)), *yt = malloc(N_TEST * K * sizeof(float));
    int *lab = malloc(N_TRAIN * sizeof(int)), *labt = malloc(N_TEST * sizeof(int));
    make_data(1, N_TRAIN, x, y, lab);
    make_data(2, N_TEST, xt, yt, labt);
    for (int kind = LOSS_XENT; kind <= LOSS_PRODUCT; kind++) {
        probe_config c;
        probe_config_default(&c, (loss_kind)kind);
        probe_head h;
        assert_int_equal(probe_head_init(&h, D, K), 0);
        assert_int_equal(probe_train(&h, &c, x, y, N_TRAIN), 0);
        double acc = accuracy(&h, xt, labt, N_TEST);
        // The rule is linear with a margin: 20 epochs of AdamW reach ≥ 97% on fresh data
        // (chance is ~50%); a broken gradient or standardization stays far below.
        if (acc < 0.97) fail_msg("loss %s: held-out accuracy %.3f", loss_kind_name((loss_kind)kind), acc);
        probe_head_free(&h);
    }
    free(x); free(y); free(xt); free(yt); free(lab); free(labt);
}

static void test_standardizer_and_determinism(void **state) {
    float *x = malloc(N_TRAIN * D * sizeof(float)), *y = malloc(N_TRAIN * K * sizeof(float));
    int *lab = malloc(N_TRAIN * sizeof(int));
    make_data(3, N_TRAIN, x, y, lab);
    probe_config c;
    probe_config_default(&c, LOSS_XENT);
    c.epochs = 2;
    probe_head a, b;
    assert_int_equal(probe_head_init(&a, D, K), 0);
    assert_int_equal(probe_head_init(&b, D, K), 0);
    assert_int_equal(probe_train(&a, &c, x, y, N_TRAIN), 0);
    assert_int_equal(probe_train(&b, &c, x, y, N_TRAIN), 0);
    assert_memory_equal(a.w, b.w, (K * D + K) * sizeof(float));  // same seed, same bits
    c.seed = 7;
    assert_int_equal(probe_train(&b, &c, x, y, N_TRAIN), 0);      // retraining starts from zero
    assert_memory_not_equal(a.w, b.w, (K * D + K) * sizeof(float));
    for (size_t j = 0; j < D; j++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < N_TRAIN; i++) s += x[i * D + j];
        double mu = s / N_TRAIN;
        for (size_t i = 0; i < N_TRAIN; i++) s2 += (x[i * D + j] - mu) * (x[i * D + j] - mu);
        double inv = 1.0 / (sqrt(s2 / (N_TRAIN - 1)) + 1e-5);
        assert_float_equal(a.mean[j], mu, 1e-4 * (1 + fabs(mu)));
        assert_float_equal(a.inv_std[j], inv, 1e-5 * inv);
    }
    probe_head_free(&a);
    probe_head_free(&b);
    free(x); free(y); free(lab);
}

// The pipelined student steps through epoch 0 batch by batch as labels arrive, then runs the
// remaining epochs: it must end with exactly the head probe_train gives (first epoch in order).
static void test_stepwise_equals_probe_train(void **state) {
    float *x = malloc(N_TRAIN * D * sizeof(float)), *y = malloc(N_TRAIN * K * sizeof(float));
    int *lab = malloc(N_TRAIN * sizeof(int));
    make_data(4, N_TRAIN, x, y, lab);
    probe_config c;
    probe_config_default(&c, LOSS_LOGCONF);
    c.epochs = 3;
    c.first_epoch_in_order = true;
    probe_head a, b;
    assert_int_equal(probe_head_init(&a, D, K), 0);
    assert_int_equal(probe_head_init(&b, D, K), 0);
    assert_int_equal(probe_train(&a, &c, x, y, N_TRAIN), 0);

    probe_fit_standardizer(&b, x, N_TRAIN);
    probe_trainer *t = probe_trainer_create(&b, &c, N_TRAIN);
    assert_non_null(t);
    size_t idx[64];
    for (size_t s0 = 0; s0 < N_TRAIN; s0 += c.batch) {
        size_t nb = N_TRAIN - s0 < c.batch ? N_TRAIN - s0 : c.batch;
        for (size_t r = 0; r < nb; r++) idx[r] = s0 + r;
        assert_int_equal(probe_trainer_step(t, x, y, idx, nb), 0);
    }
    assert_int_equal(probe_trainer_epochs(t, x, y, 1), 0);
    probe_trainer_destroy(t);
    assert_memory_equal(a.w, b.w, (K * D + K) * sizeof(float));
    probe_head_free(&a);
    probe_head_free(&b);
    free(x); free(y); free(lab);
}

// The running threshold over a buffer of exactly one batch is the batch rule (every full batch
// replaces the whole ring, in the same order); over a longer buffer, and with argmax hardening,
// the weights differ but the probe still learns the rule.
static void test_threshold_rules(void **state) {
    (void)state;
    enum { N = 1984 };  // 31 full batches: no short last batch
    float *x = malloc(N * D * sizeof(float)), *y = malloc(N * K * sizeof(float));
    float *xt = malloc(N_TEST * D * sizeof(float)), *yt = malloc(N_TEST * K * sizeof(float));
    int *lab = malloc(N * sizeof(int)), *labt = malloc(N_TEST * sizeof(int));
    make_data(5, N, x, y, lab);
    make_data(6, N_TEST, xt, yt, labt);
    probe_config c;
    probe_config_default(&c, LOSS_LOGCONF);
    probe_head batch, ring_b, ring_long, argmax;
    const size_t np = K * D + K;
    assert_int_equal(probe_head_init(&batch, D, K), 0);
    assert_int_equal(probe_train(&batch, &c, x, y, N), 0);
    c.threshold = PROBE_THRESHOLD_RUNNING;
    c.threshold_buffer = c.batch;
    assert_int_equal(probe_head_init(&ring_b, D, K), 0);
    assert_int_equal(probe_train(&ring_b, &c, x, y, N), 0);
    assert_memory_equal(batch.w, ring_b.w, np * sizeof(float));
    c.threshold_buffer = 1024;
    assert_int_equal(probe_head_init(&ring_long, D, K), 0);
    assert_int_equal(probe_train(&ring_long, &c, x, y, N), 0);
    assert_memory_not_equal(batch.w, ring_long.w, np * sizeof(float));
    c.threshold = PROBE_THRESHOLD_ARGMAX;
    assert_int_equal(probe_head_init(&argmax, D, K), 0);
    assert_int_equal(probe_train(&argmax, &c, x, y, N), 0);
    assert_memory_not_equal(batch.w, argmax.w, np * sizeof(float));
    assert_true(accuracy(&ring_long, xt, labt, N_TEST) > 0.97);
    assert_true(accuracy(&argmax, xt, labt, N_TEST) > 0.97);
    c.threshold = PROBE_THRESHOLD_RUNNING;
    c.threshold_buffer = 0;
    assert_null(probe_trainer_create(&argmax, &c, N));
    probe_head_free(&batch); probe_head_free(&ring_b); probe_head_free(&ring_long); probe_head_free(&argmax);
    free(x); free(y); free(xt); free(yt); free(lab); free(labt);
}

W2S_TEST_MAIN(NULL, NULL, test_learns_linear_rule, test_standardizer_and_determinism, test_stepwise_equals_probe_train,
              test_threshold_rules)
