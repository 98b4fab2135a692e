// gemm_u8s8_avx512.h — pieces shared by the two AVX-512 U8S8 kernels (VNNI and exact widening):
// the vectorized epilogue of one 16-column slice of a tile row and tanh-GELU.
// Only for *_avx512*.c files (compiled with AVX-512 F/BW/VL/DQ); everything is static inline.
// The one thing to know: the epilogue follows gemm_uk_store_s32 (gemm_pack.c) operation for
// operation, so only GELU (polynomial exp instead of tanhf) differs from the scalar path.
#ifndef W2S_SIMD_GEMM_U8S8_AVX512_H
#define W2S_SIMD_GEMM_U8S8_AVX512_H

#include "gemm_u8s8.h"

#include <immintrin.h>
#include <string.h>

#define U8S8_INLINE static inline __attribute__((always_inline))

U8S8_INLINE __mmask16 u8s8_mask16(size_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

// exp(x) = 2^n · exp(r), n = round(x/ln2), r in [-ln2/2, ln2/2], Cephes degree-6 polynomial
// (≈2 ulp); the same scheme as rowops_avx512.c.
U8S8_INLINE __m512 u8s8_exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-103.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// gemm_gelu_ref: 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), tanh(u) = 1 − 2/(e^{2u}+1)
// with u clamped to ±9 (tanh is ±1 to f32 precision there).
U8S8_INLINE __m512 u8s8_gelu512(__m512 x) {
    __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
    __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                             _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
    u = _mm512_max_ps(_mm512_min_ps(u, _mm512_set1_ps(9.0f)), _mm512_set1_ps(-9.0f));
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = u8s8_exp512(_mm512_add_ps(u, u));
    __m512 t = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, t));
}

// Per-column operands of one 16-column slice, loaded once per tile (masked: never read past n).
typedef struct {
    __mmask16 mk;
    __m512i csum;
    __m512 cscale, bias;
} u8s8_cols512;

U8S8_INLINE u8s8_cols512 u8s8_cols512_load(const gemm_uk_args *a, size_t j0) {
    u8s8_cols512 c;
    c.mk = u8s8_mask16(a->n - j0);
    c.csum = a->col_sum ? _mm512_maskz_loadu_epi32(c.mk, a->col_sum + j0) : _mm512_setzero_si512();
    c.cscale = a->col_scale ? _mm512_maskz_loadu_ps(c.mk, a->col_scale + j0) : _mm512_set1_ps(1.0f);
    c.bias = a->bias ? _mm512_maskz_loadu_ps(c.mk, a->bias + j0) : _mm512_setzero_ps();
    return c;
}

// Finishes row i, columns [j0, j0+16) ∩ [0, n) of the tile: the GEMM_UK_* flag semantics of
// gemm_kernel.h, then stores to C.
U8S8_INLINE void u8s8_store512(const gemm_uk_args *a, size_t i, size_t j0, const u8s8_cols512 *c,
                               __m512i acc) {
    int32_t *ci = (int32_t *)a->c + i * a->ldc + j0;
    float *cf = (float *)ci;
    unsigned fl = a->flags;
    if (fl & GEMM_UK_LOAD) acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(c->mk, ci));
    if (!(fl & GEMM_UK_LAST)) {
        _mm512_mask_storeu_epi32(ci, c->mk, acc);
        return;
    }
    if (fl & GEMM_UK_S32) {
        if (fl & GEMM_UK_ACCUM) acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(c->mk, ci));
        _mm512_mask_storeu_epi32(ci, c->mk, acc);
        return;
    }
    if (a->row_zero && a->col_sum)
        acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(_mm512_set1_epi32(a->row_zero[i]), c->csum));
    __m512 scale = a->row_scale ? _mm512_mul_ps(_mm512_set1_ps(a->row_scale[i]), c->cscale) : c->cscale;
    __m512 v = _mm512_add_ps(_mm512_mul_ps(scale, _mm512_cvtepi32_ps(acc)), c->bias);
    if (a->gelu) v = u8s8_gelu512(v);
    if (fl & GEMM_UK_ACCUM) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(c->mk, cf));
    _mm512_mask_storeu_ps(cf, c->mk, v);
}

#endif
