// gemm_avx2.h — AVX2 pieces shared by the f32 and bf16 GEMM micro-kernels: vectorised
// tanh-GELU and the tile epilogue. Include only from *_avx2*.c files. AVX2 has no masked
// stores for partial tiles, so a ragged 8-column slice is staged through a small buffer and
// gets exactly the arithmetic of a full one (results never depend on tile position).
#ifndef W2S_SIMD_GEMM_AVX2_H
#define W2S_SIMD_GEMM_AVX2_H

#include "gemm_kernel.h"

#include <immintrin.h>
#include <string.h>

// e^t for t in [-88, 88] (callers clamp): Cephes expf's reduction and polynomial; 2^n is built
// in the exponent field (n in [-127, 127]; 2^-127 comes out as 0, harmless here).
static inline __m256 gemm_exp_avx2(__m256 t) {
    __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), t);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// GPT-2 tanh-GELU as x / (1 + e^(-2u)) (see gemm_avx512.h).
static inline __m256 gemm_gelu_avx2(__m256 x) {
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 u = _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.7978845608028654f)),
                             _mm256_fmadd_ps(x2, _mm256_set1_ps(0.044715f), _mm256_set1_ps(1.0f)));
    __m256 t = _mm256_mul_ps(u, _mm256_set1_ps(-2.0f));
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-88.0f)), _mm256_set1_ps(88.0f));
    return _mm256_div_ps(x, _mm256_add_ps(gemm_exp_avx2(t), _mm256_set1_ps(1.0f)));
}

// One 8-column slice: c (8 floats), bias (8 floats or NULL), v raw accumulator.
static inline void gemm_store8_avx2(unsigned f, bool gelu, float *c, const float *bias, __m256 v) {
    if (f & GEMM_UK_LOAD) v = _mm256_add_ps(v, _mm256_loadu_ps(c));
    if (f & GEMM_UK_LAST) {
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
        if (gelu) v = gemm_gelu_avx2(v);
        if (f & GEMM_UK_ACCUM) v = _mm256_add_ps(v, _mm256_loadu_ps(c));
    }
    _mm256_storeu_ps(c, v);
}

// Epilogue of an m×n tile whose raw f32 sums are in acc (row stride acc_ld, a multiple of 8).
static inline void gemm_store_tile_avx2(const gemm_uk_args *ua, const float *acc, size_t acc_ld) {
    for (size_t i = 0; i < ua->m; i++) {
        float *c = (float *)ua->c + i * ua->ldc;
        for (size_t j = 0; j < ua->n; j += 8) {
            __m256 v = _mm256_loadu_ps(acc + i * acc_ld + j);
            if (j + 8 <= ua->n) {
                gemm_store8_avx2(ua->flags, ua->gelu, c + j, ua->bias ? ua->bias + j : NULL, v);
                continue;
            }
            float ct[8] = {0}, bt[8] = {0};
            size_t w = ua->n - j;
            memcpy(ct, c + j, w * 4);
            if (ua->bias) memcpy(bt, ua->bias + j, w * 4);
            gemm_store8_avx2(ua->flags, ua->gelu, ct, ua->bias ? bt : NULL, v);
            memcpy(c + j, ct, w * 4);
        }
    }
}

#endif
