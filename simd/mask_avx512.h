// mask_avx512.h — the AVX-512 tail masks of every kernel, defined once: which lanes of a
// 16-float (or 32-bf16) vector hold elements of a row of n. Header-only, for files compiled
// with -mavx512f -mavx512bw. (The shifts are on unsigned ints, so 1u << 16 is defined.)
#ifndef W2S_SIMD_MASK_AVX512_H
#define W2S_SIMD_MASK_AVX512_H

#include <immintrin.h>
#include <stddef.h>

// The first min(n, 16) lanes.
static inline __mmask16 w2s_mask16(size_t n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

// The lanes of elements lo .. lo+15 that are below n (none when n <= lo).
static inline __mmask16 w2s_mask16_from(size_t n, size_t lo) { return n <= lo ? 0 : w2s_mask16(n - lo); }

// The first min(n, 32) lanes of a 32-lane (16-bit) vector.
static inline __mmask32 w2s_mask32(size_t n) { return n >= 32 ? (__mmask32)~0u : (__mmask32)((1u << n) - 1u); }

#endif
