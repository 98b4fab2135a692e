// transpose_avx512.h — f32 transposes in 16×16 register blocks for the AVX-512 attention
// kernels (Kᵀ of one head, training and int8 inference). Header-only, for files compiled with
// -mavx512f. The one thing to know: the destination is padded to whole 16-row blocks with
// zeros, so the kernels that read it never need a ragged edge along the key dimension.
#ifndef W2S_SIMD_TRANSPOSE_AVX512_H
#define W2S_SIMD_TRANSPOSE_AVX512_H

#include <immintrin.h>
#include <stddef.h>

// In place: r[c] becomes column c of the 16×16 block whose rows were r[0..15] (unpack 32-bit,
// shuffle 64-bit, then two 128-bit lane shuffles).
static inline __attribute__((always_inline)) void transpose16_avx512(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

// dst[d * np + j] = src[j * lds + d] for j < n, d < hs; zero for n <= j < np.
//   src: (n, hs) rows lds floats apart; dst: (hs, np), 64-byte aligned, np a multiple of 16.
// Rows past n and columns past hs are never read (masked loads).
static inline void transpose_rows_avx512(float *dst, size_t np, const float *src, size_t lds, size_t n,
                                         size_t hs) {
    for (size_t j0 = 0; j0 < np; j0 += 16)
        for (size_t d0 = 0; d0 < hs; d0 += 16) {
            size_t w = hs - d0 < 16 ? hs - d0 : 16;
            __mmask16 md = (__mmask16)((1u << w) - 1u);
            __m512 r[16];
            for (size_t i = 0; i < 16; i++)
                r[i] = j0 + i < n ? _mm512_maskz_loadu_ps(md, src + (j0 + i) * lds + d0) : _mm512_setzero_ps();
            transpose16_avx512(r);
            for (size_t c = 0; c < w; c++) _mm512_store_ps(dst + (d0 + c) * np + j0, r[c]);
        }
}

#endif
