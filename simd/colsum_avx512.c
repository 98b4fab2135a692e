// colsum_avx512.c — colsum.h with the sums of 64 columns held in four registers across all
// rows (one load and add per 16 elements, acc touched once), masked at the right edge.
#include "colsum.h"

#include <immintrin.h>

static inline __mmask16 mask16(size_t n, size_t v) {
    size_t lo = 16 * v;
    return n <= lo ? 0 : n - lo >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - lo)) - 1);
}

void colsum_avx512(float *acc, const float *x, size_t rows, size_t ld, size_t n) {
    for (size_t j0 = 0; j0 < n; j0 += 64) {
        size_t w = n - j0 < 64 ? n - j0 : 64;
        __mmask16 mk[4];
        __m512 s[4];
        for (int v = 0; v < 4; v++) {
            mk[v] = mask16(w, (size_t)v);
            s[v] = _mm512_maskz_loadu_ps(mk[v], acc + j0 + 16 * v);
        }
        for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * ld + j0;
            for (int v = 0; v < 4; v++) s[v] = _mm512_add_ps(s[v], _mm512_maskz_loadu_ps(mk[v], xr + 16 * v));
        }
        for (int v = 0; v < 4; v++) _mm512_mask_storeu_ps(acc + j0 + 16 * v, mk[v], s[v]);
    }
}
