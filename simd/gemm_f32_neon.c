// gemm_f32_neon.c — F32 GEMM micro-kernel for AArch64 ASIMD: an 8×12 tile of C held in 24 of
// the 32 vector registers, one fused multiply-add per register per k (vfmaq_laneq_f32
// broadcasts A[i, k] from a lane, so A needs no splat loads). Not the reference (gemm_ref.c)
// and not for x86. Each C element is a plain k-ordered FMA chain, like the scalar kernel.
#include "gemm_neon.h"

enum { F32_NEON_MR = 8, F32_NEON_NR = 12 };
_Static_assert(F32_NEON_MR * F32_NEON_NR <= GEMM_NEON_MAX_TILE, "tile fits the store buffer");

// Row i of the tile: c[i][0..2] += B[k, 0..11] · A[i, k], A[i, k] being lane l of av.
#define F32_NEON_ROW(i, av, l)                                   \
    do {                                                         \
        c[3 * (i) + 0] = vfmaq_laneq_f32(c[3 * (i) + 0], b0, av, l); \
        c[3 * (i) + 1] = vfmaq_laneq_f32(c[3 * (i) + 1], b1, av, l); \
        c[3 * (i) + 2] = vfmaq_laneq_f32(c[3 * (i) + 2], b2, av, l); \
    } while (0)

static void gemm_f32_neon_8x12(const gemm_uk_args *args) {
    const float *a = args->a;  // (kc, MR) packed A micro-panel
    const float *b = args->b;  // (kc, NR) packed B micro-panel
    float32x4_t c[F32_NEON_MR * 3];
    for (size_t i = 0; i < F32_NEON_MR * 3; i++) c[i] = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < args->kc; k++, a += F32_NEON_MR, b += F32_NEON_NR) {
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
        F32_NEON_ROW(0, a0, 0);
        F32_NEON_ROW(1, a0, 1);
        F32_NEON_ROW(2, a0, 2);
        F32_NEON_ROW(3, a0, 3);
        F32_NEON_ROW(4, a1, 0);
        F32_NEON_ROW(5, a1, 1);
        F32_NEON_ROW(6, a1, 2);
        F32_NEON_ROW(7, a1, 3);
    }
    gemm_neon_store_f32(args, c, F32_NEON_MR, 3);
}

// Blocking: a kc×NR B micro-panel (12 KiB) stays in L1, an mc×kc A block (64 KiB) in L2.
const gemm_kernel gemm_kernel_f32_neon = {
    .name = "gemm_f32_neon_8x12", .type = GEMM_F32, .isa = W2S_ISA_NEON,
    .mr = F32_NEON_MR, .nr = F32_NEON_NR, .kgroup = 1, .kc = 256, .mc = 64, .nc = 480,
    .ukernel = gemm_f32_neon_8x12, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
