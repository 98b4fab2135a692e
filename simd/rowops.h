// rowops.h — the per-row kernels of a transformer layer that are not matrix products:
// LayerNorm forward/backward, softmax forward/backward (causal attention rows, LM logits),
// tanh-GELU forward/backward, and the dot/axpy of attention. All in fp32.
// A kernel works on ONE row (or one slice of columns) and never threads or allocates: the
// caller splits rows over its OpenMP team, which keeps reductions in a fixed order.
// rowops_get(isa) returns the best table at or below `isa`; *_ref is the scalar reference.
#ifndef W2S_SIMD_ROWOPS_H
#define W2S_SIMD_ROWOPS_H

#include "cpu.h"

#include <math.h>
#include <stddef.h>

// GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016, eq. in §2; HF "gelu_new"):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
#define ROWOPS_GELU_K 0.7978845608028654f  // sqrt(2/pi)
#define ROWOPS_GELU_A 0.044715f

// The one scalar definition of it: the row kernels' reference and the GEMM epilogue's, which
// every SIMD variant must match within rounding.
static inline float rowops_gelu(float x) {
    return 0.5f * x * (1.0f + tanhf(ROWOPS_GELU_K * (x + ROWOPS_GELU_A * x * x * x)));
}

// One Adam/AdamW update (PyTorch's formula; runtime/train/optim.h documents it):
//   g' = g * gscale; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
//   p -= lr * (wd * p + (m / bc1) / (sqrt(v / bc2) + eps))
typedef struct {
    float gscale, lr, beta1, beta2, bc1, bc2, eps, wd;
} rowops_adam_args;

typedef struct {
    // y = (x - mean) * rstd * w + b over C elements; mean/rstd stored if non-NULL (training).
    // rstd = 1/sqrt(var + eps), var the biased variance (PyTorch LayerNorm).
    void (*layernorm_fwd)(float *y, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, size_t C, float eps);
    // dx += d(LayerNorm)/dx · dy for one row (accumulates: dx is the residual stream's grad).
    void (*layernorm_bwd_dx)(float *dx, const float *dy, const float *x, const float *w,
                             float mean, float rstd, size_t C);
    // dw[c] += dy[c] * xhat[c], db[c] += dy[c] for n columns of one row (xhat = (x-mean)*rstd).
    // Callers split columns across threads and walk rows in order, so sums are deterministic.
    void (*layernorm_bwd_params)(float *dw, float *db, const float *dy, const float *x,
                                 float mean, float rstd, size_t n);
    // p = softmax(scale * s) over n > 0 elements; p may alias s.
    void (*softmax_fwd)(float *p, const float *s, size_t n, float scale);
    // ds = scale * p * (dp - <p, dp>) over n elements (grad of softmax(scale*s)); ds may alias dp.
    void (*softmax_bwd)(float *ds, const float *p, const float *dp, size_t n, float scale);
    // y = gelu(x); y may alias x.
    void (*gelu_fwd)(float *y, const float *x, size_t n);
    // dx = dy * gelu'(x); dx may alias dy.
    void (*gelu_bwd)(float *dx, const float *x, const float *dy, size_t n);
    // <a, b> accumulated in f32 (order depends on the ISA, fixed for one ISA).
    float (*dot)(const float *a, const float *b, size_t n);
    // y += a * x.
    void (*axpy)(float *y, float a, const float *x, size_t n);
    // Σ x² accumulated in double (order fixed for one ISA).
    double (*sumsq)(const float *x, size_t n);
    // The Adam update of n parameters, elementwise (ISAs agree to a few ulp).
    void (*adam)(float *p, float *m, float *v, const float *g, size_t n, const rowops_adam_args *a);
} rowops_kernels;

// The kernel table for `isa` (best variant at or below it; scalar reference if none).
const rowops_kernels *rowops_get(w2s_isa isa);
// The scalar reference table.
const rowops_kernels *rowops_ref(void);

// The AVX-512 table (defined in rowops_avx512.c on x86-64 builds only).
const rowops_kernels *rowops_avx512(void);

#endif
