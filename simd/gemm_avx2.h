// gemm_avx2.h — AVX2 pieces shared by the f32 and bf16 GEMM micro-kernels: vectorised
// tanh-GELU and the tile epilogue. Include only from *_avx2*.c files. AVX2 has no masked
// stores for partial tiles, so a ragged 8-column slice is staged through a small buffer and
// gets exactly the arithmetic of a full one (results never depend on tile position).
#ifndef W2S_SIMD_GEMM_AVX2_H
#define W2S_SIMD_GEMM_AVX2_H

#include "gemm_kernel.h"

#include "vecmath_avx2.h"

#include <immintrin.h>
#include <string.h>

// One 8-column slice: c (8 floats), bias (8 floats or NULL), v raw accumulator.
static inline void gemm_store8_avx2(unsigned f, bool gelu, float *c, const float *bias, __m256 v) {
    if (f & GEMM_UK_LOAD) v = _mm256_add_ps(v, _mm256_loadu_ps(c));
    if (f & GEMM_UK_LAST) {
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
        if (gelu) v = vm_gelu_avx2(v);
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
