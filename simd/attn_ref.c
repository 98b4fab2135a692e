// attn_ref.c — scalar reference of the causal-attention products (attn.h), written for
// clarity. Sums run in increasing index order in f32. The dispatch is attn.c's.
#include "attn.h"

static void qkt_ref(float *s, size_t lds, const float *a, size_t lda, const float *b, size_t ldb, size_t n,
                    size_t hs) {
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j <= t; j++) {
            float acc = 0.0f;
            for (size_t d = 0; d < hs; d++) acc += a[t * lda + d] * b[j * ldb + d];
            s[t * lds + j] = acc;
        }
}

static void pv_ref(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
                   size_t hs) {
    for (size_t t = 0; t < n; t++)
        for (size_t d = 0; d < hs; d++) {
            float acc = 0.0f;
            for (size_t j = 0; j <= t; j++) acc += p[t * ldp + j] * x[j * ldx + d];
            c[t * ldc + d] = acc;
        }
}

static void ptv_ref(float *c, size_t ldc, const float *p, size_t ldp, const float *x, size_t ldx, size_t n,
                    size_t hs) {
    for (size_t j = 0; j < n; j++)
        for (size_t d = 0; d < hs; d++) {
            float acc = 0.0f;
            for (size_t t = j; t < n; t++) acc += p[t * ldp + j] * x[t * ldx + d];
            c[j * ldc + d] = acc;
        }
}

static const attn_kernels ref_table = {.qkt = qkt_ref, .pv = pv_ref, .ptv = ptv_ref};

const attn_kernels *attn_ref(void) { return &ref_table; }

