// test_report_html.c — the report writer (runtime/report/report_html.h): round ticks on linear
// and log axes, escaping of text, and a page that is complete, self-contained and atomic.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fileio.h"
#include "report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Tick values are computed, so compare them with a tolerance far below any label's precision.
#define TICK_TOL 1e-12

static void test_linear_ticks(void **state) {
    (void)state;
    double t[32];
    report_axis a = {.lo = 0.83, .hi = 1.0};
    size_t n = report_axis_ticks(&a, t, 32);
    // span 0.17 / 5 → step 0.02 (the 1-2-5 step just below 0.034): 0.84 … 1.00
    assert_int_equal(n, 9);
    assert_true(fabs(t[0] - 0.84) < TICK_TOL && fabs(t[8] - 1.0) < TICK_TOL);
    report_axis_round(&a);
    assert_true(fabs(a.lo - 0.82) < TICK_TOL && fabs(a.hi - 1.0) < TICK_TOL);
    report_axis b = {.lo = -3, .hi = 47};
    n = report_axis_ticks(&b, t, 32);
    assert_int_equal(n, 5);  // step 10: 0, 10, 20, 30, 40
    assert_true(fabs(t[0]) < TICK_TOL && fabs(t[4] - 40) < TICK_TOL);
    report_axis empty = {.lo = 1, .hi = 1};
    assert_int_equal(report_axis_ticks(&empty, t, 32), 0);
}

static void test_log_ticks(void **state) {
    (void)state;
    double t[32];
    report_axis a = {.lo = 0.5, .hi = 2e4, .scale = REPORT_AXIS_LOG10};
    size_t n = report_axis_ticks(&a, t, 32);
    assert_int_equal(n, 5);  // 1, 10, 100, 1e3, 1e4
    assert_true(fabs(t[0] - 1) < TICK_TOL && fabs(t[4] - 1e4) < 1e-8);
    report_axis bad = {.lo = 0, .hi = 10, .scale = REPORT_AXIS_LOG10};
    assert_int_equal(report_axis_ticks(&bad, t, 32), 0);
}

static void test_page(void **state) {
    (void)state;
    char dir[] = "/tmp/w2s_report_XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.html", dir);
    report_page pg;
    assert_int_equal(report_page_open(&pg, path, "t<1>", "A & B"), 0);
    assert_int_equal(access(path, F_OK), -1);  // nothing visible before the commit
    static const char *const head[] = {"name", "value"};
    static const char *const row[] = {"<script>", "0.5"};
    report_table_open(&pg, head, 2);
    report_table_row(&pg, row, 2);
    report_table_close(&pg);
    const char *labels[2] = {"weak", "strong"};
    report_axis x = {.categories = 2, .labels = labels}, y = {.lo = 0.5, .hi = 1, .title = "accuracy"};
    report_plot pl;
    report_plot_open(&pl, &pg, "plot", 400, 300, &x, &y);
    report_plot_bar(&pl, 0, 0.7, 0.05, "#f00", "%.2f");
    report_plot_bar(&pl, 1, NAN, 0, "#0f0", "%.2f");  // undefined: no bar
    report_plot_close(&pl);
    assert_int_equal(report_page_close(&pg), 0);
    size_t size;
    char *html = w2s_read_file(path, 1 << 20, &size);
    assert_non_null(html);
    assert_non_null(strstr(html, "<title>t&lt;1&gt;</title>"));
    assert_non_null(strstr(html, "<h1>A &amp; B</h1>"));
    assert_non_null(strstr(html, "<td>&lt;script&gt;</td>"));
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, ">accuracy</text>"));
    size_t bars = 0;
    for (const char *p = html; (p = strstr(p, "class=\"bar\"")); p++) bars++;
    assert_int_equal(bars, 1);
    assert_non_null(strstr(html, ">0.70</text>"));
    assert_true(size > 20 && !strcmp(html + size - 15, "</body></html>\n"));
    free(html);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_ticks),
        cmocka_unit_test(test_log_ticks),
        cmocka_unit_test(test_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
