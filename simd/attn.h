// attn.h — the three products of causal attention for ONE (sequence, head), in f32:
// scores Q·Kᵀ (lower triangle), P·V and Pᵀ·X with a lower-triangular P. Not a softmax (rowops.h)
// and not threaded: the caller runs one (sequence, head) per thread, as the GEMMs they
// replace did. The one thing to know: entries of P above the diagonal are never read and
// entries of the scores above it are never written, so callers need not clear them.
// Row strides are in floats. attn_get(isa) returns the best table at or below isa.
#ifndef W2S_SIMD_ATTN_H
#define W2S_SIMD_ATTN_H

#include "cpu.h"

#include <stddef.h>

typedef struct {
    // s[t, j] = Σ_d a[t, d] · b[j, d] for 0 <= j <= t < n (d < hs): Q·Kᵀ and dO·Vᵀ.
    void (*qkt)(float *s, size_t lds, const float *a, size_t lda, const float *b, size_t ldb, size_t n,
                size_t hs);
    // c[t, :] = Σ_{j <= t} p[t, j] · x[j, :] for t < n (hs columns): P·V and dS·K.
    void (*pv)(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
               size_t hs);
    // c[j, :] = Σ_{t >= j} p[t, j] · x[t, :] for j < n (hs columns): Pᵀ·dO and dSᵀ·Q.
    void (*ptv)(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
                size_t hs);
} attn_kernels;

// The table for `isa` (best variant at or below it; the scalar reference if none).
const attn_kernels *attn_get(w2s_isa isa);
// The scalar reference: f32 sums in increasing index order, what every variant is tested against.
const attn_kernels *attn_ref(void);
// The AVX-512 table (attn_avx512.c, x86-64 builds only): any n and hs (masked edge columns;
// Q·Kᵀ with hs > 128 falls back to the reference).
const attn_kernels *attn_avx512(void);

#endif
