// test_colsum.c — column sums (colsum.h): every ISA variant bit-identical to the reference
// (same order, one rounding per row), the reference equal to a loop of scalar adds, edges of
// the 64-column register block covered, padding columns NaN and never read or written. The
// fused bf16 copy: the same sums, and every element rounded as w2s_f32_to_bf16 rounds it
// (ties, subnormals, infinities and NaNs among the inputs), nothing written outside it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "xorshift.h"

#include "colsum.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const size_t widths[] = {1, 15, 16, 17, 64, 65, 128, 200};
static const size_t heights[] = {0, 1, 3, 100};

static uint64_t rs = 0x2545f4914f6cdd1dull;
static float frand(void) { return xorshift_uniform(&rs, -1.0f, 1.0f); }

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

// Inputs that stress the rounding: exact ties (both parities), subnormals, ±Inf, NaN; else random.
static float special(size_t i) {
    static const uint32_t bits[] = {0x3f808000u, 0x3f818000u, 0x00012345u, 0x807fffffu, 0x7f800000u,
                                    0xff800000u, 0x7fc00001u, 0x7f800001u, 0x477fffffu, 0x00000000u};
    float f;
    uint32_t b = bits[i % (sizeof bits / sizeof *bits)];
    memcpy(&f, &b, sizeof f);
    return f;
}

static void check_bf16(colsum_bf16_fn f, size_t rows, size_t n, bool specials) {
    size_t ld = n + 5, ldy = n + 3;
    float *x = malloc((rows * ld + 1) * sizeof *x), *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    w2s_bf16 *y = malloc((rows * ldy + 1) * sizeof *y);
    const w2s_bf16 poison = 0x7fa5;  // a NaN pattern the rounding never produces (quiet NaNs have bit 6 set)
    for (size_t i = 0; i < rows * ld + 1; i++) x[i] = NAN;
    for (size_t i = 0; i < rows * ldy + 1; i++) y[i] = poison;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) x[r * ld + j] = specials && (r * n + j) % 3 == 0 ? special(r * n + j) : frand() * 100.0f;
    for (size_t j = 0; j < n; j++) a[j] = b[j] = frand();
    a[n] = b[n] = NAN;
    f(a, y, ldy, x, rows, ld, n);
    colsum_ref(b, x, rows, ld, n);
    for (size_t j = 0; j < n; j++) assert_true(memcmp(&a[j], &b[j], sizeof *a) == 0 || (isnan(a[j]) && isnan(b[j])));
    assert_true(isnan(a[n]));
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < n; j++) assert_int_equal(y[r * ldy + j], w2s_f32_to_bf16(x[r * ld + j]));
        for (size_t j = n; j < ldy && r * ldy + j < rows * ldy; j++) assert_int_equal(y[r * ldy + j], poison);
    }
    assert_int_equal(y[rows * ldy], poison);
    free(x); free(a); free(b); free(y);
}

static void test_bf16_copy(void **state) {
    (void)state;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
            for (size_t j = 0; j < sizeof widths / sizeof *widths; j++)
                for (int sp = 0; sp < 2; sp++) check_bf16(colsum_get((w2s_isa)isa)->sum_bf16, heights[i], widths[j], sp);
    }
    for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
        for (size_t j = 0; j < sizeof widths / sizeof *widths; j++) check_bf16(colsum_bf16_ref, heights[i], widths[j], true);
}

static void test_variants(void **state) {
    (void)state;
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
            for (size_t j = 0; j < sizeof widths / sizeof *widths; j++) check(colsum_get((w2s_isa)isa)->sum, heights[i], widths[j]);
    }
    for (size_t i = 0; i < sizeof heights / sizeof *heights; i++)
        for (size_t j = 0; j < sizeof widths / sizeof *widths; j++) check(colsum_ref, heights[i], widths[j]);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_variants), cmocka_unit_test(test_bf16_copy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
