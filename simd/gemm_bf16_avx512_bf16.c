// gemm_bf16_avx512_bf16.c — bf16 GEMM micro-kernel on vdpbf16ps (AVX512_BF16): an 8×48 tile of
// f32 accumulators; one step consumes a K pair: 3 B vectors of 16 columns × (bf16, bf16) and
// 8 A pairs broadcast as 32-bit units, i.e. 48 multiply-adds per instruction pair of k.
// vdpbf16ps treats bf16 denormal inputs as zero and adds the two products of a pair before
// rounding once, so it differs from the AVX-512F/AVX2/scalar kernels by f32 rounding only.
#include "gemm_avx512.h"
#include "gemm_pack_x86.h"

#include <string.h>

enum { MR = 8, NR = 48, NV = NR / 16 };

GEMM_AVX512_8X48_LOOP(gemm_bf16_avx512_bf16_loop, "vdpbf16ps")
GEMM_AVX512_8X48_LOOP_DIRECT(gemm_bf16_avx512_bf16_loop_direct, "vdpbf16ps")

// DIRECT: A read in place (rows ua->a_ld bytes apart) instead of from a packed panel.
static inline __attribute__((always_inline)) void tile_bf16(const gemm_uk_args *ua, const int M,
                                                            const bool DIRECT) {
    __m512 c[MR][NV];
    const uint32_t *a = ua->a;  // bf16 pairs as 32-bit units
    const float *b = ua->b;     // likewise, loaded as 16 units per vector
    float *cp = ua->c;
    size_t steps = (ua->kc + 1) / 2;
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
            GEMM_AVX512_FULL_TILE(ua, c, gemm_bf16_avx512_bf16_loop_direct(a, ua->a_ld, b, steps, c));
        else
            GEMM_AVX512_FULL_TILE(ua, c, gemm_bf16_avx512_bf16_loop(a, b, steps, c));
        return;
    } else {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < NV; j++) c[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (size_t s = 0; s < steps; s++) {
            __m512bh b0 = (__m512bh)_mm512_load_ps(b), b1 = (__m512bh)_mm512_load_ps(b + 16),
                     b2 = (__m512bh)_mm512_load_ps(b + 32);
            for (int i = 0; i < M; i++) {
                uint32_t ui;  // a bf16 pair; in place it may be only 2-byte aligned
                if (DIRECT)
                    memcpy(&ui, (const char *)a + i * ua->a_ld, 4);
                else
                    ui = a[i];
                __m512bh ai = (__m512bh)_mm512_set1_epi32((int)ui);
                c[i][0] = _mm512_dpbf16_ps(c[i][0], b0, ai);
                c[i][1] = _mm512_dpbf16_ps(c[i][1], b1, ai);
                c[i][2] = _mm512_dpbf16_ps(c[i][2], b2, ai);
            }
            a += DIRECT ? 1 : MR;
            b += NR;
        }
    }
    GEMM_AVX512_STORE_PARTIAL(ua, M, c);
}

GEMM_AVX512_KERNEL_M8(gemm_bf16_avx512_bf16_8x48, tile_bf16)

const gemm_kernel gemm_kernel_bf16_avx512_bf16 = {
    .name = "gemm_bf16_avx512_bf16_8x48", .type = GEMM_BF16, .isa = W2S_ISA_AVX512_BF16,
    .mr = MR, .nr = NR, .kgroup = 2, .kc = 1536, .mc = 128, .nc = 3072,
    .ukernel = gemm_bf16_avx512_bf16_8x48, .pack_a = gemm_pack_a32_x86, .pack_a_block = gemm_pack_a32_panels_x86, .pack_b = gemm_pack_b32_x86,
    .direct_a = true,
};
