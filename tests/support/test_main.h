// test_main.h — what every cmocka test file starts and ends with: cmocka and the headers it
// needs first, and W2S_TEST_MAIN(setup, teardown, test_a, test_b, ...), the main() that runs
// the named tests as one group (setup/teardown may be NULL). Not a test framework of ours:
// only the boilerplate that 40 files otherwise repeat. Up to 24 tests per group.
#ifndef W2S_TESTS_TEST_MAIN_H
#define W2S_TESTS_TEST_MAIN_H

// cmocka.h uses these without including them.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

// W2S_TEST_LIST(a, b, c) -> cmocka_unit_test(a), cmocka_unit_test(b), cmocka_unit_test(c),
// The argument count selects how many times the one-step macro below is applied.
#define W2S_TEST_1(t) cmocka_unit_test(t),
#define W2S_TEST_2(t, ...) cmocka_unit_test(t), W2S_TEST_1(__VA_ARGS__)
#define W2S_TEST_3(t, ...) cmocka_unit_test(t), W2S_TEST_2(__VA_ARGS__)
#define W2S_TEST_4(t, ...) cmocka_unit_test(t), W2S_TEST_3(__VA_ARGS__)
#define W2S_TEST_5(t, ...) cmocka_unit_test(t), W2S_TEST_4(__VA_ARGS__)
#define W2S_TEST_6(t, ...) cmocka_unit_test(t), W2S_TEST_5(__VA_ARGS__)
#define W2S_TEST_7(t, ...) cmocka_unit_test(t), W2S_TEST_6(__VA_ARGS__)
#define W2S_TEST_8(t, ...) cmocka_unit_test(t), W2S_TEST_7(__VA_ARGS__)
#define W2S_TEST_9(t, ...) cmocka_unit_test(t), W2S_TEST_8(__VA_ARGS__)
#define W2S_TEST_10(t, ...) cmocka_unit_test(t), W2S_TEST_9(__VA_ARGS__)
#define W2S_TEST_11(t, ...) cmocka_unit_test(t), W2S_TEST_10(__VA_ARGS__)
#define W2S_TEST_12(t, ...) cmocka_unit_test(t), W2S_TEST_11(__VA_ARGS__)
#define W2S_TEST_13(t, ...) cmocka_unit_test(t), W2S_TEST_12(__VA_ARGS__)
#define W2S_TEST_14(t, ...) cmocka_unit_test(t), W2S_TEST_13(__VA_ARGS__)
#define W2S_TEST_15(t, ...) cmocka_unit_test(t), W2S_TEST_14(__VA_ARGS__)
#define W2S_TEST_16(t, ...) cmocka_unit_test(t), W2S_TEST_15(__VA_ARGS__)
#define W2S_TEST_17(t, ...) cmocka_unit_test(t), W2S_TEST_16(__VA_ARGS__)
#define W2S_TEST_18(t, ...) cmocka_unit_test(t), W2S_TEST_17(__VA_ARGS__)
#define W2S_TEST_19(t, ...) cmocka_unit_test(t), W2S_TEST_18(__VA_ARGS__)
#define W2S_TEST_20(t, ...) cmocka_unit_test(t), W2S_TEST_19(__VA_ARGS__)
#define W2S_TEST_21(t, ...) cmocka_unit_test(t), W2S_TEST_20(__VA_ARGS__)
#define W2S_TEST_22(t, ...) cmocka_unit_test(t), W2S_TEST_21(__VA_ARGS__)
#define W2S_TEST_23(t, ...) cmocka_unit_test(t), W2S_TEST_22(__VA_ARGS__)
#define W2S_TEST_24(t, ...) cmocka_unit_test(t), W2S_TEST_23(__VA_ARGS__)
#define W2S_TEST_COUNT(...) \
    W2S_TEST_COUNT_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define W2S_TEST_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, \
                        _21, _22, _23, _24, n, ...)                                                                   \
    n
#define W2S_TEST_CAT(a, b) W2S_TEST_CAT_(a, b)
#define W2S_TEST_CAT_(a, b) a##b
#define W2S_TEST_LIST(...) W2S_TEST_CAT(W2S_TEST_, W2S_TEST_COUNT(__VA_ARGS__))(__VA_ARGS__)

#define W2S_TEST_MAIN(setup, teardown, ...)                                \
    int main(void) {                                                       \
        const struct CMUnitTest tests[] = {W2S_TEST_LIST(__VA_ARGS__)};    \
        return cmocka_run_group_tests(tests, setup, teardown);             \
    }

#endif
