// gemm_pack_x86.h — fast A/B micro-panel packers for the x86 f32 and bf16 kernels (AVX2 code,
// so they serve the AVX2 and every AVX-512 level). They handle "32-bit units": one f32 for
// GEMM_F32 (kgroup 1) or one bf16 pair for GEMM_BF16 (kgroup 2), rounding f32 sources to bf16
// (RNE, as w2s_f32_to_bf16) while packing. Layouts are gemm_kernel.h's; any case without a
// fast path (e.g. bf16 pairs read across a strided K) falls back to the generic packers.
#ifndef W2S_SIMD_GEMM_PACK_X86_H
#define W2S_SIMD_GEMM_PACK_X86_H

#include "gemm_kernel.h"

void gemm_pack_a32_x86(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                       size_t m, size_t kc);
void gemm_pack_b32_x86(const gemm_kernel *k, void *dst, w2s_dtype b_dtype, gemm_view b,
                       size_t kc, size_t n);

#endif
