// test_gpt2_int8.c — the int8 inference graph against the fp32 model: argmax agreement and
// probability error on a random model with a random head and on a briefly trained one, and
// batch independence (an example's logits bit-identical alone and inside any batch).
// Fixtures are generated here (seeded); nothing is read from disk.
#include <stdarg.h>
#include <stddef.h>
#include "test_main.h"

#include "error.h"
#include "gpt2_int8.h"
#include "optim.h"
#include "rng.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Issue #4's accuracy bar for weak labels, checked on a trained model: int8 must pick the
// fp32 model's class on at least 99.5% of examples (the labels a student trains on change by
// at most 0.5%) ...
#define MIN_ARGMAX_AGREEMENT 0.995
// ... and 99% on a random body with a random head. Random features put a Gaussian share of
// examples next to the decision boundary: with int8's ~1% relative logit noise, about
// noise / margin spread ≈ 0.5-1% of them flip (measured 0.5-0.75% over seeds), where a
// trained model's margins are pushed away from 0 (measured 100% agreement).
#define MIN_ARGMAX_AGREEMENT_RANDOM 0.99
// ... and move probabilities by at most 0.01 on average (well below the label noise a
// student is meant to generalize beyond; per-token u8 activations with s8 per-channel weights
// typically give ~1e-3 on GPT-2-shaped networks).
#define MAX_MEAN_ABS_DP 0.01

#define N_EXAMPLES 400
#define MAX_LEN 48

// n_embd 128 is not a multiple of the AVX-512 U8S8 panel width (48): the last layer's qkv runs
// as one product. The *_c192 tests rerun with n_embd 192 (a multiple of every kernel's panel
// width), where the last layer computes keys and values apart from the last tokens' queries.
// Gain on the last layer's query weights: 8 makes its attention sharp, so a wrong query row
// moves the probabilities (measured: using each sequence's second-to-last query instead gives
// mean |dp| 2e-2 and fails; random GPT-2 weights give near-uniform attention, where it passed).
static float last_query_gain = 1.0f;
static gpt2_config CFG = {.n_layer = 3, .n_head = 4, .n_embd = 128, .vocab_size = 300,
                          .n_positions = 64, .n_classes = 2, .ln_eps = 1e-5f};

typedef struct {
    int32_t *tok;   // (N_EXAMPLES, MAX_LEN)
    size_t *len;    // (N_EXAMPLES)
    int32_t *label; // (N_EXAMPLES) the tiny task's ground truth
} examples;

// Random lengths 1..MAX_LEN, random ids; label = the last id's bucket (id * K / V): a task
// the head learns in a few steps, so the trained model's margins are a trained model's.
static examples make_examples(uint64_t seed, size_t K) {
    examples e = {malloc(N_EXAMPLES * MAX_LEN * sizeof(int32_t)), malloc(N_EXAMPLES * sizeof(size_t)),
                  malloc(N_EXAMPLES * sizeof(int32_t))};
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        e.len[i] = 1 + (size_t)(rng_below(&r, MAX_LEN));
        for (size_t t = 0; t < MAX_LEN; t++) e.tok[i * MAX_LEN + t] = (int32_t)(rng_below(&r, CFG.vocab_size));
        e.label[i] = (int32_t)((size_t)e.tok[i * MAX_LEN + e.len[i] - 1] * K / CFG.vocab_size);
    }
    return e;
}

static void free_examples(examples *e) {
    free(e->tok);
    free(e->len);
    free(e->label);
}

static gpt2_model *make_model(uint64_t seed, size_t max_batch) {
    gpt2_options opt = {.max_batch = max_batch, .max_seq = MAX_LEN, .precision = GPT2_FP32};
    gpt2_model *m = gpt2_create(&CFG, &opt);
    assert_non_null(m);
    gpt2_init_random(m, seed);
    // A non-zero head (gpt2_init_random zeroes it) whose logits spread over a few units, so
    // probabilities are not all near-uniform (where |Δp| would say nothing).
    rng r;
    rng_seed(&r, seed ^ 0x5eed);
    for (size_t i = 0; i < CFG.n_classes * CFG.n_embd; i++)
        m->params.score[i] = rng_uniform_f32(&r) - 0.5f;
    size_t C = CFG.n_embd, l = CFG.n_layer - 1;
    for (size_t i = 0; i < C; i++)
        for (size_t j = 0; j < C; j++) m->params.qkvw[(l * C + i) * 3 * C + j] *= last_query_gain;
    return m;
}

static void softmax(const float *z, size_t K, double *p) {
    double mx = z[0], s = 0;
    for (size_t k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
    for (size_t k = 0; k < K; k++) s += p[k] = exp((double)z[k] - mx);
    for (size_t k = 0; k < K; k++) p[k] /= s;
}

static size_t argmax(const float *z, size_t K) {
    size_t a = 0;
    for (size_t k = 1; k < K; k++) if (z[k] > z[a]) a = k;
    return a;
}

// fp32 logits of example i (alone, so no padding question arises).
static void fp32_logits(gpt2_model *m, const examples *e, size_t i, float *z) {
    int32_t len = (int32_t)e->len[i];
    assert_int_equal(gpt2_forward(m, e->tok + i * MAX_LEN, &len, 1, e->len[i], NULL), 0);
    memcpy(z, m->acts.cls_logits, CFG.n_classes * sizeof(float));
}

// int8 logits of all examples in batches of `bs` consecutive examples.
static void int8_logits(gpt2_int8 *q, const examples *e, size_t bs, float *z) {
    const int32_t *seqs[64];
    for (size_t o = 0; o < N_EXAMPLES; o += bs) {
        size_t nb = N_EXAMPLES - o < bs ? N_EXAMPLES - o : bs;
        for (size_t b = 0; b < nb; b++) seqs[b] = e->tok + (o + b) * MAX_LEN;
        if (gpt2_int8_forward(q, seqs, e->len + o, nb, z + o * CFG.n_classes))
            fail_msg("gpt2_int8_forward: %s", w2s_error_message());
    }
}

static void check_agreement(gpt2_model *m, const examples *e, const char *what, double min_agreement) {
    size_t K = CFG.n_classes;
    gpt2_int8 *q = gpt2_int8_create(m, 16, MAX_LEN, 16 * MAX_LEN);
    if (!q) fail_msg("gpt2_int8_create: %s", w2s_error_message());
    float *zq = malloc(N_EXAMPLES * K * sizeof(float)), z[8];
    int8_logits(q, e, 16, zq);
    size_t agree = 0;
    double sum_dp = 0, max_dp = 0, pf[8], pq[8], spread = 0;
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        fp32_logits(m, e, i, z);
        softmax(z, K, pf);
        softmax(zq + i * K, K, pq);
        agree += argmax(z, K) == argmax(zq + i * K, K);
        for (size_t k = 0; k < K; k++) {
            double d = fabs(pf[k] - pq[k]);
            sum_dp += d / (double)K;
            max_dp = d > max_dp ? d : max_dp;
        }
        spread += fabs(pf[0] - 1.0 / (double)K);
    }
    double agreement = (double)agree / N_EXAMPLES, mean_dp = sum_dp / N_EXAMPLES;
    printf("%s: argmax agreement %.4f, mean |dp| %.2e, max |dp| %.2e, mean |p0 - 1/K| %.3f\n", what,
           agreement, mean_dp, max_dp, spread / N_EXAMPLES);
    // The probabilities must actually vary, or the comparison is vacuous.
    assert_true(spread / N_EXAMPLES > 0.02);
    assert_true(agreement >= min_agreement);
    assert_true(mean_dp <= MAX_MEAN_ABS_DP);
    free(zq);
    gpt2_int8_destroy(q);
}

static void test_random_model(void **state) {
    (void)state;
    examples e = make_examples(11, CFG.n_classes);
    gpt2_model *m = make_model(7, 1);
    check_agreement(m, &e, "random model", MIN_ARGMAX_AGREEMENT_RANDOM);
    gpt2_destroy(m);
    free_examples(&e);
}

// A few dozen Adam steps (xent on the tiny task) move every weight away from its random
// initialization: the comparison then runs on trained-looking weights, not only N(0, 0.02).
static void test_trained_model(void **state) {
    (void)state;
    size_t K = CFG.n_classes, MB = 8, steps = 30;
    examples e = make_examples(23, K);
    gpt2_model *m = make_model(5, MB);
    optim_adam_config oc = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    optim_adam *opt = optim_adam_create(&oc, m->num_params);
    assert_non_null(opt);
    optim_segment seg = {.offset = 0, .count = m->num_params};
    int32_t tok[8 * MAX_LEN], len[8];
    float dlogits[8 * 8];
    for (size_t s = 0; s < steps; s++) {
        size_t T = 1;
        for (size_t b = 0; b < MB; b++) {
            size_t i = (s * MB + b) % N_EXAMPLES;
            len[b] = (int32_t)e.len[i];
            T = e.len[i] > T ? e.len[i] : T;
        }
        for (size_t b = 0; b < MB; b++) {
            size_t i = (s * MB + b) % N_EXAMPLES;
            memcpy(tok + b * T, e.tok + i * MAX_LEN, T * sizeof(int32_t));
        }
        assert_int_equal(gpt2_forward(m, tok, len, MB, T, NULL), 0);
        for (size_t b = 0; b < MB; b++) {
            double p[8];
            softmax(m->acts.cls_logits + b * K, K, p);
            size_t y = (size_t)e.label[(s * MB + b) % N_EXAMPLES];
            for (size_t k = 0; k < K; k++) dlogits[b * K + k] = (float)((p[k] - (k == y)) / (double)MB);
        }
        gpt2_zero_grad(m);
        assert_int_equal(gpt2_backward(m, dlogits, 0.0f), 0);
        optim_adam_step(opt, m->params_memory, m->grads_memory, &seg, 1, 3e-3f);
    }
    optim_adam_destroy(opt);
    check_agreement(m, &e, "trained model", MIN_ARGMAX_AGREEMENT);
    gpt2_destroy(m);
    free_examples(&e);
}

// Example i's logits computed alone (one thread), inside batches of varied sizes and
// neighbours (other lengths), at several positions, on 1 or 2 threads: all bit-identical
// (every step is per row or per sequence, and gemm's rows do not depend on the team size).
static void test_batch_independence(void **state) {
    (void)state;
    size_t K = CFG.n_classes;
    examples e = make_examples(31, K);
    gpt2_model *m = make_model(3, 1);
    gpt2_int8 *q = gpt2_int8_create(m, 16, MAX_LEN, 16 * MAX_LEN);
    assert_non_null(q);
    float alone[N_EXAMPLES * 8], z[16 * 8];
    const int32_t *seqs[16];
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    for (size_t i = 0; i < 40; i++) {
        seqs[0] = e.tok + i * MAX_LEN;
        assert_int_equal(gpt2_int8_forward(q, seqs, &e.len[i], 1, alone + i * K), 0);
    }
    rng r;
    rng_seed(&r, 99);
    for (size_t trial = 0; trial < 60; trial++) {
        size_t B = 1 + (size_t)(rng_below(&r, 16)), idx[16], lens[16];
        for (size_t b = 0; b < B; b++) {
            idx[b] = (size_t)(rng_below(&r, 40));
            seqs[b] = e.tok + idx[b] * MAX_LEN;
            lens[b] = e.len[idx[b]];
        }
        omp_set_num_threads(1 + (int)(trial % 2));
        assert_int_equal(gpt2_int8_forward(q, seqs, lens, B, z), 0);
        for (size_t b = 0; b < B; b++)
            if (memcmp(z + b * K, alone + idx[b] * K, K * sizeof(float)))
                fail_msg("example %zu at position %zu of a batch of %zu: logit %.9g alone, %.9g in the batch",
                         idx[b], b, B, (double)alone[idx[b] * K], (double)z[b * K]);
    }
    omp_set_num_threads(threads);
    gpt2_int8_destroy(q);
    gpt2_destroy(m);
    free_examples(&e);
}

static void test_random_model_c192(void **state) {
    CFG.n_embd = 192;
    last_query_gain = 8.0f;
    test_random_model(state);
    last_query_gain = 1.0f;
    CFG.n_embd = 128;
}

static void test_batch_independence_c192(void **state) {
    CFG.n_embd = 192;
    test_batch_independence(state);
    CFG.n_embd = 128;
}

static void test_errors(void **state) {
    (void)state;
    gpt2_model *m = make_model(1, 1);
    gpt2_int8 *q = gpt2_int8_create(m, 2, 8, 12);
    assert_non_null(q);
    int32_t ids[8] = {1, 2, 3, 4, 5, 6, 7, 8}, bad[1] = {(int32_t)CFG.vocab_size};
    const int32_t *seqs[3] = {ids, ids, ids};
    size_t lens[3] = {8, 8, 8};
    float z[3 * 8];
    assert_int_equal(gpt2_int8_forward(q, seqs, lens, 3, z), -1);          // batch > 2
    assert_int_equal(gpt2_int8_forward(q, seqs, lens, 2, z), -1);          // 16 tokens > 12
    assert_non_null(strstr(w2s_error_message(), "12"));
    size_t nine = 9, one = 1;
    assert_int_equal(gpt2_int8_forward(q, seqs, &nine, 1, z), -1);         // seq > 8
    seqs[0] = bad;
    assert_int_equal(gpt2_int8_forward(q, seqs, &one, 1, z), -1);
    assert_non_null(strstr(w2s_error_message(), "vocabulary"));
    gpt2_int8_destroy(q);
    m->params.fcw[17] = NAN;
    assert_null(gpt2_int8_create(m, 2, 8, 12));
    assert_non_null(strstr(w2s_error_message(), "mlp.c_fc.weight"));
    gpt2_destroy(m);
}

W2S_TEST_MAIN(NULL, NULL, test_random_model, test_trained_model, test_batch_independence, test_random_model_c192,
              test_batch_independence_c192, test_errors)
