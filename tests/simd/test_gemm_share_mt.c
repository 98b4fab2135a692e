// test_gemm_share_mt.c — the shared-chunk schedule of gemm() (few rows, prepacked B, A read in
// place: gemm.c, "the team"): C is bit-identical with 1 to 4 OpenMP threads, run after run
// (which thread computes which chunk varies with timing when threads take chunks from each
// other), and matches gemm_ref. Shapes: M = 1 and several row tiles, ragged N, K within one
// K block and across several, for every type on every ISA level this CPU supports whose
// kernel reads A in place.
#include "gemm_check.h"
#include "gemm_kernel.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

typedef struct {
    size_t M, N, K;
} shape;

// M up to 64 rows (the schedule's limit), N from 2 to 48 panels of 48 columns with ragged
// tails, K = 1700 spans the K blocks of the f32 (768) and bf16 (1536) AVX-512 kernels.
static const shape shapes[] = {{1, 768, 768}, {9, 500, 1700}, {32, 1000, 300}, {64, 2304, 64},
                               {24, 960, 100}, {5, 97, 33}};

// Runs per thread count: chunks change hands with timing, so repeat to vary the schedule.
enum { RUNS = 4 };

// Whether gemm() takes the shared-chunk schedule for this case on `threads` threads (gemm.c's
// conditions: a team of 2..16 worth waking, prepacked B, A read in place, at most 64 rows and
// at least two column panels per thread).
static bool takes_shared_schedule(const gemm_case *tc, const gemm_kernel *k, int threads) {
    size_t panels = (tc->N + k->nr - 1) / k->nr;
    double work = (double)tc->M * (double)tc->N * (double)(tc->K + 1);
    return threads >= 2 && work > 262144.0 && tc->K % k->kgroup == 0 && tc->M <= 64 &&
           panels >= 2 * (size_t)threads;
}

static void test_share_identical(void **state) {
    int failures = 0;
    size_t shared_runs = 0, direct_kernels = 0;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = 0; type < GEMM_TYPE_COUNT; type++) {
            // The schedule needs a kernel that reads A in place; others keep the fixed split
            // (test_gemm_mt), and skipping them keeps the emulated NEON run short.
            if (!gemm_kernel_find((gemm_type)type, (w2s_isa)isa)->direct_a) continue;
            direct_kernels++;
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                // A of the packed element type, row-major: the kernels read it in place.
                gemm_case tc = {.type = (gemm_type)type, .isa = (w2s_isa)isa, .M = shapes[s].M,
                                .N = shapes[s].N, .K = shapes[s].K, .b_prepacked = true,
                                .bias = s % 2 == 0, .gelu = s == 3, .accumulate = s == 4,
                                .seed = 300 + s};
                if (type == GEMM_BF16) tc.a_dtype = W2S_DTYPE_BF16;
                if (type == GEMM_U8S8) tc.quant = true;
                if (gemm_check_case(&tc)) failures++;
                void *c1 = gemm_check_run(&tc, 1);
                const gemm_kernel *k = gemm_kernel_find((gemm_type)type, (w2s_isa)isa);
                for (int threads = 2; threads <= 4 && c1; threads++)
                    for (int run = 0; run < RUNS; run++) {
                        uint64_t before = gemm_shared_schedule_calls();
                        void *ct = gemm_check_run(&tc, threads);
                        bool shared = gemm_shared_schedule_calls() > before;
                        if (shared != takes_shared_schedule(&tc, k, threads)) {
                            fprintf(stderr, "%s the shared schedule with %d threads: %s\n",
                                    shared ? "unexpectedly took" : "did not take", threads, gemm_case_str(&tc));
                            failures++;
                        }
                        shared_runs += shared;
                        if (!ct || memcmp(c1, ct, tc.M * tc.N * 4)) {
                            fprintf(stderr, "results differ with %d threads (run %d): %s\n", threads, run,
                                    gemm_case_str(&tc));
                            failures++;
                        }
                        free(ct);
                    }
                if (!c1) failures++;
                free(c1);
            }
        }
    }
    assert_int_equal(failures, 0);
    // No kernel on this CPU reads A in place (the NEON kernels pack A): the schedule cannot run
    // here, which is a skip, not a pass. Where one does, the schedule this test names ran.
    if (!direct_kernels) skip();
    assert_true(shared_runs > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
