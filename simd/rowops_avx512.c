// rowops_avx512.c — AVX-512F row kernels (16 floats per vector, masked tails).
// exp is a Cephes-style degree-6 polynomial after range reduction by ln 2 (≈2 ulp on the
// softmax/tanh range); tanh(u) = 1 - 2/(exp(2u)+1) with u clamped to ±9, where tanh is 1
// to f32 precision. Tested against rowops_ref.c (tests/simd/test_rowops.c).
#include "rowops.h"

#include "vecmath_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>
#include <math.h>

// ---- helpers


static inline __m512 tanh512(__m512 u) {
    u = _mm512_max_ps(_mm512_min_ps(u, _mm512_set1_ps(9.0f)), _mm512_set1_ps(-9.0f));
    __m512 e = vm_exp_avx512(_mm512_add_ps(u, u));
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
}

// ---- kernels

static void layernorm_fwd_avx512(float *y, float *mean, float *rstd, const float *x,
                                 const float *w, const float *b, size_t C, float eps) {
    __m512 s = _mm512_setzero_ps();
    for (size_t i = 0; i < C; i += 16) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(w2s_mask16(C - i), x + i));
    float m = _mm512_reduce_add_ps(s) / (float)C;
    __m512 vm = _mm512_set1_ps(m), v = _mm512_setzero_ps();
    for (size_t i = 0; i < C; i += 16) {
        __mmask16 k = w2s_mask16(C - i);
        __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), vm);
        v = _mm512_fmadd_ps(d, d, v);
    }
    float rs = 1.0f / sqrtf(_mm512_reduce_add_ps(v) / (float)C + eps);
    __m512 vr = _mm512_set1_ps(rs);
    for (size_t i = 0; i < C; i += 16) {
        __mmask16 k = w2s_mask16(C - i);
        __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
        __m512 o = _mm512_fmadd_ps(xh, _mm512_maskz_loadu_ps(k, w + i), _mm512_maskz_loadu_ps(k, b + i));
        _mm512_mask_storeu_ps(y + i, k, o);
    }
    if (mean) *mean = m;
    if (rstd) *rstd = rs;
}

static void layernorm_bwd_dx_avx512(float *dx, const float *dy, const float *x, const float *w,
                                    float mean, float rstd, size_t C) {
    __m512 vm = _mm512_set1_ps(mean), vr = _mm512_set1_ps(rstd);
    __m512 sd = _mm512_setzero_ps(), sdx = _mm512_setzero_ps();
    for (size_t i = 0; i < C; i += 16) {
        __mmask16 k = w2s_mask16(C - i);
        __m512 xh = _mm512_mul_ps(_mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), vm), vr);
        __m512 d = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), _mm512_maskz_loadu_ps(k, w + i));
        sd = _mm512_add_ps(sd, d);
        sdx = _mm512_fmadd_ps(d, xh, sdx);
    }
    __m512 md = _mm512_set1_ps(_mm512_reduce_add_ps(sd) / (float)C);
    __m512 mdx = _mm512_set1_ps(_mm512_reduce_add_ps(sdx) / (float)C);
    for (size_t i = 0; i < C; i += 16) {
        __mmask16 k = w2s_mask16(C - i);
        __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
        __m512 d = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), _mm512_maskz_loadu_ps(k, w + i));
        __m512 g = _mm512_mul_ps(vr, _mm512_fnmadd_ps(xh, mdx, _mm512_sub_ps(d, md)));
        _mm512_mask_storeu_ps(dx + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, dx + i), g));
    }
}

static void layernorm_bwd_params_avx512(float *dw, float *db, const float *dy, const float *x,
                                        float mean, float rstd, size_t n) {
    __m512 vm = _mm512_set1_ps(mean), vr = _mm512_set1_ps(rstd);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 g = _mm512_maskz_loadu_ps(k, dy + i);
        __m512 xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
        _mm512_mask_storeu_ps(dw + i, k, _mm512_fmadd_ps(g, xh, _mm512_maskz_loadu_ps(k, dw + i)));
        _mm512_mask_storeu_ps(db + i, k, _mm512_add_ps(g, _mm512_maskz_loadu_ps(k, db + i)));
    }
}

static void softmax_fwd_avx512(float *p, const float *s, size_t n, float scale) {
    __m512 vs = _mm512_set1_ps(scale);
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        mx = _mm512_mask_max_ps(mx, k, mx, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + i), vs));
    }
    __m512 vmx = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 e = vm_exp_avx512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k, s + i), vs, vmx));
        sum = _mm512_mask_add_ps(sum, k, sum, e);
        _mm512_mask_storeu_ps(p + i, k, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        _mm512_mask_storeu_ps(p + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), inv));
    }
}

static void softmax_bwd_avx512(float *ds, const float *p, const float *dp, size_t n, float scale) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, p + i), _mm512_maskz_loadu_ps(k, dp + i), acc);
    }
    __m512 d = _mm512_set1_ps(_mm512_reduce_add_ps(acc)), vs = _mm512_set1_ps(scale);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 g = _mm512_mul_ps(_mm512_mul_ps(vs, pv), _mm512_sub_ps(_mm512_maskz_loadu_ps(k, dp + i), d));
        _mm512_mask_storeu_ps(ds + i, k, g);
    }
}

static void gelu_fwd_avx512(float *y, const float *x, size_t n) {
    __m512 kk = _mm512_set1_ps(ROWOPS_GELU_K), ka = _mm512_set1_ps(ROWOPS_GELU_A);
    __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        __m512 v3 = _mm512_mul_ps(_mm512_mul_ps(v, v), v);
        __m512 t = tanh512(_mm512_mul_ps(kk, _mm512_fmadd_ps(ka, v3, v)));
        _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, t)));
    }
}

static void gelu_bwd_avx512(float *dx, const float *x, const float *dy, size_t n) {
    __m512 kk = _mm512_set1_ps(ROWOPS_GELU_K), ka = _mm512_set1_ps(ROWOPS_GELU_A);
    __m512 ka3 = _mm512_set1_ps(3.0f * ROWOPS_GELU_A);
    __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        __m512 v2 = _mm512_mul_ps(v, v);
        __m512 t = tanh512(_mm512_mul_ps(kk, _mm512_fmadd_ps(_mm512_mul_ps(ka, v2), v, v)));
        __m512 du = _mm512_mul_ps(kk, _mm512_fmadd_ps(ka3, v2, one));
        __m512 sech2 = _mm512_fnmadd_ps(t, t, one);
        __m512 g = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_mul_ps(half, v), sech2), du,
                                   _mm512_mul_ps(half, _mm512_add_ps(one, t)));
        _mm512_mask_storeu_ps(dx + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), g));
    }
}

static float dot_avx512(const float *a, const float *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

static void axpy_avx512(float *y, float a, const float *x, size_t n) {
    __m512 va = _mm512_set1_ps(a);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 r = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i));
        _mm512_mask_storeu_ps(y + i, k, r);
    }
}

static double sumsq_avx512(const float *x, size_t n) {
    __m512d acc0 = _mm512_setzero_pd(), acc1 = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(w2s_mask16(n - i), x + i);
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
        acc0 = _mm512_fmadd_pd(lo, lo, acc0);
        acc1 = _mm512_fmadd_pd(hi, hi, acc1);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(acc0, acc1));
}

// Same operation order as adam_ref; the compiler may contract mul+add into FMA here, so the
// two agree to a few ulp rather than bit for bit (each ISA is deterministic on its own).
static void adam_avx512(float *p, float *m, float *v, const float *g, size_t n, const rowops_adam_args *a) {
    __m512 gs = _mm512_set1_ps(a->gscale), b1 = _mm512_set1_ps(a->beta1), b2 = _mm512_set1_ps(a->beta2);
    __m512 c1 = _mm512_set1_ps(1.0f - a->beta1), c2 = _mm512_set1_ps(1.0f - a->beta2);
    __m512 bc1 = _mm512_set1_ps(a->bc1), bc2 = _mm512_set1_ps(a->bc2), eps = _mm512_set1_ps(a->eps);
    __m512 lr = _mm512_set1_ps(a->lr), wd = _mm512_set1_ps(a->wd);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = w2s_mask16(n - i);
        __m512 gi = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, g + i), gs);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(k, m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(k, v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        __m512 pi = _mm512_maskz_loadu_ps(k, p + i);
        __m512 upd = _mm512_div_ps(_mm512_div_ps(mi, bc1), _mm512_add_ps(_mm512_sqrt_ps(_mm512_div_ps(vi, bc2)), eps));
        pi = _mm512_sub_ps(pi, _mm512_mul_ps(lr, _mm512_add_ps(_mm512_mul_ps(wd, pi), upd)));
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        _mm512_mask_storeu_ps(p + i, k, pi);
    }
}

static const rowops_kernels avx512_table = {
    .layernorm_fwd = layernorm_fwd_avx512,
    .layernorm_bwd_dx = layernorm_bwd_dx_avx512,
    .layernorm_bwd_params = layernorm_bwd_params_avx512,
    .softmax_fwd = softmax_fwd_avx512,
    .softmax_bwd = softmax_bwd_avx512,
    .gelu_fwd = gelu_fwd_avx512,
    .gelu_bwd = gelu_bwd_avx512,
    .dot = dot_avx512,
    .axpy = axpy_avx512,
    .sumsq = sumsq_avx512,
    .adam = adam_avx512,
};

const rowops_kernels *rowops_avx512(void) { return &avx512_table; }
