// results.c — results.json, results_summary.json, report.html and the printed table of `w2s run`
// (results.h).
// The one thing to know: results_summary.json is derived from the same results_stat() means
// that results.json lists, so the two files cannot disagree.
#include "results.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"
#include "metrics.h"
#include "report_html.h"

#include <hwloc.h>
#include <inttypes.h>
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

json_t *results_world_json(const dist_survey *w, const char *parallel) {
    json_t *o = json_object(), *hosts = json_array(), *rank_hosts = json_array(), *threads = json_array();
    for (int r = 0; r < w->ranks; r++) {
        const char *h = w->rank[r].host;
        bool seen = false;
        for (int q = 0; q < r && !seen; q++) seen = !strcmp(w->rank[q].host, h);
        if (!seen) json_array_append_new(hosts, json_string(h));
        json_array_append_new(rank_hosts, json_string(h));
        json_array_append_new(threads, json_integer(w->rank[r].threads));
    }
    json_object_set_new(o, "ranks", json_integer(w->ranks));
    json_object_set_new(o, "hosts", hosts);
    json_object_set_new(o, "rank_hosts", rank_hosts);
    json_object_set_new(o, "threads_per_rank", threads);
    json_object_set_new(o, "launcher", json_string(w->launcher));
    if (w->mpi[0]) json_object_set_new(o, "mpi", json_string(w->mpi));
    if (parallel) json_object_set_new(o, "parallel", json_string(parallel));
    return o;
}

const results_model *results_model_of(const results_seed *s, size_t row) {
    return row == RESULTS_ROW_WEAK      ? &s->weak
           : row == RESULTS_ROW_CEILING ? &s->ceiling
                                        : &s->students[row - RESULTS_ROW_STUDENT];
}

size_t results_row_count(const results_run *r) { return RESULTS_ROW_STUDENT + r->n_losses; }

const char *results_row_name(const results_run *r, size_t row) {
    return row == RESULTS_ROW_WEAK      ? "weak"
           : row == RESULTS_ROW_CEILING ? "ceiling"
                                        : loss_kind_name(r->losses[row - RESULTS_ROW_STUDENT]);
}

size_t results_stat(const results_run *r, size_t row, bool pgr, double *mean, double *std) {
    double v[RESULTS_MAX_SEEDS];
    if (pgr && row < RESULTS_ROW_STUDENT) {
        *mean = *std = NAN;
        return 0;
    }
    for (size_t s = 0; s < r->n_done; s++)
        v[s] = pgr ? r->seeds[s].pgr[row - RESULTS_ROW_STUDENT] : results_model_of(&r->seeds[s], row)->accuracy;
    return metrics_mean_std(v, r->n_done, mean, std);
}

json_t *results_curve_json(const results_model *m) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < m->n_curve; i++)
        json_array_append_new(a, json_pack("{s:I, s:o, s:o}", "step", (json_int_t)m->curve[i].step, "accuracy",
                                           results_number(m->curve[i].accuracy), "loss",
                                           results_number(m->curve[i].loss)));
    return a;
}

// Why out->pgr (of mean accuracies weak w, ceiling c) is undefined, or "" when it is not.
static void pgr_reason(const results_run *r, double w, double c, results_pgr *out) {
    out->reason[0] = 0;
    if (!r->n_done) snprintf(out->reason, sizeof out->reason, "PGR undefined: no seed has finished");
    else if (!isfinite(out->pgr))
        snprintf(out->reason, sizeof out->reason, "PGR undefined: the mean ceiling accuracy %.4f does not beat the "
                 "mean weak accuracy %.4f", c, w);
}

void results_pgr_of(const results_run *r, size_t l, results_pgr *out) {
    double w, c, st, sd;
    results_stat(r, RESULTS_ROW_WEAK, false, &w, &sd);
    results_stat(r, RESULTS_ROW_CEILING, false, &c, &sd);
    results_stat(r, RESULTS_ROW_STUDENT + l, false, &st, &sd);
    double mean;
    out->n_seeds = results_stat(r, RESULTS_ROW_STUDENT + l, true, &mean, &out->seed_std);
    out->pgr = metrics_pgr(w, st, c, NULL);
    pgr_reason(r, w, c, out);
}

size_t results_chain_stat(const results_run *r, size_t l, size_t h, double *mean, double *std) {
    double v[RESULTS_MAX_SEEDS];
    for (size_t s = 0; s < r->n_done; s++) v[s] = r->seeds[s].chain[l][h - 1].accuracy;
    return metrics_mean_std(v, r->n_done, mean, std);
}

void results_chain_pgr_of(const results_run *r, size_t l, results_pgr *out) {
    double w, c, end, sd, v[RESULTS_MAX_SEEDS], mean;
    results_stat(r, RESULTS_ROW_WEAK, false, &w, &sd);
    results_stat(r, RESULTS_ROW_CEILING, false, &c, &sd);
    results_chain_stat(r, l, r->n_chain - 1, &end, &sd);
    for (size_t s = 0; s < r->n_done; s++) v[s] = r->seeds[s].chain_pgr[l];
    out->n_seeds = metrics_mean_std(v, r->n_done, &mean, &out->seed_std);
    out->pgr = metrics_pgr(w, end, c, NULL);
    pgr_reason(r, w, c, out);
}

static json_t *model_json(const results_model *m) {
    json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:I, s:f, s:f, s:b, s:I}", "accuracy", results_number(m->accuracy),
                          "auroc", results_number(m->auroc), "final_loss", results_number(m->final_loss), "steps",
                          (json_int_t)m->steps, "n_train", (json_int_t)m->n_train, "train_s", m->train_s, "eval_s",
                          m->eval_s, "reused", m->reused, "resumed_step", (json_int_t)m->resumed_step);
    if (o) json_object_set_new(o, "train_examples_per_s", results_number(m->examples_per_s));
    if (o && !isfinite(m->auroc) && m->auroc_reason[0]) json_object_set_new(o, "auroc_undefined_reason", json_string(m->auroc_reason));
    if (o && m->n_curve) json_object_set_new(o, "curve", results_curve_json(m));
    if (o && m->one_class >= 0) json_object_set_new(o, "predicts_one_class", json_integer(m->one_class));
    if (o && isfinite(m->agreement)) json_object_set_new(o, "agreement_with_weak", json_real(m->agreement));
    return o;
}

static json_t *stat_json(const results_run *r, size_t row) {
    double mean, std;
    size_t n = results_stat(r, row, false, &mean, &std);
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
        if (r->n_chain >= 2) {  // each loss's hops, M2 to Mk, and the PGR of its end
            json_t *chain = json_object(), *cpgr = json_object();
            for (size_t l = 0; l < r->n_losses; l++) {
                json_t *hops = json_array();
                for (size_t h = 1; h < r->n_chain; h++) {
                    json_t *m = model_json(&sr->chain[l][h - 1]);
                    json_object_set_new(m, "hop", json_integer((json_int_t)h));
                    json_object_set_new(m, "model", json_string(r->chain_models[h]));
                    json_array_append_new(hops, m);
                }
                json_object_set_new(chain, loss_kind_name(r->losses[l]), hops);
                json_object_set_new(cpgr, loss_kind_name(r->losses[l]), results_number(sr->chain_pgr[l]));
            }
            json_object_set_new(o, "chain", chain);
            json_object_set_new(o, "chain_pgr", cpgr);
        }
        if (json_object_size(reasons)) json_object_set_new(o, "pgr_undefined_reason", reasons);
        else json_decref(reasons);
        json_array_append_new(seeds, o);
    }
    double mean, std;
    json_object_set_new(stats, "weak_acc", stat_json(r, RESULTS_ROW_WEAK));
    json_object_set_new(stats, "strong_acc", stat_json(r, RESULTS_ROW_CEILING));
    results_stat(r, RESULTS_ROW_WEAK, false, &mean, &std);
    json_object_set_new(summary, "weak_acc", results_number(mean));
    results_stat(r, RESULTS_ROW_CEILING, false, &mean, &std);
    json_object_set_new(summary, "strong_acc", results_number(mean));
    for (size_t l = 0; l < r->n_losses; l++) {
        char key[64];
        const char *name = loss_kind_name(r->losses[l]);
        snprintf(key, sizeof key, "transfer_acc_%s", name);
        json_object_set_new(stats, key, stat_json(r, RESULTS_ROW_STUDENT + l));
        results_stat(r, RESULTS_ROW_STUDENT + l, false, &mean, &std);
        json_object_set_new(summary, key, results_number(mean));
        results_pgr pg;
        results_pgr_of(r, l, &pg);
        json_t *ps = json_pack("{s:o, s:o, s:I}", "pgr", results_number(pg.pgr), "seed_std",
                               results_number(pg.seed_std), "n_seeds", (json_int_t)pg.n_seeds);
        if (pg.reason[0]) json_object_set_new(ps, "undefined_reason", json_string(pg.reason));
        snprintf(key, sizeof key, "pgr_%s", name);
        json_object_set_new(stats, key, ps);
        json_object_set_new(summary, key, results_number(pg.pgr));
        snprintf(key, sizeof key, "pgr_%s_std", name);
        json_object_set_new(summary, key, results_number(pg.seed_std));
        snprintf(key, sizeof key, "pgr_%s_n_seeds", name);
        json_object_set_new(summary, key, json_integer((json_int_t)pg.n_seeds));
        if (pg.reason[0]) {
            snprintf(key, sizeof key, "pgr_%s_undefined_reason", name);
            json_object_set_new(summary, key, json_string(pg.reason));
        }
        if (r->n_chain < 2) continue;
        // Bootstrapping: each hop's mean accuracy, the chain's end and its PGR, beside the
        // direct student's above (transfer_acc_<loss>, pgr_<loss>).
        json_t *hops = json_array();
        for (size_t h = 1; h < r->n_chain; h++) {
            results_chain_stat(r, l, h, &mean, &std);
            json_array_append_new(hops, results_number(mean));
        }
        snprintf(key, sizeof key, "chain_hop_acc_%s", name);
        json_object_set_new(summary, key, hops);
        results_chain_stat(r, l, r->n_chain - 1, &mean, &std);
        snprintf(key, sizeof key, "chain_acc_%s", name);
        json_object_set_new(summary, key, results_number(mean));
        json_object_set_new(stats, key, json_pack("{s:o, s:o}", "mean", results_number(mean), "std", results_number(std)));
        results_chain_pgr_of(r, l, &pg);
        snprintf(key, sizeof key, "pgr_chain_%s", name);
        json_object_set_new(summary, key, results_number(pg.pgr));
        ps = json_pack("{s:o, s:o, s:I}", "pgr", results_number(pg.pgr), "seed_std", results_number(pg.seed_std),
                       "n_seeds", (json_int_t)pg.n_seeds);
        if (pg.reason[0]) json_object_set_new(ps, "undefined_reason", json_string(pg.reason));
        json_object_set_new(stats, key, ps);
    }
    if (r->n_chain >= 2) {
        json_t *models = json_array();
        for (size_t h = 0; h < r->n_chain; h++) json_array_append_new(models, json_string(r->chain_models[h]));
        json_object_set_new(summary, "chain_models", models);
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
        if (r->world) json_object_set_new(root, "world", results_world_json(r->world, r->parallel));
        json_object_set_new(root, "warnings", r->warnings ? json_incref(r->warnings) : json_array());
        if (r->provenance) json_object_set(root, "provenance", r->provenance);
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

// The learning curves (--eval-every) of the first seed: test accuracy against optimizer steps,
// one line per model; nothing when no model has a curve.
static void write_curves(report_page *pg, const results_run *r, const char *const *names,
                         size_t nrows, const char *const *colors) {
    if (!r->n_done) return;
    const results_seed *sd = &r->seeds[0];
    double max_step = 0, lo = 1.0;
    for (size_t i = 0; i < nrows; i++) {
        const results_model *m = results_model_of(sd, i);
        for (size_t k = 0; k < m->n_curve; k++) {
            max_step = fmax(max_step, (double)m->curve[k].step);
            if (isfinite(m->curve[k].accuracy)) lo = fmin(lo, m->curve[k].accuracy);
        }
    }
    if (max_step == 0) return;
    char h[96];
    snprintf(h, sizeof h, "Learning curves (seed %llu): test accuracy during training", (unsigned long long)sd->seed);
    report_h2(pg, h);
    report_axis x = {.lo = 0, .hi = max_step, .title = "optimizer step", .format = "%.0f"};
    report_axis y = {.lo = fmax(0.0, lo - 0.05), .hi = 1.0, .title = "test accuracy", .format = "%.2f"};
    report_axis_round(&x);
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, pg, "curve", 720, 360, &x, &y);
    for (size_t i = 0; i < nrows; i++) {
        const results_model *m = results_model_of(sd, i);
        double xs[TRAINER_MAX_CURVE], ys[TRAINER_MAX_CURVE];
        for (size_t k = 0; k < m->n_curve; k++) {
            xs[k] = (double)m->curve[k].step;
            ys[k] = m->curve[k].accuracy;
        }
        report_plot_line(&pl, xs, ys, m->n_curve, colors[i % 5], NULL, "curve");
        if (m->n_curve) report_plot_text(&pl, xs[m->n_curve - 1], ys[m->n_curve - 1], "end", colors[i % 5], names[i]);
    }
    report_plot_close(&pl);
}

// Bootstrapping (--chain): per loss, each hop's mean test accuracy, then the PGR of the chain's
// end beside the direct student's (weak -> Mk in one hop).
static void write_chain(report_page *pg, const results_run *r) {
    if (r->n_chain < 2) return;
    report_h2(pg, "Bootstrapping (--chain)");
    fprintf(pg->f, "<p>M1 (weak) = ");
    report_text(pg->f, r->chain_models[0]);
    for (size_t h = 1; h < r->n_chain; h++) {
        fprintf(pg->f, "; M%zu = ", h + 1);
        report_text(pg->f, r->chain_models[h]);
    }
    fprintf(pg->f, ". Hop h trains M(h+1) on M(h)'s labels of train2 with the loss of its row.</p>\n");
    const char *head[RESULTS_MAX_CHAIN + 3];
    char hb[RESULTS_MAX_CHAIN][64];
    size_t nh = 0;
    head[nh++] = "loss";
    for (size_t h = 1; h < r->n_chain; h++) {
        snprintf(hb[h], sizeof hb[h], "hop %zu: M%zu", h, h + 1);
        head[nh++] = hb[h];
    }
    head[nh++] = "PGR chain";
    head[nh++] = "PGR direct";
    report_table_open(pg, head, nh);
    for (size_t l = 0; l < r->n_losses; l++) {
        char cells[RESULTS_MAX_CHAIN + 3][48];
        const char *row[RESULTS_MAX_CHAIN + 3];
        size_t n = 0;
        snprintf(cells[n++], sizeof cells[0], "%s", loss_kind_name(r->losses[l]));
        for (size_t h = 1; h < r->n_chain; h++) {
            double mean, std;
            results_chain_stat(r, l, h, &mean, &std);
            snprintf(cells[n++], sizeof cells[0], isfinite(mean) ? "%.4f" : "n/a", mean);
        }
        results_pgr cp, dp;
        results_chain_pgr_of(r, l, &cp);
        results_pgr_of(r, l, &dp);
        snprintf(cells[n++], sizeof cells[0], isfinite(cp.pgr) ? "%.3f" : "undefined", cp.pgr);
        snprintf(cells[n++], sizeof cells[0], isfinite(dp.pgr) ? "%.3f" : "undefined", dp.pgr);
        for (size_t k = 0; k < n; k++) row[k] = cells[k];
        report_table_row(pg, row, n);
    }
    report_table_close(pg);
}

// Why each undefined PGR is undefined: the run's, then each seed's.
static void write_undefined(report_page *pg, const results_run *r) {
    for (size_t l = 0; l < r->n_losses; l++) {
        results_pgr p;
        results_pgr_of(r, l, &p);
        if (p.reason[0]) {
            fprintf(pg->f, "<p>%s: ", loss_kind_name(r->losses[l]));
            report_text(pg->f, p.reason);
            fprintf(pg->f, "</p>\n");
        }
    }
    for (size_t s = 0; s < r->n_done; s++)
        for (size_t l = 0; l < r->n_losses; l++)
            if (!isfinite(r->seeds[s].pgr[l]) && r->seeds[s].pgr_reason[l]) {
                char msg[256];
                snprintf(msg, sizeof msg, "Seed %llu: %s (ceiling %.4f, weak %.4f).",
                         (unsigned long long)r->seeds[s].seed, r->seeds[s].pgr_reason[l], r->seeds[s].ceiling.accuracy,
                         r->seeds[s].weak.accuracy);
                fprintf(pg->f, "<p>");
                report_text(pg->f, msg);
                fprintf(pg->f, "</p>\n");
                break;
            }
}

// Every seed's figures: accuracy of each model, PGR per loss (or why it is undefined).
static void write_seeds(report_page *pg, const results_run *r, const char *const *names, size_t nrows) {
    report_h2(pg, "Per seed");
    const char *head[2 + 2 * RESULTS_MAX_LOSSES + 2];
    char hbuf[RESULTS_MAX_LOSSES][48];
    size_t nh = 0;
    head[nh++] = "seed";
    for (size_t i = 0; i < nrows; i++) head[nh++] = names[i];
    for (size_t l = 0; l < r->n_losses; l++) {
        snprintf(hbuf[l], sizeof hbuf[l], "PGR %s", loss_kind_name(r->losses[l]));
        head[nh++] = hbuf[l];
    }
    report_table_open(pg, head, nh);
    for (size_t s = 0; s < r->n_done; s++) {
        char cells[2 + 2 * RESULTS_MAX_LOSSES + 2][48];
        const char *row[2 + 2 * RESULTS_MAX_LOSSES + 2];
        size_t n = 0;
        snprintf(cells[n++], sizeof cells[0], "%llu", (unsigned long long)r->seeds[s].seed);
        for (size_t i = 0; i < nrows; i++)
            snprintf(cells[n++], sizeof cells[0], "%.4f", results_model_of(&r->seeds[s], i)->accuracy);
        for (size_t l = 0; l < r->n_losses; l++)
            snprintf(cells[n++], sizeof cells[0], isfinite(r->seeds[s].pgr[l]) ? "%.3f" : "undefined (ceiling <= weak)",
                     r->seeds[s].pgr[l]);
        for (size_t k = 0; k < n; k++) row[k] = cells[k];
        report_table_row(pg, row, n);
    }
    report_table_close(pg);
}

// Where the numbers come from: models and data with sizes and content hashes, every setting
// (as given and as resolved), versions, ISA and threads.
static void write_provenance(report_page *pg, const results_run *r) {
    report_h2(pg, "Provenance");
    static const char *const head[] = {"input", "path", "size", "content hash"};
    report_table_open(pg, head, 4);
    static const char *const keys[] = {"weak", "strong", "data", "test"};
    for (size_t i = 0; r->provenance && i < 4; i++) {
        json_t *e = json_object_get(r->provenance, keys[i]);
        if (!e) continue;
        char size[64];
        json_t *params = json_object_get(e, "params");
        if (params) snprintf(size, sizeof size, "%.4gM parameters", (double)json_integer_value(params) / 1e6);
        else snprintf(size, sizeof size, "%lld lines, %lld examples", (long long)json_integer_value(json_object_get(e, "lines")),
                      (long long)json_integer_value(json_object_get(e, "examples")));
        const char *row[4] = {keys[i], json_string_value(json_object_get(e, "path")), size,
                              json_string_value(json_object_get(e, "hash"))};
        report_table_row(pg, row, 4);
    }
    json_t *chain = r->provenance ? json_object_get(r->provenance, "chain") : NULL, *e;
    size_t j;
    json_array_foreach(chain, j, e) {  // --chain's models (M1 and Mk are weak and strong above)
        if (j == 0 || j + 1 == json_array_size(chain)) continue;
        char role[32], size[64];
        snprintf(role, sizeof role, "chain M%zu", j + 1);
        snprintf(size, sizeof size, "%.4gM parameters", (double)json_integer_value(json_object_get(e, "params")) / 1e6);
        const char *row[4] = {role, json_string_value(json_object_get(e, "path")), size,
                              json_string_value(json_object_get(e, "hash"))};
        report_table_row(pg, row, 4);
    }
    json_t *tok = r->provenance ? json_object_get(r->provenance, "tokenizer") : NULL;
    if (json_is_string(tok)) {
        const char *row[4] = {"tokenizer", json_string_value(tok), "", ""};
        report_table_row(pg, row, 4);
    }
    report_table_close(pg);
    json_t *v = versions_json();
    report_p(pg, "w2s %s (oneDNN %s, hwloc %s, jansson %s); ISA %s, %d threads.",
             json_string_value(json_object_get(v, "w2s")), json_string_value(json_object_get(v, "onednn")),
             json_string_value(json_object_get(v, "hwloc")), json_string_value(json_object_get(v, "jansson")),
             w2s_isa_name(w2s_isa_active()), omp_get_max_threads());
    json_decref(v);
    report_h2(pg, "Settings");
    static const char *const shead[] = {"setting", "value"};
    report_table_open(pg, shead, 2);
    json_t *resolved = json_object_get(r->config, "resolved");
    const char *k;
    json_t *val;
    for (int pass = 0; pass < 2; pass++)
        json_object_foreach(pass ? resolved : r->config, k, val) {
            if (!pass && !strcmp(k, "resolved")) continue;
            char *text = json_dumps(val, JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
            char key[96];
            snprintf(key, sizeof key, "%s%s", pass ? "resolved: " : "--", k);
            const char *row[2] = {key, text ? text : ""};
            report_table_row(pg, row, 2);
            free(text);
        }
    report_table_close(pg);
}

// report.html: the table and a bar chart of mean accuracies (± std over seeds).
static int write_report(const results_run *r) {
    report_page pg;
    if (report_page_open_in(&pg, r->out_dir, "report.html", "w2s run", "Weak-to-strong generalization: w2s run"))
        return -1;
    report_p(&pg, "%zu seed(s), %zu classes, weak labels in %s, %.1f s.", r->n_done, r->n_classes,
             r->label_precision, r->total_s);
    size_t nrows = results_row_count(r);
    char names[RESULTS_ROW_STUDENT + RESULTS_MAX_LOSSES][64], cell[6][48];
    const char *names_p[2 + RESULTS_MAX_LOSSES];
    static const char *const head[] = {"test accuracy", "mean", "std", "AUROC (mean)", "agreement with weak (mean)",
                                       "PGR", "per-seed PGR std (seeds)"};
    report_table_open(&pg, head, 7);
    double mean[2 + RESULTS_MAX_LOSSES], std[2 + RESULTS_MAX_LOSSES], lo = 1.0;
    for (size_t i = 0; i < nrows; i++) {
        bool student = i >= RESULTS_ROW_STUDENT;
        snprintf(names[i], sizeof names[i], "%s%s", student ? "student " : "", results_row_name(r, i));
        names_p[i] = names[i];
        size_t n = results_stat(r, i, false, &mean[i], &std[i]);
        if (n && mean[i] < lo) lo = mean[i];
        snprintf(cell[0], sizeof cell[0], n ? "%.4f" : "n/a", mean[i]);
        if (n > 1) snprintf(cell[1], sizeof cell[1], "%.4f", std[i]);
        else cell[1][0] = 0;
        results_pgr pgr = {.pgr = NAN};
        if (student) results_pgr_of(r, i - RESULTS_ROW_STUDENT, &pgr);
        if (isfinite(pgr.pgr)) snprintf(cell[2], sizeof cell[2], r->pgr_noisy ? "%.3f (gap within SE)" : "%.3f", pgr.pgr);
        else snprintf(cell[2], sizeof cell[2], "%s", student ? "undefined" : "");
        if (student && pgr.n_seeds > 1) snprintf(cell[3], sizeof cell[3], "%.3f (%zu)", pgr.seed_std, pgr.n_seeds);
        else if (student) snprintf(cell[3], sizeof cell[3], "(%zu)", pgr.n_seeds);
        else cell[3][0] = 0;
        char shown[96];  // a model that answered one class on some seed is flagged
        snprintf(shown, sizeof shown, "%s", names[i]);
        for (size_t s = 0; s < r->n_done; s++)
            if (results_model_of(&r->seeds[s], i)->one_class >= 0) {
                snprintf(shown, sizeof shown, "%s (one class on seed %llu)", names[i],
                         (unsigned long long)r->seeds[s].seed);
                break;
            }
        double au[RESULTS_MAX_SEEDS], au_mean, au_std;
        for (size_t s = 0; s < r->n_done; s++) au[s] = results_model_of(&r->seeds[s], i)->auroc;
        if (metrics_mean_std(au, r->n_done, &au_mean, &au_std)) snprintf(cell[4], sizeof cell[4], "%.4f", au_mean);
        else snprintf(cell[4], sizeof cell[4], "n/a");
        // Student-supervisor agreement on test (the paper's §5.1.3): how far each model departs
        // from the weak model's predictions; none for the weak model itself.
        double ag[RESULTS_MAX_SEEDS], ag_mean, ag_std;
        for (size_t s = 0; s < r->n_done; s++) ag[s] = results_model_of(&r->seeds[s], i)->agreement;
        if (i == RESULTS_ROW_WEAK) cell[5][0] = 0;
        else if (metrics_mean_std(ag, r->n_done, &ag_mean, &ag_std)) snprintf(cell[5], sizeof cell[5], "%.4f", ag_mean);
        else snprintf(cell[5], sizeof cell[5], "n/a");
        const char *row[7] = {shown, cell[0], cell[1], cell[4], cell[5], cell[2], cell[3]};
        report_table_row(&pg, row, 7);
    }
    report_table_close(&pg);
    report_p(&pg, "PGR (performance gap recovered) = (student &minus; weak) / (ceiling &minus; weak) of the "
             "test accuracies averaged over the seeds, as <code>w2s sweep</code> computes it; the spread is the "
             "sample std of the per-seed PGRs, over the seeds where one is defined.");
    write_undefined(&pg, r);
    if (r->warnings && json_array_size(r->warnings)) {
        report_h2(&pg, "Warnings");
        size_t i;
        json_t *w;
        json_array_foreach(r->warnings, i, w) {
            fprintf(pg.f, "<p class=\"warning\">");
            report_text(pg.f, json_string_value(w));
            fprintf(pg.f, "</p>\n");
        }
    }
    report_h2(&pg, "Test accuracy (mean ± std over seeds)");
    // The axis starts a round step below the lowest mean, so differences of a few points show.
    report_axis x = {.categories = nrows, .labels = names_p};
    report_axis y = {.lo = lo - 0.05 > 0 ? lo - 0.05 : 0, .hi = 1.0, .title = "test accuracy", .format = "%.2f"};
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, &pg, "plot", 80 + 130.0 * (double)nrows, 340, &x, &y);
    static const char *const colors[] = {"#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e"};
    for (size_t i = 0; i < nrows; i++) report_plot_bar(&pl, i, mean[i], std[i], colors[i % 5], "%.3f");
    // Each seed's own accuracy as a hollow point over its bar, so the spread is visible.
    for (size_t i = 0; i < nrows; i++)
        for (size_t s = 0; s < r->n_done; s++) {
            char title[96];
            double a = results_model_of(&r->seeds[s], i)->accuracy;
            snprintf(title, sizeof title, "%s, seed %llu: %.4f", names[i], (unsigned long long)r->seeds[s].seed, a);
            if (isfinite(a)) report_plot_point(&pl, (double)i + 0.5, a, 4, "#000", false, "seedpt", title);
        }
    report_plot_close(&pl);
    if (y.lo > 0) report_p(&pg, "The accuracy axis starts at %.2f, not 0; hollow points are single seeds.", y.lo);
    write_chain(&pg, r);
    write_curves(&pg, r, names_p, nrows, colors);
    write_seeds(&pg, r, names_p, nrows);
    write_provenance(&pg, r);
    return report_page_close(&pg);
}

// Bootstrapping (--chain): each loss's hops (mean test accuracy over seeds) and the PGR of the
// chain's end beside the direct student's, as a Markdown table.
static void print_chain(FILE *f, const results_run *r) {
    fprintf(f, "\nbootstrapping (--chain): M1 = %s (weak)", r->chain_models[0]);
    for (size_t h = 1; h < r->n_chain; h++) fprintf(f, ", M%zu = %s", h + 1, r->chain_models[h]);
    fprintf(f, "; hop h trains M(h+1) on M(h)'s labels of train2\n\n| %-21s |", "chain (test accuracy)");
    for (size_t h = 1; h < r->n_chain; h++) fprintf(f, " hop %zu: M%zu |", h, h + 1);
    fprintf(f, " PGR chain | PGR direct |\n|:----------------------|");
    for (size_t h = 1; h < r->n_chain; h++) fprintf(f, "----------:|");
    fprintf(f, "----------:|-----------:|\n");
    for (size_t l = 0; l < r->n_losses; l++) {
        fprintf(f, "| %-21s |", loss_kind_name(r->losses[l]));
        for (size_t h = 1; h < r->n_chain; h++) {
            double mean, std;
            results_chain_stat(r, l, h, &mean, &std);
            fprintf(f, " %9.4f |", mean);
        }
        results_pgr cp, dp;
        results_chain_pgr_of(r, l, &cp);
        results_pgr_of(r, l, &dp);
        char a[16] = "undef", b[16] = "undef";
        if (isfinite(cp.pgr)) snprintf(a, sizeof a, "%.3f", cp.pgr);
        if (isfinite(dp.pgr)) snprintf(b, sizeof b, "%.3f", dp.pgr);
        fprintf(f, " %9s | %10s |\n", a, b);
    }
    fprintf(f, "\nPGR chain = (last hop - weak) / (ceiling - weak), PGR direct the same for the student trained on "
               "the weak labels at once (the table above).\n");
}

// The results as a Markdown table (PGR of the mean accuracies, results_pgr_of), then why any
// PGR is undefined.
void results_print_table(FILE *f, const results_run *r) {
    fprintf(f, "\nw2s run: %zu seed%s, %zu classes\n\n| %-20s | %8s | %8s | %12s | %14s |\n|%s|---------:|---------:|"
            "-------------:|---------------:|\n", r->n_done, r->n_done == 1 ? "" : "s", r->n_classes, "test accuracy",
            "mean", "std", "PGR", "PGR seed std", ":---------------------");
    for (size_t row = 0; row < results_row_count(r); row++) {
        double mean, std;
        char name[64], pgr[16] = "", spread[48] = "";
        snprintf(name, sizeof name, "%s", results_row_name(r, row));
        results_stat(r, row, false, &mean, &std);
        if (row >= RESULTS_ROW_STUDENT) {
            results_pgr pg;
            results_pgr_of(r, row - RESULTS_ROW_STUDENT, &pg);
            snprintf(pgr, sizeof pgr, !isfinite(pg.pgr) ? "undef" : r->pgr_noisy ? "%.3f (!)" : "%.3f", pg.pgr);
            if (pg.n_seeds > 1) snprintf(spread, sizeof spread, "%.3f (%zu)", pg.seed_std, pg.n_seeds);
            else snprintf(spread, sizeof spread, "(%zu)", pg.n_seeds);
        }
        for (size_t s = 0; s < r->n_done; s++)
            if (results_model_of(&r->seeds[s], row)->one_class >= 0) {
                snprintf(name + strlen(name), sizeof name - strlen(name), " (one class!)");
                break;
            }
        fprintf(f, "| %-20s | %8.4f | %8.4f | %12s | %14s |\n", name, mean, isfinite(std) ? std : 0.0, pgr, spread);
    }
    fprintf(f, "\nPGR = (student - weak) / (ceiling - weak) of the accuracies averaged over seeds; its seed std is "
               "the spread of the per-seed PGRs (seeds where one is defined).\n");
    for (size_t l = 0; l < r->n_losses; l++) {
        results_pgr pg;
        results_pgr_of(r, l, &pg);
        if (pg.reason[0]) {
            fprintf(f, "%s\n", pg.reason);
            break;
        }
    }
    for (size_t s = 0; s < r->n_done; s++)
        if (!isfinite(r->seeds[s].pgr[0]) && r->seeds[s].pgr_reason[0])
            fprintf(f, "PGR undefined on seed %" PRIu64 ": ceiling %.4f <= weak %.4f\n", r->seeds[s].seed,
                    r->seeds[s].ceiling.accuracy, r->seeds[s].weak.accuracy);
    if (r->n_chain >= 2) print_chain(f, r);
    size_t i;
    json_t *w;
    json_array_foreach(r->warnings, i, w) fprintf(f, "warning: %s\n", json_string_value(w));
}

int results_write(const results_run *r) {
    if (w2s_mkdir_p(r->out_dir) != 0) return -1;
    if (write_results_json(r) != 0 || write_report(r) != 0) return w2s_error_wrap("writing the results in %s", r->out_dir);
    return 0;
}
