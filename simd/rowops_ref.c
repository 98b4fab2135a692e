// rowops_ref.c — scalar reference row kernels (written for clarity) and the ISA dispatch.
// Every SIMD variant in rowops_*.c is tested against these; reductions here run in double
// where that costs nothing in clarity, so the reference is the more accurate side.
#include "rowops.h"

#include <math.h>

// ---- reference kernels

static void layernorm_fwd_ref(float *y, float *mean, float *rstd, const float *x, const float *w,
                              const float *b, size_t C, float eps) {
    double s = 0.0;
    for (size_t i = 0; i < C; i++) s += x[i];
    double m = s / (double)C;
    double v = 0.0;
    for (size_t i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
    float rs = (float)(1.0 / sqrt(v / (double)C + eps));
    float mf = (float)m;
    for (size_t i = 0; i < C; i++) y[i] = (x[i] - mf) * rs * w[i] + b[i];
    if (mean) *mean = mf;
    if (rstd) *rstd = rs;
}

static void layernorm_bwd_dx_ref(float *dx, const float *dy, const float *x, const float *w,
                                 float mean, float rstd, size_t C) {
    // dxhat = dy*w; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat*xhat))  (llm.c)
    double sum_d = 0.0, sum_dx = 0.0;
    for (size_t i = 0; i < C; i++) {
        float xhat = (x[i] - mean) * rstd;
        float d = dy[i] * w[i];
        sum_d += d;
        sum_dx += d * xhat;
    }
    float md = (float)(sum_d / (double)C), mdx = (float)(sum_dx / (double)C);
    for (size_t i = 0; i < C; i++) {
        float xhat = (x[i] - mean) * rstd;
        dx[i] += rstd * (dy[i] * w[i] - md - xhat * mdx);
    }
}

static void layernorm_bwd_params_ref(float *dw, float *db, const float *dy, const float *x,
                                     float mean, float rstd, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dw[i] += dy[i] * ((x[i] - mean) * rstd);
        db[i] += dy[i];
    }
}

static void softmax_fwd_ref(float *p, const float *s, size_t n, float scale) {
    float mx = -INFINITY;
    for (size_t i = 0; i < n; i++) mx = fmaxf(mx, scale * s[i]);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        p[i] = expf(scale * s[i] - mx);
        sum += p[i];
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++) p[i] *= inv;
}

static void softmax_bwd_ref(float *ds, const float *p, const float *dp, size_t n, float scale) {
    double dot = 0.0;
    for (size_t i = 0; i < n; i++) dot += (double)p[i] * dp[i];
    float d = (float)dot;
    for (size_t i = 0; i < n; i++) ds[i] = scale * p[i] * (dp[i] - d);
}

static void gelu_fwd_ref(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = rowops_gelu(x[i]);
}

static void gelu_bwd_ref(float *dx, const float *x, const float *dy, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float t = tanhf(ROWOPS_GELU_K * (v + ROWOPS_GELU_A * v * v * v));
        float du = ROWOPS_GELU_K * (1.0f + 3.0f * ROWOPS_GELU_A * v * v);
        dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
    }
}

static float dot_ref(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return (float)s;
}

static void axpy_ref(float *y, float a, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static double sumsq_ref(const float *x, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void adam_ref(float *p, float *m, float *v, const float *g, size_t n, const rowops_adam_args *a) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * a->gscale;
        m[i] = a->beta1 * m[i] + (1.0f - a->beta1) * gi;
        v[i] = a->beta2 * v[i] + (1.0f - a->beta2) * gi * gi;
        float mhat = m[i] / a->bc1, vhat = v[i] / a->bc2;
        p[i] -= a->lr * (a->wd * p[i] + mhat / (sqrtf(vhat) + a->eps));
    }
}

static const rowops_kernels ref_table = {
    .layernorm_fwd = layernorm_fwd_ref,
    .layernorm_bwd_dx = layernorm_bwd_dx_ref,
    .layernorm_bwd_params = layernorm_bwd_params_ref,
    .softmax_fwd = softmax_fwd_ref,
    .softmax_bwd = softmax_bwd_ref,
    .gelu_fwd = gelu_fwd_ref,
    .gelu_bwd = gelu_bwd_ref,
    .dot = dot_ref,
    .axpy = axpy_ref,
    .sumsq = sumsq_ref,
    .adam = adam_ref,
};

const rowops_kernels *rowops_ref(void) { return &ref_table; }

// ---- dispatch

const rowops_kernels *rowops_get(w2s_isa isa) {
#if defined(__x86_64__)
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX512)) return rowops_avx512();
#endif
    return &ref_table;
}
