// colsum.h — column sums of a row-major matrix added into a vector: acc[j] += Σ_r x[r, j], the
// bias gradient of a linear layer (db += Σ_tokens dy); optionally with x's bf16 copy written in
// the same pass (the output gradient both bf16 backward GEMMs read). Not threaded: callers
// split columns. The one thing to know: every column sums in row order, one rounding per row
// (x + acc), so every variant is bit-identical to the reference and to a sequence of axpy(1,
// row) calls.
#ifndef W2S_SIMD_COLSUM_H
#define W2S_SIMD_COLSUM_H

#include "cpu.h"
#include "dtype.h"

#include <stddef.h>

// acc[j] += x[r*ld + j] for r = 0, 1, ..., rows-1 in that order, j < n.
typedef void (*colsum_fn)(float *acc, const float *x, size_t rows, size_t ld, size_t n);

// colsum_fn's sums, and y (rows, n; row stride ldy) = w2s_f32_to_bf16(x) from the same reads.
typedef void (*colsum_bf16_fn)(float *acc, w2s_bf16 *y, size_t ldy, const float *x, size_t rows, size_t ld,
                               size_t n);

typedef struct {
    colsum_fn sum;
    colsum_bf16_fn sum_bf16;
} colsum_kernels;

// The table of the best variant at or below `isa` (the reference where none applies).
const colsum_kernels *colsum_get(w2s_isa isa);
// The scalar reference: what every variant must equal bit for bit.
void colsum_ref(float *acc, const float *x, size_t rows, size_t ld, size_t n);
void colsum_bf16_ref(float *acc, w2s_bf16 *y, size_t ldy, const float *x, size_t rows, size_t ld, size_t n);
#if defined(__x86_64__)
// colsum_avx512.c
void colsum_avx512(float *acc, const float *x, size_t rows, size_t ld, size_t n);
void colsum_bf16_avx512(float *acc, w2s_bf16 *y, size_t ldy, const float *x, size_t rows, size_t ld, size_t n);
#endif

#endif
