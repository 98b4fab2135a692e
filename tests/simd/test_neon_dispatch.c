// test_neon_dispatch.c — AArch64 GEMM dispatch: each NEON level finds the kernel meant for it
// (f32 → neon; bf16 → BFDOT from neon_bf16, widening below; u8s8 → SDOT from neon_dotprod,
// widening below), the detected level is the one the caller expects (W2S_EXPECT_ISA, set by
// test_neon_qemu.sh for qemu -cpu max) and W2S_ISA really lowers the active level.
// Kernel numerics are test_gemm's job. On other architectures this test is skipped.
#include "test_main.h"

#include "gemm_kernel.h"

#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__)
static const char *expected_kernel(gemm_type type, w2s_isa isa) {
    switch (type) {
    case GEMM_F32: return "gemm_f32_neon_8x12";
    case GEMM_BF16: return isa >= W2S_ISA_NEON_BF16 ? "gemm_bf16_neon_bf16_8x12" : "gemm_bf16_neon_8x12";
    default: return isa >= W2S_ISA_NEON_DOTPROD ? "gemm_u8s8_neon_dotprod_8x12" : "gemm_u8s8_neon_8x8";
    }
}
#endif

static void test_neon_kernels_found(void **state) {
#if defined(__aarch64__)
    assert_true(w2s_isa_detected() >= W2S_ISA_NEON);
    for (int isa = W2S_ISA_NEON; isa <= W2S_ISA_NEON_BF16; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = 0; type < GEMM_TYPE_COUNT; type++) {
            const gemm_kernel *k = gemm_kernel_find((gemm_type)type, (w2s_isa)isa);
            assert_non_null(k);
            assert_string_equal(k->name, expected_kernel((gemm_type)type, (w2s_isa)isa));
            assert_true((int)k->isa <= isa && k->isa >= W2S_ISA_NEON);
        }
    }
    // No x86 level is runnable here.
    assert_null(gemm_kernel_find(GEMM_F32, W2S_ISA_AVX2));
#else
    skip();
#endif
}

static void test_detected_and_forced_level(void **state) {
#if defined(__aarch64__)
    const char *want = getenv("W2S_EXPECT_ISA");
    if (want && *want) assert_string_equal(w2s_isa_name(w2s_isa_detected()), want);
    const char *forced = getenv("W2S_ISA");
    if (forced && *forced) assert_string_equal(w2s_isa_name(w2s_isa_active()), forced);
#else
    skip();
#endif
}

W2S_TEST_MAIN(NULL, NULL, test_neon_kernels_found, test_detected_and_forced_level)
