// gemm_pack_x86.h — fast A/B micro-panel packers for the x86 f32 and bf16 kernels (AVX2 code,
// so they serve the AVX2 and every AVX-512 level). They handle "32-bit units": one f32 for
// GEMM_F32 (kgroup 1) or one bf16 pair for GEMM_BF16 (kgroup 2), rounding f32 sources to bf16
// (RNE, as w2s_f32_to_bf16) while packing. Layouts are gemm_kernel.h's; any case without a
// fast path (e.g. bf16 pairs read across a strided K) falls back to the generic packers.
#ifndef W2S_SIMD_GEMM_PACK_X86_H
#define W2S_SIMD_GEMM_PACK_X86_H

#include "gemm_kernel.h"

// Pairs of bf16 rows into 32-bit units, AVX-512 BW (gemm_pack_avx512.c; call only when the
// kernel's isa is an AVX-512 level): d[g*stride + j] = X[2g, j] | X[2g+1, j] << 16 for j < n,
// zero for n <= j < stride and for the missing row of an odd kc; row k at src + k*row_step.
void gemm_pack_pairs_bf16_avx512(uint32_t *d, size_t stride, const w2s_bf16 *src, ptrdiff_t row_step,
                                 size_t kc, size_t n);

// The same from Aᵀ storage (row k of X holds A[0.., k]) into ceil(m/mr) consecutive A
// micro-panels, panel_step units apart; mr is 8 or 16. Reads each source line once for
// 32 / mr panels, where per-panel packing would fetch it once per panel.
void gemm_pack_pairs_panels_bf16_avx512(uint32_t *d, size_t mr, size_t panel_step, const w2s_bf16 *src,
                                        ptrdiff_t row_step, size_t kc, size_t m);

// A micro-panels for rows [0, m) of the block, any m: ceil(m / MR) consecutive panels of
// gemm_kernel.h's layout, each ceil(kc/kgroup)·MR units: the pack_a_block of the kernels whose
// pack_a is gemm_pack_a32_x86 (it is that function, panel by panel, except for bf16 Aᵀ
// storage on AVX-512 kernels, which is packed 32 columns at a time).
void gemm_pack_a32_panels_x86(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                              size_t m, size_t kc);

void gemm_pack_a32_x86(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                       size_t m, size_t kc);
void gemm_pack_b32_x86(const gemm_kernel *k, void *dst, w2s_dtype b_dtype, gemm_view b,
                       size_t kc, size_t n);

#endif
