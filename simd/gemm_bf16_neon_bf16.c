// gemm_bf16_neon_bf16.c — BF16 GEMM micro-kernel for AArch64 with FEAT_BF16: BFDOT
// (vbfdotq_laneq_f32) adds a pair of bf16 products to each f32 lane, so one K group of 2
// (kgroup 2, the pairs gemm_kernel.h packs) is one instruction per accumulator; 8×12 tile.
// Not bit-identical to the scalar kernel: BFDOT rounds each pair sum and each accumulation
// (round-to-odd, subnormals flushed, Arm ARM BFDotAdd), within gemm_check's per-step bound.
#include "gemm_neon.h"

enum { BF16_NEON_MR = 8, BF16_NEON_NR = 12 };
_Static_assert(BF16_NEON_MR * BF16_NEON_NR <= GEMM_NEON_MAX_TILE, "tile fits the store buffer");

// Row i: c[i][0..2] += Σ_t B[2g+t, 0..11] · A[i, 2g+t], A's pair for row i being lane l of av.
#define BF16_NEON_ROW(i, av, l)                                      \
    do {                                                             \
        c[3 * (i) + 0] = vbfdotq_laneq_f32(c[3 * (i) + 0], b0, av, l); \
        c[3 * (i) + 1] = vbfdotq_laneq_f32(c[3 * (i) + 1], b1, av, l); \
        c[3 * (i) + 2] = vbfdotq_laneq_f32(c[3 * (i) + 2], b2, av, l); \
    } while (0)

static inline bfloat16x8_t bf16_load(const w2s_bf16 *p) {
    return vreinterpretq_bf16_u16(vld1q_u16(p));
}

static void gemm_bf16_neon_bf16_8x12(const gemm_uk_args *args) {
    const w2s_bf16 *a = args->a;  // (ceil(kc/2), MR, 2) packed A micro-panel
    const w2s_bf16 *b = args->b;  // (ceil(kc/2), NR, 2) packed B micro-panel
    float32x4_t c[BF16_NEON_MR * 3];
    for (size_t i = 0; i < BF16_NEON_MR * 3; i++) c[i] = vdupq_n_f32(0.0f);
    size_t groups = (args->kc + 1) / 2;
    for (size_t g = 0; g < groups; g++, a += 2 * BF16_NEON_MR, b += 2 * BF16_NEON_NR) {
        bfloat16x8_t a0 = bf16_load(a), a1 = bf16_load(a + 8);
        bfloat16x8_t b0 = bf16_load(b), b1 = bf16_load(b + 8), b2 = bf16_load(b + 16);
        BF16_NEON_ROW(0, a0, 0);
        BF16_NEON_ROW(1, a0, 1);
        BF16_NEON_ROW(2, a0, 2);
        BF16_NEON_ROW(3, a0, 3);
        BF16_NEON_ROW(4, a1, 0);
        BF16_NEON_ROW(5, a1, 1);
        BF16_NEON_ROW(6, a1, 2);
        BF16_NEON_ROW(7, a1, 3);
    }
    gemm_neon_store_f32(args, c, BF16_NEON_MR, 3);
}

// Blocking: a kc×NR bf16 B micro-panel (12 KiB) stays in L1, an mc×kc A block (64 KiB) in L2.
const gemm_kernel gemm_kernel_bf16_neon_bf16 = {
    .name = "gemm_bf16_neon_bf16_8x12", .type = GEMM_BF16, .isa = W2S_ISA_NEON_BF16,
    .mr = BF16_NEON_MR, .nr = BF16_NEON_NR, .kgroup = 2, .kc = 512, .mc = 64, .nc = 480,
    .ukernel = gemm_bf16_neon_bf16_8x12, .pack_a = gemm_pack_a_generic,
    .pack_b = gemm_pack_b_generic,
};
