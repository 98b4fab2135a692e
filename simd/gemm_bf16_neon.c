// gemm_bf16_neon.c — BF16 GEMM micro-kernel for plain AArch64 ASIMD (no FEAT_BF16): bf16 is
// the top half of an f32, so each packed pair (one u32 lane: low half k even, high half k odd)
// widens with a shift or a mask, then f32 FMAs as in the F32 kernel; 8×12 tile, kgroup 2.
// Not the BFDOT kernel (gemm_bf16_neon_bf16.c). The one thing to know: a bf16·bf16 product is
// exact in f32, so k even then k odd per group gives exactly the scalar kernel's sums.
#include "gemm_neon.h"

enum { BF16W_NEON_MR = 8, BF16W_NEON_NR = 12 };
_Static_assert(BF16W_NEON_MR * BF16W_NEON_NR <= GEMM_NEON_MAX_TILE, "tile fits the store buffer");

// Low (k even) and high (k odd) bf16 of each u32 lane, as f32.
static inline float32x4_t bf16_even(uint32x4_t pairs) {
    return vreinterpretq_f32_u32(vshlq_n_u32(pairs, 16));
}
static inline float32x4_t bf16_odd(uint32x4_t pairs) {
    return vreinterpretq_f32_u32(vandq_u32(pairs, vdupq_n_u32(0xffff0000u)));
}

// Row i: c[i][0..2] += B[k, 0..11] · A[i, k] for one k of the pair, A[i, k] in lane l of av.
#define BF16W_NEON_ROW(i, av, l, b0, b1, b2)                        \
    do {                                                            \
        c[3 * (i) + 0] = vfmaq_laneq_f32(c[3 * (i) + 0], b0, av, l); \
        c[3 * (i) + 1] = vfmaq_laneq_f32(c[3 * (i) + 1], b1, av, l); \
        c[3 * (i) + 2] = vfmaq_laneq_f32(c[3 * (i) + 2], b2, av, l); \
    } while (0)

#define BF16W_NEON_STEP(a0, a1, b0, b1, b2)     \
    do {                                         \
        BF16W_NEON_ROW(0, a0, 0, b0, b1, b2);    \
        BF16W_NEON_ROW(1, a0, 1, b0, b1, b2);    \
        BF16W_NEON_ROW(2, a0, 2, b0, b1, b2);    \
        BF16W_NEON_ROW(3, a0, 3, b0, b1, b2);    \
        BF16W_NEON_ROW(4, a1, 0, b0, b1, b2);    \
        BF16W_NEON_ROW(5, a1, 1, b0, b1, b2);    \
        BF16W_NEON_ROW(6, a1, 2, b0, b1, b2);    \
        BF16W_NEON_ROW(7, a1, 3, b0, b1, b2);    \
    } while (0)

// One group = 8 bf16: four (k even, k odd) pairs, read as four u32 lanes.
static inline uint32x4_t bf16_pairs(const w2s_bf16 *p) { return vreinterpretq_u32_u16(vld1q_u16(p)); }

static void gemm_bf16_neon_8x12(const gemm_uk_args *args) {
    const w2s_bf16 *a = args->a;  // (ceil(kc/2), MR, 2) packed A micro-panel
    const w2s_bf16 *b = args->b;  // (ceil(kc/2), NR, 2) packed B micro-panel
    float32x4_t c[BF16W_NEON_MR * 3];
    for (size_t i = 0; i < BF16W_NEON_MR * 3; i++) c[i] = vdupq_n_f32(0.0f);
    size_t groups = (args->kc + 1) / 2;
    for (size_t g = 0; g < groups; g++, a += 2 * BF16W_NEON_MR, b += 2 * BF16W_NEON_NR) {
        uint32x4_t ap0 = bf16_pairs(a), ap1 = bf16_pairs(a + 8);
        uint32x4_t bp0 = bf16_pairs(b), bp1 = bf16_pairs(b + 8), bp2 = bf16_pairs(b + 16);
        {
            float32x4_t a0 = bf16_even(ap0), a1 = bf16_even(ap1);
            float32x4_t b0 = bf16_even(bp0), b1 = bf16_even(bp1), b2 = bf16_even(bp2);
            BF16W_NEON_STEP(a0, a1, b0, b1, b2);
        }
        {
            float32x4_t a0 = bf16_odd(ap0), a1 = bf16_odd(ap1);
            float32x4_t b0 = bf16_odd(bp0), b1 = bf16_odd(bp1), b2 = bf16_odd(bp2);
            BF16W_NEON_STEP(a0, a1, b0, b1, b2);
        }
    }
    gemm_neon_store_f32(args, c, BF16W_NEON_MR, 3);
}

const gemm_kernel gemm_kernel_bf16_neon = {
    .name = "gemm_bf16_neon_8x12", .type = GEMM_BF16, .isa = W2S_ISA_NEON,
    .mr = BF16W_NEON_MR, .nr = BF16W_NEON_NR, .kgroup = 2, .kc = 512, .mc = 64, .nc = 480,
    .ukernel = gemm_bf16_neon_8x12, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
