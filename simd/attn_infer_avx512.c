// attn_infer_avx512.c — AVX-512F fused causal attention for inference (attn_infer.h): per block
// of 4 query rows, the scores against a transposed K (4 rows × 64 keys in 16 zmm), the masked
// softmax in place, then P·V (4 rows × hs ≤ 64 in 16 zmm), normalised at the store. Only the
// key columns the block's last row reaches are computed: the causal upper triangle costs nothing
// but the 16-column rounding. Replaces two GEMM calls per (sequence, head), whose packing and
// dispatch cost more than their 128×128×64 products.
#include "attn_infer.h"
#include "transpose_avx512.h"

#include "vecmath_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>
#include <math.h>

#define AI_INLINE static inline __attribute__((always_inline))

enum { RB = 4, VMAX = 4 };  // query rows per block; 16-float vectors per row (hs <= 64)


// s[r, j0 + 16v + :16] = q[r]·Kᵀ for r < R, v < NJ; kt is (hs, np), np a multiple of 16.
AI_INLINE void scores_tile(float *s, size_t np, const float *q, size_t ld, const float *kt, size_t hs,
                           size_t j0, const int R, const int NJ) {
    __m512 acc[RB][VMAX];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NJ; v++) acc[r][v] = _mm512_setzero_ps();
    for (size_t d = 0; d < hs; d++) {
        __m512 b[VMAX];
        for (int v = 0; v < NJ; v++) b[v] = _mm512_load_ps(kt + d * np + j0 + 16 * (size_t)v);
        for (int r = 0; r < R; r++) {
            __m512 a = _mm512_set1_ps(q[(size_t)r * ld + d]);
            for (int v = 0; v < NJ; v++) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NJ; v++) _mm512_store_ps(s + (size_t)r * np + j0 + 16 * (size_t)v, acc[r][v]);
}

// o[r, :hs] = inv[r] · Σ_{j < W} p[r, j] · v[j, :hs] for r < R; p rows are zero past their
// diagonal, so every row may run to the block's widest W. NV = ceil(hs / 16).
AI_INLINE void pv_tile(float *o, size_t ldo, const float *p, size_t np, const float *v, size_t ld, size_t W,
                       const float *inv, size_t hs, const int R, const int NV) {
    __m512 acc[RB][VMAX];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < NV; c++) acc[r][c] = _mm512_setzero_ps();
    __mmask16 tail = w2s_mask16_from(hs, 16 * (size_t)(NV - 1));
    for (size_t j = 0; j < W; j++) {
        __m512 b[VMAX];
        for (int c = 0; c < NV; c++)
            b[c] = c == NV - 1 ? _mm512_maskz_loadu_ps(tail, v + j * ld + 16 * c) : _mm512_loadu_ps(v + j * ld + 16 * c);
        for (int r = 0; r < R; r++) {
            __m512 a = _mm512_set1_ps(p[(size_t)r * np + j]);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_fmadd_ps(a, b[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++) {
        __m512 s = _mm512_set1_ps(inv[r]);
        for (int c = 0; c < NV; c++)
            _mm512_mask_storeu_ps(o + (size_t)r * ldo + 16 * c, c == NV - 1 ? tail : (__mmask16)0xffff,
                                  _mm512_mul_ps(acc[r][c], s));
    }
}

// Row of `len` valid scores (nvec vectors in the block): exponentials in place, zeros from len
// to the block's width; returns 1 / their sum. As rowops' softmax: max of the scaled scores,
// then exp(s·scale − max).
static float softmax_row(float *s, size_t len, size_t nvec, float scale) {
    __m512 vs = _mm512_set1_ps(scale), mx = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < len; i += 16) {
        __mmask16 k = w2s_mask16_from(len, i);
        mx = _mm512_mask_max_ps(mx, k, mx, _mm512_mul_ps(_mm512_load_ps(s + i), vs));
    }
    __m512 vmx = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
    for (size_t i = 0; i < 16 * nvec; i += 16) {
        __m512 e = _mm512_maskz_mov_ps(w2s_mask16_from(len, i), vm_exp_avx512(_mm512_fmsub_ps(_mm512_load_ps(s + i), vs, vmx)));
        sum = _mm512_add_ps(sum, e);
        _mm512_store_ps(s + i, e);
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
}

// Dispatch to the instantiation with compile-time row and vector counts (1..4 each).
#define AI_SWITCH_ROWS(N, M) \
    switch (N) {             \
    case 1: M(1); break;     \
    case 2: M(2); break;     \
    case 3: M(3); break;     \
    default: M(4); break;    \
    }
#define AI_SWITCH_VECS(N, M, R) \
    switch (N) {                \
    case 1: M(R, 1); break;     \
    case 2: M(R, 2); break;     \
    case 3: M(R, 3); break;     \
    default: M(R, 4); break;    \
    }
#define AI_SCORES(R, NJ) scores_tile(s, np, qt, ldq, kt, hs, j0, R, NJ)
#define AI_SCORES_ROWS(R) AI_SWITCH_VECS(nj, AI_SCORES, R)
#define AI_PV(R, NV) pv_tile(ot, ldo, s, np, v, ld, W, inv, hs, R, NV)
#define AI_PV_ROWS(R) AI_SWITCH_VECS(nv, AI_PV, R)

void attn_infer_avx512(float *o, size_t ldo, const float *q, size_t ldq, const float *k, const float *v,
                       size_t ld, size_t n, size_t t0, size_t hs, float scale, float *scratch) {
    if (hs > 16 * VMAX || hs == 0) {
        attn_infer_ref(o, ldo, q, ldq, k, v, ld, n, t0, hs, scale, scratch);
        return;
    }
    size_t np = (n + 15) / 16 * 16, nv = (hs + 15) / 16;
    float *kt = scratch, *s = scratch + hs * np;  // Kᵀ (hs, np), zero past n; scores (RB, np)
    transpose_rows_avx512(kt, np, k, ld, n, hs);
    for (size_t t = t0; t < n; t += RB) {
        int rows = n - t < RB ? (int)(n - t) : RB;
        size_t W = t + (size_t)rows, nvec = (W + 15) / 16;
        const float *qt = q + (t - t0) * ldq;
        for (size_t j0 = 0; j0 < 16 * nvec; j0 += 16 * VMAX) {
            size_t nj = nvec - j0 / 16;
            AI_SWITCH_ROWS(rows, AI_SCORES_ROWS)
        }
        float inv[RB];
        for (int r = 0; r < rows; r++) inv[r] = softmax_row(s + (size_t)r * np, t + (size_t)r + 1, nvec, scale);
        float *ot = o + (t - t0) * ldo;
        AI_SWITCH_ROWS(rows, AI_PV_ROWS)
    }
}
