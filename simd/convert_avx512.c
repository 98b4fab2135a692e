// convert_avx512.c — AVX-512F versions of the convert.h kernels: 16 lanes, masked tails.
// bf16 rounding is done on the integer bits exactly as w2s_f32_to_bf16 does it (not with
// vcvtneps2bf16, which flushes subnormal inputs to zero; see convert_avx512_bf16.c), so the
// result is bit-identical to the scalar reference for every input, NaN and subnormals included.
#include "convert.h"
#include "vecmath_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>


static void f32_to_bf16_avx512(w2s_bf16 *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512i u = _mm512_maskz_loadu_epi32(k, src + i);
        _mm256_mask_storeu_epi16(dst + i, k, vm_f32_to_bf16_avx512(u));
    }
}

void convert_bf16_to_f32_avx512(float *dst, const w2s_bf16 *src, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512i h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, src + i));
        _mm512_mask_storeu_epi32(dst + i, k, _mm512_slli_epi32(h, 16));
    }
}

bool convert_range_f32_avx512(float *lo, float *hi, const float *x, size_t n) {
    __m512 l = _mm512_setzero_ps(), h = _mm512_setzero_ps();
    __mmask16 bad = 0;
    const __m512i expo = _mm512_set1_epi32(0x7f800000);
    for (size_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(w2s_mask16(n - i), x + i);  // tail lanes 0: in range anyway
        bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(v), expo), expo);
        l = _mm512_min_ps(v, l);
        h = _mm512_max_ps(v, h);
    }
    if (bad) return false;
    *lo = _mm512_reduce_min_ps(l);
    *hi = _mm512_reduce_max_ps(h);
    return true;
}

void convert_quantize_u8_avx512(uint8_t *q, const float *x, size_t n, float inv_scale, int32_t zero) {
    const __m512 inv = _mm512_set1_ps(inv_scale), z = _mm512_set1_ps((float)zero);
    const __m512 top = _mm512_set1_ps(255.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv);
        v = _mm512_add_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
        v = _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), top);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, k, _mm512_cvtps_epi32(v));
    }
}

static const convert_kernels table = {
    .f32_to_bf16 = f32_to_bf16_avx512,
    .bf16_to_f32 = convert_bf16_to_f32_avx512,
    .range_f32 = convert_range_f32_avx512,
    .quantize_u8 = convert_quantize_u8_avx512,
};

const convert_kernels *convert_avx512(void) { return &table; }
