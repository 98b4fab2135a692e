// profile_report.c — text table, profile.json and profile.html of a profile (profile_report.h).
// Not interactive: the HTML is static SVG (log-log roofline + time bar, on report_html.h) with
// a tiny inline script that only verifies the drawing; it loads nothing from the network.
#include "profile_report.h"

#include "error.h"
#include "fileio.h"
#include "progress.h"
#include "report_html.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- one list of rows, GEMM paths and regions together

typedef struct {
    char label[96];
    const char *phase;
    uint64_t calls;
    double seconds;
    double gflops, pct_peak, intensity;   // GEMM rows only (0 otherwise)
    const profile_gemm_row *g;            // NULL for regions
} report_row;

static int cmp_rows(const void *a, const void *b) {
    double x = ((const report_row *)a)->seconds, y = ((const report_row *)b)->seconds;
    return x > y ? -1 : x < y;
}

static double row_peak(const profile_gemm_row *g, const peak_info *peak) {
    return peak ? peak_gemm_gflops(peak, g->type, g->threads) : 0.0;
}

// Rows with calls, sorted by time (malloc'ed, *n set); NULL if out of memory.
static report_row *collect(const profile_data *d, const peak_info *peak, size_t *n) {
    report_row *r = calloc(d->n_gemm + PROF_PHASE_COUNT * PROF_KIND_COUNT + 1, sizeof *r);
    if (!r) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < d->n_gemm; i++) {
        const profile_gemm_row *g = &d->gemm[i];
        if (!g->calls) continue;
        report_row *x = &r[k++];
        profile_row_label(g, x->label, sizeof x->label);
        x->phase = prof_phase_name(g->phase);
        x->calls = g->calls;
        x->seconds = g->seconds;
        x->gflops = profile_row_gflops(g);
        double pk = row_peak(g, peak);
        x->pct_peak = pk > 0 ? 100.0 * x->gflops / pk : 0.0;
        x->intensity = profile_row_intensity(g);
        x->g = g;
    }
    for (int p = 0; p < PROF_PHASE_COUNT; p++)
        for (int kd = 0; kd < PROF_KIND_COUNT; kd++) {
            const profile_region_row *rg = &d->region[p][kd];
            if (!rg->calls) continue;
            report_row *x = &r[k++];
            snprintf(x->label, sizeof x->label, "%s", prof_kind_name((prof_kind)kd));
            x->phase = prof_kind_phased((prof_kind)kd) ? prof_phase_name((prof_phase)p) : "-";
            x->calls = rg->calls;
            x->seconds = rg->seconds;
        }
    qsort(r, k, sizeof *r, cmp_rows);
    *n = k;
    return r;
}

// ---- text table

void profile_print_table(FILE *out, const profile_data *d, const peak_info *peak, const profile_meta *meta) {
    size_t n = 0;
    report_row *r = collect(d, peak, &n);
    if (!r) {
        fprintf(out, "profile: out of memory\n");
        return;
    }
    double total = d->gemm_seconds + d->region_seconds;
    if (meta && meta->title) fprintf(out, "profile: %s\n", meta->title);
    fprintf(out, "%-44s %-8s %7s %10s %6s %9s %6s %7s", "operation", "phase", "calls", "total ms",
            "%time", "GFLOP/s", "%peak", "FLOP/B");
    bool cmp = meta && meta->compared_onednn;
    if (cmp) fprintf(out, " %9s %9s %6s", "w2s us", "dnnl us", "w2s/dnnl");
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%-44s %-8s %7llu %10.2f %5.1f%%", r[i].label, r[i].phase, (unsigned long long)r[i].calls,
                1e3 * r[i].seconds, total > 0 ? 100.0 * r[i].seconds / total : 0.0);
        if (r[i].g) {
            fprintf(out, " %9.1f", r[i].gflops);
            if (r[i].pct_peak > 0)
                fprintf(out, " %5.1f%%", r[i].pct_peak);
            else
                fprintf(out, " %6s", "-");
            fprintf(out, " %7.1f", r[i].intensity);
            if (cmp && r[i].g->cmp_onednn_s > 0)
                fprintf(out, " %9.1f %9.1f %6.2f", 1e6 * r[i].g->cmp_w2s_s, 1e6 * r[i].g->cmp_onednn_s,
                        r[i].g->cmp_w2s_s / r[i].g->cmp_onednn_s);
        }
        fputc('\n', out);
    }
    fprintf(out, "profiled total %.2f ms: matmul %.2f ms (%.1f%%), other operations %.2f ms\n", 1e3 * total,
            1e3 * d->gemm_seconds, total > 0 ? 100.0 * d->gemm_seconds / total : 0.0, 1e3 * d->region_seconds);
    if (d->nested_gemm_seconds > 0)
        fprintf(out, "(rows marked nested ran inside other regions' thread teams: %.2f thread-ms, not added to the "
                     "total; %%time is of the total, thread time)\n", 1e3 * d->nested_gemm_seconds);
    if (meta && meta->wall_seconds > 0)
        fprintf(out, "wall clock of the profiled span %.2f ms; profiled / wall = %.3f\n", 1e3 * meta->wall_seconds,
                total / meta->wall_seconds);
    if (meta && meta->wall_seconds > 0 && total < 0.95 * meta->wall_seconds)
        fprintf(out, "not in any profiled operation: %.2f ms (model creation and initialization, operations "
                     "without a hook, waiting)\n", 1e3 * (meta->wall_seconds - total));
    if (meta && meta->cpu_seconds > 0 && meta->wall_seconds > 0 && meta->threads > 0)
        fprintf(out, "process CPU time %.2f ms = %.0f%% of %d threads x wall%s\n", 1e3 * meta->cpu_seconds,
                100.0 * meta->cpu_seconds / (meta->wall_seconds * meta->threads), meta->threads,
                meta->cpu_seconds < 0.8 * meta->wall_seconds * meta->threads
                    ? " (the machine was shared or threads idled: rates are a share of the machine)" : "");
    if (peak)
        fprintf(out, "peaks (%s, %d threads): fp32 %.0f, bf16 %.0f GFLOP/s, int8 %.0f GOP/s, triad %.1f GB/s\n",
                peak->isa, peak->threads, peak->all[PEAK_F32_FMA], peak->all[PEAK_BF16_DOT],
                peak->all[PEAK_S8_DOT], peak->triad_gbs);
    free(r);
}

// ---- JSON

static json_t *peak_json(const peak_info *p) {
    json_t *o = json_pack("{s:s, s:s, s:i, s:f, s:f}", "cpu", p->cpu, "isa", p->isa, "threads", p->threads,
                          "triad_gbs", p->triad_gbs, "copy_gbs", p->copy_gbs);
    for (int f = 0; f < PEAK_FAMILY_COUNT; f++)
        json_object_set_new(o, peak_family_name((peak_family)f),
                            json_pack("{s:f, s:f, s:s}", "core_gflops", p->core[f], "all_gflops", p->all[f],
                                      "loop", p->loop[f]));
    return o;
}

static const char *type_str(gemm_type t) { return t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : "u8s8"; }

int profile_write_json(const char *path, const profile_data *d, const peak_info *peak, const profile_meta *meta) {
    json_t *root = json_object();
    json_t *m = json_object();
    if (meta) {
        if (meta->title) json_object_set_new(m, "title", json_string(meta->title));
        if (meta->arch) json_object_set_new(m, "arch", json_string(meta->arch));
        if (meta->mode) json_object_set_new(m, "mode", json_string(meta->mode));
        if (meta->precision) json_object_set_new(m, "precision", json_string(meta->precision));
        json_object_set_new(m, "batch", json_integer((json_int_t)meta->batch));
        json_object_set_new(m, "seq", json_integer((json_int_t)meta->seq));
        json_object_set_new(m, "steps", json_integer((json_int_t)meta->steps));
        json_object_set_new(m, "threads", json_integer(meta->threads));
        json_object_set_new(m, "wall_seconds", json_real(meta->wall_seconds));
        json_object_set_new(m, "step_seconds_median", json_real(meta->step_seconds_median));
        json_object_set_new(m, "cpu_seconds", json_real(meta->cpu_seconds));
    }
    json_object_set_new(root, "meta", m);
    double total = d->gemm_seconds + d->region_seconds;
    json_object_set_new(root, "totals",
                        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "profiled_seconds", total, "gemm_seconds",
                                  d->gemm_seconds, "region_seconds", d->region_seconds, "nested_gemm_thread_seconds",
                                  d->nested_gemm_seconds, "wall_seconds",
                                  meta ? meta->wall_seconds : 0.0, "profiled_over_wall",
                                  meta && meta->wall_seconds > 0 ? total / meta->wall_seconds : 0.0));
    json_object_set_new(root, "peak", peak ? peak_json(peak) : json_null());
    json_t *ga = json_array();
    for (size_t i = 0; i < d->n_gemm; i++) {
        const profile_gemm_row *g = &d->gemm[i];
        char label[96];
        profile_row_label(g, label, sizeof label);
        double pk = row_peak(g, peak);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:b, s:b, s:i, s:I, s:f, s:f, s:f, s:f, s:f}",
                              "path", label, "dtype", type_str(g->type), "isa", w2s_isa_name(g->isa), "phase",
                              prof_phase_name(g->phase), "op", profile_op_name(g->op), "M", (json_int_t)g->M,
                              "N", (json_int_t)g->N, "K", (json_int_t)g->K, "b_packed", g->b_packed,
                              "accumulate", g->accumulate, "nested", g->nested, "threads", g->threads, "calls",
                              (json_int_t)g->calls, "seconds", g->seconds, "flops", g->flops, "bytes", g->bytes,
                              "gflops", profile_row_gflops(g), "intensity", profile_row_intensity(g));
        json_object_set_new(o, "peak_gflops", pk > 0 ? json_real(pk) : json_null());
        json_object_set_new(o, "pct_peak", pk > 0 ? json_real(100.0 * profile_row_gflops(g) / pk) : json_null());
        if (g->cmp_onednn_s > 0)
            json_object_set_new(o, "onednn", json_pack("{s:f, s:f, s:f}", "w2s_seconds_per_call", g->cmp_w2s_s,
                                                       "onednn_seconds_per_call", g->cmp_onednn_s, "ratio",
                                                       g->cmp_w2s_s / g->cmp_onednn_s));
        json_array_append_new(ga, o);
    }
    json_object_set_new(root, "gemm", ga);
    json_t *ra = json_array();
    for (int p = 0; p < PROF_PHASE_COUNT; p++)
        for (int k = 0; k < PROF_KIND_COUNT; k++) {
            const profile_region_row *rg = &d->region[p][k];
            if (!rg->calls) continue;
            const char *phase = prof_kind_phased((prof_kind)k) ? prof_phase_name((prof_phase)p) : "-";
            json_array_append_new(ra, json_pack("{s:s, s:s, s:I, s:f}", "kind", prof_kind_name((prof_kind)k),
                                                "phase", phase, "calls", (json_int_t)rg->calls, "seconds", rg->seconds));
        }
    json_object_set_new(root, "regions", ra);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (!text) return W2S_FAIL("profile json %s: out of memory", path);
    int rc = w2s_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

// ---- HTML

static const char *type_color(gemm_type t) { return t == GEMM_F32 ? "#1f77b4" : t == GEMM_BF16 ? "#d62728" : "#2ca02c"; }

size_t profile_html_points(const profile_data *d) {
    size_t n = 0;
    for (size_t i = 0; i < d->n_gemm; i++) n += d->gemm[i].calls > 0 && d->gemm[i].seconds > 0;
    return n;
}

// Log-log roofline: one point per GEMM path, dashed ceilings from the measured peaks.
static void html_roofline(report_page *pg, const profile_data *d, const peak_info *peak) {
    double ai_min = 1e30, ai_max = 0, g_min = 1e30, g_max = 0;
    for (size_t i = 0; i < d->n_gemm; i++) {
        const profile_gemm_row *g = &d->gemm[i];
        if (!g->calls || g->seconds <= 0) continue;
        double ai = profile_row_intensity(g), gf = profile_row_gflops(g);
        ai_min = fmin(ai_min, ai); ai_max = fmax(ai_max, ai);
        g_min = fmin(g_min, gf); g_max = fmax(g_max, gf);
    }
    double bw = peak ? peak->triad_gbs : 0.0;
    if (peak)
        for (int fam = 0; fam < PEAK_FAMILY_COUNT; fam++) {
            g_max = fmax(g_max, peak->all[fam]);
            if (bw > 0) ai_max = fmax(ai_max, peak->all[fam] / bw);  // ridge points
        }
    if (ai_max <= 0) { ai_min = 1; ai_max = 100; g_min = 1; g_max = 100; }
    // Whole decades, so every tick is a power of ten.
    double lx0 = floor(log10(fmin(ai_min, 1.0))), lx1 = ceil(log10(ai_max * 2));
    double ly0 = floor(log10(g_min / 2)), ly1 = ceil(log10(g_max * 1.5));
    if (lx1 <= lx0) lx1 = lx0 + 1;
    if (ly1 <= ly0) ly1 = ly0 + 1;
    report_axis x = {.lo = pow(10, lx0), .hi = pow(10, lx1), .scale = REPORT_AXIS_LOG10,
                     .title = "arithmetic intensity (FLOP per byte of A, B, C)"};
    report_axis y = {.lo = pow(10, ly0), .hi = pow(10, ly1), .scale = REPORT_AXIS_LOG10,
                     .title = "GFLOP/s (GOP/s for int8)"};
    fprintf(pg->f, "<div id=\"roofline-box\" data-npoints=\"%zu\">\n", profile_html_points(d));
    report_plot pl;
    report_plot_open(&pl, pg, "roofline", 740, 460, &x, &y);
    if (peak && bw > 0) {
        static const gemm_type fam_type[PEAK_FAMILY_COUNT] = {GEMM_F32, GEMM_BF16, GEMM_U8S8};
        double x_start = fmax(x.lo, y.lo / bw);  // where the bandwidth line enters the plot
        for (int fam = 0; fam < PEAK_FAMILY_COUNT; fam++) {
            double pk = peak->all[fam];
            double xs[3] = {x_start, pk / bw, x.hi}, ys[3] = {x_start * bw, pk, pk};
            char text[64];
            report_plot_line(&pl, xs, ys, 3, type_color(fam_type[fam]), "6 3", "ceiling");
            snprintf(text, sizeof text, "%s peak %.0f", peak_family_name((peak_family)fam), pk);
            report_plot_text(&pl, x.hi / 1.05, pk * 1.06, "end", type_color(fam_type[fam]), text);
        }
        char mem[48];
        snprintf(mem, sizeof mem, "memory %.1f GB/s", bw);
        report_plot_text(&pl, x_start * 1.15, x_start * bw * 1.25, "start", "#555", mem);
    }
    for (size_t i = 0; i < d->n_gemm; i++) {
        const profile_gemm_row *g = &d->gemm[i];
        if (!g->calls || g->seconds <= 0) continue;
        char label[96], title[192];
        profile_row_label(g, label, sizeof label);
        snprintf(title, sizeof title, "%s: %.1f GFLOP/s, %.1f FLOP/B, %.2f ms", label, profile_row_gflops(g),
                 profile_row_intensity(g), 1e3 * g->seconds);
        report_plot_point(&pl, profile_row_intensity(g), profile_row_gflops(g), 5, type_color(g->type),
                          g->phase != PROF_PHASE_BACKWARD, "pt", title);
    }
    report_plot_close(&pl);
    fprintf(pg->f, "</div>\n<p class=\"note\">Points: one per matmul path; filled = forward, hollow = backward; "
                   "<span style=\"color:#1f77b4\">f32</span>, <span style=\"color:#d62728\">bf16</span>, "
                   "<span style=\"color:#2ca02c\">int8</span>. Dashed: this machine's measured ceilings "
                   "(compute per dtype, memory triad).</p>\n");
}

// A stacked bar of where the wall-clock time went, one segment per kind of work.
static void html_breakdown(FILE *f, const profile_data *d, const profile_meta *meta) {
    static const char *const colors[] = {"#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a",
                                         "#d62728", "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94",
                                         "#e377c2", "#f7b6d2", "#7f7f7f"};
    double seg[2 + PROF_KIND_COUNT + 1];
    const char *name[2 + PROF_KIND_COUNT + 1];
    size_t n = 0;
    double gf = 0, gb = 0;
    for (size_t i = 0; i < d->n_gemm; i++)  // nested GEMM time is inside its caller's region already
        if (!d->gemm[i].nested) *(d->gemm[i].phase == PROF_PHASE_BACKWARD ? &gb : &gf) += d->gemm[i].seconds;
    seg[n] = gf; name[n++] = "matmul forward";
    seg[n] = gb; name[n++] = "matmul backward";
    for (int k = 0; k < PROF_KIND_COUNT; k++) {
        seg[n] = 0;
        for (int p = 0; p < PROF_PHASE_COUNT; p++) seg[n] += d->region[p][k].seconds;
        name[n++] = prof_kind_name((prof_kind)k);
    }
    double total = d->gemm_seconds + d->region_seconds;
    double wall = meta && meta->wall_seconds > total ? meta->wall_seconds : total;
    seg[n] = wall - total; name[n++] = "not profiled";
    double W = 720.0, x = 0;
    fprintf(f, "<svg id=\"breakdown\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n", W,
            40.0 + 18.0 * (double)((n + 2) / 3));
    size_t li = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] <= 0 || wall <= 0) continue;
        double w = seg[i] / wall * W;
        // the unprofiled gap is always grey; the others cycle through the palette
        const char *c = i + 1 == n ? "#bbbbbb" : colors[i % (sizeof colors / sizeof colors[0])];
        fprintf(f, "<rect class=\"seg\" x=\"%.2f\" y=\"4\" width=\"%.2f\" height=\"24\" fill=\"%s\"><title>%s: %.2f ms "
                   "(%.1f%%)</title></rect>\n", x, w, c, name[i], 1e3 * seg[i], 100.0 * seg[i] / wall);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
                   "font-size=\"11\">%s %.1f%%</text>\n", 240.0 * (double)(li % 3), 36.0 + 18.0 * (double)(li / 3), c,
                240.0 * (double)(li % 3) + 14, 45.0 + 18.0 * (double)(li / 3), name[i], 100.0 * seg[i] / wall);
        x += w;
        li++;
    }
    fprintf(f, "</svg>\n");
}

static void html_table(report_page *pg, const profile_data *d, const peak_info *peak, const profile_meta *meta) {
    size_t n = 0;
    report_row *r = collect(d, peak, &n);
    if (!r) return;
    bool cmp = meta && meta->compared_onednn;
    double total = d->gemm_seconds + d->region_seconds;
    static const char *const head[] = {"operation", "phase", "calls", "total ms", "%time", "GFLOP/s", "%peak",
                                       "FLOP/B", "w2s µs", "oneDNN µs", "w2s/oneDNN"};
    size_t nc = cmp ? 11 : 8;
    report_table_open(pg, head, nc);
    for (size_t i = 0; i < n; i++) {
        char c[11][48] = {{0}};
        const char *row[11];
        snprintf(c[0], sizeof c[0], "%s", r[i].label);
        snprintf(c[1], sizeof c[1], "%s", r[i].phase);
        snprintf(c[2], sizeof c[2], "%llu", (unsigned long long)r[i].calls);
        snprintf(c[3], sizeof c[3], "%.2f", 1e3 * r[i].seconds);
        snprintf(c[4], sizeof c[4], "%.1f", total > 0 ? 100 * r[i].seconds / total : 0.0);
        if (r[i].g) {
            snprintf(c[5], sizeof c[5], "%.1f", r[i].gflops);
            snprintf(c[6], sizeof c[6], "%.1f", r[i].pct_peak);
            snprintf(c[7], sizeof c[7], "%.1f", r[i].intensity);
            if (cmp && r[i].g->cmp_onednn_s > 0) {
                snprintf(c[8], sizeof c[8], "%.1f", 1e6 * r[i].g->cmp_w2s_s);
                snprintf(c[9], sizeof c[9], "%.1f", 1e6 * r[i].g->cmp_onednn_s);
                snprintf(c[10], sizeof c[10], "%.2f", r[i].g->cmp_w2s_s / r[i].g->cmp_onednn_s);
            }
        }
        for (size_t k = 0; k < nc; k++) row[k] = c[k];
        report_table_row(pg, row, nc);
    }
    report_table_close(pg);
    free(r);
}

int profile_write_html(const char *path, const profile_data *d, const peak_info *peak, const profile_meta *meta) {
    report_page pg;
    if (report_page_open(&pg, path, "w2s profile", "w2s profile")) return -1;
    FILE *f = pg.f;
    double total = d->gemm_seconds + d->region_seconds;
    fprintf(f, "<p>");
    report_text(f, meta && meta->title ? meta->title : "");
    fprintf(f, "</p>\n<p>Profiled total %.2f ms (matmul %.2f ms, other operations %.2f ms)", 1e3 * total,
            1e3 * d->gemm_seconds, 1e3 * d->region_seconds);
    if (meta && meta->wall_seconds > 0)
        fprintf(f, "; wall clock of the profiled steps %.2f ms; profiled / wall = %.3f", 1e3 * meta->wall_seconds,
                total / meta->wall_seconds);
    fprintf(f, ".</p>\n");
    if (meta && meta->cpu_seconds > 0 && meta->wall_seconds > 0 && meta->threads > 0)
        report_p(&pg, "Process CPU time %.2f ms = %.0f%% of %d threads &times; wall clock (well below 100%%: the "
                 "machine was shared or threads idled, and the rates below are a share of the machine).",
                 1e3 * meta->cpu_seconds, 100.0 * meta->cpu_seconds / (meta->wall_seconds * meta->threads),
                 meta->threads);
    if (peak) {
        fprintf(f, "<p>Peaks of this machine (");
        report_text(f, peak->cpu);
        fprintf(f, ", %s, %d threads): fp32 %.0f GFLOP/s (%s), bf16 %.0f GFLOP/s (%s), int8 %.0f GOP/s (%s), "
                   "memory triad %.1f GB/s.</p>\n", peak->isa, peak->threads, peak->all[0], peak->loop[0],
                peak->all[1], peak->loop[1], peak->all[2], peak->loop[2], peak->triad_gbs);
    }
    report_h2(&pg, "Roofline");
    html_roofline(&pg, d, peak);
    report_h2(&pg, "Where the time goes");
    html_breakdown(f, d, meta);
    report_h2(&pg, "Operations");
    html_table(&pg, d, peak, meta);
    // The check the tests read back through a headless browser (tests/runtime/test_profile_html.sh).
    fprintf(f, "<script>\n(function () {\n"
               "  var svg = document.getElementById('roofline');\n"
               "  var pts = svg.querySelectorAll('circle.pt');\n"
               "  var want = parseInt(document.getElementById('roofline-box').getAttribute('data-npoints'), 10);\n"
               "  var drawn = 0;\n"
               "  for (var i = 0; i < pts.length; i++) {\n"
               "    var b = pts[i].getBBox();\n"
               "    if (b.width > 0 && isFinite(b.x) && isFinite(b.y)) drawn++;\n"
               "  }\n"
               "  document.title = drawn === want ? 'ok:' + drawn : 'bad:' + drawn + '/' + want;\n"
               "})();\n</script>\n");
    return report_page_close(&pg);
}

// ---- process-wide profiling (W2S_PROFILE=1 / w2s --profile)

static double at_exit_cpu0;  // process CPU seconds when the at-exit profiler started

static void at_exit_report(void) {
    if (!profiler_running()) return;
    profiler_stop();
    profile_data d;
    if (profiler_snapshot(&d)) return;
    peak_info pk;
    int threads = omp_get_max_threads();
    bool have_peak = peak_cache_load(&pk, w2s_isa_active(), threads) == 0;
    profile_meta meta = {.title = "w2s (W2S_PROFILE)", .wall_seconds = d.t_stop - d.t_start,
                         .cpu_seconds = progress_cpu_now() - at_exit_cpu0, .threads = threads};
    fflush(stdout);  // the command's own output first, then the table
    profile_print_table(stderr, &d, have_peak ? &pk : NULL, &meta);
    if (!have_peak) fprintf(stderr, "(no cached peaks for %% of peak: run `w2s info --peak` once)\n");
    const char *dir = getenv("W2S_PROFILE_DIR");
    char path[W2S_PATH_MAX];
    if (w2s_path_format(path, sizeof path, "%s/profile.json", dir && *dir ? dir : ".") ||
        profile_write_json(path, &d, have_peak ? &pk : NULL, &meta))
        fprintf(stderr, "w2s profile: %s\n", w2s_error_message());
    else
        fprintf(stderr, "profile written to %s\n", path);
    profile_data_free(&d);
}

void profile_report_install_at_exit(bool force) {
    const char *env = getenv("W2S_PROFILE");
    if (!force && !(env && *env && strcmp(env, "0"))) return;
    if (profiler_start()) return;
    at_exit_cpu0 = progress_cpu_now();
    atexit(at_exit_report);
}
