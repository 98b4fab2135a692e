// convert_avx512_bf16.c — f32 → bf16 with AVX512_BF16's vcvtneps2bf16; the other kernels are
// the AVX-512F ones. The instruction rounds to nearest even and quiets NaNs exactly like
// w2s_f32_to_bf16, but treats subnormal inputs as zero (measured on Zen 5, and documented by
// Intel: "input denormals are treated as zero"). Vectors holding a subnormal (rare: |x| <
// 2^-126) are therefore redone with the integer rounding, keeping results bit-identical.
#include "convert.h"

#include "mask_avx512.h"
#include <immintrin.h>
#include <string.h>


static void f32_to_bf16_avx512_bf16(w2s_bf16 *dst, const float *src, size_t n) {
    const __m512i expo = _mm512_set1_epi32(0x7f800000), mag = _mm512_set1_epi32(0x7fffffff);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512i u = _mm512_maskz_loadu_epi32(k, src + i);
        __m256bh hb = _mm512_cvtneps_pbh(_mm512_castsi512_ps(u));
        __m256i h;
        memcpy(&h, &hb, sizeof h);
        __mmask16 sub = _mm512_testn_epi32_mask(u, expo) & _mm512_test_epi32_mask(u, mag);
        if (sub) {
            // Integer RNE (as in w2s_f32_to_bf16); a subnormal is never NaN.
            __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
            __m512i r = _mm512_srli_epi32(
                _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
            h = _mm256_mask_mov_epi16(h, sub, _mm512_cvtepi32_epi16(r));
        }
        _mm256_mask_storeu_epi16(dst + i, k, h);
    }
}

static const convert_kernels table = {
    .f32_to_bf16 = f32_to_bf16_avx512_bf16,
    .bf16_to_f32 = convert_bf16_to_f32_avx512,
    .range_f32 = convert_range_f32_avx512,
    .quantize_u8 = convert_quantize_u8_avx512,
};

const convert_kernels *convert_avx512_bf16(void) { return &table; }
