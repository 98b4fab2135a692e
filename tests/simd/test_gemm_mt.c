// test_gemm_mt.c — gemm() is deterministic across thread counts: C is bit-identical with 1, 2
// and 3 OpenMP threads for every type and ISA level (each element is computed by one thread in
// a fixed K order, whatever the split), and a row's result does not depend on the other rows
// of the batch (row i of an M-row product equals the 1-row product of row i). Also checks the
// 2-thread results against gemm_ref.
#include "gemm_check.h"
#include "gemm_kernel.h"

#include <omp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_main.h"

typedef struct {
    size_t M, N, K;
} shape;

// Big enough to run in parallel; M = 1 and M < MR split N only; 530 spans K blocks.
static const shape shapes[] = {{1, 2304, 768}, {5, 700, 300}, {67, 301, 530}, {200, 96, 64}, {130, 250, 97}};

// C of tc with 1, 2 and 3 threads, compared bit for bit; false (and a message) if they differ.
static bool same_across_threads(const gemm_case *tc) {
    void *c1 = gemm_check_run(tc, 1), *c2 = gemm_check_run(tc, 2), *c3 = gemm_check_run(tc, 3);
    bool same = c1 && c2 && c3 && !memcmp(c1, c2, tc->M * tc->N * 4) && !memcmp(c1, c3, tc->M * tc->N * 4);
    if (!same) fprintf(stderr, "results differ across thread counts: %s\n", gemm_case_str(tc));
    free(c1);
    free(c2);
    free(c3);
    return same;
}

static void test_threads_identical(void **state) {
    int failures = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = 0; type < GEMM_TYPE_COUNT; type++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                gemm_case tc = {.type = (gemm_type)type, .isa = (w2s_isa)isa, .M = shapes[s].M,
                                .N = shapes[s].N, .K = shapes[s].K, .b_prepacked = s % 2 == 0,
                                .a_trans = s == 3, .bias = true, .gelu = s % 2 == 1,
                                .seed = 100 + s};
                if (type == GEMM_BF16) tc.a_dtype = W2S_DTYPE_BF16;
                if (type == GEMM_U8S8) tc.quant = true;
                if (gemm_check_case(&tc)) failures++;  // default team (2 threads under ctest)
                failures += !same_across_threads(&tc);
            }
    }
    assert_int_equal(failures, 0);
}

// The same for weight gradients C += Aᵀ·B (Aᵀ storage, B packed on the fly): 2 and 3 threads
// split the on-the-fly loop differently (M or N, several B blocks and A super-blocks per thread).
static void test_wgrad_threads_identical(void **state) {
    static const shape wg[] = {{1290, 97, 1600}, {100, 700, 300}, {700, 100, 300}};
    int failures = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = GEMM_F32; type <= GEMM_BF16; type++)
            for (size_t s = 0; s < sizeof wg / sizeof wg[0]; s++) {
                gemm_case tc = {.type = (gemm_type)type, .isa = (w2s_isa)isa, .M = wg[s].M, .N = wg[s].N,
                                .K = wg[s].K, .a_trans = true, .accumulate = true, .seed = 200 + s};
                if (type == GEMM_BF16) tc.a_dtype = tc.b_dtype = W2S_DTYPE_BF16;
                failures += !same_across_threads(&tc);
            }
    }
    assert_int_equal(failures, 0);
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

// Row i of an M-row product == the 1-row product of row i, bit for bit (batch independence).
static void test_rows_independent(void **state) {
    const size_t M = 37, N = 100, K = 300;
    uint64_t s = 7;
    float *af = malloc(M * K * 4), *bf = malloc(K * N * 4), *bias = malloc(N * 4), *cs = malloc(N * 4),
          *rs = malloc(M * 4), *c = malloc(M * N * 4), *c1 = malloc(N * 4);
    uint8_t *a8 = malloc(M * K);
    int8_t *b8 = malloc(K * N);
    int32_t *rz = malloc(M * 4);
    for (size_t i = 0; i < M * K; i++) {
        af[i] = (float)(lcg(&s) % 2001) / 1000.0f - 1.0f;
        a8[i] = (uint8_t)lcg(&s);
    }
    for (size_t i = 0; i < K * N; i++) {
        bf[i] = (float)(lcg(&s) % 2001) / 1000.0f - 1.0f;
        b8[i] = (int8_t)(lcg(&s) % 255 - 127);
    }
    for (size_t j = 0; j < N; j++) {
        bias[j] = 0.01f * (float)j;
        cs[j] = 0.001f;
    }
    for (size_t i = 0; i < M; i++) {
        rs[i] = 0.02f;
        rz[i] = (int32_t)(lcg(&s) % 256);
    }
    int failures = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = 0; type < GEMM_TYPE_COUNT; type++) {
            bool q = type == GEMM_U8S8;
            gemm_packed_b pb;
            gemm_view bv = {q ? (const void *)b8 : bf, (ptrdiff_t)N, 1};
            assert_int_equal(gemm_pack_b(&pb, (gemm_type)type, (w2s_isa)isa, K, N,
                                         q ? W2S_DTYPE_S8 : W2S_DTYPE_F32, bv), 0);
            gemm_args g = {.M = M, .N = N, .K = K, .a_dtype = q ? W2S_DTYPE_U8 : W2S_DTYPE_F32,
                           .a = {q ? (const void *)a8 : af, (ptrdiff_t)K, 1}, .b_packed = &pb,
                           .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = N,
                           .ep = {.bias = bias, .gelu = true}};
            if (q) {
                g.ep.row_scale = rs;
                g.ep.row_zero = rz;
                g.ep.col_scale = cs;
            }
            assert_int_equal(gemm((gemm_type)type, (w2s_isa)isa, &g), 0);
            for (size_t i = 0; i < M; i++) {
                gemm_args g1 = g;
                g1.M = 1;
                g1.a.p = q ? (const void *)(a8 + i * K) : (const void *)(af + i * K);
                g1.c = c1;
                if (q) {
                    g1.ep.row_scale = rs + i;
                    g1.ep.row_zero = rz + i;
                }
                assert_int_equal(gemm((gemm_type)type, (w2s_isa)isa, &g1), 0);
                if (memcmp(c1, c + i * N, N * 4)) {
                    fprintf(stderr, "row %zu differs alone vs in a batch: type %d isa %s\n", i, type,
                            w2s_isa_name((w2s_isa)isa));
                    failures++;
                    break;
                }
            }
            gemm_packed_b_free(&pb);
        }
    }
    free(af); free(bf); free(bias); free(cs); free(rs); free(c); free(c1); free(a8); free(b8); free(rz);
    assert_int_equal(failures, 0);
}

W2S_TEST_MAIN(NULL, NULL, test_threads_identical, test_wgrad_threads_identical, test_rows_independent)
