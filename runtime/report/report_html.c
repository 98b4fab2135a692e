// report_html.c — page shell, escaping, tables and SVG plot frames of every w2s report
// (report_html.h). Pixel layout is fixed here, so all reports look alike.
#include "report_html.h"

#include "error.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

// ---- page

static const char STYLE[] =
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:.3em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}svg{display:block;margin:1em 0}"
    ".note{color:#555;font-size:90%}";

void report_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

int report_page_open(report_page *p, const char *path, const char *title, const char *heading) {
    memset(p, 0, sizeof *p);
    if (w2s_atomic_open(&p->af, path)) return -1;
    p->f = p->af.f;
    fprintf(p->f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    report_text(p->f, title);
    fprintf(p->f, "</title>\n<style>%s</style></head><body>\n<h1>", STYLE);
    report_text(p->f, heading);
    fprintf(p->f, "</h1>\n");
    return 0;
}

int report_page_open_in(report_page *p, const char *dir, const char *file, const char *title, const char *heading) {
    char path[W2S_PATH_MAX];
    if (w2s_path_format(path, sizeof path, "%s/%s", dir, file)) return -1;
    return report_page_open(p, path, title, heading);
}

int report_page_close(report_page *p) {
    fprintf(p->f, "</body></html>\n");
    int rc = w2s_atomic_commit(&p->af);
    p->f = NULL;
    return rc;
}

void report_h2(report_page *p, const char *text) {
    fprintf(p->f, "<h2>");
    report_text(p->f, text);
    fprintf(p->f, "</h2>\n");
}

void report_p(report_page *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(p->f, "<p>");
    vfprintf(p->f, fmt, ap);
    fprintf(p->f, "</p>\n");
    va_end(ap);
}

// ---- tables

static void table_cells(report_page *p, const char *tag, const char *const *cells, size_t n) {
    fprintf(p->f, "<tr>");
    for (size_t i = 0; i < n; i++) {
        fprintf(p->f, "<%s>", tag);
        report_text(p->f, cells[i]);
        fprintf(p->f, "</%s>", tag);
    }
    fprintf(p->f, "</tr>\n");
}

void report_table_open(report_page *p, const char *const *head, size_t n) {
    fprintf(p->f, "<table>\n");
    table_cells(p, "th", head, n);
}

void report_table_row(report_page *p, const char *const *cells, size_t n) { table_cells(p, "td", cells, n); }

void report_table_close(report_page *p) { fprintf(p->f, "</table>\n"); }

// ---- axes

// The largest of 1, 2, 5 × 10^k not above span / target: a step that gives about `target`
// intervals with round labels.
static double round_step(double span, double target) {
    double raw = span / target, mag = pow(10.0, floor(log10(raw)));
    double m = raw / mag;
    return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * mag;
}

size_t report_axis_ticks(const report_axis *a, double *ticks, size_t max_ticks) {
    size_t n = 0;
    if (a->categories || !(a->hi > a->lo)) return 0;
    if (a->scale == REPORT_AXIS_LOG10) {
        if (!(a->lo > 0)) return 0;
        for (double e = ceil(log10(a->lo) - 1e-9); e <= log10(a->hi) + 1e-9 && n < max_ticks; e += 1.0)
            ticks[n++] = pow(10.0, e);
        return n;
    }
    double step = round_step(a->hi - a->lo, 5.0);
    for (double k = ceil(a->lo / step - 1e-9); k * step <= a->hi + step * 1e-9 && n < max_ticks; k += 1.0)
        ticks[n++] = k * step;
    return n;
}

void report_axis_round(report_axis *a) {
    if (a->categories || a->scale != REPORT_AXIS_LINEAR || !(a->hi > a->lo)) return;
    double step = round_step(a->hi - a->lo, 5.0);
    a->lo = floor(a->lo / step + 1e-9) * step;
    a->hi = ceil(a->hi / step - 1e-9) * step;
}

// Position of v in [0, 1] along the axis.
static double axis_frac(const report_axis *a, double v) {
    if (a->categories) return v / (double)a->categories;
    if (a->scale == REPORT_AXIS_LOG10) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

double report_plot_x(const report_plot *pl, double x) { return pl->left + axis_frac(&pl->x, x) * pl->width; }

double report_plot_y(const report_plot *pl, double y) {
    double f = axis_frac(&pl->y, y);
    f = f < 0 ? 0 : f > 1 ? 1 : f;  // bars and lines below the axis start sit on it, never past the frame
    return pl->top + (1.0 - f) * pl->height;
}

static void tick_label(char *buf, size_t cap, const report_axis *a, double v) {
    snprintf(buf, cap, a->format ? a->format : "%g", v);
    if (!strcmp(buf, "-0") || !strncmp(buf, "-0.", 3)) {  // a tick a rounding step below zero prints as 0
        bool zero = true;
        for (const char *p = buf + 1; *p; p++) zero &= *p == '0' || *p == '.';
        if (zero) memmove(buf, buf + 1, strlen(buf));
    }
}

// ---- plots

enum { PLOT_LEFT = 70, PLOT_TOP = 12, PLOT_RIGHT = 16, PLOT_BOTTOM = 58 };

void report_plot_open(report_plot *pl, report_page *p, const char *id, double width, double height,
                      const report_axis *x, const report_axis *y) {
    *pl = (report_plot){.page = p, .x = *x, .y = *y, .left = PLOT_LEFT, .top = PLOT_TOP,
                        .width = width - PLOT_LEFT - PLOT_RIGHT, .height = height - PLOT_TOP - PLOT_BOTTOM};
    FILE *f = p->f;
    fprintf(f, "<svg id=\"%s\" width=\"%.0f\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\" "
               "font-size=\"12\">\n", id, width, height);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
            pl->left, pl->top, pl->width, pl->height);
    double t[32];
    char lab[64];
    size_t n = report_axis_ticks(&pl->y, t, 32);
    for (size_t i = 0; i < n; i++) {
        double py = report_plot_y(pl, t[i]);
        tick_label(lab, sizeof lab, &pl->y, t[i]);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                pl->left, pl->left + pl->width, py, py, pl->left - 6, py + 4, lab);
    }
    n = report_axis_ticks(&pl->x, t, 32);
    for (size_t i = 0; i < n; i++) {
        double px = report_plot_x(pl, t[i]);
        tick_label(lab, sizeof lab, &pl->x, t[i]);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, px, pl->top, pl->top + pl->height, px, pl->top + pl->height + 16, lab);
    }
    for (size_t i = 0; i < pl->x.categories; i++) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", report_plot_x(pl, (double)i + 0.5),
                pl->top + pl->height + 16);
        report_text(f, pl->x.labels ? pl->x.labels[i] : "");
        fprintf(f, "</text>\n");
    }
    if (pl->x.title) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">",
                pl->left + pl->width / 2, pl->top + pl->height + 50);
        report_text(f, pl->x.title);
        fprintf(f, "</text>\n");
    }
    if (pl->y.title) {
        fprintf(f, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" font-weight=\"bold\">",
                pl->top + pl->height / 2);
        report_text(f, pl->y.title);
        fprintf(f, "</text>\n");
    }
}

void report_plot_close(report_plot *pl) { fprintf(pl->page->f, "</svg>\n"); }

void report_plot_bar(report_plot *pl, size_t i, double value, double err, const char *color,
                     const char *value_format) {
    if (!isfinite(value)) return;
    FILE *f = pl->page->f;
    double slot = pl->width / (double)(pl->x.categories ? pl->x.categories : 1);
    double x = report_plot_x(pl, (double)i) + slot * 0.15, w = slot * 0.7;
    double y = report_plot_y(pl, value), y0 = pl->top + pl->height;
    fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y, w,
            y0 - y, color);
    if (isfinite(err) && err > 0) {
        double xc = x + w / 2, ya = report_plot_y(pl, value + err), yb = report_plot_y(pl, value - err);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>\n", xc, xc, ya, yb);
    }
    if (value_format) {
        char lab[64];
        snprintf(lab, sizeof lab, value_format, value);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + w / 2, y0 + 32, lab);
    }
}

void report_plot_line(report_plot *pl, const double *x, const double *y, size_t n, const char *color,
                      const char *dash, const char *cls) {
    FILE *f = pl->page->f;
    fprintf(f, "<polyline%s%s%s fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"", cls ? " class=\"" : "",
            cls ? cls : "", cls ? "\"" : "", color, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "");
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i])) fprintf(f, "%.1f,%.1f ", report_plot_x(pl, x[i]), report_plot_y(pl, y[i]));
    fprintf(f, "\"/>\n");
}

void report_plot_point(report_plot *pl, double x, double y, double r, const char *color, bool filled,
                       const char *cls, const char *title) {
    FILE *f = pl->page->f;
    fprintf(f, "<circle%s%s%s cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"%s\" stroke-width=\"2\">",
            cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", report_plot_x(pl, x), report_plot_y(pl, y), r,
            filled ? color : "#fff", color);
    if (title) {
        fprintf(f, "<title>");
        report_text(f, title);
        fprintf(f, "</title>");
    }
    fprintf(f, "</circle>\n");
}

void report_plot_text(report_plot *pl, double x, double y, const char *anchor, const char *color, const char *text) {
    FILE *f = pl->page->f;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">", report_plot_x(pl, x),
            report_plot_y(pl, y), anchor, color);
    report_text(f, text);
    fprintf(f, "</text>\n");
}
