// test_quant.c — quant.h: s8 per-channel weights and u8 per-token activations against hand
// computations, every ISA's kernels bit-identical to the scalar reference (simd/convert.h),
// round-trip bounds, the special rows (zero, constant, subnormal, NaN/Inf), bf16 conversion of
// every bf16 value and of special/random f32 bit patterns, and an end-to-end int8 GEMM through
// gemm()'s dequantizing epilogue against the f32 product.
#include "quant.h"

#include "convert.h"
#include "error.h"
#include "gemm.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "xorshift.h"

// Round-trip slack, in units of the scale, beyond the ideal scale/2: x·(1/scale) is two f32
// roundings away from x/scale (relative 2^-23 of at most 255.5, i.e. ~3e-5), and the zero point
// is rounded the same way. 1e-4 covers that with margin; a wrong rounding mode or an off-by-one
// zero point costs 0.5 or more.
#define ROUNDTRIP_SLACK 1e-4

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return xorshift64(&rng); }
static float rnd_f(float lo, float hi) { return xorshift_uniform(&rng, lo, hi); }

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// The ISA levels this CPU supports (scalar first).
static int isas_here(w2s_isa *out) {
    int n = 0;
    (void)w2s_isa_detected();
    for (int i = 0; i < W2S_ISA_COUNT; i++)
        if (w2s_isa_supported((w2s_isa)i)) out[n++] = (w2s_isa)i;
    return n;
}

// ---- weights

static void test_weights_hand(void **state) {
    // Column 0 has max |w| = 127, so its scale is exactly 1 and q = rint(w): ties go to even.
    // Column 1 is all zeros: scale 1, q 0. Column 2 has max 0.5: scale 0.5/127.
    const float w[6][3] = {{127, 0, 0.5f}, {63.5f, 0, -0.25f}, {-0.5f, 0, 0},
                           {1.5f, 0, 0.125f}, {2.5f, 0, -0.5f}, {-127, 0, 0}};
    const int8_t want0[6] = {127, 64, 0, 2, 2, -127};
    int8_t q[6][3];
    float s[3];
    assert_int_equal(quant_weights_s8_per_channel(&q[0][0], s, &w[0][0], 6, 3), 0);
    assert_true(s[0] == 1.0f && s[1] == 1.0f && s[2] == 0.5f / 127.0f);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(q[k][0], want0[k]);
        assert_int_equal(q[k][1], 0);
        assert_int_equal(q[k][2], (int8_t)rintf(w[k][2] / s[2]));
    }
    assert_int_equal(q[0][2], 127);
    assert_int_equal(q[4][2], -127);
}

static void test_weights_random(void **state) {
    size_t K = 97, N = 131;
    float *w = malloc(K * N * 4), *s = malloc(N * 4);
    int8_t *q = malloc(K * N);
    for (size_t i = 0; i < K * N; i++) w[i] = rnd_f(-1, 1) * (float)(1 + i % N) * 0.01f;
    for (size_t k = 0; k < K; k++) w[k * N + 7] = 1e-42f;  // subnormal column: scale 1, q 0
    assert_int_equal(quant_weights_s8_per_channel(q, s, w, K, N), 0);
    for (size_t n = 0; n < N; n++) {
        int maxq = 0;
        for (size_t k = 0; k < K; k++) {
            int v = q[k * N + n];
            assert_true(v >= -127 && v <= 127);
            maxq = abs(v) > maxq ? abs(v) : maxq;
            double err = fabs((double)w[k * N + n] - (double)s[n] * v);
            assert_true(err <= s[n] * (0.5 + ROUNDTRIP_SLACK));
        }
        if (n == 7) {
            assert_true(s[n] == 1.0f && maxq == 0);
        } else {
            assert_int_equal(maxq, 127);  // the largest |w| maps to ±127
        }
    }
    quant_error e = quant_error_weights_s8(w, q, s, K, N);
    assert_true(e.max_abs > 0 && e.mean_abs > 0 && e.mean_abs <= e.max_abs);
    assert_true(e.max_ref > 0);
    free(w);
    free(s);
    free(q);
}

static void test_weights_nonfinite(void **state) {
    float w[4] = {1, 2, NAN, 4};
    int8_t q[4];
    float s[2];
    assert_int_equal(quant_weights_s8_per_channel(q, s, w, 2, 2), -1);
    assert_non_null(strstr(w2s_error_message(), "W[1,0]"));
    w[2] = -INFINITY;
    assert_int_equal(quant_weights_s8_per_channel(q, s, w, 2, 2), -1);
}

// ---- activations

static void test_rows_hand(void **state) {
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    for (int t = 0; t < ni; t++) {
        // Row 0: range [-10, 245] → scale 1, zero 10; ties 2.5 → 2, 3.5 → 4.
        // Row 1: all zeros → scale 1, zero 0. Row 2: constant 5 → range [0, 5], zero 0, q 255.
        // Row 3: constant -3 → range [-3, 0], zero 255, q 0. Row 4: [0, 255] → q = x.
        float x[5][6] = {{-10, 245, 0, 2.5f, 3.5f, -0.5f}, {0, 0, 0, 0, 0, 0}, {5, 5, 5, 5, 5, 5},
                         {-3, -3, -3, -3, -3, -3}, {0, 255, 17, 254.5f, 1, 128}};
        const uint8_t want[5][6] = {{0, 255, 10, 12, 14, 10}, {0, 0, 0, 0, 0, 0},
                                    {255, 255, 255, 255, 255, 255}, {0, 0, 0, 0, 0, 0},
                                    {0, 255, 17, 254, 1, 128}};
        const int32_t want_zero[5] = {10, 0, 0, 255, 0};
        uint8_t q[5][6];
        float s[5];
        int32_t z[5];
        assert_int_equal(quant_rows_u8_isa(isas[t], &q[0][0], 6, s, z, &x[0][0], 6, 5, 6), 0);
        assert_true(s[0] == 1.0f && s[1] == 1.0f && s[4] == 1.0f);
        assert_true(s[2] == 5.0f / 255.0f && s[3] == 3.0f / 255.0f);
        for (int i = 0; i < 5; i++) {
            assert_int_equal(z[i], want_zero[i]);
            assert_memory_equal(q[i], want[i], 6);
        }
    }
}

// Fills a row with one of several value distributions, zeros sprinkled in.
static void fill_row(float *r, size_t K, int kind) {
    float a = rnd_f(0.01f, 100.0f);
    for (size_t k = 0; k < K; k++) {
        switch (kind) {
        case 0: r[k] = rnd_f(-a, a); break;
        case 1: r[k] = rnd_f(0, a); break;              // non-negative (GELU outputs)
        case 2: r[k] = rnd_f(-a, 0); break;             // non-positive
        case 3: r[k] = (float)((int)(rnd() % 511) - 255) * 0.5f; break;  // many exact ties
        case 4: r[k] = rnd_f(-a, a) * (rnd() % 50 == 0 ? 40.0f : 1.0f); break;  // outliers
        default: r[k] = 7.25f; break;                   // constant
        }
        if (rnd() % 7 == 0) r[k] = 0.0f;
    }
}

// Every ISA gives the reference's exact bytes; round trip within scale/2; zeros exact; each
// row equals its own single-row quantization (batch independence).
static void test_rows_random(void **state) {
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    static const size_t Ks[] = {0, 1, 2, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 768};
    for (size_t kk = 0; kk < sizeof Ks / sizeof Ks[0]; kk++) {
        size_t K = Ks[kk], M = 13, ldx = K + 3, ldq = K + 5;
        float *x = malloc(M * ldx * 4 + 4);
        uint8_t *q_ref = malloc(M * ldq + 1), *q = malloc(M * ldq + 1);
        float s_ref[13], s[13];
        int32_t z_ref[13], z[13];
        for (size_t i = 0; i < M * ldx; i++) x[i] = NAN;  // padding: never read
        for (size_t i = 0; i < M; i++) fill_row(x + i * ldx, K, (int)(i % 6));
        memset(q_ref, 0xEE, M * ldq + 1);
        assert_int_equal(quant_rows_u8_isa(W2S_ISA_SCALAR, q_ref, ldq, s_ref, z_ref, x, ldx, M, K), 0);
        for (size_t i = 0; i < M; i++) {
            for (size_t k = 0; k < K; k++) {
                float v = x[i * ldx + k];
                int32_t d = (int32_t)q_ref[i * ldq + k] - z_ref[i];
                assert_true(fabs((double)v - (double)s_ref[i] * d) <= s_ref[i] * (0.5 + ROUNDTRIP_SLACK));
                if (v == 0.0f) assert_int_equal(d, 0);  // zero is exact
            }
            for (size_t k = K; k < ldq; k++) assert_int_equal(q_ref[i * ldq + k], 0xEE);
            assert_true(z_ref[i] >= 0 && z_ref[i] <= 255);
        }
        for (int t = 0; t < ni; t++) {
            memset(q, 0xEE, M * ldq + 1);
            assert_int_equal(quant_rows_u8_isa(isas[t], q, ldq, s, z, x, ldx, M, K), 0);
            if (memcmp(q, q_ref, M * ldq + 1) || memcmp(s, s_ref, sizeof s) || memcmp(z, z_ref, sizeof z))
                fail_msg("quant_rows_u8 on %s differs from the reference (K=%zu)", w2s_isa_name(isas[t]), K);
            // Batch independence: row 5 alone is quantized the same.
            uint8_t q1[800];
            float s1;
            int32_t z1;
            assert_int_equal(quant_rows_u8_isa(isas[t], q1, K, &s1, &z1, x + 5 * ldx, ldx, 1, K), 0);
            assert_true(s1 == s_ref[5] && z1 == z_ref[5]);
            assert_memory_equal(q1, q_ref + 5 * ldq, K);
        }
        quant_error e = quant_error_rows_u8(x, ldx, q_ref, ldq, s_ref, z_ref, M, K);
        assert_true(e.mean_abs <= e.max_abs);
        free(x);
        free(q_ref);
        free(q);
    }
}

static void test_rows_special(void **state) {
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    for (int t = 0; t < ni; t++) {
        float x[40];
        uint8_t q[40];
        float s;
        int32_t z;
        // Subnormal-sized range: treated as a zero row.
        for (int k = 0; k < 40; k++) x[k] = (k & 1) ? 1e-40f : -3e-41f;
        assert_int_equal(quant_rows_u8_isa(isas[t], q, 40, &s, &z, x, 40, 1, 40), 0);
        assert_true(s == 1.0f && z == 0);
        for (int k = 0; k < 40; k++) assert_int_equal(q[k], 0);
        // NaN / Inf anywhere (also in the SIMD tail) → error naming the row.
        static const int pos[] = {0, 15, 16, 33, 39};
        for (int p = 0; p < 5; p++) {
            for (int k = 0; k < 40; k++) x[k] = (float)k;
            x[pos[p]] = p & 1 ? NAN : (p & 2 ? INFINITY : -INFINITY);
            // Row 0 of 2 is fine, row 1 holds the bad value: row 0 is done, the call fails.
            float xx[80];
            uint8_t qq[80];
            float ss[2];
            int32_t zz[2];
            for (int k = 0; k < 40; k++) xx[k] = 1.0f;
            memcpy(xx + 40, x, sizeof x);
            assert_int_equal(quant_rows_u8_isa(isas[t], qq, 40, ss, zz, xx, 40, 2, 40), -1);
            assert_non_null(strstr(w2s_error_message(), "row 1"));
            assert_true(ss[0] == 1.0f / 255.0f && zz[0] == 0 && qq[0] == 255);
        }
        // A range that overflows f32.
        x[0] = -3e38f;
        x[1] = 3e38f;
        for (int k = 2; k < 40; k++) x[k] = 0;
        assert_int_equal(quant_rows_u8_isa(isas[t], q, 40, &s, &z, x, 40, 1, 40), -1);
        assert_non_null(strstr(w2s_error_message(), "overflows"));
    }
}

// ---- bf16

static void test_bf16_all_values(void **state) {
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    w2s_bf16 *h = malloc(65536 * 2), *back = malloc(65536 * 2);
    float *f = malloc(65536 * 4), *ref = malloc(65536 * 4);
    for (uint32_t i = 0; i < 65536; i++) h[i] = (w2s_bf16)i;
    for (uint32_t i = 0; i < 65536; i++) ref[i] = w2s_bf16_to_f32(h[i]);
    for (int t = 0; t < ni; t++) {
        convert_get(isas[t])->bf16_to_f32(f, h, 65536);
        assert_memory_equal(f, ref, 65536 * 4);
        // Every bf16 value survives f32 → bf16 unchanged, except NaNs, which come back quiet.
        convert_get(isas[t])->f32_to_bf16(back, f, 65536);
        for (uint32_t i = 0; i < 65536; i++) {
            bool nan = (i & 0x7fff) > 0x7f80;
            assert_int_equal(back[i], nan ? (i | 0x40) : i);
        }
    }
    free(h);
    free(back);
    free(f);
    free(ref);
}

static void test_bf16_patterns(void **state) {
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    enum { N = 4099 };  // not a multiple of any vector width
    static const uint32_t special[] = {
        0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x007f8000, 0x00018000, 0x0000ffff,
        0x00800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7f800001, 0xffc00001,
        0x7fffffff, 0x3f808000, 0x3f818000, 0x3f807fff, 0xbf808000, 0x3f80ffff, 0x477fff80,
    };
    float *x = malloc(N * 4);
    w2s_bf16 *ref = malloc(N * 2), *got = malloc(N * 2 + 2);
    for (size_t i = 0; i < N; i++) {
        uint32_t u = (uint32_t)rnd();
        if (i % 3 == 0) u = (u & 0x8000ffff) | ((uint32_t)(rnd() % 256) << 23);  // every exponent
        if (i % 5 == 0) u = (u & 0xffff0000) | 0x8000;                             // exact ties
        if (i < sizeof special / 4) u = special[i];
        x[i] = from_bits(u);
        ref[i] = w2s_f32_to_bf16(x[i]);
    }
    for (int t = 0; t < ni; t++)
        for (size_t n = 0; n <= 70; n += (n < 40 ? 1 : 15)) {  // tails of every length
            size_t off = n % 7;
            got[off + n] = 0xBEEF;
            convert_get(isas[t])->f32_to_bf16(got + off, x + off, n);
            if (memcmp(got + off, ref + off, n * 2))
                fail_msg("f32→bf16 on %s differs from w2s_f32_to_bf16 (n=%zu)", w2s_isa_name(isas[t]), n);
            assert_int_equal(got[off + n], 0xBEEF);  // nothing written past n
        }
    for (int t = 0; t < ni; t++) {
        convert_get(isas[t])->f32_to_bf16(got, x, N);
        if (memcmp(got, ref, N * 2)) fail_msg("f32→bf16 on %s differs (bulk)", w2s_isa_name(isas[t]));
    }
    float y[5] = {1.00390625f, -2.0f, 3.14159265f, 1e-40f, 65535.0f};
    for (int i = 0; i < 5; i++) y[i] = w2s_round_bf16(y[i]);
    assert_true(y[0] == 1.0f && y[1] == -2.0f && y[2] == 3.140625f && y[4] == 65536.0f);
    assert_true(y[3] != 0.0f);  // subnormals are rounded, not flushed
    free(x);
    free(ref);
    free(got);
}

// ---- end to end: quantize X and W, multiply with gemm's dequantizing epilogue, compare with
// the f32 product. Per element, the error is bounded by Σ_k |x||ew| + |w||ex| + |ex||ew| with
// |ex| ≤ row_scale/2 and |ew| ≤ col_scale/2 (quantization), plus f32 rounding of the epilogue
// (relative 2^-20 of the largest term, as in test_gemm_u8s8.c).
static void test_int8_matmul(void **state) {
    size_t M = 37, K = 203, N = 77;
    float *x = malloc(M * K * 4), *w = malloc(K * N * 4), *c = malloc(M * N * 4);
    uint8_t *qx = malloc(M * K);
    int8_t *qw = malloc(K * N);
    float *sx = malloc(M * 4), *sw = malloc(N * 4);
    int32_t *zx = malloc(M * 4);
    for (size_t i = 0; i < M; i++) fill_row(x + i * K, K, (int)(i % 5));
    for (size_t i = 0; i < K * N; i++) w[i] = rnd_f(-0.2f, 0.2f);
    assert_int_equal(quant_weights_s8_per_channel(qw, sw, w, K, N), 0);
    assert_int_equal(quant_rows_u8(qx, K, sx, zx, x, K, M, K), 0);
    w2s_isa isas[W2S_ISA_COUNT];
    int ni = isas_here(isas);
    for (int t = 0; t < ni; t++) {
        gemm_packed_b pb;
        assert_int_equal(gemm_pack_b(&pb, GEMM_U8S8, isas[t], K, N, W2S_DTYPE_S8, (gemm_view){qw, (ptrdiff_t)N, 1}), 0);
        for (size_t i = 0; i < M * N; i++) c[i] = NAN;
        gemm_args g = {.M = M, .N = N, .K = K, .a_dtype = W2S_DTYPE_U8, .a = {qx, (ptrdiff_t)K, 1},
                       .b_packed = &pb, .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = N,
                       .ep = {.row_scale = sx, .row_zero = zx, .col_scale = sw}};
        assert_int_equal(gemm(GEMM_U8S8, isas[t], &g), 0);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double exact = 0, bound = 0, mag = 0;
                for (size_t k = 0; k < K; k++) {
                    double xv = x[i * K + k], wv = w[k * N + j];
                    exact += xv * wv;
                    bound += fabs(xv) * sw[j] / 2 + fabs(wv) * sx[i] / 2 + sx[i] * sw[j] / 4;
                    mag += (fabs(xv) + sx[i]) * (fabs(wv) + sw[j]);
                }
                bound = bound * (1 + 4 * ROUNDTRIP_SLACK) + mag / 1048576.0;
                if (!(fabs(c[i * N + j] - exact) <= bound))
                    fail_msg("%s: C[%zu,%zu] = %g, f32 product %g, bound %g", w2s_isa_name(isas[t]), i,
                             j, (double)c[i * N + j], exact, bound);
            }
        gemm_packed_b_free(&pb);
    }
    free(x);
    free(w);
    free(c);
    free(qx);
    free(qw);
    free(sx);
    free(sw);
    free(zx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_hand),     cmocka_unit_test(test_weights_random),
        cmocka_unit_test(test_weights_nonfinite), cmocka_unit_test(test_rows_hand),
        cmocka_unit_test(test_rows_random),      cmocka_unit_test(test_rows_special),
        cmocka_unit_test(test_bf16_all_values),  cmocka_unit_test(test_bf16_patterns),
        cmocka_unit_test(test_int8_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
