// test_gemm.c — gemm() against gemm_ref for every type on every ISA level this CPU supports:
// ragged and prime shapes (M = 1, K = 0/1, K across several K blocks), strided/transposed A,
// prepacked and on-the-fly B (A·B, A·Bᵀ, Aᵀ·B), every epilogue combination, NaN-poisoned
// padding (gemm_check.c). U8S8 raw s32 output must match exactly. Also argument errors, and
// weight-gradient shapes that span the on-the-fly B blocking (several blocks of each kind).
#include "gemm_check.h"
#include "gemm_kernel.h"

#include "error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "test_main.h"

typedef struct {
    size_t M, N, K;
} shape;

// Fixed shapes hit the edges of every tile/blocking choice; K = 530 spans 3 K blocks of 256
// (the scalar kernels), K = 1700 and 3100 span several blocks of the AVX-512 kernels (kc = 768
// f32, 1536 bf16); 97/101/103 are prime; 1×N is the decode case.
static const shape shapes[] = {
    {1, 1, 1},   {1, 1, 0},   {3, 5, 0},    {1, 17, 33},  {7, 13, 1},   {2, 130, 64},
    {17, 97, 31}, {8, 48, 16}, {64, 64, 64}, {97, 101, 103}, {15, 49, 2}, {131, 67, 257},
    {33, 70, 530}, {1, 300, 300}, {29, 200, 11}, {200, 31, 77},  {9, 50, 1700}, {20, 60, 3100},
};

static uint64_t seed_state = 12345;
static uint64_t next_rand(void) {
    seed_state = seed_state * 6364136223846793005ull + 1442695040888963407ull;
    return seed_state >> 33;
}

static int failures;

static void run(gemm_case *tc) {
    if (gemm_check_case(tc)) failures++;
}

// Every epilogue combination on a few shapes, layout options varied per case.
static void check_type_isa(gemm_type type, w2s_isa isa) {
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (unsigned combo = 0; combo < 8; combo++) {
            // All 8 epilogue combos on the first 6 and the last 2 shapes; two random combos on
            // the others.
            bool all = s < 6 || s + 2 >= sizeof shapes / sizeof shapes[0];
            if (!all && combo >= 2) break;
            unsigned e = all ? combo : (unsigned)next_rand() % 8;
            uint64_t r = next_rand();
            gemm_case tc = {
                .type = type, .isa = isa, .M = shapes[s].M, .N = shapes[s].N, .K = shapes[s].K,
                .a_dtype = (type == GEMM_BF16 && (r & 1)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
                .b_dtype = (type == GEMM_BF16 && (r & 2)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
                .a_trans = (r >> 2) & 1, .b_prepacked = (r >> 3) & 1, .b_trans = (r >> 4) & 1,
                .bias = e & 1, .gelu = (e >> 1) & 1, .accumulate = (e >> 2) & 1,
                .seed = r,
            };
            if (type == GEMM_U8S8) {
                // Half the cases raw s32 (exact), half with the dequantizing epilogue.
                tc.raw_s32 = (r >> 5) & 1;
                if (tc.raw_s32) tc.bias = tc.gelu = false;
                else tc.quant = true;
            }
            run(&tc);
        }
    }
    // Random shapes with random options.
    for (int t = 0; t < 12; t++) {
        uint64_t r = next_rand();
        gemm_case tc = {
            .type = type, .isa = isa, .M = 1 + next_rand() % 150, .N = 1 + next_rand() % 200,
            .K = next_rand() % 300,
            .a_dtype = (type == GEMM_BF16 && (r & 1)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
            .b_dtype = (type == GEMM_BF16 && (r & 2)) ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
            .a_trans = (r >> 2) & 1, .b_prepacked = (r >> 3) & 1, .b_trans = (r >> 4) & 1,
            .bias = (r >> 5) & 1, .gelu = (r >> 6) & 1, .accumulate = (r >> 7) & 1, .seed = r,
        };
        if (type == GEMM_U8S8) {
            tc.raw_s32 = (r >> 8) & 1;
            if (tc.raw_s32) tc.bias = tc.gelu = false;
            else tc.quant = true;
        }
        run(&tc);
    }
}

static void check_type(gemm_type type) {
    failures = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        int before = failures;
        check_type_isa(type, (w2s_isa)isa);
        printf("  %-12s %-28s %s\n", w2s_isa_name((w2s_isa)isa), gemm_kernel_find(type, (w2s_isa)isa)->name,
               failures == before ? "ok" : "FAILED");
    }
    assert_int_equal(failures, 0);
}

static void test_gemm_f32(void **state) { check_type(GEMM_F32); }
static void test_gemm_bf16(void **state) { check_type(GEMM_BF16); }
static void test_gemm_u8s8(void **state) { check_type(GEMM_U8S8); }

// Weight-gradient products C += Aᵀ·B with B packed on the fly, big enough to take the on-the-fly
// loop through several B blocks (nc = 48 columns at kc 1536/768 bf16/f32), several A
// super-blocks (1280 rows at those kc) and two or three K blocks, with ragged edges everywhere.
static void test_gemm_wgrad(void **state) {
    static const shape wg[] = {{1290, 50, 1600}, {141, 150, 3100}};
    failures = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = GEMM_F32; type <= GEMM_BF16; type++)
            for (size_t s = 0; s < sizeof wg / sizeof wg[0]; s++) {
                bool bf = type == GEMM_BF16;
                gemm_case tc = {
                    .type = (gemm_type)type, .isa = (w2s_isa)isa, .M = wg[s].M, .N = wg[s].N, .K = wg[s].K,
                    .a_dtype = bf ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
                    .b_dtype = bf && s == 0 ? W2S_DTYPE_BF16 : W2S_DTYPE_F32,
                    .a_trans = true, .accumulate = true, .seed = 900 + s,
                };
                run(&tc);
            }
    }
    assert_int_equal(failures, 0);
}

// Bad arguments fail with a message instead of computing.
static void test_gemm_errors(void **state) {
    float a[4] = {0}, b[6] = {0}, c[4] = {0};
    gemm_args g = {.M = 2, .N = 2, .K = 2, .a_dtype = W2S_DTYPE_F32, .a = {a, 2, 1},
                   .b_dtype = W2S_DTYPE_F32, .b = {b, 2, 1}, .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = 2};
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);
    g.ldc = 1;
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), -1);
    assert_true(w2s_error_message()[0] != 0);
    g.ldc = 2;
    g.c_dtype = W2S_DTYPE_S32;
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), -1);
    g.c_dtype = W2S_DTYPE_F32;
    g.a_dtype = W2S_DTYPE_U8;
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), -1);
    g.a_dtype = W2S_DTYPE_F32;
    assert_int_equal(gemm((gemm_type)7, W2S_ISA_SCALAR, &g), -1);
    // A prepacked B of another shape is refused.
    gemm_packed_b pb;
    assert_int_equal(gemm_pack_b(&pb, GEMM_F32, W2S_ISA_SCALAR, 3, 2, W2S_DTYPE_F32, (gemm_view){b, 2, 1}), 0);
    g.b_packed = &pb;
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), -1);
    gemm_packed_b_free(&pb);
    // An isa of the other architecture is refused.
#if defined(__x86_64__)
    g.b_packed = NULL;
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_NEON, &g), -1);
#endif
}

W2S_TEST_MAIN(NULL, NULL, test_gemm_f32, test_gemm_bf16, test_gemm_u8s8, test_gemm_wgrad, test_gemm_errors)
