// gemm_u8s8_avx2.h — pieces shared by the two AVX2 U8S8 kernels (AVX-VNNI and exact widening):
// the vectorized epilogue of one 8-column slice of a tile row and tanh-GELU.
// Only for *_avx2*.c files (compiled with AVX2 + FMA); everything is static inline.
// The one thing to know: the epilogue follows gemm_uk_store_s32 (gemm_pack.c) operation for
// operation; tails use vpmaskmov, which never touches memory outside the n valid columns.
#ifndef W2S_SIMD_GEMM_U8S8_AVX2_H
#define W2S_SIMD_GEMM_U8S8_AVX2_H

#include "gemm_u8s8.h"

#include "vecmath_avx2.h"

#include <immintrin.h>
#include <string.h>

#define U8S8_INLINE static inline __attribute__((always_inline))

// All-ones in lanes [0, left), for vpmaskmov.
U8S8_INLINE __m256i u8s8_mask8(size_t left) {
    int l = left >= 8 ? 8 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(l), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Per-column operands of one 8-column slice, loaded once per tile.
typedef struct {
    __m256i mk;
    __m256i csum;
    __m256 cscale, bias;
} u8s8_cols256;

U8S8_INLINE u8s8_cols256 u8s8_cols256_load(const gemm_uk_args *a, size_t j0) {
    u8s8_cols256 c;
    c.mk = u8s8_mask8(a->n - j0);
    c.csum = a->col_sum ? _mm256_maskload_epi32(a->col_sum + j0, c.mk) : _mm256_setzero_si256();
    c.cscale = a->col_scale ? _mm256_maskload_ps(a->col_scale + j0, c.mk) : _mm256_set1_ps(1.0f);
    c.bias = a->bias ? _mm256_maskload_ps(a->bias + j0, c.mk) : _mm256_setzero_ps();
    return c;
}

// Finishes row i, columns [j0, j0+8) ∩ [0, n) of the tile (GEMM_UK_* flags of gemm_kernel.h).
U8S8_INLINE void u8s8_store256(const gemm_uk_args *a, size_t i, size_t j0, const u8s8_cols256 *c,
                               __m256i acc) {
    int32_t *ci = (int32_t *)a->c + i * a->ldc + j0;
    float *cf = (float *)ci;
    unsigned fl = a->flags;
    if (fl & GEMM_UK_LOAD) acc = _mm256_add_epi32(acc, _mm256_maskload_epi32(ci, c->mk));
    if (!(fl & GEMM_UK_LAST)) {
        _mm256_maskstore_epi32(ci, c->mk, acc);
        return;
    }
    if (fl & GEMM_UK_S32) {
        if (fl & GEMM_UK_ACCUM) acc = _mm256_add_epi32(acc, _mm256_maskload_epi32(ci, c->mk));
        _mm256_maskstore_epi32(ci, c->mk, acc);
        return;
    }
    if (a->row_zero && a->col_sum)
        acc = _mm256_sub_epi32(acc, _mm256_mullo_epi32(_mm256_set1_epi32(a->row_zero[i]), c->csum));
    __m256 scale = a->row_scale ? _mm256_mul_ps(_mm256_set1_ps(a->row_scale[i]), c->cscale) : c->cscale;
    __m256 v = _mm256_add_ps(_mm256_mul_ps(scale, _mm256_cvtepi32_ps(acc)), c->bias);
    if (a->gelu) v = vm_gelu_avx2(v);
    if (fl & GEMM_UK_ACCUM) v = _mm256_add_ps(v, _mm256_maskload_ps(cf, c->mk));
    _mm256_maskstore_ps(cf, c->mk, v);
}

#endif
