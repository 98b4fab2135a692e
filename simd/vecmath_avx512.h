// vecmath_avx512.h — the vector exp and tanh-GELU every AVX-512 kernel shares (GEMM epilogues,
// int8 epilogues, row kernels), and the bf16 rounding of the conversion kernels. Header-only,
// for files compiled with -mavx512f -mavx512bw. The scalar definitions they match: expf and
// rowops_gelu (rowops.h) within a few ulps, w2s_f32_to_bf16 (dtype.h) exactly.
#ifndef W2S_SIMD_VECMATH_AVX512_H
#define W2S_SIMD_VECMATH_AVX512_H

#include <immintrin.h>

// e^x: Cephes expf's range reduction x = n·ln2 + r, |r| <= ln2/2, and degree-6 minimax
// polynomial (~1 ulp), scaled by 2^n with vscalefps (exact; underflows gracefully to 0).
// x is clamped to [-103, 88.38]: e^88.38 is the largest finite f32.
static inline __attribute__((always_inline)) __m512 vm_exp_avx512(__m512 x) {
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

// GPT-2 tanh-GELU 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed as the equal
// x / (1 + e^(−2u)), which has no cancellation for negative x.
static inline __attribute__((always_inline)) __m512 vm_gelu_avx512(__m512 x) {
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 u = _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.7978845608028654f)),
                             _mm512_fmadd_ps(x2, _mm512_set1_ps(0.044715f), _mm512_set1_ps(1.0f)));
    __m512 e = vm_exp_avx512(_mm512_mul_ps(u, _mm512_set1_ps(-2.0f)));
    return _mm512_div_ps(x, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
}

// w2s_f32_to_bf16 on 16 lanes (the bits u of 16 floats): RNE by adding 0x7fff + the kept lsb,
// NaN → quiet NaN, subnormals rounded like any other value (vcvtneps2bf16 would flush them).
static inline __attribute__((always_inline)) __m256i vm_f32_to_bf16_avx512(__m512i u) {
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                            _mm512_set1_epi32(0x7f800000));
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
}

#endif
