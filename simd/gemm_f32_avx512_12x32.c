// gemm_f32_avx512_12x32.c — the f32 12×32 AVX-512 tile (gemm_avx512_12x32.h): the tile
// two-FMA-pipe cores get by default, and a candidate `w2s tune` times everywhere. An alt
// kernel: only a GEMM configuration (gemm_config.h) selects it, never the isa lookup.
#include "gemm_avx512_12x32.h"
#include "gemm_pack_x86.h"

static inline __attribute__((always_inline)) __m512 step_f32(__m512 acc, __m512i a, __m512 b) {
    return _mm512_fmadd_ps(_mm512_castsi512_ps(a), b, acc);
}

GEMM_AVX512_X32_TILE(tile_f32_x32, step_f32, 1)
GEMM_AVX512_X32_KERNEL(gemm_f32_avx512_12x32, tile_f32_x32)

const gemm_kernel gemm_kernel_f32_avx512_12x32 = {
    .name = "gemm_f32_avx512_12x32", .type = GEMM_F32, .isa = W2S_ISA_AVX512,
    .mr = GEMM_X32_MR, .nr = GEMM_X32_NR, .kgroup = 1, .kc = 192, .mc = 168, .nc = 3072,
    .ukernel = gemm_f32_avx512_12x32, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86,
    .pack_b = gemm_pack_b32_x86, .direct_a = true, .alt = true,
};
