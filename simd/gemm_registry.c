// gemm_registry.c — the table of GEMM micro-kernels, one line per (type, isa) entry, and the
// lookup with fallback to lower levels (gemm_kernel.h describes both). To add a kernel: define
// `const gemm_kernel gemm_kernel_<type>_<isa>` in its *_<isa>.c file and add it here, in the
// section of its architecture (the build only compiles that architecture's files).
#include "gemm_kernel.h"

extern const gemm_kernel gemm_kernel_f32_scalar, gemm_kernel_bf16_scalar, gemm_kernel_u8s8_scalar;
#if defined(__x86_64__)
extern const gemm_kernel gemm_kernel_f32_avx2, gemm_kernel_bf16_avx2;
extern const gemm_kernel gemm_kernel_f32_avx512, gemm_kernel_bf16_avx512, gemm_kernel_bf16_avx512_bf16;
extern const gemm_kernel gemm_kernel_u8s8_avx2, gemm_kernel_u8s8_avx2_vnni, gemm_kernel_u8s8_avx512,
    gemm_kernel_u8s8_avx512_vnni;
extern const gemm_kernel gemm_kernel_f32_avx512_12x32, gemm_kernel_bf16_avx512_bf16_12x32;
#elif defined(__aarch64__)
extern const gemm_kernel gemm_kernel_f32_neon, gemm_kernel_bf16_neon, gemm_kernel_bf16_neon_bf16,
    gemm_kernel_u8s8_neon, gemm_kernel_u8s8_neon_dotprod;
#endif

const gemm_kernel *const gemm_kernel_registry[] = {
    &gemm_kernel_f32_scalar,
    &gemm_kernel_bf16_scalar,
    &gemm_kernel_u8s8_scalar,
#if defined(__x86_64__)
    &gemm_kernel_f32_avx2,
    &gemm_kernel_bf16_avx2,
    &gemm_kernel_f32_avx512,
    &gemm_kernel_bf16_avx512,
    &gemm_kernel_bf16_avx512_bf16,
    &gemm_kernel_u8s8_avx2,
    &gemm_kernel_u8s8_avx2_vnni,
    &gemm_kernel_u8s8_avx512,
    &gemm_kernel_u8s8_avx512_vnni,
    &gemm_kernel_f32_avx512_12x32,
    &gemm_kernel_bf16_avx512_bf16_12x32,
#elif defined(__aarch64__)
    &gemm_kernel_f32_neon,
    &gemm_kernel_bf16_neon,
    &gemm_kernel_bf16_neon_bf16,
    &gemm_kernel_u8s8_neon,
    &gemm_kernel_u8s8_neon_dotprod,
#endif
    NULL,
};

static bool same_arch(w2s_isa a, w2s_isa b) {
    bool a_arm = a >= W2S_ISA_NEON, b_arm = b >= W2S_ISA_NEON;
    return a == W2S_ISA_SCALAR || b == W2S_ISA_SCALAR || a_arm == b_arm;
}

const gemm_kernel *gemm_kernel_find_default(gemm_type type, w2s_isa isa) {
    if ((unsigned)type >= GEMM_TYPE_COUNT || (unsigned)isa >= W2S_ISA_COUNT) return NULL;
#if defined(__x86_64__)
    if (isa >= W2S_ISA_NEON) return NULL;
#elif defined(__aarch64__)
    if (isa != W2S_ISA_SCALAR && isa < W2S_ISA_NEON) return NULL;
#else
    if (isa != W2S_ISA_SCALAR) return NULL;
#endif
    const gemm_kernel *best = NULL;
    for (const gemm_kernel *const *e = gemm_kernel_registry; *e; e++) {
        const gemm_kernel *k = *e;
        if (k->alt || k->type != type || k->isa > isa || !same_arch(k->isa, isa)) continue;
        // AVX-VNNI (VEX) is not implied by any AVX-512 level.
        if (k->isa == W2S_ISA_AVX2_VNNI && isa >= W2S_ISA_AVX512) continue;
        if (!best || k->isa > best->isa) best = k;
    }
    return best;
}
