// gemm_u8s8_avx2.c — exact U8S8 micro-kernel for AVX2 without AVX-VNNI (Haswell … Zen 3): a
// 4×8 tile. Why not vpmaddubsw: u8·s8 pairs saturate at s16 (255·127·2 = 64770 > 32767), which
// would silently break exactness for the full u8 × [-127, 127] range. Both operands are
// widened to s16 (vpmovzxbw / vpmovsxbw) and multiplied by vpmaddwd, whose pair sums of
// s16·s16 products cannot overflow s32 here (|sum| ≤ 64770).
#include "gemm_u8s8_avx2.h"

enum { WIDE2_MR = 4, WIDE2_NR = 8 };

// One packed B group holds column j's 4 K values in 4 consecutive bytes. 16 bytes (4 columns)
// widened to 16 s16 and multiplied by vpmaddwd with the row's 4 A values (as s16, repeated)
// give 8 s32: column j's (k0,k1) and (k2,k3) pair sums side by side. A tile row keeps two
// such accumulators (columns 0–3, 4–7), added pairwise once per tile: vphaddd yields columns
// 0,1,4,5 | 2,3,6,7 and vpermq puts them in order.
U8S8_INLINE __m256i u8s8_wide2_fold(__m256i lo, __m256i hi) {
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xd8);
}

U8S8_INLINE void u8s8_wide2_tile(const gemm_uk_args *a, int rows) {
    // Zero-extends the 4 broadcast A bytes of each 128-bit lane to s16 (0x80 selects zero).
    const __m256i widen_a = _mm256_setr_epi8(0, -128, 1, -128, 2, -128, 3, -128, 0, -128, 1, -128,
                                             2, -128, 3, -128, 0, -128, 1, -128, 2, -128, 3, -128,
                                             0, -128, 1, -128, 2, -128, 3, -128);
    __m256i acc[WIDE2_MR][2];
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    const uint8_t *pa = a->a;
    // Packed A: row i's quad of group g at g*MR*4 + i*4; direct A (a_ld != 0, gemm_kernel.h):
    // at i*a_ld + g*4.
    size_t a_row = a->a_ld ? a->a_ld : 4, a_group = a->a_ld ? 4 : (size_t)WIDE2_MR * 4;
    const int8_t *pb = a->b;
    size_t groups = (a->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++) {
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)pb));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(pb + 16)));
        _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, pa + (size_t)i * a_row, 4);
            __m256i ai = _mm256_shuffle_epi8(_mm256_set1_epi32(quad), widen_a);
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(ai, b0));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(ai, b1));
        }
        pa += a_group;
        pb += WIDE2_NR * 4;
    }
    u8s8_cols256 c = u8s8_cols256_load(a, 0);
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) u8s8_store256(a, (size_t)i, 0, &c, u8s8_wide2_fold(acc[i][0], acc[i][1]));
}

#define WIDE2_FN(r) \
    static void u8s8_wide2_##r(const gemm_uk_args *a) { u8s8_wide2_tile(a, r); }
WIDE2_FN(1) WIDE2_FN(2) WIDE2_FN(3) WIDE2_FN(4)
static const gemm_ukernel_fn wide2_tiles[WIDE2_MR] = {
    u8s8_wide2_1, u8s8_wide2_2, u8s8_wide2_3, u8s8_wide2_4,
};

static void gemm_u8s8_avx2_4x8(const gemm_uk_args *a) { wide2_tiles[a->m - 1](a); }

// kc = 512: the 8-column B micro-panel of a block (4 KB) and the A micro-panel (2 KB) leave
// most of a 32 KB L1 to C and the next panels.
const gemm_kernel gemm_kernel_u8s8_avx2 = {
    .name = "gemm_u8s8_avx2_4x8", .type = GEMM_U8S8, .isa = W2S_ISA_AVX2,
    .mr = WIDE2_MR, .nr = WIDE2_NR, .kgroup = 4, .kc = 512, .mc = 128, .nc = 3072,
    .ukernel = gemm_u8s8_avx2_4x8, .pack_a = gemm_u8s8_pack_a, .pack_b = gemm_pack_b_generic,
    .direct_a = true,
};
