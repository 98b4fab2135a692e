// gemm_u8s8_avx2_vnni.c — U8S8 micro-kernel for AVX-VNNI (VEX vpdpbusd on ymm; Alder Lake and
// later client cores, Zen 5 has only the EVEX form): a 6×16 tile of s32 sums in 12 ymm, one
// vpdpbusd (8 columns × 4 K × 1 row, exact, no intermediate saturation) per accumulator per
// K group. Edge tiles are compiled per (rows, 8-column slices) pair.
#include "gemm_u8s8_avx2.h"

enum { AVNNI_MR = 6, AVNNI_NR = 16, AVNNI_NV = AVNNI_NR / 8 };

U8S8_INLINE void u8s8_avnni_tile(const gemm_uk_args *a, int rows, int nv) {
    __m256i acc[AVNNI_MR][AVNNI_NV];
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) acc[i][v] = _mm256_setzero_si256();
    const uint8_t *pa = a->a;
    // Packed A: row i's quad of group g at g*MR*4 + i*4; direct A (a_ld != 0, gemm_kernel.h):
    // at i*a_ld + g*4.
    size_t a_row = a->a_ld ? a->a_ld : 4, a_group = a->a_ld ? 4 : (size_t)AVNNI_MR * 4;
    const int8_t *pb = a->b;
    size_t groups = (a->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++) {
        __m256i b[AVNNI_NV];
        _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) b[v] = _mm256_load_si256((const __m256i *)(pb + v * 32));
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, pa + (size_t)i * a_row, 4);
            __m256i ai = _mm256_set1_epi32(quad);
            _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) acc[i][v] = _mm256_dpbusd_avx_epi32(acc[i][v], ai, b[v]);
        }
        pa += a_group;
        pb += AVNNI_NR * 4;
    }
    _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) {
        u8s8_cols256 c = u8s8_cols256_load(a, (size_t)v * 8);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) u8s8_store256(a, (size_t)i, (size_t)v * 8, &c, acc[i][v]);
    }
}

#define AVNNI_FN(r, v) \
    static void u8s8_avnni_##r##_##v(const gemm_uk_args *a) { u8s8_avnni_tile(a, r, v); }
#define AVNNI_ROW(r) AVNNI_FN(r, 1) AVNNI_FN(r, 2)
AVNNI_ROW(1) AVNNI_ROW(2) AVNNI_ROW(3) AVNNI_ROW(4) AVNNI_ROW(5) AVNNI_ROW(6)
#define AVNNI_ENTRY(r) {u8s8_avnni_##r##_1, u8s8_avnni_##r##_2}
static const gemm_ukernel_fn avnni_tiles[AVNNI_MR][AVNNI_NV] = {
    AVNNI_ENTRY(1), AVNNI_ENTRY(2), AVNNI_ENTRY(3), AVNNI_ENTRY(4), AVNNI_ENTRY(5), AVNNI_ENTRY(6),
};

static void gemm_u8s8_avx2_vnni_6x16(const gemm_uk_args *a) {
    avnni_tiles[a->m - 1][(a->n + 7) / 8 - 1](a);
}

// kc = 512: the 16-column B micro-panel of a block (8 KB) and the A micro-panel (3 KB) fit
// the 48 KB L1 of the cores that have AVX-VNNI.
const gemm_kernel gemm_kernel_u8s8_avx2_vnni = {
    .name = "gemm_u8s8_avx2_vnni_6x16", .type = GEMM_U8S8, .isa = W2S_ISA_AVX2_VNNI,
    .mr = AVNNI_MR, .nr = AVNNI_NR, .kgroup = 4, .kc = 512, .mc = 144, .nc = 3072,
    .ukernel = gemm_u8s8_avx2_vnni_6x16, .pack_a = gemm_u8s8_pack_a, .pack_b = gemm_pack_b_generic,
    .direct_a = true,
};
