// gemm_u8s8_avx512_vnni.c — U8S8 micro-kernel for AVX-512 VNNI: an 8×48 tile of s32 sums
// in 24 zmm, one vpdpbusd (16 columns × 4 K × 1 row, exact: u8·s8 products summed in s32 with
// no intermediate saturation) per accumulator per K group, then the fused epilogue.
// Edge tiles are compiled separately for every (rows, 16-column slices) pair, so M = 1 or a
// narrow N tail costs only the rows and slices it has, not the whole 8×48 tile.
#include "gemm_u8s8_avx512.h"

enum { VNNI_MR = 8, VNNI_NR = 48, VNNI_NV = VNNI_NR / 16 };

// rows ∈ [1, MR] and nv ∈ [1, NV] are compile-time constants in every instantiation, so the
// accumulator array lives in registers and the loops unroll.
U8S8_INLINE void u8s8_vnni_tile(const gemm_uk_args *a, int rows, int nv) {
    __m512i acc[VNNI_MR][VNNI_NV];
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_si512();
    const uint8_t *pa = a->a;
    const int8_t *pb = a->b;
    size_t groups = (a->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++) {
        __m512i b[VNNI_NV];
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) b[v] = _mm512_load_si512(pb + v * 64);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, pa + i * 4, 4);
            __m512i ai = _mm512_set1_epi32(quad);
            _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], ai, b[v]);
        }
        pa += VNNI_MR * 4;
        pb += VNNI_NR * 4;
    }
    _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) {
        u8s8_cols512 c = u8s8_cols512_load(a, (size_t)v * 16);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) u8s8_store512(a, (size_t)i, (size_t)v * 16, &c, acc[i][v]);
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

// kc = 768: the 48-column B micro-panel of one K block (768·48 = 36 KB) stays in Zen 4/5's
// 48 KB L1 beside the 6 KB A micro-panel while the ir loop reuses it; GPT-2's K = 768 then
// runs unblocked and K = 3072 in 4 blocks (the s32 partial sums pass through C, 1.5 KB/tile).
const gemm_kernel gemm_kernel_u8s8_avx512_vnni = {
    .name = "gemm_u8s8_avx512_vnni_8x48", .type = GEMM_U8S8, .isa = W2S_ISA_AVX512_VNNI,
    .mr = VNNI_MR, .nr = VNNI_NR, .kgroup = 4, .kc = 768, .mc = 192, .nc = 3072,
    .ukernel = gemm_u8s8_avx512_vnni_8x48, .pack_a = gemm_u8s8_pack_a,
    .pack_b = gemm_pack_b_generic,
};
