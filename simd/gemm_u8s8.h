// gemm_u8s8.h — what the U8S8 kernels of every x86 ISA share beyond gemm_kernel.h: the u8 A
// packer (gemm_u8s8_pack.c, portable C). Internal to simd/: model code calls gemm.h only.
#ifndef W2S_SIMD_GEMM_U8S8_H
#define W2S_SIMD_GEMM_U8S8_H

#include "gemm_kernel.h"

// A gemm_pack_a_fn for U8S8 (u8 A, kgroup 4): row-major views (cs == 1) move whole 4-byte
// K groups with 32-bit copies; other views go to gemm_pack_a_generic. Same layout as the
// generic packer (gemm_kernel.h), zero padding included.
void gemm_u8s8_pack_a(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a, size_t m,
                      size_t kc);

#endif
