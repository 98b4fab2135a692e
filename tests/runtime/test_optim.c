// test_optim.c — Adam/AdamW against a double-precision transcription of PyTorch's update
// (torch/optim/adamw.py, single-tensor path), clipping, decay segments, thread invariance,
// and the cosine/warm-up schedule's endpoints.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "optim.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

// f32 update vs double reference over 5 steps: a few ulp of drift per step on values ~1.
#define TOL_UPDATE 1e-5

enum { N = 1000, STEPS = 5 };

static float frand(uint64_t *s) { return xorshift_uniform(s, -1.0f, 1.0f); }

// PyTorch AdamW in double: p *= 1 - lr*wd; m, v EMAs; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
static void reference(double *p, double *m, double *v, const float *g, const optim_adam_config *c,
                      const optim_segment *segs, size_t nseg, float lr, int t) {
    double norm = 0;
    for (size_t i = 0; i < N; i++) norm += (double)g[i] * g[i];
    norm = sqrt(norm);
    double scale = c->clip_norm > 0 && norm > c->clip_norm ? c->clip_norm / (norm + 1e-6) : 1.0;
    double bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
    for (size_t s = 0; s < nseg; s++)
        for (size_t i = segs[s].offset; i < segs[s].offset + segs[s].count; i++) {
            double gi = g[i] * scale;
            if (segs[s].decay) p[i] *= 1 - (double)lr * c->weight_decay;
            m[i] = c->beta1 * m[i] + (1 - c->beta1) * gi;
            v[i] = c->beta2 * v[i] + (1 - c->beta2) * gi * gi;
            p[i] -= lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + c->eps);
        }
}

static void run_case(float clip, float wd) {
    optim_adam_config cfg = {.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = wd, .clip_norm = clip};
    optim_segment segs[] = {{.offset = 0, .count = 600, .decay = true},
                             {.offset = 600, .count = 300},
                             {.offset = 900, .count = 100, .decay = true}};
    optim_adam *o = optim_adam_create(&cfg, N);
    assert_non_null(o);
    float *p = malloc(N * 4), *g = malloc(N * 4);
    double *rp = malloc(N * 8), *rm = calloc(N, 8), *rv = calloc(N, 8);
    uint64_t s = 42;
    for (int i = 0; i < N; i++) rp[i] = p[i] = frand(&s);
    for (int t = 1; t <= STEPS; t++) {
        for (int i = 0; i < N; i++) g[i] = frand(&s) * (i < 10 ? 5.0f : 0.1f);
        float lr = optim_lr_cosine((size_t)t - 1, STEPS, 2, 1e-2f, 1e-3f);
        double norm = optim_adam_step(o, p, g, segs, 3, lr);
        assert_true(clip > 0 ? norm > 0 : isnan(norm));  // the norm is made only to clip
        reference(rp, rm, rv, g, &cfg, segs, 3, lr, t);
    }
    for (int i = 0; i < N; i++) assert_true(fabs(p[i] - rp[i]) <= TOL_UPDATE * (1 + fabs(rp[i])));
    optim_adam_destroy(o);
    free(p); free(g); free(rp); free(rm); free(rv);
}

static void test_adam(void **state) { (void)state; run_case(0, 0); }
static void test_adamw_clip(void **state) { (void)state; run_case(1.0f, 0.1f); }

static void test_grad_norm_and_threads(void **state) {
    (void)state;
    size_t n = 300000;  // several norm chunks
    float *g = malloc(n * 4), *p1 = malloc(n * 4), *p2 = malloc(n * 4);
    uint64_t s = 7;
    double want = 0;
    for (size_t i = 0; i < n; i++) {
        g[i] = frand(&s);
        p1[i] = p2[i] = frand(&s);
        want += (double)g[i] * g[i];
    }
    assert_true(fabs(optim_grad_norm(g, n) - sqrt(want)) <= 1e-9 * sqrt(want));
    optim_adam_config cfg = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.1f, .clip_norm = 1.0f};
    optim_segment seg = {.offset = 0, .count = n, .decay = true};
    optim_adam *a = optim_adam_create(&cfg, n), *b = optim_adam_create(&cfg, n);
    omp_set_num_threads(1);
    double n1 = optim_adam_step(a, p1, g, &seg, 1, 1e-3f);
    omp_set_num_threads(2);
    double n2 = optim_adam_step(b, p2, g, &seg, 1, 1e-3f);
    assert_true(n1 == n2);
    assert_memory_equal(p1, p2, n * 4);
    optim_adam_destroy(a);
    optim_adam_destroy(b);
    free(g); free(p1); free(p2);
}

static void test_schedule(void **state) {
    (void)state;
    // no warm-up: lr_max at 0, midpoint halfway, lr_min at the end (CosineAnnealingLR)
    assert_true(optim_lr_cosine(0, 100, 0, 1.0f, 0.0f) == 1.0f);
    assert_true(fabsf(optim_lr_cosine(50, 100, 0, 1.0f, 0.0f) - 0.5f) < 1e-6f);
    assert_true(fabsf(optim_lr_cosine(100, 100, 0, 1.0f, 0.1f) - 0.1f) < 1e-7f);
    // warm-up of 30 (the demo): linear to lr_max, then cosine from lr_max
    assert_true(fabsf(optim_lr_cosine(0, 300, 30, 3e-3f, 3e-4f) - 1e-4f) < 1e-9f);
    assert_true(fabsf(optim_lr_cosine(29, 300, 30, 3e-3f, 3e-4f) - 3e-3f) < 1e-9f);
    assert_true(fabsf(optim_lr_cosine(30, 300, 30, 3e-3f, 3e-4f) - 3e-3f) < 1e-9f);
    assert_true(fabsf(optim_lr_cosine(299, 300, 30, 3e-3f, 3e-4f) - 3e-4f) < 1e-6f);
    for (size_t s = 31; s < 300; s++)
        assert_true(optim_lr_cosine(s, 300, 30, 3e-3f, 3e-4f) <= optim_lr_cosine(s - 1, 300, 30, 3e-3f, 3e-4f));
}

static void test_bad_config(void **state) {
    (void)state;
    optim_adam_config cfg = {.beta1 = 1.0f, .beta2 = 0.999f, .eps = 1e-8f};
    assert_null(optim_adam_create(&cfg, 10));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_adamw_clip),
        cmocka_unit_test(test_grad_norm_and_threads),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
