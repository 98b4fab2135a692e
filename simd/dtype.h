// dtype.h — element types shared by every layer, and bf16 <-> f32 scalar conversion.
// bf16 is the top half of an IEEE f32; rounding is round-to-nearest-even, NaN stays NaN.
#ifndef W2S_SIMD_DTYPE_H
#define W2S_SIMD_DTYPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    W2S_DTYPE_F32 = 0,
    W2S_DTYPE_BF16,
    W2S_DTYPE_U8,
    W2S_DTYPE_S8,
    W2S_DTYPE_S32,
    W2S_DTYPE_COUNT
} w2s_dtype;

typedef uint16_t w2s_bf16;

static inline size_t w2s_dtype_size(w2s_dtype t) {
    return t == W2S_DTYPE_F32 || t == W2S_DTYPE_S32 ? 4 : t == W2S_DTYPE_BF16 ? 2 : 1;
}

static inline w2s_bf16 w2s_f32_to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (w2s_bf16)((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
    return (w2s_bf16)(u >> 16);
}

static inline float w2s_bf16_to_f32(w2s_bf16 h) {
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

// f32 rounded to the nearest bf16 value, kept as f32 (what a bf16 operand contributes).
static inline float w2s_round_bf16(float x) { return w2s_bf16_to_f32(w2s_f32_to_bf16(x)); }

#endif
