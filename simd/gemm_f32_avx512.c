// gemm_f32_avx512.c — f32 GEMM micro-kernel for every AVX-512 level: an 8×48 register tile
// (24 zmm accumulators, 3 B vectors per k, A broadcast from memory), so one k step is 24 FMAs
// against 11 loads, and M = 32/128/512/2048 and N = 768/2304/3072 tile without waste.
// Partial rows (m < 8) run a kernel instantiated for exactly m rows (decode, M = 1, is a
// 1×48 stream over the packed weights); partial columns use masks.
#include "gemm_avx512.h"
#include "gemm_pack_x86.h"

enum { MR = 8, NR = 48, NV = NR / 16 };

GEMM_AVX512_8X48_LOOP(gemm_f32_avx512_loop, "vfmadd231ps")
GEMM_AVX512_8X48_LOOP_DIRECT(gemm_f32_avx512_loop_direct, "vfmadd231ps")

// DIRECT: A read in place (rows ua->a_ld bytes apart) instead of from a packed panel.
static inline __attribute__((always_inline)) void tile_f32(const gemm_uk_args *ua, const int M,
                                                           const bool DIRECT) {
    __m512 c[MR][NV];
    const float *a = ua->a, *b = ua->b;
    float *cp = ua->c;
    // C is touched only after the K loop: start pulling its lines in now, even when C is only
    // written (a store miss stalls the epilogue; this way the fetch overlaps the K loop).
    for (int i = 0; i < M; i++) {
        _mm_prefetch((const char *)(cp + i * ua->ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(cp + i * ua->ldc + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(cp + i * ua->ldc + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(cp + i * ua->ldc + 47), _MM_HINT_T0);
    }
    if (M == MR) {
        if (DIRECT)
            GEMM_AVX512_FULL_TILE(ua, c, gemm_f32_avx512_loop_direct(a, ua->a_ld, b, ua->kc, c));
        else
            GEMM_AVX512_FULL_TILE(ua, c, gemm_f32_avx512_loop(a, b, ua->kc, c));
        return;
    } else {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < NV; j++) c[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (size_t k = 0; k < ua->kc; k++) {
            __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32);
            for (int i = 0; i < M; i++) {
                float ak = DIRECT ? *(const float *)((const char *)a + i * ua->a_ld) : a[i];
                __m512 ai = _mm512_set1_ps(ak);
                c[i][0] = _mm512_fmadd_ps(ai, b0, c[i][0]);
                c[i][1] = _mm512_fmadd_ps(ai, b1, c[i][1]);
                c[i][2] = _mm512_fmadd_ps(ai, b2, c[i][2]);
            }
            a += DIRECT ? 1 : MR;
            b += NR;
        }
    }
    GEMM_AVX512_STORE_PARTIAL(ua, M, c);
}

GEMM_AVX512_KERNEL_M8(gemm_f32_avx512_8x48, tile_f32)

const gemm_kernel gemm_kernel_f32_avx512 = {
    .name = "gemm_f32_avx512_8x48", .type = GEMM_F32, .isa = W2S_ISA_AVX512,
    .mr = MR, .nr = NR, .kgroup = 1, .kc = 768, .mc = 128, .nc = 3072,
    .ukernel = gemm_f32_avx512_8x48, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86, .pack_b = gemm_pack_b32_x86,
    .direct_a = true,
};
