// gemm_u8s8_avx2.h — pieces shared by the two AVX2 U8S8 kernels (AVX-VNNI and exact widening):
// the vectorized epilogue of one 8-column slice of a tile row and tanh-GELU.
// Only for *_avx2*.c files (compiled with AVX2 + FMA); everything is static inline.
// The one thing to know: the epilogue follows gemm_uk_store_s32 (gemm_pack.c) operation for
// operation; tails use vpmaskmov, which never touches memory outside the n valid columns.
#ifndef W2S_SIMD_GEMM_U8S8_AVX2_H
#define W2S_SIMD_GEMM_U8S8_AVX2_H

#include "gemm_u8s8.h"

#include <immintrin.h>
#include <string.h>

#define U8S8_INLINE static inline __attribute__((always_inline))

// All-ones in lanes [0, left), for vpmaskmov.
U8S8_INLINE __m256i u8s8_mask8(size_t left) {
    int l = left >= 8 ? 8 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(l), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// gemm_gelu_ref with tanh(u) = 1 − 2/(e^{2u}+1), u clamped to ±9 (tanh is ±1 to f32 precision
// there), so exp only sees [-18, 18]: 2^n is built in the exponent field directly.
U8S8_INLINE __m256 u8s8_gelu256(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                             _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
    u = _mm256_max_ps(_mm256_min_ps(u, _mm256_set1_ps(9.0f)), _mm256_set1_ps(-9.0f));
    __m256 y = _mm256_add_ps(u, u);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), y);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 one = _mm256_set1_ps(1.0f);
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, one));
    __m256i pow2 = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2));
    __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, t));
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
    if (a->gelu) v = u8s8_gelu256(v);
    if (fl & GEMM_UK_ACCUM) v = _mm256_add_ps(v, _mm256_maskload_ps(cf, c->mk));
    _mm256_maskstore_ps(cf, c->mk, v);
}

#endif
