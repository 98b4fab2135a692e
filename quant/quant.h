// quant.h — the int8 number formats of weak labeling (docs/PROTOCOL.md, "Numerics"): s8 per-
// output-channel weights, u8 per-token activations with a zero point (feeding gemm's
// epilogue), and error statistics of a quantization. Policy only: the element-wise loops are
// simd/convert.h kernels, chosen by ISA and bit-identical on every ISA; bf16 is a dtype
// (simd/dtype.h) converted by the same kernels. The quantized linear layer that uses these is
// a network layer and lives in models/gpt2_int8.c.
// The one thing to know: a row's (token's) quantization depends on that row alone, so int8
// outputs never depend on which other examples share a batch.
#ifndef W2S_QUANT_QUANT_H
#define W2S_QUANT_QUANT_H

#include "cpu.h"
#include "dtype.h"

#include <stddef.h>
#include <stdint.h>

// ---- weights: symmetric s8, one scale per output channel
// W is (K, N) f32 row-major — GPT-2 Conv1D's [in, out] layout — so channel n is column n.
//   scale[n] = max_k |W[k,n]| / 127;  q[k,n] = clamp(rint(W[k,n] / scale[n]), -127, 127)
// rint rounds half to even. A column whose max |W| is below 127·FLT_MIN (all zero, or so small
// that its scale would be subnormal) gets scale 1 and q = rint(W) = 0: it dequantizes to
// exactly 0 (error < 2^-119). -128 is never produced (gemm's U8S8 contract: B in [-127, 127]).
// q: (K, N) row-major; scale: (N). Returns 0, or -1 with w2s_error_message() set if W holds a
// NaN or ±Inf (naming the element): a model with such weights cannot be quantized.
int quant_weights_s8_per_channel(int8_t *q, float *scale, const float *w, size_t K, size_t N);

// ---- activations: u8 per token (row) with a zero point, dynamic (computed per call)
// For each row i of X (M, K) (row stride ldx >= K elements):
//   lo = min(0, min_k x), hi = max(0, max_k x)    (0 is in the range, so 0 is exact)
//   scale = (hi - lo) / 255;  zero = rint(-lo / scale) in [0, 255]
//   q[i,k] = clamp(rint(x * (1/scale)) + zero, 0, 255)     (1/scale rounded to f32 once)
// so x ≈ scale · (q − zero), |x − scale·(q − zero)| ≤ scale/2 (plus f32 rounding), and
// gemm's epilogue takes row_scale = scale, row_zero = zero. A row whose range is below
// 255·FLT_MIN (all zeros, or subnormal-sized values) gets scale 1, zero 0, q = 0: it
// dequantizes to 0 exactly (error < 2^-118).
// q: (M, ldq) u8; scale: (M); zero: (M). isa selects the kernels (quant_rows_u8 uses
// w2s_isa_active()); every isa gives bit-identical results. Returns 0, or -1 with the error
// set if a row holds a NaN or ±Inf, or if its range overflows f32 (the rows before it are
// done; a diverged model should stop, not be labeled with garbage).
int quant_rows_u8(uint8_t *q, size_t ldq, float *scale, int32_t *zero, const float *x, size_t ldx,
                  size_t M, size_t K);
int quant_rows_u8_isa(w2s_isa isa, uint8_t *q, size_t ldq, float *scale, int32_t *zero,
                      const float *x, size_t ldx, size_t M, size_t K);

// ---- error statistics of a quantization (what the tests bound); computed in double
typedef struct {
    double max_abs;   // max |x − dequant(q)|
    double mean_abs;  // mean |x − dequant(q)| (0 when there are no elements)
    double max_ref;   // max |x|, to put max_abs in proportion
} quant_error;

// W (K, N) against scale[n]·q[k,n].
quant_error quant_error_weights_s8(const float *w, const int8_t *q, const float *scale, size_t K,
                                   size_t N);
// X (M, K) (stride ldx) against scale[i]·(q[i,k] − zero[i]) (q stride ldq).
quant_error quant_error_rows_u8(const float *x, size_t ldx, const uint8_t *q, size_t ldq,
                                const float *scale, const int32_t *zero, size_t M, size_t K);

#endif
