// gemm_pack_avx512.c — AVX-512 (BW) packer of bf16 K-pairs from rows that are contiguous along
// the other dimension: row-major bf16 B and bf16 Aᵀ storage, the two operands of the weight
// gradients Xᵀ·dY, which are packed on every call. One vpermt2w interleaves 16 columns of a
// row pair; masked loads and stores do the ragged right edge and the zero padding, so nothing
// past the view is read. The layout (and its definition, gemm_pack_*_generic) is gemm_kernel.h's.
#include "gemm_pack_x86.h"

#include "mask_avx512.h"
#include <immintrin.h>

// Rows ahead to prefetch when walking down a column of rows (the hardware prefetcher does not
// follow a stride of whole rows well enough to hide the L3 latency of each line).
enum { PF_ROWS = 16 };


// vpermt2w indices interleaving two rows of 32 bf16 into pairs: word t of the result takes
// column t/2 (+16 for the high half) of row 0 (t even) or row 1 (t odd).
static inline void pair_indices(__m512i *lo, __m512i *hi) {
    uint16_t l[32], h[32];
    for (int t = 0; t < 32; t++) {
        l[t] = (uint16_t)((t & 1 ? 32 : 0) + t / 2);
        h[t] = (uint16_t)((t & 1 ? 32 : 0) + 16 + t / 2);
    }
    *lo = _mm512_loadu_si512(l);
    *hi = _mm512_loadu_si512(h);
}

void gemm_pack_pairs_bf16_avx512(uint32_t *d, size_t stride, const w2s_bf16 *src, ptrdiff_t row_step,
                                 size_t kc, size_t n) {
    __m512i idx_lo, idx_hi;
    pair_indices(&idx_lo, &idx_hi);
    for (size_t g = 0; 2 * g < kc; g++) {
        const w2s_bf16 *r0 = src + (ptrdiff_t)(2 * g) * row_step;
        const w2s_bf16 *r1 = 2 * g + 1 < kc ? r0 + row_step : NULL;
        uint32_t *dg = d + g * stride;
        for (size_t j0 = 0; j0 < stride; j0 += 32) {
            __mmask32 lm = w2s_mask32(n > j0 ? n - j0 : 0);
            __m512i x0 = _mm512_maskz_loadu_epi16(lm, r0 + j0);
            __m512i x1 = r1 ? _mm512_maskz_loadu_epi16(lm, r1 + j0) : _mm512_setzero_si512();
            size_t left = stride - j0;
            _mm512_mask_storeu_epi32(dg + j0, w2s_mask16(left), _mm512_permutex2var_epi16(x0, idx_lo, x1));
            if (left > 16)
                _mm512_mask_storeu_epi32(dg + j0 + 16, w2s_mask16(left - 16),
                                         _mm512_permutex2var_epi16(x0, idx_hi, x1));
        }
    }
}

void gemm_pack_pairs_panels_bf16_avx512(uint32_t *d, size_t mr, size_t panel_step, const w2s_bf16 *src,
                                        ptrdiff_t row_step, size_t kc, size_t m) {
    __m512i idx_lo, idx_hi;
    pair_indices(&idx_lo, &idx_hi);
    size_t width = (m + mr - 1) / mr * mr;
    // 32 columns (4 or 2 panels) at a time, all of K: one whole cache line of each source row.
    for (size_t j0 = 0; j0 < width; j0 += 32) {
        __mmask32 lm = w2s_mask32(m - j0);
        size_t nq = width - j0 < 32 ? width - j0 : 32;
        for (size_t g = 0; 2 * g < kc; g++) {
            const w2s_bf16 *r0 = src + (ptrdiff_t)(2 * g) * row_step + j0;
            __m512i x0 = _mm512_maskz_loadu_epi16(lm, r0);
            __m512i x1 = 2 * g + 1 < kc ? _mm512_maskz_loadu_epi16(lm, r0 + row_step) : _mm512_setzero_si512();
            if (2 * g + PF_ROWS + 1 < kc) {
                _mm_prefetch((const char *)(r0 + PF_ROWS * row_step), _MM_HINT_T0);
                _mm_prefetch((const char *)(r0 + (PF_ROWS + 1) * row_step), _MM_HINT_T0);
            }
            __m512i u[2] = {_mm512_permutex2var_epi16(x0, idx_lo, x1), _mm512_permutex2var_epi16(x0, idx_hi, x1)};
            for (size_t q = 0; q < nq; q += mr) {
                uint32_t *dst = d + ((j0 + q) / mr) * panel_step + g * mr;
                if (mr == 16)
                    _mm512_storeu_si512(dst, u[q / 16]);
                else if (q % 16)
                    _mm256_storeu_si256((__m256i *)dst, _mm512_extracti64x4_epi64(u[q / 16], 1));
                else
                    _mm256_storeu_si256((__m256i *)dst, _mm512_castsi512_si256(u[q / 16]));
            }
        }
    }
}
