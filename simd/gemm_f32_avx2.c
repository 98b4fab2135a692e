// gemm_f32_avx2.c — f32 GEMM micro-kernel for AVX2 + FMA: the classic 6×16 tile (12 ymm
// accumulators, 2 B vectors, 1 broadcast = 15 of 16 registers). Partial rows run a kernel
// instantiated for exactly m rows; the epilogue is gemm_store_tile_avx2.
#include "gemm_avx2.h"
#include "gemm_pack_x86.h"

enum { MR = 6, NR = 16 };

static inline __attribute__((always_inline)) void tile_f32(const gemm_uk_args *ua, const int M) {
    __m256 c[MR][2];
    for (int i = 0; i < M; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
    const float *a = ua->a, *b = ua->b;
#pragma GCC unroll 4
    for (size_t k = 0; k < ua->kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        for (int i = 0; i < M; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            c[i][0] = _mm256_fmadd_ps(ai, b0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(ai, b1, c[i][1]);
        }
        a += MR;
        b += NR;
    }
    float acc[MR * NR] __attribute__((aligned(32)));
    for (int i = 0; i < M; i++) {
        _mm256_store_ps(acc + i * NR, c[i][0]);
        _mm256_store_ps(acc + i * NR + 8, c[i][1]);
    }
    gemm_store_tile_avx2(ua, acc, NR);
}

static void gemm_f32_avx2_6x16(const gemm_uk_args *ua) {
    switch (ua->m) {
    case 6: tile_f32(ua, 6); break;
    case 5: tile_f32(ua, 5); break;
    case 4: tile_f32(ua, 4); break;
    case 3: tile_f32(ua, 3); break;
    case 2: tile_f32(ua, 2); break;
    default: tile_f32(ua, 1); break;
    }
}

const gemm_kernel gemm_kernel_f32_avx2 = {
    .name = "gemm_f32_avx2_6x16", .type = GEMM_F32, .isa = W2S_ISA_AVX2,
    .mr = MR, .nr = NR, .kgroup = 1, .kc = 256, .mc = 144, .nc = 3072,
    .ukernel = gemm_f32_avx2_6x16, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86, .pack_b = gemm_pack_b32_x86,
};
