// convert.h — element-wise number-format kernels behind quant/: bf16 <-> f32 for whole arrays,
// and the two passes of per-row u8 quantization (range, then quantize). Instructions only:
// the policy (how a scale and zero point follow from a range, what a bad row is) is quant/'s.
// The one thing to know: every variant is bit-identical to convert_ref (same rounding — RNE —
// and the same f32 operations in the same order), so results never depend on the ISA.
#ifndef W2S_SIMD_CONVERT_H
#define W2S_SIMD_CONVERT_H

#include "cpu.h"
#include "dtype.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    // dst[i] = w2s_f32_to_bf16(src[i]) (RNE; NaN → quiet NaN; subnormals kept, not flushed).
    void (*f32_to_bf16)(w2s_bf16 *dst, const float *src, size_t n);
    // dst[i] = w2s_bf16_to_f32(src[i]) (exact).
    void (*bf16_to_f32)(float *dst, const w2s_bf16 *src, size_t n);
    // *lo = min(0, x[..]), *hi = max(0, x[..]) over n >= 0 elements. Returns false if any
    // element is NaN or ±Inf (then *lo, *hi are unspecified).
    bool (*range_f32)(float *lo, float *hi, const float *x, size_t n);
    // q[i] = clamp(rint(x[i] * inv_scale) + zero, 0, 255), rint = round half to even, all in
    // f32; x must be finite (range_f32 checked it).
    void (*quantize_u8)(uint8_t *q, const float *x, size_t n, float inv_scale, int32_t zero);
} convert_kernels;

// The best table at or below `isa` (scalar reference where no SIMD variant applies).
const convert_kernels *convert_get(w2s_isa isa);
// The scalar reference table.
const convert_kernels *convert_ref(void);

#if defined(__x86_64__)
// Per-ISA tables (convert_avx2.c, convert_avx512.c, convert_avx512_bf16.c).
const convert_kernels *convert_avx2(void);
const convert_kernels *convert_avx512(void);
const convert_kernels *convert_avx512_bf16(void);
// AVX-512F kernels the AVX512_BF16 table reuses as they are.
void convert_bf16_to_f32_avx512(float *dst, const w2s_bf16 *src, size_t n);
bool convert_range_f32_avx512(float *lo, float *hi, const float *x, size_t n);
void convert_quantize_u8_avx512(uint8_t *q, const float *x, size_t n, float inv_scale, int32_t zero);
#endif

#endif
