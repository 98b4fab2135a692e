// results.h — the figures of a `w2s run` and the files that show them: results.json
// (config, versions, machine, every run's accuracy/AUROC/time, PGR per seed and per loss),
// results_summary.json (the reference's keys: weak_acc, strong_acc, transfer_acc_<loss>,
// means over seeds; pgr_<loss> with its spread and seed count) and report.html (tables and
// inline SVG plots, no network).
// Not the protocol itself (protocol.h). Undefined numbers (NAN) are written as JSON null.
#ifndef W2S_RUNTIME_RESULTS_H
#define W2S_RUNTIME_RESULTS_H

#include "loss.h"
#include "trainer.h"
#include "world.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RESULTS_MAX_SEEDS 16
#define RESULTS_MAX_LOSSES 3
#define RESULTS_MAX_CHAIN 6   // models of a --chain (bootstrapping), M1 (weak) to Mk (strong)

// One trained model of one seed (weak, ceiling or a student).
typedef struct {
    double accuracy, auroc;   // on the test split; auroc NAN for K > 2 or one test class
    char auroc_reason[128];   // why auroc is NAN ("" otherwise)
    double final_loss;        // training loss of the last step
    size_t steps, n_train;
    double train_s, eval_s;   // wall times (of the original run when reused)
    double examples_per_s;    // training throughput: steps · batch / train_s
    bool reused;              // taken from a finished step in OUT (config hash matched)
    size_t resumed_step;      // > 0 when training resumed from a checkpoint
    int one_class;            // the class it predicts for every test example, or -1 (it varies)
    double agreement;         // fraction of test examples where it predicts the weak model's class
                              // (student-supervisor agreement); NAN for the weak model itself or
                              // when a reused record lacks its predictions
    trainer_curve_point curve[TRAINER_MAX_CURVE];  // (n_curve) test accuracy and loss during
    size_t n_curve;                                // training (--eval-every; 0 points without)
} results_model;

typedef struct {
    uint64_t seed;
    results_model weak, ceiling, students[RESULTS_MAX_LOSSES];
    double label_s;           // labeling train2 with the weak model (0 when reused)
    double label_examples_per_s;
    double label_agreement;   // fraction of train2 where the weak label equals ground truth
    double pgr[RESULTS_MAX_LOSSES];         // NAN when undefined
    const char *pgr_reason[RESULTS_MAX_LOSSES];
    // Bootstrapping (--chain M1..Mk): chain[l][h - 1] is hop h, model M_{h+1} trained on M_h's
    // labels of train2 with losses[l] (hop 1 on the weak model's: with k = 2, the student);
    // chain_pgr[l] the PGR of the chain's end (hop k - 1, on Mk) against weak and ceiling.
    results_model chain[RESULTS_MAX_LOSSES][RESULTS_MAX_CHAIN - 1];
    double chain_pgr[RESULTS_MAX_LOSSES];
    double total_s;
} results_seed;

typedef struct {
    json_t *config;           // borrowed: the run's options as JSON (written as "config")
    json_t *warnings;         // borrowed: array of sanity warnings (strings), shown in every output
    json_t *provenance;       // borrowed: models and data (path, size, content hash), or NULL
    const char *out_dir;
    const char *label_precision;  // "fp32" / "bf16" / "int8": how weak labels were computed
    loss_kind losses[RESULTS_MAX_LOSSES];
    size_t n_losses;
    size_t n_classes;
    size_t n_test;            // test examples per seed
    bool pgr_noisy;           // the mean ceiling–weak gap is within the test set's standard error
    results_seed seeds[RESULTS_MAX_SEEDS];
    size_t n_done;            // seeds finished (the files hold these)
    double total_s;
    const dist_survey *world; // borrowed, may be NULL: the ranks, hosts and threads (results.json "world")
    const char *parallel;     // "data" / "tasks" under MPI, NULL alone
    size_t n_chain;           // models of --chain (0: no chain; hops are n_chain - 1)
    const char *chain_models[RESULTS_MAX_CHAIN];  // borrowed: their paths, M1 (weak) first
} results_run;

// A row of the results table: the weak model, the ceiling, then one per student loss
// (row RESULTS_ROW_STUDENT + l is the student trained with losses[l]).
typedef enum { RESULTS_ROW_WEAK, RESULTS_ROW_CEILING, RESULTS_ROW_STUDENT } results_row;

// Rows in the table: 2 + n_losses.
size_t results_row_count(const results_run *r);

// "weak", "ceiling" or the student's loss name.
const char *results_row_name(const results_run *r, size_t row);

// The model of `row` in a seed.
const results_model *results_model_of(const results_seed *s, size_t row);

// Mean and sample std over the finished seeds of the accuracy of `row`'s model, or of its
// per-seed PGRs when pgr (students only: the weak model and the ceiling have none, and give 0
// values). Returns the count of defined values.
size_t results_stat(const results_run *r, size_t row, bool pgr, double *mean, double *std);

// PGR of student `l` over the finished seeds, the one definition of run, sweep and their
// reports: PGR of the mean accuracies, (mean student − mean weak) / (mean ceiling − mean weak),
// so it is what results_summary.json's weak_acc, strong_acc and transfer_acc_<loss> give.
// seed_std is the sample std of the per-seed PGRs (their spread; NAN under 2 defined seeds)
// and n_seeds how many seeds had one. reason: why pgr is NAN (into reason, "" otherwise).
typedef struct {
    double pgr, seed_std;
    size_t n_seeds;
    char reason[160];
} results_pgr;
void results_pgr_of(const results_run *r, size_t l, results_pgr *out);

// The same for the chain's end of loss l (r->n_chain >= 2): the PGR of the mean accuracy of
// its last hop against the mean weak and ceiling accuracies, the seeds' spread and count.
void results_chain_pgr_of(const results_run *r, size_t l, results_pgr *out);

// Mean and sample std over the finished seeds of the accuracy of hop h (1..n_chain-1) of loss
// l's chain; returns the count of defined values.
size_t results_chain_stat(const results_run *r, size_t l, size_t h, double *mean, double *std);

// results.json's "world": {"ranks", "hosts" (distinct, in rank order), "rank_hosts",
// "threads_per_rank", "launcher", "mpi" (when launched), "parallel" (when not NULL)}.
json_t *results_world_json(const dist_survey *w, const char *parallel);

// `w2s run`'s results as Markdown on f: the table (PGR of the mean accuracies), why any PGR
// is undefined, the chain's hops (--chain), the sanity warnings.
void results_print_table(FILE *f, const results_run *r);

// Writes OUT/results.json, OUT/results_summary.json and OUT/report.html atomically.
int results_write(const results_run *r);

// Writes `root` as indented JSON to `path` atomically, doubles with 17 significant digits
// (so they read back bit-identical). Returns 0 or -1.
int results_write_json(const char *path, json_t *root);

// A JSON real, or null for NAN / infinities.
json_t *results_number(double v);

// m's learning curve: [{"step", "accuracy", "loss"}, ...].
json_t *results_curve_json(const results_model *m);

#endif
