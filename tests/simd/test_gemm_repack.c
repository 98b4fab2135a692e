// test_gemm_repack.c — gemm_repack_b_block: repacking B strip by strip (row strips of a
// row-major B, panel strips of a transposed one, in any order) gives byte for byte the pack
// gemm_pack_b makes of the whole B, for every ISA level, f32 and bf16, ragged K and N; and a
// block that is not whole groups and panels is refused.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "error.h"
#include "gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s) { return xorshift_uniform(s, -1.0f, 1.0f); }

static size_t packed_bytes(const gemm_packed_b *pb) {
    size_t esz = pb->type == GEMM_F32 ? 4 : 2, panels = (pb->N + pb->nr - 1) / pb->nr;
    return panels * ((pb->K + pb->kgroup - 1) / pb->kgroup) * pb->nr * pb->kgroup * esz;
}

// Packs w (rows × cols, row-major) as B = w (transposed false) or B = wᵀ, then overwrites a
// second pack of other values strip by strip, last strip first, and compares the bytes.
static void check(gemm_type type, w2s_isa isa, size_t rows, size_t cols, bool transposed, size_t strip_rows) {
    uint64_t s = 7 + rows * 31 + cols;
    float *w = malloc(rows * cols * sizeof(float)), *junk = malloc(rows * cols * sizeof(float));
    assert_non_null(w);
    assert_non_null(junk);
    for (size_t i = 0; i < rows * cols; i++) {
        w[i] = frand(&s);
        junk[i] = frand(&s) + 3.0f;
    }
    size_t K = transposed ? cols : rows, N = transposed ? rows : cols;
    gemm_view v = transposed ? (gemm_view){w, 1, (ptrdiff_t)cols} : (gemm_view){w, (ptrdiff_t)cols, 1};
    gemm_view vj = transposed ? (gemm_view){junk, 1, (ptrdiff_t)cols} : (gemm_view){junk, (ptrdiff_t)cols, 1};
    gemm_packed_b want, got;
    assert_int_equal(gemm_pack_b(&want, type, isa, K, N, W2S_DTYPE_F32, v), 0);
    assert_int_equal(gemm_pack_b(&got, type, isa, K, N, W2S_DTYPE_F32, vj), 0);
    // A strip of w's rows is a K range of B, or a column (panel) range of Bᵀ.
    size_t step = transposed ? (strip_rows + got.nr - 1) / got.nr * got.nr
                             : (strip_rows + got.kgroup - 1) / got.kgroup * got.kgroup;
    size_t strips = (rows + step - 1) / step;
    for (size_t i = strips; i-- > 0;) {
        size_t r0 = i * step, r1 = r0 + step < rows ? r0 + step : rows;
        int rc = transposed ? gemm_repack_b_block(&got, W2S_DTYPE_F32, v, 0, K, r0, r1)
                            : gemm_repack_b_block(&got, W2S_DTYPE_F32, v, r0, r1, 0, N);
        assert_int_equal(rc, 0);
    }
    if (memcmp(want.data, got.data, packed_bytes(&want)))
        fail_msg("isa %s type %d %zux%zu%s strips of %zu: packs differ", w2s_isa_name(isa), (int)type, rows, cols,
                 transposed ? " transposed" : "", step);
    gemm_packed_b_free(&want);
    gemm_packed_b_free(&got);
    free(w);
    free(junk);
}

static void test_strips_equal_whole(void **state) {
    (void)state;
    static const size_t sizes[][2] = {{96, 144}, {97, 150}, {1, 49}, {48, 1}, {131, 77}};
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int type = GEMM_F32; type <= GEMM_BF16; type++)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
                for (int t = 0; t < 2; t++)
                    for (size_t strip = 1; strip <= 64; strip *= 4)
                        check((gemm_type)type, (w2s_isa)isa, sizes[i][0], sizes[i][1], t, strip);
    }
}

static void test_bad_blocks(void **state) {
    (void)state;
    float w[64 * 100] = {0};
    gemm_packed_b pb;
    w2s_isa isa = w2s_isa_active();
    assert_int_equal(gemm_pack_b(&pb, GEMM_BF16, isa, 64, 100, W2S_DTYPE_F32, (gemm_view){w, 100, 1}), 0);
    gemm_view v = {w, 100, 1};
    if (pb.kgroup > 1) assert_int_equal(gemm_repack_b_block(&pb, W2S_DTYPE_F32, v, 1, 64, 0, 100), -1);
    assert_int_equal(gemm_repack_b_block(&pb, W2S_DTYPE_F32, v, 0, 65, 0, 100), -1);
    if (pb.nr > 1) assert_int_equal(gemm_repack_b_block(&pb, W2S_DTYPE_F32, v, 0, 64, 1, 100), -1);
    assert_int_equal(gemm_repack_b_block(&pb, W2S_DTYPE_F32, v, 0, 64, 0, 101), -1);
    assert_non_null(strstr(w2s_error_message(), "gemm_repack_b_block"));
    assert_int_equal(gemm_repack_b_block(&pb, W2S_DTYPE_F32, v, 0, 64, 0, 100), 0);
    gemm_packed_b_free(&pb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strips_equal_whole),
        cmocka_unit_test(test_bad_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
