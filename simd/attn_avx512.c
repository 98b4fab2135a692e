// attn_avx512.c — AVX-512F causal-attention products (attn.h) of GPT-2 training at every
// length: only the causal triangle is computed, with no packing or dispatch per call, which
// beats GEMM calls over the full square from the demo's T = 50 to T = 1024. Register tiles: Q·Kᵀ two score rows × 64 columns against a
// transposed K chunk; P·V and Pᵀ·X four output rows × up to 64 columns. Every output element
// sums in increasing index order, as the reference does (FMA rounding aside).
#include "attn.h"
#include "transpose_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>

enum { CHUNK = 64, HS_MAX = 128 };


// ---- Q·Kᵀ

// R (1 or 2) consecutive score rows: NQ 16-column quarters of s[t + r, j0 ..] from rows a + r*lda
// (hs) and the transposed chunk bt (hs, CHUNK), each B vector loaded once for both rows; the
// first cols[r] columns of row r are stored.
static inline __attribute__((always_inline)) void qkt_rows(float *s, size_t lds, const float *a, size_t lda,
                                                           const float *bt, size_t hs, const size_t *cols,
                                                           const int R, const int NQ) {
    __m512 acc[2][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < NQ; q++) acc[r][q] = _mm512_setzero_ps();
    for (size_t d = 0; d < hs; d++) {
        __m512 bv[4];
        for (int q = 0; q < NQ; q++) bv[q] = _mm512_load_ps(bt + d * CHUNK + 16 * q);
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * lda + d]);
            for (int q = 0; q < NQ; q++) acc[r][q] = _mm512_fmadd_ps(av, bv[q], acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = 0; q < NQ; q++)
            _mm512_mask_storeu_ps(s + (size_t)r * lds + 16 * q, w2s_mask16_from(cols[r], 16 * (size_t)q), acc[r][q]);
}

static void qkt_avx512(float *s, size_t lds, const float *a, size_t lda, const float *b, size_t ldb, size_t n,
                       size_t hs) {
    if (hs > HS_MAX) {
        attn_ref()->qkt(s, lds, a, lda, b, ldb, n, hs);
        return;
    }
    float bt[HS_MAX * CHUNK] __attribute__((aligned(64)));
    for (size_t j0 = 0; j0 < n; j0 += CHUNK) {
        size_t nj = n - j0 < CHUNK ? n - j0 : CHUNK;
        transpose_rows_avx512(bt, CHUNK, b + j0 * ldb, ldb, nj, hs);
        for (size_t t = j0; t < n; t += 2) {
            int R = t + 1 < n ? 2 : 1;
            size_t cols[2];
            for (int r = 0; r < R; r++) cols[r] = t + (size_t)r + 1 - j0 < CHUNK ? t + (size_t)r + 1 - j0 : CHUNK;
            float *st = s + t * lds + j0;
            const float *at = a + t * lda;
            // quarters needed by the longer (last) row; the shorter one's extra lanes are not stored
#define QKT_CALL(NQ) (R == 2 ? qkt_rows(st, lds, at, lda, bt, hs, cols, 2, NQ) \
                             : qkt_rows(st, lds, at, lda, bt, hs, cols, 1, NQ))
            switch ((cols[R - 1] + 15) / 16) {
            case 1: QKT_CALL(1); break;
            case 2: QKT_CALL(2); break;
            case 3: QKT_CALL(3); break;
            default: QKT_CALL(4); break;
            }
#undef QKT_CALL
        }
    }
}

// ---- P·X and Pᵀ·X over column slices of up to 64

// c[t0 + r, :w] = Σ_{j <= t0 + r} p[t0 + r, j] · x[j, :w] for r < R; NV = ceil(w / 16).
static inline __attribute__((always_inline)) void pv_block(float *c, size_t ldc, const float *p, size_t ldp,
                                                           const float *x, size_t ldx, size_t t0, size_t w,
                                                           const int R, const int NV) {
    __m512 acc[4][4];
    __mmask16 mk[4];
    for (int v = 0; v < NV; v++) mk[v] = w2s_mask16_from(w, 16 * (size_t)v);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (size_t j = 0; j < t0 + (size_t)R; j++) {
        __m512 xv[4];
        for (int v = 0; v < NV; v++) xv[v] = _mm512_maskz_loadu_ps(mk[v], x + j * ldx + 16 * v);
        for (int r = 0; r < R; r++) {
            if (j > t0 + (size_t)r) continue;  // above the diagonal: never read
            __m512 pb = _mm512_set1_ps(p[(t0 + (size_t)r) * ldp + j]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(pb, xv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) _mm512_mask_storeu_ps(c + (t0 + (size_t)r) * ldc + 16 * v, mk[v], acc[r][v]);
}

// c[j0 + r, :w] = Σ_{t >= j0 + r} p[t, j0 + r] · x[t, :w] for r < R, t < n.
static inline __attribute__((always_inline)) void ptv_block(float *c, size_t ldc, const float *p, size_t ldp,
                                                            const float *x, size_t ldx, size_t j0, size_t n,
                                                            size_t w, const int R, const int NV) {
    __m512 acc[4][4];
    __mmask16 mk[4];
    for (int v = 0; v < NV; v++) mk[v] = w2s_mask16_from(w, 16 * (size_t)v);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (size_t t = j0; t < n; t++) {
        __m512 xv[4];
        for (int v = 0; v < NV; v++) xv[v] = _mm512_maskz_loadu_ps(mk[v], x + t * ldx + 16 * v);
        for (int r = 0; r < R; r++) {
            if (j0 + (size_t)r > t) continue;  // above the diagonal: never read
            __m512 pb = _mm512_set1_ps(p[t * ldp + j0 + (size_t)r]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(pb, xv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) _mm512_mask_storeu_ps(c + (j0 + (size_t)r) * ldc + 16 * v, mk[v], acc[r][v]);
}

#define ATTN_DISPATCH_NV(CALL, R)                 \
    switch ((w + 15) / 16) {                      \
    case 1: CALL(R, 1); break;                    \
    case 2: CALL(R, 2); break;                    \
    case 3: CALL(R, 3); break;                    \
    default: CALL(R, 4); break;                   \
    }

static void pv_avx512(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
                      size_t hs) {
    for (size_t c0 = 0; c0 < hs; c0 += CHUNK) {
        size_t w = hs - c0 < CHUNK ? hs - c0 : CHUNK;
        float *cc = c + c0;
        const float *xc = x + c0;
#define PV_CALL(R, NV) pv_block(cc, ldc, p, ldp, xc, ldx, t0, w, R, NV)
        size_t t0 = 0;
        for (; t0 + 4 <= n; t0 += 4) ATTN_DISPATCH_NV(PV_CALL, 4)
        switch (n - t0) {
        case 3: ATTN_DISPATCH_NV(PV_CALL, 3) break;
        case 2: ATTN_DISPATCH_NV(PV_CALL, 2) break;
        case 1: ATTN_DISPATCH_NV(PV_CALL, 1) break;
        default: break;
        }
#undef PV_CALL
    }
}

static void ptv_avx512(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
                       size_t hs) {
    for (size_t c0 = 0; c0 < hs; c0 += CHUNK) {
        size_t w = hs - c0 < CHUNK ? hs - c0 : CHUNK;
        float *cc = c + c0;
        const float *xc = x + c0;
#define PTV_CALL(R, NV) ptv_block(cc, ldc, p, ldp, xc, ldx, j0, n, w, R, NV)
        size_t j0 = 0;
        for (; j0 + 4 <= n; j0 += 4) ATTN_DISPATCH_NV(PTV_CALL, 4)
        switch (n - j0) {
        case 3: ATTN_DISPATCH_NV(PTV_CALL, 3) break;
        case 2: ATTN_DISPATCH_NV(PTV_CALL, 2) break;
        case 1: ATTN_DISPATCH_NV(PTV_CALL, 1) break;
        default: break;
        }
#undef PTV_CALL
    }
}

static const attn_kernels avx512_table = {.qkt = qkt_avx512, .pv = pv_avx512, .ptv = ptv_avx512};

const attn_kernels *attn_avx512(void) { return &avx512_table; }
