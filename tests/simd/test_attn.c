// test_attn.c — the causal-attention products (attn.h): every ISA table against the scalar
// reference, and the reference against a double-precision product, over sequence lengths and
// head sizes around the register tiles (4 rows, 16/64 columns, 64-column K chunks). Inputs
// above the diagonal of P and every padding column are NaN, so reading them fails the test;
// outputs are NaN-initialised and checked to be written exactly where the contract says.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "attn.h"
#include "cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// f32 sums of at most n = 131 products of values in [-1, 1], in the same index order but with
// FMA vs separate rounding: |error| <= n·2^-24·Σ|terms| ≈ 1e-5 of the absolute sum; the
// check is relative to that sum, so cancellation cannot make it flaky.
#define TOL_SUM_REL 2e-5

static const size_t lens[] = {1, 3, 4, 5, 17, 50, 64, 65, 131};
static const size_t heads[] = {1, 16, 20, 32, 64, 80, 129};
#define NLENS (sizeof lens / sizeof lens[0])
#define NHEADS (sizeof heads / sizeof heads[0])

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static float frand(void) { return xorshift_uniform(&rs, -1.0f, 1.0f); }

// rows × ld floats: the first cols of each row random, the rest NaN.
static float *mat(size_t rows, size_t cols, size_t ld) {
    float *p = malloc((rows * ld + 1) * sizeof *p);
    for (size_t i = 0; i < rows * ld + 1; i++) p[i] = NAN;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) p[i * ld + j] = frand();
    return p;
}

// Lower-triangular n×n (ld) matrix: entries above the diagonal NaN (must never be read).
static float *tri(size_t n, size_t ld) {
    float *p = mat(n, n, ld);
    for (size_t t = 0; t < n; t++)
        for (size_t j = t + 1; j < n; j++) p[t * ld + j] = NAN;
    return p;
}

static float *nans(size_t n) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

// got[i*ld + j] for the (i, j) in the contract vs the double product want (with |terms| sums
// in mag); everything else must still be NaN.
static void expect(const float *got, const double *want, const double *mag, size_t rows, size_t cols, size_t ld,
                   int lower, const char *what, size_t n, size_t hs) {
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < ld; j++) {
            bool in = j < cols && (!lower || j <= i);
            double g = got[i * ld + j];
            if (!in) {
                if (!isnan(g)) {
                    fprintf(stderr, "%s n=%zu hs=%zu: wrote (%zu, %zu) outside the contract\n", what, n, hs, i, j);
                    fail();
                }
                continue;
            }
            double w = want[i * cols + j], tol = TOL_SUM_REL * mag[i * cols + j] + 1e-30;
            if (!(fabs(g - w) <= tol)) {
                fprintf(stderr, "%s n=%zu hs=%zu (%zu, %zu): got %.9g want %.9g\n", what, n, hs, i, j, g, w);
                fail();
            }
        }
}

static void check(const attn_kernels *k, size_t n, size_t hs) {
    size_t lda = hs + 3, ldp = n + 2;  // padded strides, padding NaN
    float *a = mat(n, hs, lda), *b = mat(n, hs, lda), *p = tri(n, ldp);
    double *want = calloc(n * (n > hs ? n : hs), sizeof *want), *mag = calloc(n * (n > hs ? n : hs), sizeof *mag);

    // Q·Kᵀ (lower triangle)
    float *s = nans(n * ldp);
    k->qkt(s, ldp, a, lda, b, lda, n, hs);
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j <= t; j++) {
            double acc = 0, m = 0;
            for (size_t d = 0; d < hs; d++) {
                acc += (double)a[t * lda + d] * b[j * lda + d];
                m += fabs((double)a[t * lda + d] * b[j * lda + d]);
            }
            want[t * n + j] = acc;
            mag[t * n + j] = m;
        }
    expect(s, want, mag, n, n, ldp, 1, "qkt", n, hs);

    // P·X and Pᵀ·X
    float *c = nans(n * lda);
    k->pv(c, lda, p, ldp, b, lda, n, hs);
    for (size_t t = 0; t < n; t++)
        for (size_t d = 0; d < hs; d++) {
            double acc = 0, m = 0;
            for (size_t j = 0; j <= t; j++) {
                acc += (double)p[t * ldp + j] * b[j * lda + d];
                m += fabs((double)p[t * ldp + j] * b[j * lda + d]);
            }
            want[t * hs + d] = acc;
            mag[t * hs + d] = m;
        }
    expect(c, want, mag, n, hs, lda, 0, "pv", n, hs);

    for (size_t i = 0; i < n * lda; i++) c[i] = NAN;
    k->ptv(c, lda, p, ldp, b, lda, n, hs);
    for (size_t j = 0; j < n; j++)
        for (size_t d = 0; d < hs; d++) {
            double acc = 0, m = 0;
            for (size_t t = j; t < n; t++) {
                acc += (double)p[t * ldp + j] * b[t * lda + d];
                m += fabs((double)p[t * ldp + j] * b[t * lda + d]);
            }
            want[j * hs + d] = acc;
            mag[j * hs + d] = m;
        }
    expect(c, want, mag, n, hs, lda, 0, "ptv", n, hs);
    free(a); free(b); free(p); free(s); free(c); free(want); free(mag);
}

static void check_table(const attn_kernels *k) {
    for (size_t i = 0; i < NLENS; i++)
        for (size_t j = 0; j < NHEADS; j++) check(k, lens[i], heads[j]);
}

static void test_ref(void **state) {
    (void)state;
    check_table(attn_ref());
}

// Every ISA level this CPU supports (W2S_ISA lowers the active one); attn_get falls back to the
// reference where a level has no variant, which is then checked again (cheap).
static void test_isa_tables(void **state) {
    (void)state;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++)
        if (w2s_isa_supported((w2s_isa)isa)) check_table(attn_get((w2s_isa)isa));
}

// The AVX-512 table is what the demo uses: make sure the dispatch picks it where it can.
static void test_dispatch(void **state) {
    (void)state;
    if (!w2s_isa_supported(W2S_ISA_AVX512)) skip();
#if defined(__x86_64__)
    assert_ptr_equal(attn_get(W2S_ISA_AVX512), attn_avx512());
    assert_ptr_equal(attn_get(W2S_ISA_AVX2), attn_ref());
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref),
        cmocka_unit_test(test_isa_tables),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
