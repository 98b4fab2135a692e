// gemm_bf16_12x32_avx512_bf16.c — the bf16 12×32 vdpbf16ps tile (gemm_avx512_12x32.h), K in
// pairs: the tile two-FMA-pipe cores get by default, and a candidate `w2s tune` times
// everywhere. An alt kernel: only a GEMM configuration (gemm_config.h) selects it.
#include "gemm_avx512_12x32.h"
#include "gemm_pack_x86.h"

static inline __attribute__((always_inline)) __m512 step_bf16(__m512 acc, __m512i a, __m512 b) {
    return _mm512_dpbf16_ps(acc, (__m512bh)b, (__m512bh)a);
}

GEMM_AVX512_X32_TILE(tile_bf16_x32, step_bf16, 2)
GEMM_AVX512_X32_KERNEL(gemm_bf16_avx512_bf16_12x32, tile_bf16_x32)

const gemm_kernel gemm_kernel_bf16_avx512_bf16_12x32 = {
    .name = "gemm_bf16_avx512_bf16_12x32", .type = GEMM_BF16, .isa = W2S_ISA_AVX512_BF16,
    .mr = GEMM_X32_MR, .nr = GEMM_X32_NR, .kgroup = 2, .kc = 384, .mc = 168, .nc = 3072,
    .ukernel = gemm_bf16_avx512_bf16_12x32, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86,
    .pack_b = gemm_pack_b32_x86, .direct_a = true, .alt = true,
};
