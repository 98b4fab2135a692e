// test_attn_infer.c — the fused inference attention (attn_infer.h): the scalar reference against
// a double-precision softmax attention, and every ISA kernel against the reference, over
// sequence lengths and head sizes around the tiles (4 query rows, 16-key vectors, 64-key
// chunks, hs up to 64 and the fallback above), from t0 = 0 and from later rows. The qkv rows'
// unused columns, keys/values past n and the scratch are NaN, so reading them fails; output
// columns outside the head are NaN and must stay so.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "attn_infer.h"
#include "cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// Outputs are convex combinations of values in [-1, 1]; f32 scores of ≤ 64 products (|s| ≤ 8
// after scaling), expf vs a ~1-ulp polynomial, and f32 sums of ≤ 131 terms in a different
// order: every output lies within ~1e-5 of the double value. 1e-4 leaves room and still
// catches a wrong mask, scale or row (those move outputs by ~1e-2 or more).
#define TOL_ABS 1e-4

static const size_t lens[] = {1, 2, 4, 5, 16, 17, 63, 64, 65, 128, 131};
static const size_t heads[] = {8, 16, 20, 32, 64, 80};
#define NLENS (sizeof lens / sizeof lens[0])
#define NHEADS (sizeof heads / sizeof heads[0])

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static float frand(void) { return xorshift_uniform(&rs, -1.0f, 1.0f); }

// qkv rows (n + 3 of them, the last 3 NaN): q, k, v of one head at columns [0, hs), [hs + 3,
// 2hs + 3), [2hs + 6, 3hs + 6) of a row of ld = 3hs + 9; the gaps are NaN.
typedef struct {
    float *m;
    size_t ld;
    const float *q, *k, *v;
} qkv_rows;

static qkv_rows make_qkv(size_t n, size_t hs) {
    qkv_rows r;
    r.ld = 3 * hs + 9;
    size_t total = (n + 3) * r.ld;
    r.m = malloc(total * sizeof(float));
    for (size_t i = 0; i < total; i++) r.m[i] = NAN;
    for (size_t t = 0; t < n; t++)
        for (size_t p = 0; p < 3; p++)
            for (size_t d = 0; d < hs; d++) r.m[t * r.ld + p * (hs + 3) + d] = frand();
    r.q = r.m;
    r.k = r.m + hs + 3;
    r.v = r.m + 2 * (hs + 3);
    return r;
}

static float *nans(size_t n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

// Output of rows t0..n-1 into an (n - t0, ldo = hs + 5) NaN matrix.
static float *run(attn_infer_fn f, const qkv_rows *r, size_t n, size_t t0, size_t hs, float scale) {
    size_t ldo = hs + 5;
    float *o = nans((n - t0) * ldo), *scratch = nans(attn_infer_scratch(n, hs));
    // the queries from their own matrix (rows t0.., stride hs + 7, NaN gaps), as the int8
    // graph's last layer passes them
    size_t ldq = hs + 7;
    float *qs = nans((n - t0) * ldq);
    for (size_t t = t0; t < n; t++)
        for (size_t d = 0; d < hs; d++) qs[(t - t0) * ldq + d] = r->q[t * r->ld + d];
    f(o, ldo, qs, ldq, r->k, r->v, r->ld, n, t0, hs, scale, scratch);
    free(qs);
    free(scratch);
    return o;
}

static void expect_rows(const float *o, const qkv_rows *r, size_t n, size_t t0, size_t hs, float scale,
                        const float *ref, const char *what) {
    size_t ldo = hs + 5;
    double *e = malloc(n * sizeof *e);
    for (size_t t = t0; t < n; t++) {
        double mx = -INFINITY, sum = 0.0;
        for (size_t j = 0; j <= t; j++) {
            double s = 0.0;
            for (size_t d = 0; d < hs; d++) s += (double)r->q[t * r->ld + d] * r->k[j * r->ld + d];
            e[j] = s * scale;
            mx = e[j] > mx ? e[j] : mx;
        }
        for (size_t j = 0; j <= t; j++) sum += e[j] = exp(e[j] - mx);
        const float *oi = o + (t - t0) * ldo;
        for (size_t d = 0; d < ldo; d++) {
            if (d >= hs) {
                if (!isnan(oi[d])) fail_msg("%s n=%zu hs=%zu t0=%zu: wrote column %zu of row %zu", what, n, hs, t0, d, t);
                continue;
            }
            double want = 0.0;
            for (size_t j = 0; j <= t; j++) want += e[j] * r->v[j * r->ld + d];
            want /= sum;
            if (!(fabs(oi[d] - want) <= TOL_ABS))
                fail_msg("%s n=%zu hs=%zu t0=%zu: o[%zu, %zu] = %.8g, want %.8g", what, n, hs, t0, t, d,
                         (double)oi[d], want);
            if (ref && !(fabs(oi[d] - ref[(t - t0) * ldo + d]) <= TOL_ABS))
                fail_msg("%s n=%zu hs=%zu t0=%zu: o[%zu, %zu] = %.8g, reference %.8g", what, n, hs, t0, t, d,
                         (double)oi[d], (double)ref[(t - t0) * ldo + d]);
        }
    }
    free(e);
}

static void check(attn_infer_fn f, const char *what) {
    for (size_t a = 0; a < NLENS; a++)
        for (size_t b = 0; b < NHEADS; b++) {
            size_t n = lens[a], hs = heads[b];
            float scale = 1.0f / sqrtf((float)hs);
            qkv_rows r = make_qkv(n, hs);
            size_t starts[] = {0, n / 2, n - 1};
            for (size_t s = 0; s < 3; s++) {
                size_t t0 = starts[s];
                float *ref = run(attn_infer_ref, &r, n, t0, hs, scale);
                float *o = f == attn_infer_ref ? NULL : run(f, &r, n, t0, hs, scale);
                expect_rows(o ? o : ref, &r, n, t0, hs, scale, o ? ref : NULL, what);
                free(o);
                free(ref);
            }
            free(r.m);
        }
}

static void test_ref(void **state) {
    (void)state;
    check(attn_infer_ref, "ref");
}

// Scores far beyond exp's f32 range (q = k = 2 everywhere, scale 1: every score is 4·hs = 256,
// exactly): the max must be subtracted before exp, the weights are then uniform.
static void test_large_scores(void **state) {
    (void)state;
    size_t n = 40, hs = 64;
    qkv_rows r = make_qkv(n, hs);
    for (size_t t = 0; t < n; t++)
        for (size_t d = 0; d < hs; d++) r.m[t * r.ld + d] = r.m[t * r.ld + hs + 3 + d] = 2.0f;
    attn_infer_fn fs[] = {attn_infer_ref, attn_infer_get(w2s_isa_active())->attend};
    for (size_t i = 0; i < 2; i++) {
        float *o = run(fs[i], &r, n, 0, hs, 1.0f);
        expect_rows(o, &r, n, 0, hs, 1.0f, NULL, i ? "large isa" : "large ref");
        free(o);
    }
    free(r.m);
}

static void test_isa(void **state) {
    (void)state;
#if defined(__x86_64__)
    if (!w2s_isa_supported(W2S_ISA_AVX512)) skip();
    check(attn_infer_avx512, "avx512");
    assert_ptr_equal(attn_infer_get(W2S_ISA_AVX512)->attend, attn_infer_avx512);
#else
    skip();
#endif
}

static void test_dispatch(void **state) {
    (void)state;
    assert_ptr_equal(attn_infer_get(W2S_ISA_SCALAR)->attend, attn_infer_ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref),
        cmocka_unit_test(test_large_scores),
        cmocka_unit_test(test_isa),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
