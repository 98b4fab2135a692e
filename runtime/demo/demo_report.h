// demo_report.h — the demo's figures and how they are shown: the terminal table,
// results.json (everything), results_summary.json (the reference's keys) and report.html
// (table + inline SVG plot, no network needed). All files are written atomically.
#ifndef W2S_RUNTIME_DEMO_REPORT_H
#define W2S_RUNTIME_DEMO_REPORT_H

#include "demo_config.h"
#include "world.h"

#include <stdio.h>

typedef struct demo_body_stats {
    bool cached;             // loaded from the cache instead of pretrained
    bool features_cached;    // its probe/test features too (no forward pass this run)
    char checkpoint[4096];   // the cached checkpoint file
    size_t steps;
    double pretrain_s;       // of the run that pretrained it (cached: an earlier run)
    double features_s;       // test evaluation + feature extraction in this run
    double train_loss;       // mean LM loss over the last 10% of pretraining steps
    double test_loss;        // LM loss on the test images (captions included)
    double caption_acc;      // argmax at position 49 = the caption token
    double flops;            // pretraining FLOPs (6 · params · tokens)
} demo_body_stats;

typedef struct {
    uint64_t seed;
    demo_body_stats weak_body, strong_body, mid_body;   // mid_body: --bootstrap only
    double acc_weak, acc_ceiling, acc_xent, acc_logconf;
    double acc_mid, acc_bootstrap;  // --bootstrap: the intermediate student, the strong one it taught
    double pgr_xent, pgr_logconf, pgr_bootstrap;  // NAN when undefined (pgr_reason says why)
    // The weak-label transfer (int8 weak body → students).
    bool pipelined;
    double transfer_wall_s, label_busy_s, train_busy_s, first_step_s;
    double label_agreement;         // int8 vs bf16 weak labels: argmax agreement
    double label_mean_dp;           // ... and mean |Δp|
    const char *pgr_reason;
    double probes_s, total_s;
} demo_seed_result;

typedef struct {
    const demo_config *config;
    demo_seed_result *seeds;        // (n_seeds of the config), owned by demo_run
    size_t n_done;
    size_t weak_n, transfer_n;      // the sizes of splits A and B this run used
    double total_s;
    const dist_survey *world;       // borrowed, may be NULL: results.json's "world"
} demo_results;

// Sets the seed's PGRs (and pgr_reason) from its accuracies.
void demo_seed_pgrs(demo_seed_result *r);
void demo_print_seed(FILE *f, const demo_seed_result *r, bool bootstrap);
void demo_print_table(FILE *f, const demo_results *r);
int demo_write_outputs(const demo_results *r);

#endif
