// test_colsum.c — column sums (colsum.h): every ISA variant bit-identical to the reference
// (same order, one rounding per row), the reference equal to a loop of scalar adds, edges of
// the 64-column register block covered, padding columns NaN and never read or written.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "colsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const size_t widths[] = {1, 15, 16, 17, 64, 65, 128, 200};
static const size_t heights[] = {0, 1, 3, 100};

static uint64_t rs = 0x2545f4914f6cdd1dull;
static float frand(void) {
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (float)((rs >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void check(colsum_fn f, size_t rows, size_t n) {
    size_t ld = n + 5;
    float *x = malloc((rows * ld + 1) * sizeof *x), *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    for (size_t i = 0; i < rows * ld + 1; i++) x[i] = NAN;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) x[r * ld + j] = frand() * 100.0f;
    for (size_t j = 0; j < n; j++) a[j] = b[j] = frand();
    a[n] = b[n] = NAN;
    f(a, x, rows, ld, n);
    for (size_t j = 0; j < n; j++)  // the scalar definition, row by row
        for (size_t r = 0; r < rows; r++) b[j] += x[r * ld + j];
    assert_memory_equal(a, b, n * sizeof *a);
    assert_true(isnan(a[n]));
    free(x); free(a); free(b);
}

static void test_variants(void **state) {
    (void)state;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
            for (size_t j = 0; j < sizeof widths / sizeof *widths; j++) check(colsum_get((w2s_isa)isa), heights[i], widths[j]);
    }
    for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
        for (size_t j = 0; j < sizeof widths / sizeof *widths; j++) check(colsum_ref, heights[i], widths[j]);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_variants)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
