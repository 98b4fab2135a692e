// gemm_bf16_avx2.c — bf16 GEMM micro-kernel for AVX2 + FMA, the exact emulation (as
// gemm_bf16_avx512.c): packed bf16 pairs are widened to f32 with a shift (even element) and a
// mask (odd element); products are exact in f32; the even product is accumulated, then the
// odd one. 4×16 tile: 8 accumulators + 4 widened B + 2 widened A fit the 16 ymm registers.
#include "gemm_avx2.h"
#include "gemm_pack_x86.h"

enum { MR = 4, NR = 16 };

static inline __attribute__((always_inline)) void tile_bf16e(const gemm_uk_args *ua, const int M) {
    __m256 c[MR][2];
    for (int i = 0; i < M; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
    const uint32_t *a = ua->a;
    const __m256i *b = ua->b;
    const __m256i hi = _mm256_set1_epi32((int)0xffff0000u);
    size_t steps = (ua->kc + 1) / 2;
#pragma GCC unroll 2
    for (size_t s = 0; s < steps; s++) {
        __m256i u0 = _mm256_load_si256(b), u1 = _mm256_load_si256(b + 1);
        __m256 e0 = _mm256_castsi256_ps(_mm256_slli_epi32(u0, 16));
        __m256 e1 = _mm256_castsi256_ps(_mm256_slli_epi32(u1, 16));
        __m256 o0 = _mm256_castsi256_ps(_mm256_and_si256(u0, hi));
        __m256 o1 = _mm256_castsi256_ps(_mm256_and_si256(u1, hi));
        for (int i = 0; i < M; i++) {
            __m256i ai = _mm256_set1_epi32((int)a[i]);
            __m256 ae = _mm256_castsi256_ps(_mm256_slli_epi32(ai, 16));
            __m256 ao = _mm256_castsi256_ps(_mm256_and_si256(ai, hi));
            c[i][0] = _mm256_fmadd_ps(ae, e0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(ae, e1, c[i][1]);
            c[i][0] = _mm256_fmadd_ps(ao, o0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(ao, o1, c[i][1]);
        }
        a += MR;
        b += 2;
    }
    float acc[MR * NR] __attribute__((aligned(32)));
    for (int i = 0; i < M; i++) {
        _mm256_store_ps(acc + i * NR, c[i][0]);
        _mm256_store_ps(acc + i * NR + 8, c[i][1]);
    }
    gemm_store_tile_avx2(ua, acc, NR);
}

static void gemm_bf16_avx2_4x16(const gemm_uk_args *ua) {
    switch (ua->m) {
    case 4: tile_bf16e(ua, 4); break;
    case 3: tile_bf16e(ua, 3); break;
    case 2: tile_bf16e(ua, 2); break;
    default: tile_bf16e(ua, 1); break;
    }
}

const gemm_kernel gemm_kernel_bf16_avx2 = {
    .name = "gemm_bf16_avx2_4x16", .type = GEMM_BF16, .isa = W2S_ISA_AVX2,
    .mr = MR, .nr = NR, .kgroup = 2, .kc = 512, .mc = 96, .nc = 3072,
    .ukernel = gemm_bf16_avx2_4x16, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86, .pack_b = gemm_pack_b32_x86,
};
