// report_html.h — the one writer of w2s's HTML reports (report.html of `w2s run` and of the
// demo, sweep.html, profile.html): a self-contained page (no script or style from the
// network), escaped text, tables, and SVG plots with titled axes and round ticks.
// Not a plotting library: a plot is a frame (axes, grid, ticks, titles) plus primitives
// (bars, lines, points, text) in data coordinates; each report composes its own figure.
// The one thing to know: the page is an atomic file, so a report appears whole or not at all;
// a write error sticks to the stream and report_page_close reports it.
#ifndef W2S_RUNTIME_REPORT_HTML_H
#define W2S_RUNTIME_REPORT_HTML_H

#include "fileio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

// ---- page

typedef struct {
    w2s_atomic_file af;
    FILE *f;  // the page's stream, for a report's own markup (written raw: escape text with report_text)
} report_page;

// Opens path (atomically) and writes the head, the shared style and an <h1> heading.
// Returns 0 or -1 with the error set.
int report_page_open(report_page *p, const char *path, const char *title, const char *heading);
// The same for the page `file` in folder `dir` (a path that does not fit is an error).
int report_page_open_in(report_page *p, const char *dir, const char *file, const char *title, const char *heading);
// Writes </body></html> and commits the file. Returns 0 or -1 (nothing is left on error).
int report_page_close(report_page *p);

// s with <, >, &, " and ' escaped.
void report_text(FILE *f, const char *s);
// <h2>text</h2>, escaped.
void report_h2(report_page *p, const char *text);
// <p> … </p> from a printf format: the caller's markup, written raw.
void report_p(report_page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// ---- tables: cells are escaped text; the first column is left-aligned, the rest right

void report_table_open(report_page *p, const char *const *head, size_t n);
void report_table_row(report_page *p, const char *const *cells, size_t n);
void report_table_close(report_page *p);

// ---- plots

typedef enum { REPORT_AXIS_LINEAR, REPORT_AXIS_LOG10 } report_axis_scale;

typedef struct {
    double lo, hi;            // the range shown (data units; > 0 for a log axis)
    report_axis_scale scale;
    const char *title;        // drawn along the axis ("test accuracy", "parameters")
    const char *format;       // printf format of tick labels ("%.2f"; NULL: "%g")
    size_t categories;        // > 0: a categorical axis of this many slots (x only; lo, hi ignored)
    const char *const *labels;  // categorical: one label per slot
} report_axis;

typedef struct {
    report_page *page;
    report_axis x, y;
    double left, top, width, height;  // the plot area inside the SVG, in pixels
} report_plot;

// Round tick values of an axis (1, 2 or 5 × 10^k steps for linear axes, decades for log10
// ones) inside [lo, hi]: at most max_ticks into ticks[]; returns how many.
size_t report_axis_ticks(const report_axis *a, double *ticks, size_t max_ticks);
// Rounds a linear range outward to round ticks (so the axis starts and ends on a label).
void report_axis_round(report_axis *a);

// Opens <svg id=…> of width × height pixels and draws the frame: grid lines and labels at the
// round ticks, the axis titles, category labels.
void report_plot_open(report_plot *pl, report_page *p, const char *id, double width, double height,
                      const report_axis *x, const report_axis *y);
void report_plot_close(report_plot *pl);
// Data → pixels (categorical x: slot i's centre is i + 0.5).
double report_plot_x(const report_plot *pl, double x);
double report_plot_y(const report_plot *pl, double y);

// A bar in categorical slot i from the bottom of the y axis to value, with ±err whiskers (err
// not finite or 0: none) and the value printed under the slot's label with value_format.
void report_plot_bar(report_plot *pl, size_t i, double value, double err, const char *color,
                     const char *value_format);
// A polyline through (x[i], y[i]), skipping points whose y is not finite; dash NULL: solid.
// cls (may be NULL) becomes its SVG class, for tests that count what was drawn.
void report_plot_line(report_plot *pl, const double *x, const double *y, size_t n, const char *color,
                      const char *dash, const char *cls);
// A circle of radius r at (x, y), filled or hollow, with a hover title (escaped; may be NULL).
void report_plot_point(report_plot *pl, double x, double y, double r, const char *color, bool filled,
                       const char *cls, const char *title);
// Text at (x, y) in data coordinates; anchor "start", "middle" or "end".
void report_plot_text(report_plot *pl, double x, double y, const char *anchor, const char *color, const char *text);

#endif
