// attn_infer_ref.c — scalar reference of the fused inference attention (attn_infer.h), written
// for clarity, and the scratch size (the dispatch is attn_infer.c's). Normalises after P·V (one division per
// output element's row), as the AVX-512 kernel does.
#include "attn_infer.h"

#include <math.h>

size_t attn_infer_scratch(size_t n, size_t hs) {
    size_t np = (n + 15) / 16 * 16;
    return hs * np + 4 * np;  // AVX-512: Kᵀ (hs, np) and 4 score rows; the reference: 1 row
}

void attn_infer_ref(float *o, size_t ldo, const float *q, size_t ldq, const float *k, const float *v,
                    size_t ld, size_t n, size_t t0, size_t hs, float scale, float *scratch) {
    float *e = scratch;  // (t + 1) exponentials of one row
    for (size_t t = t0; t < n; t++) {
        float mx = -INFINITY;
        for (size_t j = 0; j <= t; j++) {
            float s = 0.0f;
            for (size_t d = 0; d < hs; d++) s += q[(t - t0) * ldq + d] * k[j * ld + d];
            e[j] = s * scale;
            mx = e[j] > mx ? e[j] : mx;
        }
        float sum = 0.0f;
        for (size_t j = 0; j <= t; j++) {
            e[j] = expf(e[j] - mx);
            sum += e[j];
        }
        float inv = 1.0f / sum;
        float *oi = o + (t - t0) * ldo;
        for (size_t d = 0; d < hs; d++) {
            float acc = 0.0f;
            for (size_t j = 0; j <= t; j++) acc += e[j] * v[j * ld + d];
            oi[d] = acc * inv;
        }
    }
}
