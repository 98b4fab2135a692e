// sweep_report.c — sweep.json and sweep.html of `w2s sweep` (sweep_report.h).
#include "sweep_report.h"

#include "error.h"
#include "fileio.h"
#include "report_html.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double summary_number(const json_t *summary, const char *key) {
    const json_t *v = json_object_get(summary, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

// One line (and dots) through the points of `key` for pairs whose weak model is `weak` (or,
// with weak = SIZE_MAX, the diagonal pairs' ceilings), against the strong model's size.
static void series(report_plot *pl, const sweep_model *m, const sweep_pair *p, size_t np, size_t weak,
                   const char *key, const char *color, const char *dash) {
    double xs[64] = {0}, ys[64] = {0};
    size_t n = 0;
    char title[96];
    for (size_t i = 0; i < np && n < 64; i++) {
        double v = summary_number(p[i].summary, key);
        if ((weak == (size_t)-1 ? p[i].weak != p[i].strong : p[i].weak != weak) || !isfinite(v)) continue;
        xs[n] = m[p[i].strong].params;
        ys[n++] = v;
    }
    report_plot_line(pl, xs, ys, n, color, dash, NULL);
    for (size_t i = 0; i < n; i++) {
        snprintf(title, sizeof title, "%s: %.4f", key, ys[i]);
        report_plot_point(pl, xs[i], ys[i], 3.5, color, true, "pt", title);
    }
}

static int write_html(const char *path, const sweep_model *m, size_t nm, const sweep_pair *p, size_t np,
                      const char *const *losses, size_t nl) {
    report_page pg;
    if (report_page_open(&pg, path, "w2s sweep", "Weak-to-strong sweep")) return -1;
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
    report_p(&pg, "Test accuracy against the strong model's size: solid lines are students trained on each weak "
             "model's labels (one colour per weak model, one dash pattern per loss); the black line is the "
             "strong ceiling.");
    // The size axis spans the models with half a decade of margin on each side.
    report_axis x = {.lo = m[0].params / 3.16, .hi = m[nm - 1].params * 3.16, .scale = REPORT_AXIS_LOG10,
                     .title = "strong model parameters (log scale)", .format = "%.0e"};
    report_axis y = {.lo = isfinite(lo) ? fmax(0.0, lo - 0.05) : 0.5, .hi = 1.0, .title = "test accuracy",
                     .format = "%.2f"};
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, &pg, "plot", 720, 400, &x, &y);
    for (size_t i = 0; i < nm; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s (%.3gM)", m[i].name, m[i].params / 1e6);
        report_plot_text(&pl, m[i].params, y.lo + (y.hi - y.lo) * 0.02, "middle", "#555", name);
    }
    static const char *colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    static const char *dashes[] = {NULL, "6,3", "2,3"};
    series(&pl, m, p, np, (size_t)-1, "strong_acc", "#000", NULL);
    for (size_t w = 0; w < nm; w++)
        for (size_t l = 0; l < nl; l++) {
            char key[64];
            snprintf(key, sizeof key, "transfer_acc_%s", losses[l]);
            series(&pl, m, p, np, w, key, colors[w % 6], dashes[l % 3]);
        }
    report_plot_close(&pl);
    FILE *out = pg.f;
    fprintf(out, "<p>weak model: ");
    for (size_t w = 0; w < nm; w++) {
        fprintf(out, "<span style=\"color:%s\">&#9632; ", colors[w % 6]);
        report_text(out, m[w].name);
        fprintf(out, "</span> ");
    }
    fprintf(out, "&nbsp; loss: ");
    for (size_t l = 0; l < nl; l++) fprintf(out, "%s %s ", losses[l], l == 0 ? "(solid)" : l == 1 ? "(dashed)" : "(dotted)");
    fprintf(out, "&nbsp; <b>&#9632; ceiling</b></p>\n");
    const char *head[3 + 2 * 8] = {"weak", "strong", "weak acc", "ceiling"};
    char hbuf[8][2][48];
    for (size_t l = 0; l < nl; l++) {
        snprintf(hbuf[l][0], sizeof hbuf[l][0], "%s", losses[l]);
        snprintf(hbuf[l][1], sizeof hbuf[l][1], "PGR %s", losses[l]);
        head[4 + 2 * l] = hbuf[l][0];
        head[5 + 2 * l] = hbuf[l][1];
    }
    report_table_open(&pg, head, 4 + 2 * nl);
    for (size_t i = 0; i < np; i++) {
        double wa = summary_number(p[i].summary, "weak_acc"), sa = summary_number(p[i].summary, "strong_acc");
        char cells[4 + 2 * 8][32];
        const char *row[4 + 2 * 8];
        snprintf(cells[0], sizeof cells[0], "%s", m[p[i].weak].name);
        snprintf(cells[1], sizeof cells[1], "%s", m[p[i].strong].name);
        snprintf(cells[2], sizeof cells[2], "%.4f", wa);
        snprintf(cells[3], sizeof cells[3], "%.4f", sa);
        for (size_t l = 0; l < nl; l++) {
            char key[64];
            snprintf(key, sizeof key, "transfer_acc_%s", losses[l]);
            double t = summary_number(p[i].summary, key);
            snprintf(cells[4 + 2 * l], sizeof cells[0], "%.4f", t);
            // The pair's own PGR (results_pgr_of), never recomputed here: one definition.
            snprintf(key, sizeof key, "pgr_%s", losses[l]);
            double pgr = summary_number(p[i].summary, key);
            snprintf(cells[5 + 2 * l], sizeof cells[0], isfinite(pgr) ? "%.3f" : "undefined", pgr);
        }
        for (size_t c = 0; c < 4 + 2 * nl; c++) row[c] = cells[c];
        report_table_row(&pg, row, 4 + 2 * nl);
    }
    report_table_close(&pg);
    report_h2(&pg, "Models");
    static const char *const mhead[] = {"model", "path", "parameters"};
    report_table_open(&pg, mhead, 3);
    for (size_t i = 0; i < nm; i++) {
        char params[32];
        snprintf(params, sizeof params, "%.4gM", m[i].params / 1e6);
        const char *row[3] = {m[i].name, m[i].dir, params};
        report_table_row(&pg, row, 3);
    }
    report_table_close(&pg);
    report_p(&pg, "Each pair's folder holds its own report.html with the data's and models' content hashes, "
             "every setting, the versions and the machine.");
    report_p(&pg, "PGR = (student &minus; weak) / (ceiling &minus; weak) of the test accuracies averaged over "
             "the seeds, exactly as each pair's <code>w2s run</code> reports it (its results_summary.json); "
             "undefined where the ceiling does not beat the weak model.");
    return report_page_close(&pg);
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
