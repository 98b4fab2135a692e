// test_rowops.c — row kernels: every ISA table against the scalar reference, and the
// reference's backward kernels against central finite differences of its forward kernels.
// Buffers are NaN-poisoned one element past the row to catch out-of-bounds writes/reads.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "rowops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// SIMD vs reference: both f32 with different summation orders and exp/tanh polynomials
// (≈2 ulp); 2e-5 relative (+ absolute floor for values near 0) leaves 10x headroom.
#define TOL_ISA_REL 2e-5
#define TOL_ISA_ABS 2e-6
// Row statistics (LayerNorm mean/rstd, dot products) summed in another order: fp32 error grows
// with the row length, ~n·ulp at worst; sumsq accumulates in double on both paths.
#define TOL_STAT_REL 1e-5f
#define TOL_SUMSQ_REL 1e-12
// GELU's backward through tanh: its polynomial approximations differ by more than the forward's.
#define TOL_GELU_BWD_REL 1e-4
#define TOL_GELU_BWD_ABS 1e-5
// Finite differences in double on f32 kernels with step 1e-2: truncation O(h^2) ≈ 1e-4,
// f32 rounding of the forward ≈ 1e-7/h ≈ 1e-5 → 2e-3 relative to the gradient scale.
#define TOL_FD 2e-3
#define FD_STEP 1e-2

static const size_t sizes[] = {1, 5, 16, 17, 31, 64, 100, 768, 1029};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static uint64_t rs = 88172645463325252ull;
static float frand(void) { return xorshift_uniform(&rs, -1.0f, 1.0f); }

static float *buf(size_t n, float scale) {  // n values plus one NaN sentinel
    float *p = malloc((n + 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = scale * frand();
    p[n] = NAN;
    return p;
}

static void expect_close(const float *got, const float *want, size_t n, double rel, double abs,
                         const char *what, size_t C) {
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= abs + rel * fabs((double)want[i]))) {
            fprintf(stderr, "%s C=%zu i=%zu: got %.9g want %.9g\n", what, C, i, got[i], want[i]);
            fail();
        }
    }
    assert_true(isnan(got[n]));  // sentinel untouched
}

static void check_table(const rowops_kernels *k) {
    const rowops_kernels *r = rowops_ref();
    for (size_t si = 0; si < NSIZES; si++) {
        size_t C = sizes[si];
        float *x = buf(C, 3.0f), *w = buf(C, 1.0f), *b = buf(C, 1.0f), *dy = buf(C, 1.0f);
        float *y1 = buf(C, 0), *y2 = buf(C, 0);
        float m1, r1, m2, r2;
        x[0] += 5.0f;  // a non-zero mean
        k->layernorm_fwd(y1, &m1, &r1, x, w, b, C, 1e-5f);
        r->layernorm_fwd(y2, &m2, &r2, x, w, b, C, 1e-5f);
        expect_close(y1, y2, C, TOL_ISA_REL, 10 * TOL_ISA_ABS, "layernorm_fwd", C);
        assert_true(fabsf(m1 - m2) <= TOL_STAT_REL * (1 + fabsf(m2)) && fabsf(r1 - r2) <= TOL_STAT_REL * r2);
        for (size_t i = 0; i < C; i++) y1[i] = y2[i] = 0.25f;
        k->layernorm_bwd_dx(y1, dy, x, w, m2, r2, C);
        r->layernorm_bwd_dx(y2, dy, x, w, m2, r2, C);
        expect_close(y1, y2, C, TOL_ISA_REL, 10 * TOL_ISA_ABS, "layernorm_bwd_dx", C);
        float *dw1 = buf(C, 1.0f), *db1 = buf(C, 1.0f);
        float *dw2 = malloc((C + 1) * 4), *db2 = malloc((C + 1) * 4);
        memcpy(dw2, dw1, (C + 1) * 4);
        memcpy(db2, db1, (C + 1) * 4);
        k->layernorm_bwd_params(dw1, db1, dy, x, m2, r2, C);
        r->layernorm_bwd_params(dw2, db2, dy, x, m2, r2, C);
        expect_close(dw1, dw2, C, TOL_ISA_REL, TOL_ISA_ABS, "layernorm_bwd_params dw", C);
        expect_close(db1, db2, C, TOL_ISA_REL, TOL_ISA_ABS, "layernorm_bwd_params db", C);

        // softmax with a wide range of logits (attention scores can reach |s| ~ 30)
        float *s = buf(C, 30.0f);
        k->softmax_fwd(y1, s, C, 0.125f);
        r->softmax_fwd(y2, s, C, 0.125f);
        expect_close(y1, y2, C, TOL_ISA_REL, TOL_ISA_ABS, "softmax_fwd", C);
        k->softmax_bwd(dw1, y2, dy, C, 0.125f);
        r->softmax_bwd(dw2, y2, dy, C, 0.125f);
        expect_close(dw1, dw2, C, 1e-4, TOL_ISA_ABS, "softmax_bwd", C);
        memcpy(y1, s, C * 4);  // in place (p aliases s)
        k->softmax_fwd(y1, y1, C, 0.125f);
        expect_close(y1, y2, C, TOL_ISA_REL, TOL_ISA_ABS, "softmax_fwd in place", C);

        // GELU over [-12, 12] (tanh saturation) and the aliasing forms
        float *g = buf(C, 12.0f);
        k->gelu_fwd(y1, g, C);
        r->gelu_fwd(y2, g, C);
        expect_close(y1, y2, C, TOL_ISA_REL, TOL_ISA_ABS, "gelu_fwd", C);
        k->gelu_bwd(y1, g, dy, C);
        r->gelu_bwd(y2, g, dy, C);
        expect_close(y1, y2, C, TOL_GELU_BWD_REL, TOL_GELU_BWD_ABS, "gelu_bwd", C);
        memcpy(y1, dy, C * 4);
        k->gelu_bwd(y1, g, y1, C);
        expect_close(y1, y2, C, TOL_GELU_BWD_REL, TOL_GELU_BWD_ABS, "gelu_bwd in place", C);

        float d1 = k->dot(x, dy, C), d2 = r->dot(x, dy, C);
        assert_true(fabsf(d1 - d2) <= TOL_STAT_REL * (float)C * 3.0f);
        memcpy(y1, w, C * 4);
        memcpy(y2, w, C * 4);
        k->axpy(y1, 0.3f, x, C);
        r->axpy(y2, 0.3f, x, C);
        expect_close(y1, y2, C, TOL_ISA_REL, TOL_ISA_ABS, "axpy", C);

        double q1 = k->sumsq(x, C), q2 = r->sumsq(x, C);
        assert_true(fabs(q1 - q2) <= TOL_SUMSQ_REL * q2);
        // Adam: p, m, v from x, w, b (v must be >= 0), grads dy; a few ulp apart (FMA contraction)
        rowops_adam_args aa = {.gscale = 0.7f, .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.95f,
                               .bc1 = 0.19f, .bc2 = 0.0975f, .eps = 1e-8f, .wd = 0.1f};
        float *p1 = buf(C, 1.0f), *am1 = buf(C, 0.1f), *v1 = buf(C, 0.0f);
        float *p2 = malloc((C + 1) * 4), *am2 = malloc((C + 1) * 4), *v2 = malloc((C + 1) * 4);
        for (size_t i = 0; i < C; i++) v1[i] = 0.01f * fabsf(w[i]);
        memcpy(p2, p1, (C + 1) * 4);
        memcpy(am2, am1, (C + 1) * 4);
        memcpy(v2, v1, (C + 1) * 4);
        k->adam(p1, am1, v1, dy, C, &aa);
        r->adam(p2, am2, v2, dy, C, &aa);
        expect_close(p1, p2, C, TOL_ISA_REL, TOL_ISA_ABS, "adam p", C);
        expect_close(am1, am2, C, TOL_ISA_REL, TOL_ISA_ABS, "adam m", C);
        expect_close(v1, v2, C, TOL_ISA_REL, TOL_ISA_ABS, "adam v", C);
        free(p1); free(am1); free(v1); free(p2); free(am2); free(v2);

        free(x); free(w); free(b); free(dy); free(y1); free(y2);
        free(dw1); free(db1); free(dw2); free(db2); free(s); free(g);
    }
}

static void test_isa_vs_ref(void **state) {
    (void)state;
    int tested = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        check_table(rowops_get((w2s_isa)isa));
        tested++;
    }
    assert_true(tested >= 1);
#if defined(__x86_64__)
    if (w2s_isa_supported(W2S_ISA_AVX512)) assert_ptr_equal(rowops_get(W2S_ISA_AVX512), rowops_avx512());
#endif
}

// ---- reference backward kernels vs finite differences of the reference forward

// L(x) = <u, f(x)> for a fixed random u, so dL/dx = J^T u is what the backward kernels give.
static double ln_loss(const float *x, const float *w, const float *b, const float *u, size_t C) {
    float y[64];
    rowops_ref()->layernorm_fwd(y, NULL, NULL, x, w, b, C, 1e-5f);
    double s = 0;
    for (size_t i = 0; i < C; i++) s += (double)u[i] * y[i];
    return s;
}

static void expect_fd(double got, double want, double scale, const char *what, size_t i) {
    if (!(fabs(got - want) <= TOL_FD * scale)) {
        fprintf(stderr, "%s[%zu]: analytic %.9g, finite difference %.9g\n", what, i, got, want);
        fail();
    }
}

static void test_ref_grads_fd(void **state) {
    (void)state;
    const rowops_kernels *r = rowops_ref();
    enum { C = 24 };
    float x[C], w[C], b[C], u[C], dx[C] = {0}, dw[C] = {0}, db[C] = {0};
    for (size_t i = 0; i < C; i++) {
        x[i] = 2.0f * frand() + 0.5f;
        w[i] = 1.0f + 0.5f * frand();
        b[i] = frand();
        u[i] = frand();
    }
    float y[C], mean, rstd;
    r->layernorm_fwd(y, &mean, &rstd, x, w, b, C, 1e-5f);
    r->layernorm_bwd_dx(dx, u, x, w, mean, rstd, C);
    r->layernorm_bwd_params(dw, db, u, x, mean, rstd, C);
    for (size_t i = 0; i < C; i++) {
        float save = x[i];
        x[i] = save + (float)FD_STEP;
        double lp = ln_loss(x, w, b, u, C);
        x[i] = save - (float)FD_STEP;
        double lm = ln_loss(x, w, b, u, C);
        x[i] = save;
        expect_fd(dx[i], (lp - lm) / (2 * FD_STEP), 1.0, "layernorm dx", i);
        save = w[i];
        w[i] = save + (float)FD_STEP;
        lp = ln_loss(x, w, b, u, C);
        w[i] = save - (float)FD_STEP;
        lm = ln_loss(x, w, b, u, C);
        w[i] = save;
        expect_fd(dw[i], (lp - lm) / (2 * FD_STEP), 1.0, "layernorm dw", i);
        expect_fd(db[i], u[i], 1.0, "layernorm db", i);
    }
    // softmax(scale*s): dL/ds
    float s[C], p[C], ds[C];
    for (size_t i = 0; i < C; i++) s[i] = 4.0f * frand();
    r->softmax_fwd(p, s, C, 0.5f);
    r->softmax_bwd(ds, p, u, C, 0.5f);
    for (size_t i = 0; i < C; i++) {
        double l[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            float save = s[i];
            s[i] = save + (sgn ? -1.0f : 1.0f) * (float)FD_STEP;
            r->softmax_fwd(p, s, C, 0.5f);
            s[i] = save;
            l[sgn] = 0;
            for (size_t j = 0; j < C; j++) l[sgn] += (double)u[j] * p[j];
        }
        expect_fd(ds[i], (l[0] - l[1]) / (2 * FD_STEP), 0.1, "softmax ds", i);
    }
    // GELU, elementwise
    for (size_t i = 0; i < C; i++) {
        float g = 6.0f * frand(), one = 1.0f, d, yp, ym;
        r->gelu_bwd(&d, &g, &one, 1);
        float gp = g + (float)FD_STEP, gm = g - (float)FD_STEP;
        r->gelu_fwd(&yp, &gp, 1);
        r->gelu_fwd(&ym, &gm, 1);
        expect_fd(d, ((double)yp - ym) / (2 * FD_STEP), 1.0, "gelu dx", i);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_vs_ref),
        cmocka_unit_test(test_ref_grads_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
