// demo_report.c — tables, JSON and HTML of the demo's results (demo_report.h).
#include "demo_report.h"

#include "cpu.h"
#include "error.h"
#include "fileio.h"
#include "metrics.h"
#include "report_html.h"
#include "results.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <string.h>

typedef struct {
    const char *key, *label, *label_finetune;
    size_t offset;   // of the double in demo_seed_result
    bool bootstrap;  // a figure of --bootstrap only
} demo_metric;

#define METRIC(k, l, lf, f, b) {k, l, lf, offsetof(demo_seed_result, f), b}
// The four accuracies first: results_summary.json and the bar chart take metrics[0..4).
static const demo_metric metrics[] = {
    METRIC("weak", "weak (probe on weak features, ground truth)", "weak (fine-tuned on ground truth)", acc_weak,
           false),
    METRIC("ceiling", "ceiling (strong features, ground truth)", "ceiling (strong, fine-tuned on ground truth)",
           acc_ceiling, false),
    METRIC("xent", "student xent (strong features, weak labels)", "student xent (strong, on weak labels)", acc_xent,
           false),
    METRIC("logconf", "student logconf (+ confidence loss)", "student logconf (+ confidence loss)", acc_logconf,
           false),
    METRIC("mid", "intermediate student (weak labels)", "", acc_mid, true),
    METRIC("bootstrap", "student bootstrapped (intermediate's labels)", "", acc_bootstrap, true),
    METRIC("pgr_xent", "PGR xent", "PGR xent", pgr_xent, false),
    METRIC("pgr_logconf", "PGR logconf", "PGR logconf", pgr_logconf, false),
    METRIC("pgr_bootstrap", "PGR bootstrapped", "", pgr_bootstrap, true),
};

static const char *metric_label(const demo_results *r, const demo_metric *m) {
    return r->config->finetune ? m->label_finetune : m->label;
}

static bool metric_shown(const demo_results *r, const demo_metric *m) { return !m->bootstrap || r->config->bootstrap; }

// What the students and the ceiling are, for titles.
static const char *mode_text(const demo_results *r) {
    return r->config->finetune ? "full fine-tuning of pretrained GPT-2 bodies (w2s run's protocol)"
                               : "linear probes on pretrained GPT-2 bodies";
}
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

static double metric_of(const demo_seed_result *s, const demo_metric *m) {
    return *(const double *)((const char *)s + m->offset);
}

// Mean, sample std and the 95% t interval's half-width of one metric over the seeds (NaN PGRs
// skipped); returns how many.
static size_t metric_stats(const demo_results *r, const demo_metric *m, double *mean, double *std, double *ci) {
    double v[DEMO_MAX_SEEDS];
    for (size_t s = 0; s < r->n_done; s++) v[s] = metric_of(&r->seeds[s], m);
    size_t n = metrics_mean_std(v, r->n_done, mean, std);
    *ci = metrics_ci95_half(n, *std);
    return n;
}

// The table's cells of one metric: mean, std, "[lo, hi]" ("n/a", "-" where undefined).
static void metric_cells(const demo_results *r, const demo_metric *m, char mean_s[16], char std_s[16],
                         char ci_s[32]) {
    double mean, std, ci;
    size_t n = metric_stats(r, m, &mean, &std, &ci);
    const char *none = n ? "-" : "";  // one seed: no spread; none: no figure at all
    if (n) snprintf(mean_s, 16, "%.3f", mean);
    else snprintf(mean_s, 16, "n/a");
    if (n > 1) {
        snprintf(std_s, 16, "%.3f", std);
        snprintf(ci_s, 32, "[%.3f, %.3f]", mean - ci, mean + ci);
    } else {
        snprintf(std_s, 16, "%s", none);
        snprintf(ci_s, 32, "%s", none);
    }
}

void demo_seed_pgrs(demo_seed_result *r) {
    r->pgr_xent = metrics_pgr(r->acc_weak, r->acc_xent, r->acc_ceiling, &r->pgr_reason);
    r->pgr_logconf = metrics_pgr(r->acc_weak, r->acc_logconf, r->acc_ceiling, &r->pgr_reason);
    r->pgr_bootstrap = metrics_pgr(r->acc_weak, r->acc_bootstrap, r->acc_ceiling, &r->pgr_reason);
}

void demo_print_seed(FILE *f, const demo_seed_result *r, bool bootstrap) {
    fprintf(f, "seed %llu: weak %.3f  ceiling %.3f  xent %.3f  logconf %.3f", (unsigned long long)r->seed, r->acc_weak,
            r->acc_ceiling, r->acc_xent, r->acc_logconf);
    if (bootstrap) fprintf(f, "  bootstrapped %.3f", r->acc_bootstrap);
    fprintf(f, "  PGR xent %.2f logconf %.2f", r->pgr_xent, r->pgr_logconf);
    if (bootstrap) fprintf(f, " bootstrapped %.2f", r->pgr_bootstrap);
    fprintf(f, "  (%.1f s)\n", r->total_s);
}

void demo_print_table(FILE *f, const demo_results *r) {
    char title[96];
    demo_task_title(r->config, title);
    fprintf(f, "\nw2s demo: %s, %s, %zu seed%s\n\n", title, mode_text(r), r->n_done, r->n_done == 1 ? "" : "s");
    fprintf(f, "| %-46s | %6s | %6s | %-16s |\n|%s|%s|%s|%s|\n", "test accuracy", "mean", "std", "95% interval",
            "------------------------------------------------", "-------:", "-------:", "------------------");
    for (size_t i = 0; i < N_METRICS; i++) {
        if (!metric_shown(r, &metrics[i])) continue;
        char mean[16], std[16], ci[32];
        metric_cells(r, &metrics[i], mean, std, ci);
        fprintf(f, "| %-46s | %6s | %6s | %-16s |\n", metric_label(r, &metrics[i]), mean, std, ci);
    }
    double pre = 0, feat = 0, probes = 0;
    size_t cached = 0, bodies = 0;
    for (size_t s = 0; s < r->n_done; s++) {
        const demo_body_stats *b[3] = {&r->seeds[s].weak_body, &r->seeds[s].strong_body, &r->seeds[s].mid_body};
        for (int i = 0; i < (r->config->bootstrap ? 3 : 2); i++, bodies++) {
            if (b[i]->cached) cached++;
            else pre += b[i]->pretrain_s;
            feat += b[i]->features_s;
        }
        probes += r->seeds[s].probes_s;
    }
    fprintf(f, "\nwall time: %.1f s total (pretraining %.1f s, features %.1f s, %s and weak labels %.1f s; "
               "%zu of %zu bodies from the cache)\n",
            r->total_s, pre, feat, r->config->finetune ? "fine-tuning" : "probes", probes, cached, bodies);
}

static json_t *body_json(const demo_body_stats *b) {
    return json_pack("{s:b, s:b, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "cached", b->cached,
                     "features_cached", b->features_cached, "checkpoint", b->checkpoint, "steps",
                     (json_int_t)b->steps, "pretrain_s",
                     b->pretrain_s, "features_s", b->features_s, "train_loss", b->train_loss, "test_lm_loss",
                     b->test_loss, "caption_acc", b->caption_acc, "flops", b->flops, "gflops_per_s",
                     b->pretrain_s > 0 ? b->flops / b->pretrain_s * 1e-9 : 0.0);
}

static int write_results(const demo_results *r) {
    const demo_config *c = r->config;
    json_t *seeds = json_array(), *summary = json_object(), *stats = json_object();
    for (size_t s = 0; s < r->n_done; s++) {
        const demo_seed_result *sr = &r->seeds[s];
        json_t *o = json_pack("{s:I, s:o, s:o, s:f}", "seed", (json_int_t)sr->seed, "weak_body",
                              body_json(&sr->weak_body), "strong_body", body_json(&sr->strong_body), "total_s",
                              sr->total_s);
        if (c->bootstrap) json_object_set_new(o, "mid_body", body_json(&sr->mid_body));
        if (c->finetune)  // the protocol's own results.json, in finetune/seed<k>/, has the rest
            json_object_set_new(o, "finetune", json_pack("{s:f, s:s, s:b, s:f, s:f}", "wall_s", sr->probes_s,
                                                         "weak_labels", "int8", "pipelined", sr->pipelined,
                                                         "label_s", sr->label_busy_s, "train_s", sr->train_busy_s));
        else {
            json_object_set_new(o, "probes_s", json_real(sr->probes_s));
            json_object_set_new(o, "weak_labels",
                                json_pack("{s:s, s:b, s:f, s:f, s:f, s:f, s:f, s:f}", "precision", "int8", "pipelined",
                                          sr->pipelined, "transfer_wall_s", sr->transfer_wall_s, "label_busy_s",
                                          sr->label_busy_s, "train_busy_s", sr->train_busy_s,
                                          "first_student_step_s", sr->first_step_s, "agreement_with_bf16",
                                          sr->label_agreement, "mean_abs_dp_vs_bf16", sr->label_mean_dp));
        }
        for (size_t i = 0; i < N_METRICS; i++)
            if (metric_shown(r, &metrics[i]))
                json_object_set_new(o, metrics[i].key, results_number(metric_of(sr, &metrics[i])));
        if (!isfinite(sr->pgr_xent)) json_object_set_new(o, "pgr_undefined_reason", json_string(sr->pgr_reason));
        json_array_append_new(seeds, o);
    }
    for (size_t i = 0; i < N_METRICS; i++) {
        if (!metric_shown(r, &metrics[i])) continue;
        double mean, std, ci;
        size_t n = metric_stats(r, &metrics[i], &mean, &std, &ci);
        json_object_set_new(stats, metrics[i].key,
                            n ? json_pack("{s:o, s:o, s:[o, o], s:I}", "mean", results_number(mean), "std",
                                          results_number(std), "ci95", results_number(mean - ci),
                                          results_number(mean + ci), "n", (json_int_t)n)
                              : json_null());
    }
    // results_summary.json in the reference's shape (openai/weak-to-strong): means over seeds.
    const char *keys[] = {"weak_acc", "strong_acc", "transfer_acc_xent", "transfer_acc_logconf"};
    for (size_t i = 0; i < 4; i++) {
        double mean, std, ci;
        metric_stats(r, &metrics[i], &mean, &std, &ci);
        json_object_set_new(summary, keys[i], results_number(mean));
    }
    static const char *const thresholds[] = {"batch", "running", "argmax"};
    char task[32];
    demo_task_id(c, task);
    json_t *recipe = c->finetune ? json_null()
                                 : json_pack("{s:I, s:I, s:f, s:f, s:s, s:I, s:b}", "weak_n", (json_int_t)r->weak_n,
                                             "transfer_n", (json_int_t)r->transfer_n, "aux_coef", c->aux_coef,
                                             "aux_warmup", c->aux_warmup, "threshold", thresholds[c->threshold],
                                             "threshold_buffer", (json_int_t)c->threshold_buffer, "bootstrap",
                                             c->bootstrap);
    json_t *root = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:b, s:o, s:I}, s:o, s:o, s:{s:s, s:s, s:i}, s:f}", "experiment",
        "w2s demo: Fashion-MNIST probes", "config", "data_dir", c->data_dir, "task", task, "mode",
        c->finetune ? "finetune" : "probes", "quick", c->quick, "probes", recipe,
        "n_seeds", (json_int_t)r->n_done, "seeds", seeds, "stats", stats, "machine", "isa",
        w2s_isa_name(w2s_isa_active()), "w2s_version", W2S_VERSION_STRING, "threads", omp_get_max_threads(), "total_s",
        r->total_s);
    char path[4096];
    int rc = root ? 0 : W2S_FAIL("cannot build results.json");
    if (rc == 0 && r->world) json_object_set_new(root, "world", results_world_json(r->world, r->world->ranks > 1 ? "tasks" : NULL));
    snprintf(path, sizeof path, "%s/results.json", c->out_dir);
    if (rc == 0) rc = results_write_json(path, root);
    snprintf(path, sizeof path, "%s/results_summary.json", c->out_dir);
    if (rc == 0) rc = results_write_json(path, summary);
    json_decref(root);
    json_decref(summary);
    return rc;
}

// Per seed, each method's PGR side by side (as the paper's figures show methods per setting):
// one slot per seed, a point per method inside it.
static void plot_pgr_per_seed(report_page *pg, const demo_results *r) {
    static const struct {
        size_t metric;  // index in metrics[]
        const char *color, *name;
    } methods[] = {{6, "#1f77b4", "naive (xent)"}, {7, "#9467bd", "confidence loss"}, {8, "#ff7f0e", "bootstrapped"}};
    const size_t n_methods = r->config->bootstrap ? 3 : 2;
    char names[DEMO_MAX_SEEDS][24];
    const char *labels[DEMO_MAX_SEEDS];
    double lo = 0, hi = 1;
    for (size_t s = 0; s < r->n_done; s++) {
        snprintf(names[s], sizeof names[s], "seed %llu", (unsigned long long)r->seeds[s].seed);
        labels[s] = names[s];
        for (size_t m = 0; m < n_methods; m++) {
            double v = metric_of(&r->seeds[s], &metrics[methods[m].metric]);
            if (isfinite(v)) lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
    }
    report_axis x = {.categories = r->n_done, .labels = labels};
    report_axis y = {.lo = lo, .hi = hi, .title = "PGR (0: weak, 1: ceiling)", .format = "%.1f"};
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, pg, "pgr_per_seed", 120 + 60.0 * (double)r->n_done, 340, &x, &y);
    for (size_t s = 0; s < r->n_done; s++)
        for (size_t m = 0; m < n_methods; m++) {
            double v = metric_of(&r->seeds[s], &metrics[methods[m].metric]);
            if (!isfinite(v)) continue;
            char title[96];
            snprintf(title, sizeof title, "seed %llu, %.24s: PGR %.3f", (unsigned long long)r->seeds[s].seed,
                     methods[m].name, v);
            report_plot_point(&pl, (double)s + 0.5 + 0.25 * ((double)m - 0.5 * (double)(n_methods - 1)), v, 4,
                              methods[m].color, true, "pgr", title);
        }
    report_plot_close(&pl);
    fputs("<p>Points, left to right in each seed:", pg->f);
    for (size_t m = 0; m < n_methods; m++)
        fprintf(pg->f, " <span style=\"color:%s\">&#9679;</span> %s", methods[m].color, methods[m].name);
    fputs("</p>\n", pg->f);
}

// report.html: the table, a bar chart of the mean accuracies (± std over seeds) and each
// seed's PGR per method.
static int write_report(const demo_results *r) {
    report_page pg;
    if (report_page_open_in(&pg, r->config->out_dir, "report.html", "w2s demo", "Weak-to-strong generalization: w2s demo"))
        return -1;
    char title[96];
    demo_task_title(r->config, title);
    fputs("<p>", pg.f);
    report_text(pg.f, title);
    fprintf(pg.f, "; %s (the bodies pretrained here on captioned image tokens; recipe in the repository's "
            "docs/DEMO.md). %zu seed(s), %.1f s.</p>\n", mode_text(r), r->n_done, r->total_s);
    static const char *const head[] = {"test accuracy", "mean", "std", "95% interval"};
    report_table_open(&pg, head, 4);
    for (size_t i = 0; i < N_METRICS; i++) {
        if (!metric_shown(r, &metrics[i])) continue;
        char m[16], sd[16], ci[32];
        metric_cells(r, &metrics[i], m, sd, ci);
        const char *row[4] = {metric_label(r, &metrics[i]), m, sd, ci};
        report_table_row(&pg, row, 4);
    }
    report_table_close(&pg);
    report_h2(&pg, "Accuracy (mean ± std over seeds)");
    // Bars start a round step below the lowest mean (0.75 at the highest), so differences of a
    // few points are visible. The four accuracies, and the bootstrapped student's.
    const size_t bar_metric[5] = {0, 1, 2, 3, 5}, n_bars = r->config->bootstrap ? 5 : 4;
    const char *labels[5];
    double mean[5], std[5], lo = 0.8;
    for (size_t i = 0; i < n_bars; i++) {
        double ci;
        labels[i] = metrics[bar_metric[i]].key;
        if (metric_stats(r, &metrics[bar_metric[i]], &mean[i], &std[i], &ci) && mean[i] < lo) lo = mean[i];
    }
    report_axis x = {.categories = n_bars, .labels = labels};
    report_axis y = {.lo = lo - 0.05 > 0 ? lo - 0.05 : 0, .hi = 1.0, .title = "test accuracy", .format = "%.2f"};
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, &pg, "plot", 120.0 * (double)n_bars + 120, 340, &x, &y);
    static const char *const colors[] = {"#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e"};
    for (size_t i = 0; i < n_bars; i++) report_plot_bar(&pl, i, mean[i], std[i], colors[i], "%.3f");
    report_plot_close(&pl);
    if (!r->config->finetune) {
        report_h2(&pg, "PGR per seed and method");
        plot_pgr_per_seed(&pg, r);
    }
    return report_page_close(&pg);
}

int demo_write_outputs(const demo_results *r) {
    if (w2s_mkdir_p(r->config->out_dir) != 0) return -1;
    if (write_results(r) != 0 || write_report(r) != 0) return w2s_error_wrap("writing the demo's outputs");
    return 0;
}
