// attn_infer.h — fused causal self-attention forward for inference, ONE (sequence, head) per
// call: scores Q·Kᵀ, causal softmax and P·V without materialising the n×n matrix or calling a
// GEMM (the int8 labeling graph's attention: T = 128, hs = 64, 96 heads per layer).
// Not for training (no probabilities are kept for a backward: see attn.h) and not threaded:
// the caller runs one (sequence, head) per thread. The one thing to know: output row i uses
// only query row t0 + i and key/value rows 0..t0 + i, so it is independent of the other rows
// requested, and every value past the causal diagonal is never read.
#ifndef W2S_SIMD_ATTN_INFER_H
#define W2S_SIMD_ATTN_INFER_H

#include "cpu.h"

#include <stddef.h>

// For i < n - t0, with t = t0 + i (0 <= t0 < n):
//   s_j = scale · Σ_d q[i, d]·k[j, d]      for j <= t    (d < hs)
//   o[i, :] = Σ_{j <= t} e^(s_j − max s) · v[j, :] / Σ_{j <= t} e^(s_j − max s)
//   o:  output, row i at o + i·ldo (hs floats written per row, nothing else)
//   q:  the query of token t0 + i at q + i·ldq (the int8 graph's last layer computes queries
//       for the last tokens only, apart from the keys and values)
//   k, v: key and value of token j at k + j·ld, v + j·ld (the interleaved qkv rows of GPT-2)
//   scratch: attn_infer_scratch(n, hs) floats, 64-byte aligned, contents irrelevant
typedef void (*attn_infer_fn)(float *o, size_t ldo, const float *q, size_t ldq, const float *k,
                              const float *v, size_t ld, size_t n, size_t t0, size_t hs, float scale,
                              float *scratch);

// Floats of scratch a call with these n and hs needs (any ISA).
size_t attn_infer_scratch(size_t n, size_t hs);

typedef struct {
    attn_infer_fn attend;
} attn_infer_kernels;

// The table for `isa` (best variant at or below it; the scalar reference if none).
const attn_infer_kernels *attn_infer_get(w2s_isa isa);

// The scalar reference: f32, dot products and sums in increasing index order, expf.
void attn_infer_ref(float *o, size_t ldo, const float *q, size_t ldq, const float *k, const float *v,
                    size_t ld, size_t n, size_t t0, size_t hs, float scale, float *scratch);

// AVX-512F (attn_infer_avx512.c, x86-64 builds only): register tiles of 4 query rows; hs > 64
// falls back to the reference.
void attn_infer_avx512(float *o, size_t ldo, const float *q, size_t ldq, const float *k, const float *v,
                       size_t ld, size_t n, size_t t0, size_t hs, float scale, float *scratch);

#endif
