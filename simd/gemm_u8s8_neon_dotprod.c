// gemm_u8s8_neon_dotprod.c — U8S8 GEMM micro-kernel for AArch64 with FEAT_DotProd: SDOT
// (vdotq_laneq_s32) adds four s8·s8 products per s32 lane; 8×12 tile, kgroup 4.
// SDOT has no u8·s8 form (USDOT needs FEAT_I8MM, which this level does not imply), so A is
// shifted into s8 as a - 128 (an XOR of the top bit) and the tile adds back 128·Σ_k B[k, j]
// over this K block. Exact: every product and both sums are integers computed modulo 2^32,
// so the result equals Σ a·b bit for bit (gemm_ref's s32 output) whenever that fits in s32.
#include "gemm_neon.h"

enum { U8S8_DP_MR = 8, U8S8_DP_NR = 12 };
_Static_assert(U8S8_DP_MR * U8S8_DP_NR <= GEMM_NEON_MAX_TILE, "tile fits the store buffer");

// Row i: c[i][0..2] += Σ_t B[4g+t, 0..11] · (A[i, 4g+t] - 128), A's quad in lane l of av.
#define U8S8_DP_ROW(i, av, l)                                     \
    do {                                                          \
        c[3 * (i) + 0] = vdotq_laneq_s32(c[3 * (i) + 0], b0, av, l); \
        c[3 * (i) + 1] = vdotq_laneq_s32(c[3 * (i) + 1], b1, av, l); \
        c[3 * (i) + 2] = vdotq_laneq_s32(c[3 * (i) + 2], b2, av, l); \
    } while (0)

static inline int8x16_t u8_minus_128(const uint8_t *p) {
    return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)));
}

static void gemm_u8s8_neon_dotprod_8x12(const gemm_uk_args *args) {
    const uint8_t *a = args->a;  // (ceil(kc/4), MR, 4) packed A micro-panel
    const int8_t *b = args->b;   // (ceil(kc/4), NR, 4) packed B micro-panel
    size_t groups = (args->kc + 3) / 4;

    // Column sums of this block's B (padding is zero, so whole groups are fine), in their own
    // pass: the main loop already uses 29 of the 32 vector registers.
    int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0), s2 = vdupq_n_s32(0);
    const int8x16_t ones = vdupq_n_s8(1);
    for (size_t g = 0; g < groups; g++) {
        const int8_t *bg = b + g * 4 * U8S8_DP_NR;
        s0 = vdotq_s32(s0, vld1q_s8(bg), ones);
        s1 = vdotq_s32(s1, vld1q_s8(bg + 16), ones);
        s2 = vdotq_s32(s2, vld1q_s8(bg + 32), ones);
    }
    // Every row starts from 128·colsum, the correction for its a - 128 operands.
    int32x4_t c[U8S8_DP_MR * 3];
    for (size_t i = 0; i < U8S8_DP_MR; i++) {
        c[3 * i + 0] = vshlq_n_s32(s0, 7);
        c[3 * i + 1] = vshlq_n_s32(s1, 7);
        c[3 * i + 2] = vshlq_n_s32(s2, 7);
    }
    for (size_t g = 0; g < groups; g++, a += 4 * U8S8_DP_MR, b += 4 * U8S8_DP_NR) {
        int8x16_t a0 = u8_minus_128(a), a1 = u8_minus_128(a + 16);
        int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32);
        U8S8_DP_ROW(0, a0, 0);
        U8S8_DP_ROW(1, a0, 1);
        U8S8_DP_ROW(2, a0, 2);
        U8S8_DP_ROW(3, a0, 3);
        U8S8_DP_ROW(4, a1, 0);
        U8S8_DP_ROW(5, a1, 1);
        U8S8_DP_ROW(6, a1, 2);
        U8S8_DP_ROW(7, a1, 3);
    }
    gemm_neon_store_s32(args, c, U8S8_DP_MR, 3);
}

// Blocking: a kc×NR s8 B micro-panel (6 KiB) stays in L1, an mc×kc u8 A block (32 KiB) in L2.
const gemm_kernel gemm_kernel_u8s8_neon_dotprod = {
    .name = "gemm_u8s8_neon_dotprod_8x12", .type = GEMM_U8S8, .isa = W2S_ISA_NEON_DOTPROD,
    .mr = U8S8_DP_MR, .nr = U8S8_DP_NR, .kgroup = 4, .kc = 512, .mc = 64, .nc = 480,
    .ukernel = gemm_u8s8_neon_dotprod_8x12, .pack_a = gemm_pack_a_generic,
    .pack_b = gemm_pack_b_generic,
};
