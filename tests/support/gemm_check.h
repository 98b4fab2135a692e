// gemm_check.h — test helper: builds one GEMM case (shape, strides, dtypes, epilogue) with
// NaN-poisoned padding around and inside every buffer, runs gemm() and gemm_ref(), and checks
// the result within named tolerances (exactly for U8S8) and that no padding was written.
// Used by tests/simd/test_gemm*.c; any GEMM test (int8, NEON) may reuse it.
#ifndef W2S_TESTS_GEMM_CHECK_H
#define W2S_TESTS_GEMM_CHECK_H

#include "gemm.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    gemm_type type;
    w2s_isa isa;
    size_t M, N, K;
    w2s_dtype a_dtype, b_dtype;  // 0 (F32) is valid for F32/BF16; U8S8 forces u8 / s8
    bool a_trans;      // A stored as Aᵀ[K][lda]: view {A, 1, lda}
    bool b_trans;      // B stored as Bᵀ[N][ldb]: view {B, 1, ldb} (A·Bᵀ), when not prepacked
    bool b_prepacked;  // gemm_pack_b once, then gemm with b_packed
    bool bias, gelu, accumulate;
    bool quant;        // U8S8: row_scale, row_zero, col_scale (f32 output)
    bool raw_s32;      // U8S8: s32 output, empty epilogue (accumulate allowed)
    uint64_t seed;
} gemm_case;

// Runs the case and compares with gemm_ref. Returns 0 on pass; on failure prints the case and
// the worst element to stderr and returns -1.
int gemm_check_case(const gemm_case *tc);

// Runs gemm() alone with `threads` OpenMP threads and returns C as a malloc'd row-major
// M×N array of 4-byte elements (f32 or s32), or NULL on failure (message printed).
void *gemm_check_run(const gemm_case *tc, int threads);

// One-line description of the case, for messages.
const char *gemm_case_str(const gemm_case *tc);

#endif
