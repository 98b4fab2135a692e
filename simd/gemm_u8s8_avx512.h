// gemm_u8s8_avx512.h — pieces shared by the two AVX-512 U8S8 kernels (VNNI and exact widening):
// the vectorized epilogue of one 16-column slice of a tile row and tanh-GELU.
// Only for *_avx512*.c files (compiled with AVX-512 F/BW/VL/DQ); everything is static inline.
// The one thing to know: the epilogue follows gemm_uk_store_s32 (gemm_pack.c) operation for
// operation, so only GELU (polynomial exp instead of tanhf) differs from the scalar path.
#ifndef W2S_SIMD_GEMM_U8S8_AVX512_H
#define W2S_SIMD_GEMM_U8S8_AVX512_H

#include "gemm_u8s8.h"

#include "vecmath_avx512.h"

#include <immintrin.h>
#include <string.h>

#define U8S8_INLINE static inline __attribute__((always_inline))

U8S8_INLINE __mmask16 u8s8_mask16(size_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
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
    __m512 v = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(acc), c->bias);  // as u8s8_store_tile512
    if (a->gelu) v = vm_gelu_avx512(v);
    if (fl & GEMM_UK_ACCUM) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(c->mk, cf));
    _mm512_mask_storeu_ps(cf, c->mk, v);
}

// True when the tile's epilogue is the plain dequantization (the last K block into f32 C, with
// no partial sum, accumulation or GELU): the case u8s8_store_tile512 handles.
U8S8_INLINE bool u8s8_epi_quant(const gemm_uk_args *a) {
    return a->flags == GEMM_UK_LAST && !a->gelu;
}

// u8s8_store512 for a whole tile (rows ≤ 8 × nv ≤ 3 16-column slices) when u8s8_epi_quant
// holds, with the operands read once per tile instead of per store. Absent operands take their
// neutral values (zero point 0, scales 1, bias 0), which give the same bits as skipping them:
// the zero-point term is an exact integer 0, x·1 = x, and u8s8_store512 adds a zero bias too.
U8S8_INLINE void u8s8_store_tile512(const gemm_uk_args *a, int rows, int nv, __m512i acc[][3]) {
    const int32_t *rz = a->row_zero && a->col_sum ? a->row_zero : NULL;
    const float *rs = a->row_scale;
    float *c = a->c;
    const size_t ldc = a->ldc;
    u8s8_cols512 col[3];
    _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++) col[v] = u8s8_cols512_load(a, (size_t)v * 16);
    _Pragma("GCC unroll 8") for (int i = 0; i < rows; i++) {
        __m512i z = _mm512_set1_epi32(rz ? rz[i] : 0);
        __m512 s = _mm512_set1_ps(rs ? rs[i] : 1.0f);
        _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++) {
            __m512i q = _mm512_sub_epi32(acc[i][v], _mm512_mullo_epi32(z, col[v].csum));
            __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(s, col[v].cscale), _mm512_cvtepi32_ps(q), col[v].bias);
            _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16 * (size_t)v, col[v].mk, y);
        }
    }
}

#endif
