// convert_ref.c — scalar reference of the convert.h kernels (written for clarity) and the ISA
// dispatch. The SIMD variants are tested bit-for-bit against these (tests/quant/test_quant.c).
#include "convert.h"

#include <math.h>

static void f32_to_bf16_ref(w2s_bf16 *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = w2s_f32_to_bf16(src[i]);
}

static void bf16_to_f32_ref(float *dst, const w2s_bf16 *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = w2s_bf16_to_f32(src[i]);
}

static bool range_f32_ref(float *lo, float *hi, const float *x, size_t n) {
    float l = 0.0f, h = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return false;
        l = x[i] < l ? x[i] : l;
        h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
    return true;
}

static void quantize_u8_ref(uint8_t *q, const float *x, size_t n, float inv_scale, int32_t zero) {
    for (size_t i = 0; i < n; i++) {
        // rintf rounds half to even in the default rounding mode; the sum is exact in f32
        // for the |values| that reach the clamp region (≤ 2^24), so order does not matter.
        float v = rintf(x[i] * inv_scale) + (float)zero;
        v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        q[i] = (uint8_t)v;
    }
}

static const convert_kernels ref_table = {
    .f32_to_bf16 = f32_to_bf16_ref,
    .bf16_to_f32 = bf16_to_f32_ref,
    .range_f32 = range_f32_ref,
    .quantize_u8 = quantize_u8_ref,
};

const convert_kernels *convert_ref(void) { return &ref_table; }

const convert_kernels *convert_get(w2s_isa isa) {
#if defined(__x86_64__)
    if (isa == W2S_ISA_AVX512_BF16 && w2s_isa_supported(W2S_ISA_AVX512_BF16)) return convert_avx512_bf16();
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX512)) return convert_avx512();
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX2)) return convert_avx2();
#endif
    return &ref_table;
}
