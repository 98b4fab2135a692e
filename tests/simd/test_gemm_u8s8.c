// test_gemm_u8s8.c — every U8S8 micro-kernel this CPU can run (scalar, AVX2, AVX-512, AVX-512
// VNNI, and AVX-VNNI where present) against gemm_ref: raw s32 exactly, the f32 epilogue within
// EPI_REL. Kernels are driven here through their own pack_a/pack_b/ukernel with a tiny
// driver, so K blocking (LOAD/LAST/ACCUM flag sequences), edge tiles and packers are checked
// independently of gemm.c; a second part goes through gemm() itself. Every buffer sits between
// guard zones and C's padding is NaN: nothing outside m×n may be read into a result or written.
#include "gemm_kernel.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "xorshift.h"

// The AVX-VNNI kernel compiled a second time with its VEX vpdpbusd mapped onto the EVEX ymm
// form of AVX512_VNNI+VL (same operation, same operands), so that its tiling, packing and
// epilogue are checked on AVX-512 machines without AVX-VNNI (Zen 4/5), where the real one
// cannot run and QEMU 7.2's TCG does not emulate it either.
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni")
#include <immintrin.h>
#define _mm256_dpbusd_avx_epi32 _mm256_dpbusd_epi32
#define gemm_kernel_u8s8_avx2_vnni test_kernel_u8s8_avx2_vnni_as_evex
#include "gemm_u8s8_avx2_vnni.c"
#undef gemm_kernel_u8s8_avx2_vnni
#undef _mm256_dpbusd_avx_epi32
#pragma GCC pop_options
#endif

// The f32 epilogue computes scale·(float)(acc − zp·csum) + bias in f32 (the reference in
// double), then GELU with a polynomial exp (≈2 ulp) and 1 − 2/(e+1): a handful of roundings,
// each ≤ ½ ulp of the largest term involved. 2^-20 (16 ulp of the largest term: the scaled
// sum, the bias, or the old C) covers them with margin while catching any wrong term
// (one missing zero-point or bias contribution is orders of magnitude larger).
#define EPI_REL (1.0 / 1048576.0)
#define GUARD 64  // bytes of guard zone before and after every buffer

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return xorshift64(&rng); }
static float rnd_f(float lo, float hi) { return xorshift_uniform(&rng, lo, hi); }

// ---- guarded buffers: [GUARD bytes of 0xA5][payload][GUARD bytes of 0xA5]
static void *guarded_alloc(size_t bytes) {
    uint8_t *p = aligned_alloc(64, (2 * GUARD + bytes + 63) / 64 * 64);
    assert_non_null(p);
    memset(p, 0xA5, 2 * GUARD + bytes);
    return p + GUARD;
}
static void guarded_check_free(void *payload, size_t bytes) {
    uint8_t *p = (uint8_t *)payload - GUARD;
    for (size_t i = 0; i < GUARD; i++) {
        assert_int_equal(p[i], 0xA5);
        assert_int_equal(p[GUARD + bytes + i], 0xA5);
    }
    free(p);
}

// ---- one test case
typedef struct {
    size_t M, N, K;
    size_t lda;         // >= K: A row stride (padding bytes are poison, 0xEE)
    size_t ldc;         // >= N: C row stride (padding is NaN / poison bits)
    bool s32;           // raw s32 output (no epilogue) instead of f32
    bool accumulate;
    bool bias, gelu, row_scale, row_zero, col_scale;
    int fill;           // 0 random, 1 extremes: A = 255, B = ±127 in a pattern (see make_case)
} ucase;

typedef struct {
    uint8_t *a;       // (M, lda)
    int8_t *b;        // (K, N) row-major
    void *c, *c_ref;  // (M, ldc) f32 | s32
    float *bias, *row_scale, *col_scale;
    int32_t *row_zero, *col_sum;
} ubufs;

static const uint32_t C_POISON = 0x7fc0dead;  // a NaN as f32, an absurd value as s32

static void make_case(const ucase *u, ubufs *t) {
    size_t M = u->M, N = u->N, K = u->K;
    t->a = guarded_alloc(M * u->lda + 1);
    memset(t->a, 0xEE, M * u->lda + 1);
    t->b = guarded_alloc(K * N + 1);
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < K; k++)
            t->a[i * u->lda + k] = u->fill ? 255 : (uint8_t)rnd();
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < N; j++) {
            int v = (int)(rnd() % 255) - 127;
            // Extremes: whole columns of +127, of −127, and columns alternating in k.
            if (u->fill) v = j % 3 == 0 ? 127 : j % 3 == 1 ? -127 : (k & 1 ? 127 : -127);
            t->b[k * N + j] = (int8_t)v;
        }
    size_t cbytes = (M ? (M - 1) * u->ldc + N : 0) * 4 + 4 * u->ldc;
    t->c = guarded_alloc(cbytes);
    t->c_ref = guarded_alloc(cbytes);
    for (size_t e = 0; e < cbytes / 4; e++) {
        uint32_t v = C_POISON;
        size_t i = e / u->ldc, j = e % u->ldc;
        if (u->accumulate && i < M && j < N) {
            if (u->s32) {
                int32_t s = (int32_t)(rnd() % 2000001) - 1000000;
                memcpy(&v, &s, 4);
            } else {
                float f = rnd_f(-3, 3);
                memcpy(&v, &f, 4);
            }
        }
        memcpy((uint32_t *)t->c + e, &v, 4);
        memcpy((uint32_t *)t->c_ref + e, &v, 4);
    }
    t->bias = u->bias ? guarded_alloc(N * 4) : NULL;
    t->col_scale = u->col_scale ? guarded_alloc(N * 4) : NULL;
    t->col_sum = guarded_alloc(N * 4 + 4);
    t->row_scale = u->row_scale ? guarded_alloc(M * 4) : NULL;
    t->row_zero = u->row_zero ? guarded_alloc(M * 4) : NULL;
    for (size_t j = 0; j < N; j++) {
        if (t->bias) t->bias[j] = rnd_f(-1, 1);
        // Scales make |v| ~ 1 so that GELU sees its interesting range, as in GPT-2.
        if (t->col_scale) t->col_scale[j] = rnd_f(0.2f, 1.0f) / 127.0f;
        int32_t s = 0;
        for (size_t k = 0; k < K; k++) s += t->b[k * N + j];
        t->col_sum[j] = s;
    }
    for (size_t i = 0; i < M; i++) {
        if (t->row_scale) t->row_scale[i] = rnd_f(0.5f, 2.0f) / 255.0f / (float)(K ? K : 1) * 8.0f;
        if (t->row_zero) t->row_zero[i] = (int32_t)(rnd() % 256);
    }
}

static void free_case(const ucase *u, ubufs *t) {
    size_t cbytes = (u->M ? (u->M - 1) * u->ldc + u->N : 0) * 4 + 4 * u->ldc;
    guarded_check_free(t->a, u->M * u->lda + 1);
    guarded_check_free(t->b, u->K * u->N + 1);
    guarded_check_free(t->c, cbytes);
    guarded_check_free(t->c_ref, cbytes);
    if (t->bias) guarded_check_free(t->bias, u->N * 4);
    if (t->col_scale) guarded_check_free(t->col_scale, u->N * 4);
    guarded_check_free(t->col_sum, u->N * 4 + 4);
    if (t->row_scale) guarded_check_free(t->row_scale, u->M * 4);
    if (t->row_zero) guarded_check_free(t->row_zero, u->M * 4);
}

static gemm_args make_args(const ucase *u, const ubufs *t, void *c) {
    return (gemm_args){
        .M = u->M, .N = u->N, .K = u->K, .a_dtype = W2S_DTYPE_U8,
        .a = {t->a, (ptrdiff_t)u->lda, 1}, .b_dtype = W2S_DTYPE_S8, .b = {t->b, (ptrdiff_t)u->N, 1},
        .c_dtype = u->s32 ? W2S_DTYPE_S32 : W2S_DTYPE_F32, .c = c, .ldc = u->ldc,
        .ep = {.bias = t->bias, .gelu = u->gelu, .accumulate = u->accumulate,
               .row_scale = t->row_scale, .row_zero = t->row_zero, .col_scale = t->col_scale},
    };
}

// Compares C with the reference: s32 exactly; f32 within EPI_REL of the largest term; the
// padding columns bit-for-bit unchanged. Returns the number of mismatches (prints the first).
static int compare(const ucase *u, const ubufs *t, const char *who) {
    int bad = 0;
    for (size_t i = 0; i < u->M; i++)
        for (size_t j = 0; j < u->ldc; j++) {
            size_t o = i * u->ldc + j;
            uint32_t got, want;
            memcpy(&got, (uint32_t *)t->c + o, 4);
            memcpy(&want, (uint32_t *)t->c_ref + o, 4);
            bool ok;
            if (j >= u->N || u->s32) {
                ok = got == want;
            } else {
                float g, w;
                memcpy(&g, &got, 4);
                memcpy(&w, &want, 4);
                // The terms' magnitudes: the scaled integer sum (recomputed exactly), the bias,
                // the old C (|C_old| <= 3 by construction). GELU's slope is within [-0.13, 1.13].
                int64_t acc = 0;
                for (size_t k = 0; k < u->K; k++)
                    acc += (int64_t)t->a[i * u->lda + k] * t->b[k * u->N + j];
                if (t->row_zero) acc -= (int64_t)t->row_zero[i] * t->col_sum[j];
                double scale = (t->row_scale ? t->row_scale[i] : 1.0) *
                               (t->col_scale ? t->col_scale[j] : 1.0);
                double mag = fabs(scale * (double)acc) + (t->bias ? fabs(t->bias[j]) : 0) +
                             (u->accumulate ? 3.0 : 0.0) + 1e-30;
                ok = isfinite(g) && fabs((double)g - (double)w) <= EPI_REL * mag;
            }
            if (!ok && bad++ == 0)
                print_message("%s: M=%zu N=%zu K=%zu s32=%d acc=%d bias=%d gelu=%d rs=%d rz=%d "
                              "cs=%d fill=%d: C[%zu,%zu] got %08x want %08x\n",
                              who, u->M, u->N, u->K, u->s32, u->accumulate, u->bias, u->gelu,
                              u->row_scale, u->row_zero, u->col_scale, u->fill, i, j, got, want);
        }
    return bad;
}

// ---- the test's own driver: the flag sequences of gemm_kernel.h, K blocks of kc_blk
static void *panel_alloc(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    assert_non_null(p);
    return p;
}

// direct: hand the kernel A in place (gemm_kernel.h "Direct A") where the driver would: the
// kernel supports it and every K group lies inside the row (K a multiple of 4).
static void drive(const gemm_kernel *k, const ucase *u, const ubufs *t, size_t kc_blk,
                  bool prepacked, bool direct) {
    size_t M = u->M, N = u->N, K = u->K, mr = k->mr, nr = k->nr;
    bool nonlinear_acc = u->accumulate && !u->s32;
    if (nonlinear_acc || K == 0) kc_blk = (K + 3) / 4 * 4 + 4;  // one block of all K
    size_t kgroups_all = (K + 3) / 4, npanels = (N + nr - 1) / nr;
    direct = direct && k->direct_a && K % 4 == 0;
    int8_t *pre = NULL;
    if (prepacked) {  // gemm_packed_b layout: whole-K panels, blocks used in place
        pre = panel_alloc(npanels * kgroups_all * nr * 4 + 1);
        for (size_t p = 0; p < npanels; p++)
            k->pack_b(k, pre + p * kgroups_all * nr * 4, W2S_DTYPE_S8,
                      (gemm_view){t->b + p * nr, (ptrdiff_t)N, 1}, K, N - p * nr < nr ? N - p * nr : nr);
    }
    uint8_t *pa = panel_alloc(mr * (kc_blk + 4));
    int8_t *pb = panel_alloc(nr * (kc_blk + 4));
    for (size_t i0 = 0; i0 < M; i0 += mr)
        for (size_t j0 = 0; j0 < N; j0 += nr) {
            size_t m = M - i0 < mr ? M - i0 : mr, n = N - j0 < nr ? N - j0 : nr;
            for (size_t k0 = 0; k0 < K || (k0 == 0 && K == 0); k0 += kc_blk) {
                size_t kc = K - k0 < kc_blk ? K - k0 : kc_blk;
                bool last = k0 + kc_blk >= K;
                if (kc && !direct) k->pack_a(k, pa, W2S_DTYPE_U8, (gemm_view){t->a + i0 * u->lda + k0, (ptrdiff_t)u->lda, 1}, m, kc);
                const int8_t *bp = pb;
                if (prepacked)
                    bp = pre + (j0 / nr) * kgroups_all * nr * 4 + (k0 / 4) * nr * 4;
                else if (kc)
                    k->pack_b(k, pb, W2S_DTYPE_S8, (gemm_view){t->b + k0 * N + j0, (ptrdiff_t)N, 1}, kc, n);
                unsigned flags = 0;
                if (k0 > 0 || (u->accumulate && !nonlinear_acc)) flags |= GEMM_UK_LOAD;
                if (last) flags |= GEMM_UK_LAST;
                if (last && nonlinear_acc) flags |= GEMM_UK_ACCUM;
                if (u->s32) flags |= GEMM_UK_S32;
                gemm_uk_args a = {
                    .kc = kc, .a = direct ? (const void *)(t->a + i0 * u->lda + k0) : pa,
                    .a_ld = direct ? u->lda : 0, .b = bp, .c = (uint32_t *)t->c + i0 * u->ldc + j0,
                    .ldc = u->ldc, .m = m, .n = n, .flags = flags,
                    .bias = t->bias ? t->bias + j0 : NULL, .gelu = u->gelu,
                    .row_scale = t->row_scale ? t->row_scale + i0 : NULL,
                    .row_zero = t->row_zero ? t->row_zero + i0 : NULL,
                    .col_scale = t->col_scale ? t->col_scale + j0 : NULL,
                    .col_sum = t->col_sum + j0,
                };
                k->ukernel(&a);
            }
        }
    free(pa);
    free(pb);
    free(pre);
}

// The distinct U8S8 kernels gemm_kernel_find hands out for the levels this CPU supports.
static size_t kernels_here(const gemm_kernel **out) {
    size_t n = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        const gemm_kernel *k = gemm_kernel_find(GEMM_U8S8, (w2s_isa)isa);
        assert_non_null(k);
        bool seen = false;
        for (size_t i = 0; i < n; i++) seen |= out[i] == k;
        if (!seen) out[n++] = k;
    }
#if defined(__x86_64__)
    if (w2s_isa_supported(W2S_ISA_AVX512_VNNI) && !w2s_isa_supported(W2S_ISA_AVX2_VNNI))
        out[n++] = &test_kernel_u8s8_avx2_vnni_as_evex;
#endif
    return n;
}

static const char *kname(const gemm_kernel *k) {
#if defined(__x86_64__)
    if (k == &test_kernel_u8s8_avx2_vnni_as_evex) return "gemm_u8s8_avx2_vnni (as EVEX)";
#endif
    return k->name;
}

static int run_kernel_case(const gemm_kernel *k, const ucase *u, size_t kc_blk, bool prepacked) {
    bool direct = rnd() & 1;
    ubufs t;
    make_case(u, &t);
    gemm_args ref = make_args(u, &t, t.c_ref);
    assert_int_equal(gemm_ref(GEMM_U8S8, &ref), 0);
    drive(k, u, &t, kc_blk, prepacked, direct);
    int bad = compare(u, &t, kname(k));
    free_case(u, &t);
    return bad;
}

static ucase random_case(size_t M, size_t N, size_t K) {
    uint64_t r = rnd();
    ucase u = {.M = M, .N = N, .K = K, .lda = K + (r & 1 ? 0 : 1 + (r >> 1) % 9),
               .ldc = N + ((r >> 5) & 1 ? 0 : 1 + (r >> 6) % 5), .s32 = (r >> 10) & 1,
               .accumulate = (r >> 11) & 1};
    if (!u.s32) {
        u.bias = (r >> 12) & 1;
        u.gelu = (r >> 13) & 1;
        u.row_scale = (r >> 14) % 4 != 0;
        u.row_zero = (r >> 16) % 4 != 0;
        u.col_scale = (r >> 18) % 4 != 0;
    }
    return u;
}

// ---- tests

// Every (m, n) edge tile of each kernel, K = 0 / 1 / 3 / 5 (not multiples of 4) and longer,
// both B paths, K blocked in steps of 4 and 8 (many LOAD blocks) and by the kernel's own kc.
static void test_kernels_edges(void **state) {
    const gemm_kernel *ks[W2S_ISA_COUNT + 1];
    size_t nk = kernels_here(ks);
    int bad = 0;
    static const size_t kvals[] = {0, 1, 3, 4, 5, 13, 64, 67};
    for (size_t q = 0; q < nk; q++) {
        const gemm_kernel *k = ks[q];
        int before = bad;
        for (size_t m = 1; m <= k->mr + 1; m++)
            for (size_t n = 1; n <= k->nr + 17; n += (n < 18 ? 1 : 7))
                for (size_t kv = 0; kv < sizeof kvals / sizeof kvals[0]; kv += 1 + (m + n) % 3) {
                    ucase u = random_case(m, n, kvals[kv]);
                    size_t kc_blk = (rnd() & 1) ? k->kc : 4 + 4 * (rnd() % 2);
                    bad += run_kernel_case(k, &u, kc_blk, rnd() & 1);
                }
        print_message("  %-28s edges %s\n", kname(k), bad == before ? "ok" : "FAILED");
    }
    assert_int_equal(bad, 0);
}

// Random and prime shapes up to a few hundred, every epilogue option mixed.
static void test_kernels_random(void **state) {
    const gemm_kernel *ks[W2S_ISA_COUNT + 1];
    size_t nk = kernels_here(ks);
    static const size_t dims[] = {1, 2, 7, 31, 97, 101, 127, 131, 200, 257, 300};
    int bad = 0;
    for (size_t q = 0; q < nk; q++) {
        const gemm_kernel *k = ks[q];
        int before = bad;
        for (int rep = 0; rep < 40; rep++) {
            size_t M = dims[rnd() % 11], N = dims[rnd() % 11], K = rep % 4 == 0 ? dims[rnd() % 11] : rnd() % 300;
            if (k->isa == W2S_ISA_SCALAR && M * N * K > 2000000) M = 1 + M / 8;  // keep it quick
            ucase u = random_case(M, N, K);
            size_t kc_blk = rep % 3 == 0 ? k->kc : 4 * (1 + rnd() % 40);
            bad += run_kernel_case(k, &u, kc_blk, rep & 1);
        }
        print_message("  %-28s random %s\n", kname(k), bad == before ? "ok" : "FAILED");
    }
    assert_int_equal(bad, 0);
}

// The exactness corner: A = 255 everywhere, B = ±127 (all +, all −, alternating). Any
// formulation that saturates at s16 (vpmaddubsw) fails here; K = 1000 reaches |acc| ≈ 3.2e7.
static void test_kernels_extremes(void **state) {
    const gemm_kernel *ks[W2S_ISA_COUNT + 1];
    size_t nk = kernels_here(ks);
    static const size_t kvals[] = {1, 2, 3, 4, 7, 8, 64, 1000};
    int bad = 0;
    for (size_t q = 0; q < nk; q++) {
        const gemm_kernel *k = ks[q];
        int before = bad;
        for (size_t kv = 0; kv < 8; kv++) {
            ucase u = {.M = k->mr + 3, .N = k->nr + 5, .K = kvals[kv], .lda = kvals[kv] + 3,
                       .ldc = k->nr + 6, .s32 = true, .fill = 1};
            bad += run_kernel_case(k, &u, k->kc, kv & 1);
            u.s32 = false;
            u.row_zero = u.row_scale = u.col_scale = true;
            bad += run_kernel_case(k, &u, 8, !(kv & 1));
        }
        print_message("  %-28s extremes %s\n", kname(k), bad == before ? "ok" : "FAILED");
    }
    assert_int_equal(bad, 0);
}

// Through gemm() itself (the driver's blocking, threading and gemm_pack_b's col_sum), on every
// supported ISA level: prepacked and on-the-fly B, strided A, raw and dequantized output.
static void test_gemm_driver(void **state) {
    static const size_t shapes[][3] = {{1, 768, 64}, {33, 97, 300}, {128, 130, 770}, {5, 48, 3},
                                       {17, 200, 1}, {64, 96, 1025}, {3, 5, 0}};
    int bad = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        int before = bad;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int variant = 0; variant < 4; variant++) {
                ucase u = random_case(shapes[s][0], shapes[s][1], shapes[s][2]);
                ubufs t;
                make_case(&u, &t);
                gemm_args ref = make_args(&u, &t, t.c_ref), g = make_args(&u, &t, t.c);
                assert_int_equal(gemm_ref(GEMM_U8S8, &ref), 0);
                gemm_packed_b pb = {0};
                if (variant & 1) {
                    assert_int_equal(gemm_pack_b(&pb, GEMM_U8S8, (w2s_isa)isa, u.K, u.N, W2S_DTYPE_S8, g.b), 0);
                    for (size_t j = 0; j < u.N; j++) assert_int_equal(pb.col_sum[j], t.col_sum[j]);
                    g.b_packed = &pb;
                }
                assert_int_equal(gemm(GEMM_U8S8, (w2s_isa)isa, &g), 0);
                bad += compare(&u, &t, w2s_isa_name((w2s_isa)isa));
                if (variant & 1) gemm_packed_b_free(&pb);
                free_case(&u, &t);
            }
        print_message("  gemm() %-12s %s\n", w2s_isa_name((w2s_isa)isa), bad == before ? "ok" : "FAILED");
    }
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_edges),
        cmocka_unit_test(test_kernels_random),
        cmocka_unit_test(test_kernels_extremes),
        cmocka_unit_test(test_gemm_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
