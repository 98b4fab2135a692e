// colsum_ref.c — scalar reference of colsum.h (the dispatch is colsum.c's).
#include "colsum.h"

void colsum_ref(float *acc, const float *x, size_t rows, size_t ld, size_t n) {
    for (size_t j = 0; j < n; j++) {
        float s = acc[j];
        for (size_t r = 0; r < rows; r++) s += x[r * ld + j];
        acc[j] = s;
    }
}

void colsum_bf16_ref(float *acc, w2s_bf16 *y, size_t ldy, const float *x, size_t rows, size_t ld, size_t n) {
    colsum_ref(acc, x, rows, ld, n);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) y[r * ldy + j] = w2s_f32_to_bf16(x[r * ld + j]);
}
