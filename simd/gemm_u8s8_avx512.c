// gemm_u8s8_avx512.c — exact U8S8 micro-kernel for AVX-512 without VNNI (Skylake-X class):
// a 4×32 tile. Not the fast path (that is gemm_u8s8_avx512_vnni.c); the one thing to know is
// why it does not use vpmaddubsw: u8·s8 pairs saturate at s16 (255·127·2 = 64770 > 32767),
// which would silently break exactness for the full u8 × [-127, 127] range. Instead both
// operands are widened to s16 (vpmovzxbw / vpmovsxbw) and multiplied by vpmaddwd, whose pair
// sums of s16·s16 products cannot overflow s32 here (|sum| ≤ 64770).
#include "gemm_u8s8_avx512.h"

enum { WIDE_MR = 4, WIDE_NR = 32, WIDE_NV = WIDE_NR / 16 };

// Layout of the sums: one packed B group holds column j's 4 K values in 4 consecutive bytes.
// 32 bytes (8 columns) widened to 32 s16 and multiplied by vpmaddwd with the row's 4 A values
// (as s16, repeated) give 16 s32: column j's (k0,k1) pair sum and (k2,k3) pair sum side by
// side. Each 16-column slice therefore keeps two accumulators (columns 0–7, 8–15) of
// interleaved pair sums, which are added pairwise once per tile (u8s8_wide_fold).
U8S8_INLINE __m512i u8s8_wide_fold(__m512i lo, __m512i hi) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_add_epi32(_mm512_permutex2var_epi32(lo, even, hi),
                            _mm512_permutex2var_epi32(lo, odd, hi));
}

U8S8_INLINE void u8s8_wide_tile(const gemm_uk_args *a, int rows, int nv) {
    // Zero-extends the 4 broadcast A bytes of each 128-bit lane to s16 (0x80 selects zero).
    const __m512i widen_a = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, -128, 1, -128, 2, -128, 3, -128, 0, -128, 1, -128, 2, -128, 3, -128));
    __m512i acc[WIDE_MR][2 * WIDE_NV];
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
        _Pragma("GCC unroll 16") for (int v = 0; v < 2 * nv; v++) acc[i][v] = _mm512_setzero_si512();
    const uint8_t *pa = a->a;
    // Packed A: row i's quad of group g at g*MR*4 + i*4; direct A (a_ld != 0, gemm_kernel.h):
    // at i*a_ld + g*4.
    size_t a_row = a->a_ld ? a->a_ld : 4, a_group = a->a_ld ? 4 : (size_t)WIDE_MR * 4;
    const int8_t *pb = a->b;
    size_t groups = (a->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++) {
        __m512i b[2 * WIDE_NV];
        _Pragma("GCC unroll 16") for (int v = 0; v < 2 * nv; v++)
            b[v] = _mm512_cvtepi8_epi16(_mm256_load_si256((const __m256i *)(pb + v * 32)));
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, pa + (size_t)i * a_row, 4);
            __m512i ai = _mm512_shuffle_epi8(_mm512_set1_epi32(quad), widen_a);
            _Pragma("GCC unroll 16") for (int v = 0; v < 2 * nv; v++)
                acc[i][v] = _mm512_add_epi32(acc[i][v], _mm512_madd_epi16(ai, b[v]));
        }
        pa += a_group;
        pb += WIDE_NR * 4;
    }
    _Pragma("GCC unroll 16") for (int v = 0; v < nv; v++) {
        u8s8_cols512 c = u8s8_cols512_load(a, (size_t)v * 16);
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++)
            u8s8_store512(a, (size_t)i, (size_t)v * 16, &c,
                          u8s8_wide_fold(acc[i][2 * v], acc[i][2 * v + 1]));
    }
}

#define WIDE_FN(r, v) \
    static void u8s8_wide_##r##_##v(const gemm_uk_args *a) { u8s8_wide_tile(a, r, v); }
#define WIDE_ROW(r) WIDE_FN(r, 1) WIDE_FN(r, 2)
WIDE_ROW(1) WIDE_ROW(2) WIDE_ROW(3) WIDE_ROW(4)
#define WIDE_ENTRY(r) {u8s8_wide_##r##_1, u8s8_wide_##r##_2}
static const gemm_ukernel_fn wide_tiles[WIDE_MR][WIDE_NV] = {
    WIDE_ENTRY(1), WIDE_ENTRY(2), WIDE_ENTRY(3), WIDE_ENTRY(4),
};

static void gemm_u8s8_avx512_4x32(const gemm_uk_args *a) {
    wide_tiles[a->m - 1][(a->n + 15) / 16 - 1](a);
}

// kc = 512: the 32-column B micro-panel of a block (16 KB) plus the A micro-panel (2 KB) sit
// in a 32 KB L1 (Skylake-X, the CPUs that take this path).
const gemm_kernel gemm_kernel_u8s8_avx512 = {
    .name = "gemm_u8s8_avx512_4x32", .type = GEMM_U8S8, .isa = W2S_ISA_AVX512,
    .mr = WIDE_MR, .nr = WIDE_NR, .kgroup = 4, .kc = 512, .mc = 128, .nc = 3072,
    .ukernel = gemm_u8s8_avx512_4x32, .pack_a = gemm_u8s8_pack_a,
    .pack_b = gemm_pack_b_generic, .direct_a = true,
};
