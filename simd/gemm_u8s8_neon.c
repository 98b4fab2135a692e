// gemm_u8s8_neon.c — U8S8 GEMM micro-kernel for plain AArch64 ASIMD (no dot product): exact
// widening. vld4 de-interleaves a packed group (4 K steps × 8 rows or columns) into one vector
// per K step, u8 and s8 widen to s16, and vmlal_laneq_s16 multiply-accumulates into s32;
// 8×8 tile (16 accumulators), kgroup 4. Not the SDOT kernel (gemm_u8s8_neon_dotprod.c).
// Exact: u8 and s8 both fit s16, and vmlal widens each s16·s16 product to s32 before the
// (modulo 2^32) sum.
#include "gemm_neon.h"

enum { U8S8_NEON_MR = 8, U8S8_NEON_NR = 8 };
_Static_assert(U8S8_NEON_MR * U8S8_NEON_NR <= GEMM_NEON_MAX_TILE, "tile fits the store buffer");

// Row i: c[i][0..1] += B[k, 0..7] · A[i, k] for one K step, A[i, k] in lane i of av.
#define U8S8_NEON_ROW(i, av, bv)                                                   \
    do {                                                                           \
        c[2 * (i) + 0] = vmlal_laneq_s16(c[2 * (i) + 0], vget_low_s16(bv), av, i); \
        c[2 * (i) + 1] = vmlal_high_laneq_s16(c[2 * (i) + 1], bv, av, i);          \
    } while (0)

static void gemm_u8s8_neon_8x8(const gemm_uk_args *args) {
    const uint8_t *a = args->a;  // (ceil(kc/4), MR, 4) packed A micro-panel
    const int8_t *b = args->b;   // (ceil(kc/4), NR, 4) packed B micro-panel
    int32x4_t c[U8S8_NEON_MR * 2];
    for (size_t i = 0; i < U8S8_NEON_MR * 2; i++) c[i] = vdupq_n_s32(0);
    size_t groups = (args->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++, a += 4 * U8S8_NEON_MR, b += 4 * U8S8_NEON_NR) {
        uint8x8x4_t aq = vld4_u8(a);  // aq.val[t][i] = A[i, 4g+t]
        int8x8x4_t bq = vld4_s8(b);   // bq.val[t][j] = B[4g+t, j]
        for (int t = 0; t < 4; t++) {
            int16x8_t av = vreinterpretq_s16_u16(vmovl_u8(aq.val[t]));  // 0..255 fits s16
            int16x8_t bv = vmovl_s8(bq.val[t]);
            U8S8_NEON_ROW(0, av, bv);
            U8S8_NEON_ROW(1, av, bv);
            U8S8_NEON_ROW(2, av, bv);
            U8S8_NEON_ROW(3, av, bv);
            U8S8_NEON_ROW(4, av, bv);
            U8S8_NEON_ROW(5, av, bv);
            U8S8_NEON_ROW(6, av, bv);
            U8S8_NEON_ROW(7, av, bv);
        }
    }
    gemm_neon_store_s32(args, c, U8S8_NEON_MR, 2);
}

// Blocking: a kc×NR s8 B micro-panel (4 KiB) stays in L1, an mc×kc u8 A block (32 KiB) in L2.
const gemm_kernel gemm_kernel_u8s8_neon = {
    .name = "gemm_u8s8_neon_8x8", .type = GEMM_U8S8, .isa = W2S_ISA_NEON,
    .mr = U8S8_NEON_MR, .nr = U8S8_NEON_NR, .kgroup = 4, .kc = 512, .mc = 64, .nc = 512,
    .ukernel = gemm_u8s8_neon_8x8, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
