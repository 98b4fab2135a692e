// gemm_pack_avx2.c — AVX2 packers for 32-bit GEMM units (f32, or bf16 K-pairs); see
// gemm_pack_x86.h. The hot cases are row-major A (8×8 transposes of units into the MR-row
// panel), row-major B for weight gradients (row copies), and Bᵀ for A·Bᵀ (transposes); the
// bf16 pairs of weight gradients use gemm_pack_avx512.c on AVX-512 kernels.
// Ragged edges go through a zeroed line buffer, so nothing past the view is ever read.
#include "gemm_pack_x86.h"

#include <immintrin.h>
#include <string.h>

typedef enum { UNIT_F32, UNIT_F32_TO_BF16, UNIT_BF16 } unit_kind;

static unit_kind kind_of(const gemm_kernel *k, w2s_dtype dt) {
    if (k->type == GEMM_F32) return UNIT_F32;
    return dt == W2S_DTYPE_BF16 ? UNIT_BF16 : UNIT_F32_TO_BF16;
}

// f32 → bf16 bits (RNE, quiet NaN) in the low 16 bits of each 32-bit lane; w2s_f32_to_bf16.
static inline __m256i round_bf16(__m256 x) {
    __m256i u = _mm256_castps_si256(x);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                     _mm256_set1_epi32(0x7f800000));
    __m256i qn = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, qn, nan);
}

// 8 consecutive units of a contiguous line whose first `avail` source elements are valid.
static inline __m256i load_units(const void *p, unit_kind kind, size_t avail) {
    size_t need = kind == UNIT_F32 ? 8 : 16;
    if (avail < need) {
        float tmp[16] = {0};
        size_t esz = kind == UNIT_BF16 ? 2 : 4;
        memcpy(tmp, p, avail * esz);
        return load_units(tmp, kind, need);
    }
    switch (kind) {
    case UNIT_F32: return _mm256_loadu_si256(p);
    case UNIT_BF16: return _mm256_loadu_si256(p);
    default: {
        __m256i lo = round_bf16(_mm256_loadu_ps(p)), hi = round_bf16(_mm256_loadu_ps((const float *)p + 8));
        // packus keeps 128-bit lanes: [lo0-3 hi0-3 | lo4-7 hi4-7] → reorder the 64-bit quarters.
        return _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xd8);
    }
    }
}

// Transposes 8 lines × 8 units (r[line] = units) into out[unit] = 8 lines.
static inline void transpose8(__m256i r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(_mm256_castsi256_ps(r[i]), _mm256_castsi256_ps(r[i + 1]));
        t[i + 1] = _mm256_unpackhi_ps(_mm256_castsi256_ps(r[i]), _mm256_castsi256_ps(r[i + 1]));
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_castps_si256(_mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
        r[i + 4] = _mm256_castps_si256(_mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
    }
}

// Packs `lines` (<= stride) lines, line l starting at src + l*line_step elements, each
// contiguous along K with kc valid elements, into dst[unit*stride + l] (32-bit units),
// zero-filling lines >= `lines` up to `stride` and units past kc.
static void pack_lines_t(uint32_t *dst, size_t stride, const char *src, ptrdiff_t line_step,
                         size_t esz, unit_kind kind, size_t lines, size_t kc) {
    size_t epu = kind == UNIT_F32 ? 1 : 2, units = (kc + epu - 1) / epu;
    for (size_t l0 = 0; l0 < stride; l0 += 8) {
        size_t nl = stride - l0 < 8 ? stride - l0 : 8;
        for (size_t u0 = 0; u0 < units; u0 += 8) {
            __m256i r[8];
            for (size_t l = 0; l < 8; l++)
                r[l] = l0 + l < lines ? load_units(src + ((ptrdiff_t)(l0 + l) * line_step + (ptrdiff_t)(u0 * epu)) * (ptrdiff_t)esz,
                                                   kind, kc - u0 * epu)
                                      : _mm256_setzero_si256();
            transpose8(r);
            size_t nu = units - u0 < 8 ? units - u0 : 8;
            for (size_t u = 0; u < nu; u++) {
                uint32_t *d = dst + (u0 + u) * stride + l0;
                if (nl == 8) {
                    _mm256_storeu_si256((__m256i *)d, r[u]);
                } else {
                    uint32_t tmp[8];
                    _mm256_storeu_si256((__m256i *)tmp, r[u]);
                    memcpy(d, tmp, nl * 4);
                }
            }
        }
    }
}

// Pairs of K rows, each contiguous along the other dimension, into bf16 units:
// dst[g*stride + j] = X[2g, j] | X[2g+1, j] << 16 for j < n (zero up to stride), where row k
// starts at src + k*row_step elements. Row-major B, and Aᵀ storage (weight gradients), are
// laid out this way. bf16 sources go to the AVX-512 packer when the kernel is an AVX-512 one.
static void pack_pairs_rows(const gemm_kernel *k, uint32_t *d, size_t stride, const char *src,
                            ptrdiff_t row_step, size_t esz, unit_kind kind, size_t kc, size_t n) {
    if (kind == UNIT_BF16 && k->isa >= W2S_ISA_AVX512) {
        gemm_pack_pairs_bf16_avx512(d, stride, (const w2s_bf16 *)src, row_step, kc, n);
        return;
    }
    for (size_t g = 0; 2 * g < kc; g++) {
        const char *r0 = src + (ptrdiff_t)(2 * g) * row_step * (ptrdiff_t)esz;
        const char *r1 = 2 * g + 1 < kc ? r0 + row_step * (ptrdiff_t)esz : NULL;
        size_t j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256i lo, hi;
            if (kind == UNIT_BF16) {
                lo = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(r0 + j * 2)));
                hi = r1 ? _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(r1 + j * 2)))
                        : _mm256_setzero_si256();
            } else {
                lo = round_bf16(_mm256_loadu_ps((const float *)r0 + j));
                hi = r1 ? round_bf16(_mm256_loadu_ps((const float *)r1 + j)) : _mm256_setzero_si256();
            }
            _mm256_storeu_si256((__m256i *)(d + g * stride + j), _mm256_or_si256(lo, _mm256_slli_epi32(hi, 16)));
        }
        for (; j < n; j++) {
            uint32_t lo, hi = 0;
            if (kind == UNIT_BF16) {
                lo = ((const w2s_bf16 *)r0)[j];
                if (r1) hi = ((const w2s_bf16 *)r1)[j];
            } else {
                lo = w2s_f32_to_bf16(((const float *)r0)[j]);
                if (r1) hi = w2s_f32_to_bf16(((const float *)r1)[j]);
            }
            d[g * stride + j] = lo | hi << 16;
        }
        if (n < stride) memset(d + g * stride + n, 0, (stride - n) * 4);
    }
}

void gemm_pack_a32_x86(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                       size_t m, size_t kc) {
    unit_kind kind = kind_of(k, a_dtype);
    size_t esz = w2s_dtype_size(a_dtype), mr = k->mr;
    if (a.cs == 1) {  // row-major A: rows are contiguous along K
        pack_lines_t(dst, mr, a.p, a.rs, esz, kind, m, kc);
        return;
    }
    if (a.rs == 1 && kind == UNIT_F32) {  // Aᵀ storage: the m rows of one k are contiguous
        float *d = dst;
        for (size_t kk = 0; kk < kc; kk++) {
            memcpy(d + kk * mr, (const float *)a.p + (ptrdiff_t)kk * a.cs, m * 4);
            memset(d + kk * mr + m, 0, (mr - m) * 4);
        }
        return;
    }
    if (a.rs == 1) {  // Aᵀ storage into bf16 pairs (weight gradients Xᵀ·dY)
        pack_pairs_rows(k, dst, mr, a.p, a.cs, esz, kind, kc, m);
        return;
    }
    gemm_pack_a_generic(k, dst, a_dtype, a, m, kc);
}

void gemm_pack_b32_x86(const gemm_kernel *k, void *dst, w2s_dtype b_dtype, gemm_view b,
                       size_t kc, size_t n) {
    unit_kind kind = kind_of(k, b_dtype);
    size_t esz = w2s_dtype_size(b_dtype), nr = k->nr;
    if (b.rs == 1) {  // Bᵀ storage (A·Bᵀ): each column is contiguous along K
        pack_lines_t(dst, nr, b.p, b.cs, esz, kind, n, kc);
        return;
    }
    if (b.cs != 1) {
        gemm_pack_b_generic(k, dst, b_dtype, b, kc, n);
        return;
    }
    if (kind == UNIT_F32) {  // row-major f32 B: copy rows
        float *d = dst;
        for (size_t kk = 0; kk < kc; kk++) {
            memcpy(d + kk * nr, (const float *)b.p + (ptrdiff_t)kk * b.rs, n * 4);
            memset(d + kk * nr + n, 0, (nr - n) * 4);
        }
        return;
    }
    // Row-major B into bf16 pairs.
    pack_pairs_rows(k, dst, nr, b.p, b.rs, esz, kind, kc, n);
}

void gemm_pack_a32_panels_x86(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                              size_t m, size_t kc) {
    size_t mr = k->mr, step = (kc + k->kgroup - 1) / k->kgroup * mr;  // units per panel
    if (a.rs == 1 && kind_of(k, a_dtype) == UNIT_BF16 && k->isa >= W2S_ISA_AVX512 && (mr == 8 || mr == 16)) {
        gemm_pack_pairs_panels_bf16_avx512(dst, mr, step, a.p, a.cs, kc, m);
        return;
    }
    for (size_t i = 0; i < m; i += mr) {
        gemm_view v = a;
        v.p = (const char *)a.p + (ptrdiff_t)i * a.rs * (ptrdiff_t)w2s_dtype_size(a_dtype);
        gemm_pack_a32_x86(k, (uint32_t *)dst + (i / mr) * step, a_dtype, v, m - i < mr ? m - i : mr, kc);
    }
}
