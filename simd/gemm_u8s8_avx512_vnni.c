// gemm_u8s8_avx512_vnni.c — U8S8 micro-kernel for AVX-512 VNNI: an 8×48 tile of s32 sums
// in 24 zmm, one vpdpbusd (16 columns × 4 K × 1 row, exact: u8·s8 products summed in s32 with
// no intermediate saturation) per accumulator per K group, then the fused epilogue.
// Edge tiles are compiled separately for every (rows, 16-column slices) pair, so M = 1 or a
// narrow N tail costs only the rows and slices it has, not the whole 8×48 tile.
#include "gemm_u8s8_avx512.h"

enum { VNNI_MR = 8, VNNI_NR = 48, VNNI_NV = VNNI_NR / 16 };

// rows ∈ [1, MR] and nv ∈ [1, NV] are compile-time constants in every instantiation, so the
// accumulator array lives in registers and the loops unroll. (Splitting the 1–2 row tiles'
// K groups over several accumulator sets to hide vpdpbusd latency was measured: no gain, the
// M = 1 case is bound by streaming B from L2/L3; software prefetch of B made it slower.)
U8S8_INLINE void u8s8_vnni_tile(const gemm_uk_args *a, int rows, int nv) {
    __m512i acc[VNNI_MR][VNNI_NV];
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_si512();
    const uint8_t *pa = a->a;
    // Packed A: row i's quad of group g at g*MR*4 + i*4; direct A (a_ld != 0, gemm_kernel.h):
    // at i*a_ld + g*4.
    size_t a_row = a->a_ld ? a->a_ld : 4, a_group = a->a_ld ? 4 : (size_t)VNNI_MR * 4;
    const int8_t *pb = a->b;
    size_t groups = (a->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++) {
        __m512i b[VNNI_NV];
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) b[v] = _mm512_load_si512(pb + v * 64);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, pa + (size_t)i * a_row, 4);
            __m512i ai = _mm512_set1_epi32(quad);
            _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], ai, b[v]);
        }
        pa += a_group;
        pb += VNNI_NR * 4;
    }
    if (u8s8_epi_quant(a)) {
        u8s8_store_tile512(a, rows, nv, acc);
        return;
    }
    _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) {
        u8s8_cols512 c = u8s8_cols512_load(a, (size_t)v * 16);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
            u8s8_store512(a, (size_t)i, (size_t)v * 16, &c, acc[i][v]);
    }
}

#define VNNI_FN(r, v) \
    static void u8s8_vnni_##r##_##v(const gemm_uk_args *a) { u8s8_vnni_tile(a, r, v); }
#define VNNI_ROW(r) VNNI_FN(r, 1) VNNI_FN(r, 2) VNNI_FN(r, 3)
VNNI_ROW(1) VNNI_ROW(2) VNNI_ROW(3) VNNI_ROW(4) VNNI_ROW(5) VNNI_ROW(6) VNNI_ROW(7) VNNI_ROW(8)
#define VNNI_ENTRY(r) {u8s8_vnni_##r##_1, u8s8_vnni_##r##_2, u8s8_vnni_##r##_3}
static const gemm_ukernel_fn vnni_tiles[VNNI_MR][VNNI_NV] = {
    VNNI_ENTRY(1), VNNI_ENTRY(2), VNNI_ENTRY(3), VNNI_ENTRY(4),
    VNNI_ENTRY(5), VNNI_ENTRY(6), VNNI_ENTRY(7), VNNI_ENTRY(8),
};

static void gemm_u8s8_avx512_vnni_8x48(const gemm_uk_args *a) {
    vnni_tiles[a->m - 1][(a->n + 15) / 16 - 1](a);
}

// Packs an 8-row u8 A micro-panel from a row-major view: 16 K groups (64 bytes) of the 8 rows
// at a time, as an 8×16 transpose of 32-bit words in registers (the panel stores group g as
// the 8 rows' 4-byte quads side by side). The scalar word copy this replaces cost ~10% of a
// K = 3072 product. Other views, and the K tail (< 64 bytes), go to gemm_u8s8_pack_a.
static void gemm_u8s8_avx512_vnni_pack_a(const gemm_kernel *k, void *dst, w2s_dtype a_dtype,
                                         gemm_view a, size_t m, size_t kc) {
    if (a.cs != 1 || k->mr != 8) {
        gemm_u8s8_pack_a(k, dst, a_dtype, a, m, kc);
        return;
    }
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i hi = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    const uint8_t *src = a.p;
    uint8_t *d = dst;
    size_t full = kc / 64 * 64;
    for (size_t k0 = 0; k0 < full; k0 += 64, d += 16 * 32) {
        __m512i r[8], t[8], u[8];
        _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++)
            r[i] = (size_t)i < m ? _mm512_loadu_si512(src + (ptrdiff_t)i * a.rs + k0) : _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int i = 0; i < 8; i += 2) {
            t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);      // per lane: groups 0,1 of rows i,i+1
            t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);  // groups 2,3
        }
        _Pragma("GCC unroll 2") for (int h = 0; h < 8; h += 4) {  // rows 0–3, then 4–7
            u[h + 0] = _mm512_unpacklo_epi64(t[h], t[h + 2]);      // per lane: group 0, 4 rows
            u[h + 1] = _mm512_unpackhi_epi64(t[h], t[h + 2]);      // group 1
            u[h + 2] = _mm512_unpacklo_epi64(t[h + 1], t[h + 3]);  // group 2
            u[h + 3] = _mm512_unpackhi_epi64(t[h + 1], t[h + 3]);  // group 3
        }
        // Lane L of u[j] (rows 0–3) and of u[4 + j] (rows 4–7) make group 4L + j.
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
            __m512i g01 = _mm512_permutex2var_epi64(u[j], lo, u[4 + j]);  // groups j, 4 + j
            __m512i g23 = _mm512_permutex2var_epi64(u[j], hi, u[4 + j]);  // groups 8 + j, 12 + j
            _mm256_store_si256((__m256i *)(d + (0 + j) * 32), _mm512_castsi512_si256(g01));
            _mm256_store_si256((__m256i *)(d + (4 + j) * 32), _mm512_extracti64x4_epi64(g01, 1));
            _mm256_store_si256((__m256i *)(d + (8 + j) * 32), _mm512_castsi512_si256(g23));
            _mm256_store_si256((__m256i *)(d + (12 + j) * 32), _mm512_extracti64x4_epi64(g23, 1));
        }
    }
    if (full < kc)
        gemm_u8s8_pack_a(k, d, a_dtype, (gemm_view){src + full, a.rs, 1}, m, kc - full);
}

// Blocking, measured on Zen 5 (1 thread, GPT-2 shapes, against oneDNN in the same process):
// K is best left unblocked — with kc = 768, K = 3072 products ran at 0.87–0.93× oneDNN, with
// kc = 3072 at 0.98–1.0×, because each K block after the first re-reads and re-writes the C
// block's s32 partial sums (590 KB for 192 rows × 768 columns), which evicts B from L2. So
// kc = 4096 covers GPT-2 up to medium (K = 4C = 4096) in one block; mc = 128 keeps the packed A
// block (128 × K ≤ 512 KB) plus one B micro-panel (K × 48 ≤ 192 KB) inside Zen 5's 1 MB L2.
// mc = 96 and 192 measured the same within noise.
const gemm_kernel gemm_kernel_u8s8_avx512_vnni = {
    .name = "gemm_u8s8_avx512_vnni_8x48", .type = GEMM_U8S8, .isa = W2S_ISA_AVX512_VNNI,
    .mr = VNNI_MR, .nr = VNNI_NR, .kgroup = 4, .kc = 4096, .mc = 128, .nc = 3072,
    .ukernel = gemm_u8s8_avx512_vnni_8x48, .pack_a = gemm_u8s8_avx512_vnni_pack_a,
    .pack_b = gemm_pack_b_generic, .direct_a = true,
};
