// results.c — results.json, results_summary.json and report.html of `w2s run` (results.h).
// The one thing to know: results_summary.json is derived from the same results_stat() means
// that results.json lists, so the two files cannot disagree.
#include "results.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"
#include "metrics.h"

#include <hwloc.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *results_number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

int results_write_json(const char *path, json_t *root) {
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!text) return W2S_FAIL("cannot serialize %s", path);
    size_t n = strlen(text);
    text[n] = '\n';  // json_dumps leaves room for the NUL we overwrite; end the file with a newline
    int rc = w2s_write_file_atomic(path, text, n + 1);
    free(text);
    return rc;
}

static const results_model *model_of(const results_seed *s, int which) {
    return which == -1 ? &s->weak : which == -2 ? &s->ceiling : &s->students[which];
}

size_t results_stat(const results_run *r, int which, bool pgr, double *mean, double *std) {
    double v[RESULTS_MAX_SEEDS];
    for (size_t s = 0; s < r->n_done; s++)
        v[s] = pgr ? r->seeds[s].pgr[which] : model_of(&r->seeds[s], which)->accuracy;
    return metrics_mean_std(v, r->n_done, mean, std);
}

static json_t *model_json(const results_model *m) {
    json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:I, s:f, s:f, s:b, s:I}", "accuracy", results_number(m->accuracy),
                          "auroc", results_number(m->auroc), "final_loss", results_number(m->final_loss), "steps",
                          (json_int_t)m->steps, "n_train", (json_int_t)m->n_train, "train_s", m->train_s, "eval_s",
                          m->eval_s, "reused", m->reused, "resumed_step", (json_int_t)m->resumed_step);
    if (o) json_object_set_new(o, "train_examples_per_s", results_number(m->examples_per_s));
    if (o && !isfinite(m->auroc) && m->auroc_reason[0]) json_object_set_new(o, "auroc_undefined_reason", json_string(m->auroc_reason));
    return o;
}

static json_t *stat_json(const results_run *r, int which, bool pgr) {
    double mean, std;
    size_t n = results_stat(r, which, pgr, &mean, &std);
    return json_pack("{s:o, s:o, s:I}", "mean", results_number(mean), "std", results_number(std), "n", (json_int_t)n);
}

static json_t *versions_json(void) {
    const dnnl_version_t *dv = dnnl_version();
    unsigned hv = hwloc_get_api_version();
    char dnnl[32], hw[32];
    snprintf(dnnl, sizeof dnnl, "%d.%d.%d", dv->major, dv->minor, dv->patch);
    snprintf(hw, sizeof hw, "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
    return json_pack("{s:s, s:s, s:s, s:s}", "w2s", W2S_VERSION_STRING, "onednn", dnnl, "hwloc", hw, "jansson",
                     jansson_version_str());
}

static int write_results_json(const results_run *r) {
    json_t *seeds = json_array(), *stats = json_object(), *summary = json_object();
    for (size_t s = 0; s < r->n_done; s++) {
        const results_seed *sr = &r->seeds[s];
        json_t *students = json_object(), *pgr = json_object(), *reasons = json_object();
        for (size_t l = 0; l < r->n_losses; l++) {
            const char *name = loss_kind_name(r->losses[l]);
            json_object_set_new(students, name, model_json(&sr->students[l]));
            json_object_set_new(pgr, name, results_number(sr->pgr[l]));
            if (!isfinite(sr->pgr[l]) && sr->pgr_reason[l]) json_object_set_new(reasons, name, json_string(sr->pgr_reason[l]));
        }
        json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:f, s:o, s:f}", "seed", (json_int_t)sr->seed, "weak",
                              model_json(&sr->weak), "ceiling", model_json(&sr->ceiling), "students", students, "pgr",
                              pgr, "label_s", sr->label_s, "weak_label_agreement", results_number(sr->label_agreement),
                              "total_s", sr->total_s);
        json_object_set_new(o, "label_examples_per_s", results_number(sr->label_examples_per_s));
        if (json_object_size(reasons)) json_object_set_new(o, "pgr_undefined_reason", reasons);
        else json_decref(reasons);
        json_array_append_new(seeds, o);
    }
    double mean, std;
    json_object_set_new(stats, "weak_acc", stat_json(r, -1, false));
    json_object_set_new(stats, "strong_acc", stat_json(r, -2, false));
    results_stat(r, -1, false, &mean, &std);
    json_object_set_new(summary, "weak_acc", results_number(mean));
    results_stat(r, -2, false, &mean, &std);
    json_object_set_new(summary, "strong_acc", results_number(mean));
    for (size_t l = 0; l < r->n_losses; l++) {
        char key[64];
        const char *name = loss_kind_name(r->losses[l]);
        snprintf(key, sizeof key, "transfer_acc_%s", name);
        json_object_set_new(stats, key, stat_json(r, (int)l, false));
        results_stat(r, (int)l, false, &mean, &std);
        json_object_set_new(summary, key, results_number(mean));
        snprintf(key, sizeof key, "pgr_%s", name);
        json_object_set_new(stats, key, stat_json(r, (int)l, true));
    }
    json_t *root = json_pack("{s:s, s:O, s:s, s:I, s:I, s:o, s:{s:s, s:i}, s:o, s:o, s:f}", "experiment",
                             "w2s run: the weak-to-strong protocol", "config", r->config, "label_precision", r->label_precision,
                             "n_classes", (json_int_t)r->n_classes, "n_seeds_done", (json_int_t)r->n_done, "versions",
                             versions_json(), "machine", "isa", w2s_isa_name(w2s_isa_active()), "threads",
                             omp_get_max_threads(), "seeds", seeds, "stats", stats, "total_s", r->total_s);
    char path[4096];
    int rc = root ? 0 : W2S_FAIL("cannot build results.json");
    if (!rc) {
        if (r->n_classes > 2) json_object_set_new(root, "logconf_multiclass", json_string("argmax one-hot"));
        snprintf(path, sizeof path, "%s/results.json", r->out_dir);
        rc = results_write_json(path, root);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/results_summary.json", r->out_dir);
        rc = results_write_json(path, summary);
    }
    json_decref(root);
    json_decref(summary);
    return rc;
}

// report.html: the table and an SVG bar chart of mean accuracies (± std), self-contained.
static int write_report(const results_run *r) {
    char path[4096];
    snprintf(path, sizeof path, "%s/report.html", r->out_dir);
    w2s_atomic_file af;
    if (w2s_atomic_open(&af, path) != 0) return -1;
    FILE *f = af.f;
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>w2s run</title>\n"
               "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
               "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:right}"
               "td:first-child{text-align:left}</style></head><body>\n"
               "<h1>Weak-to-strong generalization: w2s run</h1>\n"
               "<p>%zu seed(s), %zu classes, weak labels in %s, %.1f s.</p>\n"
               "<table><tr><th>test accuracy</th><th>mean</th><th>std</th><th>PGR mean</th><th>PGR std</th></tr>\n",
            r->n_done, r->n_classes, r->label_precision, r->total_s);
    int rows[2 + RESULTS_MAX_LOSSES];
    size_t nrows = 0;
    rows[nrows++] = -1;
    rows[nrows++] = -2;
    for (size_t l = 0; l < r->n_losses; l++) rows[nrows++] = (int)l;
    char names[2 + RESULTS_MAX_LOSSES][64];
    for (size_t i = 0; i < nrows; i++) {
        double mean, std, pm, ps;
        int w = rows[i];
        if (w == -1) snprintf(names[i], sizeof names[i], "weak");
        else if (w == -2) snprintf(names[i], sizeof names[i], "ceiling");
        else snprintf(names[i], sizeof names[i], "student %s", loss_kind_name(r->losses[w]));
        size_t n = results_stat(r, w, false, &mean, &std);
        fprintf(f, "<tr><td>%s</td>", names[i]);
        if (n > 1) fprintf(f, "<td>%.4f</td><td>%.4f</td>", mean, std);
        else if (n) fprintf(f, "<td>%.4f</td><td></td>", mean);
        else fprintf(f, "<td>n/a</td><td></td>");
        size_t npgr = w >= 0 ? results_stat(r, w, true, &pm, &ps) : 0;
        if (npgr) fprintf(f, "<td>%.3f (%zu seed%s)</td>", pm, npgr, npgr == 1 ? "" : "s");
        else fprintf(f, "<td>%s</td>", w >= 0 ? "undefined" : "");
        if (npgr > 1) fprintf(f, "<td>%.3f</td>", ps);
        else fprintf(f, "<td></td>");
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n<h2>Test accuracy (mean &plusmn; std over seeds)</h2>\n");
    // The axis starts just below the lowest mean so differences of a few points are visible.
    double lo = 1.0;
    for (size_t i = 0; i < nrows; i++) {
        double mean, std;
        if (results_stat(r, rows[i], false, &mean, &std) && mean < lo) lo = mean;
    }
    lo = floor((lo - 0.05) * 10) / 10;
    if (lo < 0) lo = 0;
    const double hi = 1.0, H = 260, x0 = 60, bw = 90, W = x0 + 20 + nrows * (bw + 40);
    fprintf(f, "<svg id=\"plot\" width=\"%.0f\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n", W, H + 44);
    for (int g = 0; g <= 5; g++) {
        double v = lo + (hi - lo) * g / 5.0, y = H - (v - lo) / (hi - lo) * (H - 20);
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"5\" y=\"%.1f\" font-size=\"12\">%.2f</text>\n", x0, W, y, y, y + 4, v);
    }
    const char *colors[] = {"#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e"};
    for (size_t i = 0; i < nrows; i++) {
        double mean, std;
        if (!results_stat(r, rows[i], false, &mean, &std)) continue;
        if (!isfinite(std)) std = 0;
        double v = mean < lo ? lo : mean, y = H - (v - lo) / (hi - lo) * (H - 20), x = x0 + 20 + i * (bw + 40);
        double e = std / (hi - lo) * (H - 20);
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"/>"
                   "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"13\">%s</text>"
                   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"13\">%.3f</text>\n",
                x, y, bw, H - y, colors[i], x + bw / 2, x + bw / 2, y - e, y + e, x, H + 18, names[i], x, H + 34, mean);
    }
    fprintf(f, "</svg>\n</body></html>\n");
    return w2s_atomic_commit(&af);
}

int results_write(const results_run *r) {
    if (w2s_mkdir_p(r->out_dir) != 0) return -1;
    if (write_results_json(r) != 0 || write_report(r) != 0) return w2s_error_wrap("writing the results in %s", r->out_dir);
    return 0;
}
