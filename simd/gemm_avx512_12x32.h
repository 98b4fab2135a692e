// gemm_avx512_12x32.h — the 12×32 AVX-512 tile shared by the f32 (vfmadd231ps) and bf16
// (vdpbf16ps) kernels of two-FMA-pipe cores: 24 zmm accumulators, 2 B vectors and 12 A units
// broadcast per step, 7.3 operand bytes per FMA against 9.3 for 8×48 (docs/PERFORMANCE.md,
// "Tiles on one- and two-FMA-pipe cores"). Intrinsics, not assembly: these tiles are candidates
// a configuration selects, timed by `w2s tune` against the 8×48 assembly loops. Include only
// from *_avx512*.c files. Edge tiles run the same code with compile-time M and column masks.
#ifndef W2S_SIMD_GEMM_AVX512_12X32_H
#define W2S_SIMD_GEMM_AVX512_12X32_H

#include "gemm_avx512.h"

#include <string.h>

enum { GEMM_X32_MR = 12, GEMM_X32_NR = 32 };

// TILE(ua, M, DIRECT): one M-row tile. STEP(acc, a_unit, b) is one multiply-add of a 32-bit A
// unit (an f32, or a bf16 pair) broadcast against a B vector. KG is the kernel's kgroup.
#define GEMM_AVX512_X32_TILE(TILE, STEP, KG)                                                          \
    static inline __attribute__((always_inline)) void TILE(const gemm_uk_args *ua, const int M,       \
                                                           const bool DIRECT) {                       \
        __m512 c[GEMM_X32_MR][2];                                                                     \
        const char *a = ua->a;                                                                        \
        const float *b = ua->b;                                                                       \
        float *cp = ua->c;                                                                            \
        size_t steps = (ua->kc + (KG) - 1) / (KG);                                                    \
        for (int i = 0; i < M; i++) {                                                                 \
            _mm_prefetch((const char *)(cp + i * ua->ldc), _MM_HINT_T0);                              \
            _mm_prefetch((const char *)(cp + i * ua->ldc + 31), _MM_HINT_T0);                         \
            c[i][0] = c[i][1] = _mm512_setzero_ps();                                                  \
        }                                                                                             \
        for (size_t s = 0; s < steps; s++) {                                                          \
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);                               \
            for (int i = 0; i < M; i++) {                                                             \
                uint32_t u; /* in place a bf16 pair may be only 2-byte aligned */                     \
                memcpy(&u, DIRECT ? a + i * ua->a_ld : a + 4 * i, 4);                                 \
                __m512i ai = _mm512_set1_epi32((int)u);                                               \
                c[i][0] = STEP(c[i][0], ai, b0);                                                      \
                c[i][1] = STEP(c[i][1], ai, b1);                                                      \
            }                                                                                         \
            a += DIRECT ? 4 : 4 * GEMM_X32_MR;                                                        \
            b += GEMM_X32_NR;                                                                         \
        }                                                                                             \
        const __mmask16 m0 = w2s_mask16_from(ua->n, 0), m1 = w2s_mask16_from(ua->n, 16);            \
        for (int i = 0; i < M; i++) {                                                                 \
            gemm_store16_avx512(ua, (size_t)i, 0, c[i][0], m0);                                       \
            gemm_store16_avx512(ua, (size_t)i, 16, c[i][1], m1);                                      \
        }                                                                                             \
    }

#define GEMM_X32_FN(TILE, M, D, SUFFIX) \
    static void TILE##_##M##SUFFIX(const gemm_uk_args *ua) { TILE(ua, M, D); }
#define GEMM_X32_FNS(TILE, M) GEMM_X32_FN(TILE, M, false, p) GEMM_X32_FN(TILE, M, true, d)

// NAME(ua): the micro-kernel, one function per (rows, direct A) so M is a constant in each.
#define GEMM_AVX512_X32_KERNEL(NAME, TILE)                                                            \
    GEMM_X32_FNS(TILE, 1) GEMM_X32_FNS(TILE, 2) GEMM_X32_FNS(TILE, 3) GEMM_X32_FNS(TILE, 4)           \
    GEMM_X32_FNS(TILE, 5) GEMM_X32_FNS(TILE, 6) GEMM_X32_FNS(TILE, 7) GEMM_X32_FNS(TILE, 8)           \
    GEMM_X32_FNS(TILE, 9) GEMM_X32_FNS(TILE, 10) GEMM_X32_FNS(TILE, 11) GEMM_X32_FNS(TILE, 12)        \
    static void NAME(const gemm_uk_args *ua) {                                                        \
        static const gemm_ukernel_fn tiles[2][GEMM_X32_MR] = {                                        \
            {TILE##_1p, TILE##_2p, TILE##_3p, TILE##_4p, TILE##_5p, TILE##_6p, TILE##_7p, TILE##_8p,  \
             TILE##_9p, TILE##_10p, TILE##_11p, TILE##_12p},                                          \
            {TILE##_1d, TILE##_2d, TILE##_3d, TILE##_4d, TILE##_5d, TILE##_6d, TILE##_7d, TILE##_8d,  \
             TILE##_9d, TILE##_10d, TILE##_11d, TILE##_12d},                                          \
        };                                                                                            \
        tiles[ua->a_ld != 0][ua->m - 1](ua);                                                          \
    }

#endif
