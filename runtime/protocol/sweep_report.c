// sweep_report.c — sweep.json and sweep.html of `w2s sweep` (sweep_report.h).
#include "sweep_report.h"

#include "error.h"
#include "fileio.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double summary_number(const json_t *summary, const char *key) {
    const json_t *v = json_object_get(summary, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

// Plot geometry: accuracy on y from lo to 1, log10(params) on x across the models.
typedef struct {
    double x0, x1, lo, w, h, left, top;
} plot_frame;

static double px(const plot_frame *f, double params) {
    double t = f->x1 > f->x0 ? (log10(params) - f->x0) / (f->x1 - f->x0) : 0.5;
    return f->left + 20 + t * (f->w - 40);
}

static double py(const plot_frame *f, double acc) { return f->top + (1.0 - acc) / (1.0 - f->lo) * f->h; }

// One polyline (+ dots) through the points of `key` for pairs whose weak model is `weak`
// (or, with weak = SIZE_MAX, the diagonal pairs' ceilings).
static void series(FILE *out, const plot_frame *f, const sweep_model *m, const sweep_pair *p, size_t np, size_t weak,
                   const char *key, const char *color, const char *dash) {
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\" points=\"", color,
            dash);
    for (size_t i = 0; i < np; i++) {
        double v = summary_number(p[i].summary, key);
        if ((weak == (size_t)-1 ? p[i].weak != p[i].strong : p[i].weak != weak) || !isfinite(v)) continue;
        fprintf(out, "%.1f,%.1f ", px(f, m[p[i].strong].params), py(f, v));
    }
    fprintf(out, "\"/>\n");
    for (size_t i = 0; i < np; i++) {
        double v = summary_number(p[i].summary, key);
        if ((weak == (size_t)-1 ? p[i].weak != p[i].strong : p[i].weak != weak) || !isfinite(v)) continue;
        fprintf(out, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s: %.4f</title></circle>\n",
                px(f, m[p[i].strong].params), py(f, v), color, key, v);
    }
}

static int write_html(const char *path, const sweep_model *m, size_t nm, const sweep_pair *p, size_t np,
                      const char *const *losses, size_t nl) {
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, path) != 0) return -1;
    FILE *out = af.f;
    double lo = 1.0;
    for (size_t i = 0; i < np; i++) {
        const char *keys[] = {"weak_acc", "strong_acc"};
        for (int k = 0; k < 2; k++) lo = fmin(lo, summary_number(p[i].summary, keys[k]));
        for (size_t l = 0; l < nl; l++) {
            char key[64];
            snprintf(key, sizeof key, "transfer_acc_%s", losses[l]);
            lo = fmin(lo, summary_number(p[i].summary, key));
        }
    }
    lo = isfinite(lo) ? fmax(0.0, floor(lo * 20 - 1) / 20) : 0.5;  // a 0.05 step below the lowest
    plot_frame f = {log10(m[0].params), log10(m[nm - 1].params), lo, 620, 300, 60, 20};
    fprintf(out, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>w2s sweep</title>\n"
                 "<style>body{font-family:sans-serif;max-width:56em;margin:2em auto}table{border-collapse:collapse}"
                 "td,th{border:1px solid #999;padding:.3em .6em;text-align:right}td:first-child,td:nth-child(2)"
                 "{text-align:left}</style></head><body>\n<h1>Weak-to-strong sweep</h1>\n"
                 "<p>Test accuracy against the strong model's size: solid lines are students trained on each weak "
                 "model's labels (one colour per weak model, one dash pattern per loss); the black line is the "
                 "strong ceiling.</p>\n<svg id=\"plot\" width=\"720\" height=\"380\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    for (int g = 0; g <= 4; g++) {
        double a = lo + (1.0 - lo) * g / 4.0;
        fprintf(out, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"5\" y=\"%.1f\" "
                     "font-size=\"12\">%.3f</text>\n", f.left, f.left + f.w, py(&f, a), py(&f, a), py(&f, a) + 4, a);
    }
    for (size_t i = 0; i < nm; i++)
        fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">%s (%.3gM)</text>\n",
                px(&f, m[i].params), f.top + f.h + 20, m[i].name, m[i].params / 1e6);
    static const char *colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    static const char *dashes[] = {"none", "6,3", "2,3"};
    series(out, &f, m, p, np, (size_t)-1, "strong_acc", "#000", "none");
    for (size_t w = 0; w < nm; w++)
        for (size_t l = 0; l < nl; l++) {
            char key[64];
            snprintf(key, sizeof key, "transfer_acc_%s", losses[l]);
            series(out, &f, m, p, np, w, key, colors[w % 6], dashes[l % 3]);
        }
    fprintf(out, "</svg>\n<p>weak model: ");
    for (size_t w = 0; w < nm; w++)
        fprintf(out, "<span style=\"color:%s\">&#9632; %s</span> ", colors[w % 6], m[w].name);
    fprintf(out, "&nbsp; loss: ");
    for (size_t l = 0; l < nl; l++) fprintf(out, "%s %s ", losses[l], l == 0 ? "(solid)" : l == 1 ? "(dashed)" : "(dotted)");
    fprintf(out, "&nbsp; <b>&#9632; ceiling</b></p>\n<table><tr><th>weak</th><th>strong</th><th>weak acc</th><th>ceiling</th>");
    for (size_t l = 0; l < nl; l++) fprintf(out, "<th>%s</th><th>PGR %s</th>", losses[l], losses[l]);
    fprintf(out, "</tr>\n");
    for (size_t i = 0; i < np; i++) {
        double wa = summary_number(p[i].summary, "weak_acc"), sa = summary_number(p[i].summary, "strong_acc");
        fprintf(out, "<tr><td>%s</td><td>%s</td><td>%.4f</td><td>%.4f</td>", m[p[i].weak].name, m[p[i].strong].name,
                wa, sa);
        for (size_t l = 0; l < nl; l++) {
            char key[64];
            snprintf(key, sizeof key, "transfer_acc_%s", losses[l]);
            double t = summary_number(p[i].summary, key);
            if (sa > wa) fprintf(out, "<td>%.4f</td><td>%.3f</td>", t, (t - wa) / (sa - wa));
            else fprintf(out, "<td>%.4f</td><td>n/a</td>", t);
        }
        fprintf(out, "</tr>\n");
    }
    fprintf(out, "</table>\n</body></html>\n");
    return w2s_atomic_commit(&af);
}

int sweep_write(const char *out_dir, const sweep_model *m, size_t nm, const sweep_pair *p, size_t np) {
    // The losses are the transfer_acc_<loss> keys of the first pair (every pair ran the same).
    const char *losses[8];
    size_t nl = 0;
    const char *key;
    json_t *v;
    json_object_foreach(np ? p[0].summary : NULL, key, v) {
        if (!strncmp(key, "transfer_acc_", 13) && nl < 8) losses[nl++] = key + 13;
    }
    json_t *models = json_array(), *pairs = json_array();
    for (size_t i = 0; i < nm; i++)
        json_array_append_new(models, json_pack("{s:s, s:s, s:f}", "name", m[i].name, "dir", m[i].dir, "params",
                                                m[i].params));
    for (size_t i = 0; i < np; i++)
        json_array_append_new(pairs, json_pack("{s:s, s:s, s:O}", "weak", m[p[i].weak].name, "strong",
                                               m[p[i].strong].name, "results_summary", p[i].summary));
    json_t *root = json_pack("{s:o, s:o}", "models", models, "pairs", pairs);
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.json", out_dir);
    int rc = root ? results_write_json(path, root) : W2S_FAIL("cannot build sweep.json");
    json_decref(root);
    snprintf(path, sizeof path, "%s/sweep.html", out_dir);
    if (rc == 0) rc = write_html(path, m, nm, p, np, losses, nl);
    return rc;
}
