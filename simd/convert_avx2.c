// convert_avx2.c — AVX2 versions of the convert.h kernels: 8 lanes, the last n % 8 elements
// through the same scalar formulas as convert_ref.c (AVX2 has no byte/word masked stores).
// bf16 rounding works on the integer bits as w2s_f32_to_bf16 does, so results are
// bit-identical to the reference for every input.
#include "convert.h"

#include <immintrin.h>
#include <math.h>

static void f32_to_bf16_avx2(w2s_bf16 *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
        // NaN: |u| > 0x7f800000 as signed ints (|u| < 2^31, so the signed compare is exact).
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                         _mm256_set1_epi32(0x7f800000));
        __m256i qn = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        r = _mm256_blendv_epi8(r, qn, nan);
        // Values are <= 0xffff, so the unsigned-saturating pack is exact; vpermq gathers the
        // two 128-bit lanes' results.
        __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_castsi256_si128(p));
    }
    for (; i < n; i++) dst[i] = w2s_f32_to_bf16(src[i]);
}

static void bf16_to_f32_avx2(float *dst, const w2s_bf16 *src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + i)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_slli_epi32(h, 16));
    }
    for (; i < n; i++) dst[i] = w2s_bf16_to_f32(src[i]);
}

static bool range_f32_avx2(float *lo, float *hi, const float *x, size_t n) {
    __m256 l = _mm256_setzero_ps(), h = _mm256_setzero_ps();
    __m256i bad = _mm256_setzero_si256();
    const __m256i expo = _mm256_set1_epi32(0x7f800000);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(v), expo), expo));
        l = _mm256_min_ps(v, l);
        h = _mm256_max_ps(v, h);
    }
    if (!_mm256_testz_si256(bad, bad)) return false;
    float lv[8], hv[8], lo_s = 0.0f, hi_s = 0.0f;
    _mm256_storeu_ps(lv, l);
    _mm256_storeu_ps(hv, h);
    for (int j = 0; j < 8; j++) {
        lo_s = lv[j] < lo_s ? lv[j] : lo_s;
        hi_s = hv[j] > hi_s ? hv[j] : hi_s;
    }
    for (; i < n; i++) {
        if (!isfinite(x[i])) return false;
        lo_s = x[i] < lo_s ? x[i] : lo_s;
        hi_s = x[i] > hi_s ? x[i] : hi_s;
    }
    *lo = lo_s;
    *hi = hi_s;
    return true;
}

static void quantize_u8_avx2(uint8_t *q, const float *x, size_t n, float inv_scale, int32_t zero) {
    const __m256 inv = _mm256_set1_ps(inv_scale), z = _mm256_set1_ps((float)zero);
    const __m256 top = _mm256_set1_ps(255.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), inv);
        v = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), top);
        __m256i w = _mm256_packus_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(v), _mm256_setzero_si256()),
                                        _mm256_setzero_si256());
        // Bytes 0–3 of each 128-bit lane hold elements 0–3 and 4–7.
        __m128i b = _mm_unpacklo_epi32(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
        _mm_storel_epi64((__m128i *)(q + i), b);
    }
    for (; i < n; i++) {
        float v = rintf(x[i] * inv_scale) + (float)zero;
        v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        q[i] = (uint8_t)v;
    }
}

static const convert_kernels table = {
    .f32_to_bf16 = f32_to_bf16_avx2,
    .bf16_to_f32 = bf16_to_f32_avx2,
    .range_f32 = range_f32_avx2,
    .quantize_u8 = quantize_u8_avx2,
};

const convert_kernels *convert_avx2(void) { return &table; }
