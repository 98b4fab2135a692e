// test_fileio.c — base/fileio.h's path helpers: a path that does not fit its buffer is an
// error naming it, never a shorter path; the cache folder follows XDG_CACHE_HOME, then HOME;
// error messages that overflow end in "..." (base/error.h).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "fileio.h"

#include <stdlib.h>
#include <string.h>

static void test_path_format(void **state) {
    (void)state;
    char buf[16];
    assert_int_equal(w2s_path_format(buf, sizeof buf, "%s/%s", "dir", "f.json"), 0);
    assert_string_equal(buf, "dir/f.json");
    // Exactly full (15 characters + NUL) fits; one more does not.
    assert_int_equal(w2s_path_format(buf, sizeof buf, "%s", "abcdefghijklmno"), 0);
    assert_int_equal(w2s_path_format(buf, sizeof buf, "%s/x", "abcdefghijklmno"), -1);
    assert_string_equal(buf, "");
    assert_non_null(strstr(w2s_error_message(), "path too long (17 bytes, at most 15)"));
}

static void test_cache_dir(void **state) {
    (void)state;
    char buf[W2S_PATH_MAX];
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(w2s_cache_dir(buf, sizeof buf), 0);
    assert_string_equal(buf, "/x/cache/w2s");
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(w2s_cache_dir(buf, sizeof buf), 0);
    assert_string_equal(buf, "/home/u/.cache/w2s");
    unsetenv("HOME");
    assert_int_equal(w2s_cache_dir(buf, sizeof buf), -1);
    assert_non_null(strstr(w2s_error_message(), "set XDG_CACHE_HOME or HOME"));
}

static void test_long_message_marked(void **state) {
    (void)state;
    char big[3 * W2S_ERROR_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    W2S_FAIL("%s", big);
    const char *m = w2s_error_message();
    assert_int_equal(strlen(m), W2S_ERROR_MAX - 1);
    assert_string_equal(m + W2S_ERROR_MAX - 4, "...");
    char small[8];
    w2s_message_format(small, sizeof small, "%d", 123456789);
    assert_string_equal(small, "1234...");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_format),
        cmocka_unit_test(test_cache_dir),
        cmocka_unit_test(test_long_message_marked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
