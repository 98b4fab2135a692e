// gemm_bf16_avx512.c — bf16 GEMM micro-kernel for AVX-512 CPUs without AVX512_BF16 (Skylake-X
// to Ice Lake): the exact emulation. Packed operands are bf16 pairs (the vdpbf16ps layout);
// each pair is widened to two f32 vectors with a shift (even element) and a mask (odd
// element) and multiplied with FMA — products of bf16 values are exact in f32 — accumulating
// the even product, then the odd one (the scalar kernel's order). 8×32 tile: 16 accumulators,
// 4 widened B vectors and 2 widened A values fit the 32 registers without spilling.
#include "gemm_avx512.h"
#include "gemm_pack_x86.h"

enum { MR = 8, NR = 32, NV = NR / 16 };

static inline __attribute__((always_inline)) void tile_bf16e(const gemm_uk_args *ua, const int M) {
    __m512 c[MR][NV];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < NV; j++) c[i][j] = _mm512_setzero_ps();
    const uint32_t *a = ua->a;
    const __m512i *b = ua->b;
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);
    size_t steps = (ua->kc + 1) / 2;
#pragma GCC unroll 2
    for (size_t s = 0; s < steps; s++) {
        __m512i u0 = _mm512_load_si512(b), u1 = _mm512_load_si512(b + 1);
        __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(u0, 16));
        __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(u1, 16));
        __m512 o0 = _mm512_castsi512_ps(_mm512_and_si512(u0, hi));
        __m512 o1 = _mm512_castsi512_ps(_mm512_and_si512(u1, hi));
        for (int i = 0; i < M; i++) {
            __m512i ai = _mm512_set1_epi32((int)a[i]);
            __m512 ae = _mm512_castsi512_ps(_mm512_slli_epi32(ai, 16));
            __m512 ao = _mm512_castsi512_ps(_mm512_and_si512(ai, hi));
            c[i][0] = _mm512_fmadd_ps(ae, e0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(ae, e1, c[i][1]);
            c[i][0] = _mm512_fmadd_ps(ao, o0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(ao, o1, c[i][1]);
        }
        a += MR;
        b += NV;
    }
    __mmask16 m0 = w2s_mask16_from(ua->n, 0), m1 = w2s_mask16_from(ua->n, 16);
    for (int i = 0; i < M; i++) {
        gemm_store16_avx512(ua, (size_t)i, 0, c[i][0], m0);
        gemm_store16_avx512(ua, (size_t)i, 16, c[i][1], m1);
    }
}

static void gemm_bf16_avx512_8x32(const gemm_uk_args *ua) {
    switch (ua->m) {
    case 8: tile_bf16e(ua, 8); break;
    case 7: tile_bf16e(ua, 7); break;
    case 6: tile_bf16e(ua, 6); break;
    case 5: tile_bf16e(ua, 5); break;
    case 4: tile_bf16e(ua, 4); break;
    case 3: tile_bf16e(ua, 3); break;
    case 2: tile_bf16e(ua, 2); break;
    default: tile_bf16e(ua, 1); break;
    }
}

const gemm_kernel gemm_kernel_bf16_avx512 = {
    .name = "gemm_bf16_avx512_8x32", .type = GEMM_BF16, .isa = W2S_ISA_AVX512,
    .mr = MR, .nr = NR, .kgroup = 2, .kc = 512, .mc = 128, .nc = 3072,
    .ukernel = gemm_bf16_avx512_8x32, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86, .pack_b = gemm_pack_b32_x86,
};
