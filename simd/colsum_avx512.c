// colsum_avx512.c — colsum.h with the sums of 64 columns held in four registers across 8 rows
// (one load and add per 16 elements), masked at the right edge; the bf16 copy is rounded from
// the loaded registers and stored in the same pass.
#include "colsum.h"
#include "vecmath_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>
#include <stdbool.h>


enum { ROWS = 8 };  // rows per pass over the columns (below)

// Rows are taken ROWS at a time and, for each, the columns 64 at a time: the sums of a 64-column
// block stay in registers for ROWS rows, and each pass reads ROWS contiguous row segments (a
// block of 64 columns down all rows would touch a new page per row). Y (also write the bf16
// copy) is a compile-time constant after inlining: one loop, two entry points.
static inline __attribute__((always_inline)) void colsum_block(float *acc, w2s_bf16 *y, size_t ldy,
                                                               const float *x, size_t rows, size_t ld, size_t n,
                                                               const bool Y) {
    for (size_t r0 = 0; r0 < rows; r0 += ROWS) {
        size_t r1 = rows - r0 < ROWS ? rows : r0 + ROWS;
        for (size_t j0 = 0; j0 < n; j0 += 64) {
            size_t w = n - j0 < 64 ? n - j0 : 64;
            __mmask16 mk[4];
            __m512 s[4];
            for (int v = 0; v < 4; v++) {
                mk[v] = w2s_mask16_from(w, 16 * (size_t)v);
                s[v] = _mm512_maskz_loadu_ps(mk[v], acc + j0 + 16 * v);
            }
            for (size_t r = r0; r < r1; r++) {
                const float *xr = x + r * ld + j0;
                for (int v = 0; v < 4; v++) {
                    __m512 xv = _mm512_maskz_loadu_ps(mk[v], xr + 16 * v);
                    s[v] = _mm512_add_ps(s[v], xv);
                    if (Y)
                        _mm256_mask_storeu_epi16(y + r * ldy + j0 + 16 * v, mk[v],
                                                 vm_f32_to_bf16_avx512(_mm512_castps_si512(xv)));
                }
            }
            for (int v = 0; v < 4; v++) _mm512_mask_storeu_ps(acc + j0 + 16 * v, mk[v], s[v]);
        }
    }
}

void colsum_avx512(float *acc, const float *x, size_t rows, size_t ld, size_t n) {
    colsum_block(acc, NULL, 0, x, rows, ld, n, false);
}

void colsum_bf16_avx512(float *acc, w2s_bf16 *y, size_t ldy, const float *x, size_t rows, size_t ld, size_t n) {
    colsum_block(acc, y, ldy, x, rows, ld, n, true);
}
