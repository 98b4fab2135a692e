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
} demo_metric;

#define METRIC(k, l, lf, f) {k, l, lf, offsetof(demo_seed_result, f)}
static const demo_metric metrics[] = {
    METRIC("weak", "weak (probe on weak features, ground truth)", "weak (fine-tuned on ground truth)", acc_weak),
    METRIC("ceiling", "ceiling (strong features, ground truth)", "ceiling (strong, fine-tuned on ground truth)",
           acc_ceiling),
    METRIC("xent", "student xent (strong features, weak labels)", "student xent (strong, on weak labels)", acc_xent),
    METRIC("logconf", "student logconf (+ confidence loss)", "student logconf (+ confidence loss)", acc_logconf),
    METRIC("pgr_xent", "PGR xent", "PGR xent", pgr_xent),
    METRIC("pgr_logconf", "PGR logconf", "PGR logconf", pgr_logconf),
};

static const char *metric_label(const demo_results *r, const demo_metric *m) {
    return r->config->finetune ? m->label_finetune : m->label;
}

// What the students and the ceiling are, for titles.
static const char *mode_text(const demo_results *r) {
    return r->config->finetune ? "full fine-tuning of pretrained GPT-2 bodies (w2s run's protocol)"
                               : "linear probes on pretrained GPT-2 bodies";
}
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

static double metric_of(const demo_seed_result *s, const demo_metric *m) {
    return *(const double *)((const char *)s + m->offset);
}

// mean and sample std of one metric over the seeds (NaN PGRs skipped); returns how many.
static size_t metric_stats(const demo_results *r, const demo_metric *m, double *mean, double *std) {
    double v[DEMO_MAX_SEEDS];
    for (size_t s = 0; s < r->n_done; s++) v[s] = metric_of(&r->seeds[s], m);
    return metrics_mean_std(v, r->n_done, mean, std);
}

void demo_print_seed(FILE *f, const demo_seed_result *r) {
    fprintf(f, "seed %llu: weak %.3f  ceiling %.3f  xent %.3f  logconf %.3f  PGR xent %.2f logconf %.2f  (%.1f s)\n",
            (unsigned long long)r->seed, r->acc_weak, r->acc_ceiling, r->acc_xent, r->acc_logconf, r->pgr_xent,
            r->pgr_logconf, r->total_s);
}

void demo_print_table(FILE *f, const demo_results *r) {
    fprintf(f, "\nw2s demo: %s, %s, %zu seed%s\n\n", demo_task_text(r->config->task), mode_text(r), r->n_done,
            r->n_done == 1 ? "" : "s");
    fprintf(f, "| %-46s | %6s | %6s |\n|%s|%s|%s|\n", "test accuracy", "mean", "std",
            "------------------------------------------------", "--------", "--------");
    for (size_t i = 0; i < N_METRICS; i++) {
        double mean, std;
        size_t n = metric_stats(r, &metrics[i], &mean, &std);
        if (n == 0) fprintf(f, "| %-46s | %6s | %6s |\n", metric_label(r, &metrics[i]), "n/a", "");
        else if (n == 1) fprintf(f, "| %-46s | %6.3f | %6s |\n", metric_label(r, &metrics[i]), mean, "-");
        else fprintf(f, "| %-46s | %6.3f | %6.3f |\n", metric_label(r, &metrics[i]), mean, std);
    }
    double pre = 0, feat = 0, probes = 0;
    size_t cached = 0;
    for (size_t s = 0; s < r->n_done; s++) {
        const demo_body_stats *b[2] = {&r->seeds[s].weak_body, &r->seeds[s].strong_body};
        for (int i = 0; i < 2; i++) {
            if (b[i]->cached) cached++;
            else pre += b[i]->pretrain_s;
            feat += b[i]->features_s;
        }
        probes += r->seeds[s].probes_s;
    }
    fprintf(f, "\nwall time: %.1f s total (pretraining %.1f s, features %.1f s, %s and weak labels %.1f s; "
               "%zu of %zu bodies from the cache)\n",
            r->total_s, pre, feat, r->config->finetune ? "fine-tuning" : "probes", probes, cached, 2 * r->n_done);
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
        for (size_t i = 0; i < N_METRICS; i++) json_object_set_new(o, metrics[i].key, results_number(metric_of(sr, &metrics[i])));
        if (!isfinite(sr->pgr_xent)) json_object_set_new(o, "pgr_undefined_reason", json_string(sr->pgr_reason));
        json_array_append_new(seeds, o);
    }
    for (size_t i = 0; i < N_METRICS; i++) {
        double mean, std;
        size_t n = metric_stats(r, &metrics[i], &mean, &std);
        json_object_set_new(stats, metrics[i].key,
                            n ? json_pack("{s:o, s:o, s:I}", "mean", results_number(mean), "std",
                                          results_number(std), "n", (json_int_t)n)
                              : json_null());
    }
    // results_summary.json in the reference's shape (openai/weak-to-strong): means over seeds.
    const char *keys[] = {"weak_acc", "strong_acc", "transfer_acc_xent", "transfer_acc_logconf"};
    for (size_t i = 0; i < 4; i++) {
        double mean, std;
        metric_stats(r, &metrics[i], &mean, &std);
        json_object_set_new(summary, keys[i], results_number(mean));
    }
    json_t *root = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:b, s:I}, s:o, s:o, s:{s:s, s:s, s:i}, s:f}", "experiment", "w2s demo: Fashion-MNIST probes",
        "config", "data_dir", c->data_dir, "task", demo_task_name(c->task), "mode", c->finetune ? "finetune" : "probes",
        "quick", c->quick,
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

// report.html: the table and a bar chart of the four mean accuracies (± std over seeds).
static int write_report(const demo_results *r) {
    report_page pg;
    if (report_page_open_in(&pg, r->config->out_dir, "report.html", "w2s demo", "Weak-to-strong generalization: w2s demo"))
        return -1;
    report_p(&pg, "%s; %s: two GPT-2-architecture models pretrained on captioned image tokens "
             "(recipe in the repository's docs/DEMO.md). %zu seed(s), %.1f s.",
             demo_task_text(r->config->task), mode_text(r), r->n_done, r->total_s);
    static const char *const head[] = {"test accuracy", "mean", "std"};
    report_table_open(&pg, head, 3);
    for (size_t i = 0; i < N_METRICS; i++) {
        double mean, std;
        size_t n = metric_stats(r, &metrics[i], &mean, &std);
        char m[32] = "n/a", s[32] = "";
        if (n) snprintf(m, sizeof m, "%.3f", mean);
        if (n > 1) snprintf(s, sizeof s, "%.3f", std);
        else if (n == 1) snprintf(s, sizeof s, "-");
        const char *row[3] = {metric_label(r, &metrics[i]), m, s};
        report_table_row(&pg, row, 3);
    }
    report_table_close(&pg);
    report_h2(&pg, "Accuracy (mean ± std over seeds)");
    // Bars start a round step below the lowest mean (0.75 at the highest), so differences of a
    // few points are visible.
    const char *labels[4];
    double mean[4], std[4], lo = 0.8;
    for (size_t i = 0; i < 4; i++) {
        labels[i] = metrics[i].key;
        if (metric_stats(r, &metrics[i], &mean[i], &std[i]) && mean[i] < lo) lo = mean[i];
    }
    report_axis x = {.categories = 4, .labels = labels};
    report_axis y = {.lo = lo - 0.05 > 0 ? lo - 0.05 : 0, .hi = 1.0, .title = "test accuracy", .format = "%.2f"};
    report_axis_round(&y);
    report_plot pl;
    report_plot_open(&pl, &pg, "plot", 600, 340, &x, &y);
    static const char *const colors[] = {"#d62728", "#2ca02c", "#1f77b4", "#9467bd"};
    for (size_t i = 0; i < 4; i++) report_plot_bar(&pl, i, mean[i], std[i], colors[i], "%.3f");
    report_plot_close(&pl);
    return report_page_close(&pg);
}

int demo_write_outputs(const demo_results *r) {
    if (w2s_mkdir_p(r->config->out_dir) != 0) return -1;
    if (write_results(r) != 0 || write_report(r) != 0) return w2s_error_wrap("writing the demo's outputs");
    return 0;
}
