// test_gpt2_gradcheck.c — GPT-2 backward vs central finite differences on a tiny fp32 model,
// plus the model's invariants: batch independence, pad tokens never read, bit-identical
// gradients for 1 and 2 threads, linear-probe mode touching only the heads.
// The finite-difference check is directional: for each tensor (each layer's slice of a
// per-layer tensor) and random directions d, (L(θ+hd) − L(θ−hd)) / 2h against <∇L, d>.
// That covers every layer kernel in context (embedding, LayerNorm, attention, GELU, linear,
// both heads); tests/simd/test_rowops.c checks the row kernels alone.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "error.h"
#include "gpt2.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Step of the central difference. The loss is f32 (≈2e-7 relative rounding, loss ≈ 4), so
// the difference quotient carries ≈ 4·2e-7/(2h) ≈ 4e-4 of noise; truncation is O(h²) ≈ 1e-6.
#define FD_STEP 1e-3
// |fd − analytic| <= FD_REL·|analytic| + FD_ABS: 2% relative (f32 chain of ~20 kernels) and
// an absolute floor 5x the noise estimate above.
#define FD_REL 2e-2
#define FD_ABS 2e-3
#define FD_DIRECTIONS 3

enum { TB = 3, TT = 7, TV = 37, TVO = 35, TK = 3 };
static const int32_t lengths[TB] = {7, 4, 1};

static gpt2_config tiny_config(void) {
    return (gpt2_config){.n_layer = 2, .n_head = 2, .n_embd = 16, .vocab_size = TV,
                         .n_positions = 8, .n_classes = TK, .ln_eps = 1e-5f};
}

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static double urand(void) { return xorshift_unit(&rs); }  // [0, 1)
static double nrand(void) { return sqrt(-2.0 * log(1.0 - urand())) * cos(6.283185307179586 * urand()); }

typedef struct {
    int32_t tokens[TB * TT], targets[TB * TT];
    float dlogits[TB * TK];  // the classification part of the loss: Σ dlogits ⊙ logits
} batch;

static void make_batch(batch *bt) {
    for (int i = 0; i < TB * TT; i++) {
        int b = i / TT, t = i % TT;
        bool real = t < lengths[b];
        bt->tokens[i] = real ? (int32_t)(urand() * TV) : 999999;  // pads: out of range on purpose
        bt->targets[i] = real && urand() < 0.8 ? (int32_t)(urand() * TVO) : -1;
    }
    for (int i = 0; i < TB * TK; i++) bt->dlogits[i] = (float)nrand();
}

static gpt2_model *make_model(gpt2_lm_mode mode) {
    gpt2_config cfg = tiny_config();
    gpt2_options opt = {.max_batch = TB, .max_seq = TT, .lm_mode = mode,
                        .lm_vocab = mode == GPT2_LM_UNTIED ? TVO : 0};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) fprintf(stderr, "%s\n", w2s_error_message());
    assert_non_null(m);
    gpt2_init_random(m, 1234);
    // Non-trivial values everywhere: random head (zero-init would hide the body's gradient
    // through it), LayerNorm weights away from 1, biases away from 0.
    for (int i = 0; i < GPT2_NUM_TENSORS; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        float *p = m->params_memory + t->offset;
        if (!strcmp(t->name, "score.weight") || t->ndim == 1)
            for (size_t j = 0; j < t->numel; j++) p[j] += (float)(0.3 * nrand());
    }
    return m;
}

static double loss_of(gpt2_model *m, const batch *bt) {
    if (gpt2_forward(m, bt->tokens, lengths, TB, TT, bt->targets)) {
        fprintf(stderr, "%s\n", w2s_error_message());
        fail();
    }
    double l = m->lm_loss;
    for (int i = 0; i < TB * TK; i++) l += (double)bt->dlogits[i] * m->acts.cls_logits[i];
    return l;
}

static void forward_backward(gpt2_model *m, const batch *bt) {
    gpt2_zero_grad(m);
    loss_of(m, bt);
    assert_int_equal(gpt2_backward(m, bt->dlogits, 1.0f), 0);
}

static void gradcheck(gpt2_lm_mode mode) {
    gpt2_model *m = make_model(mode);
    batch bt;
    make_batch(&bt);
    forward_backward(m, &bt);
    size_t L = m->cfg.n_layer;
    float *d = malloc(m->num_params * sizeof(float));
    int checked = 0;
    double worst = 0;
    for (int ti = 0; ti < GPT2_NUM_TENSORS; ti++) {
        const gpt2_tensor_info *t = &m->tensors[ti];
        if (!t->numel) continue;
        size_t slices = t->per_layer ? L : 1, n = t->numel / slices;
        for (size_t s = 0; s < slices; s++) {
            float *p = m->params_memory + t->offset + s * n;
            const float *g = m->grads_memory + t->offset + s * n;
            for (int k = 0; k < FD_DIRECTIONS; k++) {
                double an = 0;
                for (size_t j = 0; j < n; j++) {
                    d[j] = (float)nrand();
                    an += (double)g[j] * d[j];
                }
                float *save = malloc(n * sizeof(float));
                memcpy(save, p, n * sizeof(float));
                for (size_t j = 0; j < n; j++) p[j] = save[j] + (float)FD_STEP * d[j];
                double lp = loss_of(m, &bt);
                for (size_t j = 0; j < n; j++) p[j] = save[j] - (float)FD_STEP * d[j];
                double lm = loss_of(m, &bt);
                memcpy(p, save, n * sizeof(float));
                free(save);
                double fd = (lp - lm) / (2 * FD_STEP);
                double err = fabs(fd - an);
                if (err / (fabs(an) + FD_ABS) > worst) worst = err / (fabs(an) + FD_ABS);
                if (!(err <= FD_REL * fabs(an) + FD_ABS)) {
                    fprintf(stderr, "%s layer %zu dir %d: analytic %.6g, finite difference %.6g\n",
                            t->name, s, k, an, fd);
                    fail();
                }
                checked++;
            }
        }
    }
    printf("gradcheck (%s): %d directional derivatives, worst err/(|g|+abs) = %.3g\n",
           mode == GPT2_LM_TIED ? "tied" : "untied", checked, worst);
    free(d);
    gpt2_destroy(m);
}

static void test_gradcheck_untied(void **state) { (void)state; gradcheck(GPT2_LM_UNTIED); }
static void test_gradcheck_tied(void **state) { (void)state; gradcheck(GPT2_LM_TIED); }

// Sequence b alone (its own length, batch of 1, shorter T) gives bit-identical features and
// logits to the same sequence inside the padded batch: gemm rows never depend on other rows.
static void test_batch_independence(void **state) {
    (void)state;
    gpt2_model *m = make_model(GPT2_LM_UNTIED);
    batch bt;
    make_batch(&bt);
    assert_int_equal(gpt2_forward(m, bt.tokens, lengths, TB, TT, NULL), 0);
    size_t C = m->cfg.n_embd;
    float logits[TB * TK], lnf[TB * TT * 16];
    memcpy(logits, m->acts.cls_logits, sizeof logits);
    memcpy(lnf, m->acts.lnf, sizeof lnf);
    for (int b = 0; b < TB; b++) {
        int32_t len = lengths[b];
        assert_int_equal(gpt2_forward(m, bt.tokens + b * TT, &len, 1, (size_t)len, NULL), 0);
        assert_memory_equal(m->acts.cls_logits, logits + b * TK, TK * sizeof(float));
        assert_memory_equal(m->acts.lnf, lnf + b * TT * C, (size_t)len * C * sizeof(float));
    }
    // other pad ids (valid ones this time) change nothing
    for (int i = 0; i < TB * TT; i++)
        if (i % TT >= lengths[i / TT]) bt.tokens[i] = (int32_t)(i % TV);
    assert_int_equal(gpt2_forward(m, bt.tokens, lengths, TB, TT, NULL), 0);
    assert_memory_equal(m->acts.cls_logits, logits, sizeof logits);
    gpt2_destroy(m);
}

static void test_thread_determinism(void **state) {
    (void)state;
    gpt2_model *m = make_model(GPT2_LM_TIED);
    batch bt;
    make_batch(&bt);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    forward_backward(m, &bt);
    float *g1 = malloc(m->num_params * sizeof(float));
    memcpy(g1, m->grads_memory, m->num_params * sizeof(float));
    omp_set_num_threads(2);
    forward_backward(m, &bt);
    assert_memory_equal(g1, m->grads_memory, m->num_params * sizeof(float));
    omp_set_num_threads(saved);
    free(g1);
    gpt2_destroy(m);
}

static void test_linear_probe(void **state) {
    (void)state;
    gpt2_model *m = make_model(GPT2_LM_UNTIED);
    batch bt;
    make_batch(&bt);
    m->linear_probe = true;
    forward_backward(m, &bt);
    for (int ti = 0; ti < GPT2_NUM_TENSORS; ti++) {
        const gpt2_tensor_info *t = &m->tensors[ti];
        bool head = !strcmp(t->name, "score.weight") || !strcmp(t->name, "lm_head.weight");
        double s = 0;
        for (size_t j = 0; j < t->numel; j++) s += fabs(m->grads_memory[t->offset + j]);
        if (head ? !(s > 0) : s != 0) {
            fprintf(stderr, "linear probe: %s has |grad| sum %g\n", t->name, s);
            fail();
        }
    }
    gpt2_destroy(m);
}

static void test_bad_inputs(void **state) {
    (void)state;
    gpt2_model *m = make_model(GPT2_LM_NONE);
    batch bt;
    make_batch(&bt);
    int32_t bad_len[TB] = {7, 0, 1};
    assert_int_equal(gpt2_forward(m, bt.tokens, bad_len, TB, TT, NULL), -1);
    assert_int_equal(gpt2_forward(m, bt.tokens, lengths, TB, TT, bt.targets), -1);  // no LM head
    bt.tokens[0] = TV;
    assert_int_equal(gpt2_forward(m, bt.tokens, lengths, TB, TT, NULL), -1);
    assert_int_equal(gpt2_backward(m, bt.dlogits, 1.0f), -1);  // no valid forward
    gpt2_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_untied),
        cmocka_unit_test(test_gradcheck_tied),
        cmocka_unit_test(test_batch_independence),
        cmocka_unit_test(test_thread_determinism),
        cmocka_unit_test(test_linear_probe),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
