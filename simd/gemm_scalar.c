// gemm_scalar.c — portable micro-kernels for F32, BF16 and U8S8: the W2S_ISA_SCALAR entries
// every other level falls back to, so each type works on every machine through gemm().
// Written for clarity, not speed (the reference proper is gemm_ref.c). 4×8 tiles; the K
// groupings (1, 2, 4) match the SIMD layouts so the generic packers are exercised the same way.
#include "gemm_kernel.h"

enum { SCALAR_MR = 4, SCALAR_NR = 8 };

static void gemm_f32_scalar_4x8(const gemm_uk_args *args) {
    const float *a = args->a, *b = args->b;
    float acc[SCALAR_MR * SCALAR_NR] = {0};
    for (size_t k = 0; k < args->kc; k++)
        for (size_t i = 0; i < SCALAR_MR; i++)
            for (size_t j = 0; j < SCALAR_NR; j++)
                acc[i * SCALAR_NR + j] += a[k * SCALAR_MR + i] * b[k * SCALAR_NR + j];
    gemm_uk_store_f32(args, acc, SCALAR_NR);
}

// Products of two bf16 values are exact in f32; pairs are accumulated one product at a time
// (k even, then k odd), the order of the AVX-512F/AVX2 bf16 kernels.
static void gemm_bf16_scalar_4x8(const gemm_uk_args *args) {
    const w2s_bf16 *a = args->a, *b = args->b;
    float acc[SCALAR_MR * SCALAR_NR] = {0};
    size_t groups = (args->kc + 1) / 2;
    for (size_t g = 0; g < groups; g++)
        for (size_t i = 0; i < SCALAR_MR; i++)
            for (size_t j = 0; j < SCALAR_NR; j++)
                for (size_t t = 0; t < 2; t++)
                    acc[i * SCALAR_NR + j] += w2s_bf16_to_f32(a[(g * SCALAR_MR + i) * 2 + t]) *
                                              w2s_bf16_to_f32(b[(g * SCALAR_NR + j) * 2 + t]);
    gemm_uk_store_f32(args, acc, SCALAR_NR);
}

static void gemm_u8s8_scalar_4x8(const gemm_uk_args *args) {
    const uint8_t *a = args->a;
    const int8_t *b = args->b;
    int32_t acc[SCALAR_MR * SCALAR_NR] = {0};
    size_t groups = (args->kc + 3) / 4;
    for (size_t g = 0; g < groups; g++)
        for (size_t i = 0; i < SCALAR_MR; i++)
            for (size_t j = 0; j < SCALAR_NR; j++)
                for (size_t t = 0; t < 4; t++)
                    acc[i * SCALAR_NR + j] +=
                        (int32_t)a[(g * SCALAR_MR + i) * 4 + t] * b[(g * SCALAR_NR + j) * 4 + t];
    gemm_uk_store_s32(args, acc, SCALAR_NR);
}

const gemm_kernel gemm_kernel_f32_scalar = {
    .name = "gemm_f32_scalar_4x8", .type = GEMM_F32, .isa = W2S_ISA_SCALAR,
    .mr = SCALAR_MR, .nr = SCALAR_NR, .kgroup = 1, .kc = 256, .mc = 64, .nc = 512,
    .ukernel = gemm_f32_scalar_4x8, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
const gemm_kernel gemm_kernel_bf16_scalar = {
    .name = "gemm_bf16_scalar_4x8", .type = GEMM_BF16, .isa = W2S_ISA_SCALAR,
    .mr = SCALAR_MR, .nr = SCALAR_NR, .kgroup = 2, .kc = 256, .mc = 64, .nc = 512,
    .ukernel = gemm_bf16_scalar_4x8, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
const gemm_kernel gemm_kernel_u8s8_scalar = {
    .name = "gemm_u8s8_scalar_4x8", .type = GEMM_U8S8, .isa = W2S_ISA_SCALAR,
    .mr = SCALAR_MR, .nr = SCALAR_NR, .kgroup = 4, .kc = 256, .mc = 64, .nc = 512,
    .ukernel = gemm_u8s8_scalar_4x8, .pack_a = gemm_pack_a_generic, .pack_b = gemm_pack_b_generic,
};
