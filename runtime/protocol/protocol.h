// protocol.h — `w2s run`: the weak-to-strong protocol of docs/PROTOCOL.md on user models and data.
// Per seed: seeded split; weak model trained on train1 ground truth; weak labels for train2
// (int8 graph by default, labeler.h);
// the ceiling (strong on train2 ground truth); one student per loss (strong on the weak
// labels); all evaluated on test; PGR per loss. By default train2 is labeled while the first
// student trains on the arriving labels (protocol_pipeline.h) when the core split gains over
// labeling first (or the cores are given); --no-pipeline labels first. With a chain
// (bootstrapping, protocol_config.chain) each loss also gets hops of models, each trained on
// the previous one's labels of train2.
// The one thing to know: every step's outputs live in OUT/seed<k>/<step>/ with a step.json
// holding a hash of everything the step depends on (options, seed, the content of the model,
// data and tokenizer files — file_hash.h — and the hashes of the steps it consumes). A rerun
// reuses a step whose hash matches and recomputes it otherwise, saying why; an interrupted training resumes from
// its checkpoint, giving the same numbers as an uninterrupted run (same thread count).
#ifndef W2S_RUNTIME_PROTOCOL_H
#define W2S_RUNTIME_PROTOCOL_H

#include "gpt2.h"
#include "loss.h"
#include "results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PROTOCOL_LABEL_INT8 = 0, PROTOCOL_LABEL_BF16, PROTOCOL_LABEL_FP32 } protocol_label_precision;
typedef enum { PROTOCOL_ADAM = 0, PROTOCOL_ADAMW } protocol_optimizer;

typedef struct protocol_reuse {
    size_t weak, ceiling, students, labels;  // steps taken from reuse_dirs
} protocol_reuse;

typedef enum { PROTOCOL_PARALLEL_AUTO, PROTOCOL_PARALLEL_DATA, PROTOCOL_PARALLEL_TASKS } protocol_parallel;

typedef struct {
    const char *weak_dir, *strong_dir;  // Hugging Face GPT-2 directories (or w2s checkpoints)
    // Bootstrapping (--chain "M1,M2,...,Mk", 2 <= k <= RESULTS_MAX_CHAIN; NULL: none): M1 is the
    // weak model and Mk the strong one (weak_dir and strong_dir stay NULL). Besides the plain
    // run (weak M1, ceiling and direct students on Mk), per loss: M2 trained on M1's labels of
    // train2, M3 on M2's labels of the same train2, ..., Mk; each hop's accuracy and the PGR
    // of the chain's end are reported (docs/PROTOCOL.md, "Bootstrapping").
    const char *chain;
    const char *data_path;              // JSONL training pool
    const char *test_path;              // JSONL test file, or NULL: test comes from the pool
    const char *out_dir;
    const char *tokenizer_dir;          // vocab.json + merges.txt; NULL: the strong, then the weak directory's
    size_t n_train;       // 0: the whole pool (minus n_test when there is no test file)
    size_t n_test;        // 0: the whole test file, or 1/5 of the pool without one
    size_t n_classes;     // K; 0: inferred (largest hard_label + 1), where a class under 1% of the
                          // pool or an unused label value is an error naming the lines
    loss_kind losses[RESULTS_MAX_LOSSES];
    size_t n_losses;
    uint64_t seeds[RESULTS_MAX_SEEDS];
    size_t n_seeds;
    gpt2_precision precision;  // training (and evaluation)
    protocol_label_precision label_precision;  // the weak model labeling train2 (int8)
    size_t epochs, batch;  // 2, 32
    size_t minibatch;      // the models' max_batch; 0: trainer_auto_minibatch per model
    float lr;             // 0: by model size (trainer_default_lr, the reference's rule for batch 32), per model
    // Per stage (the reference's weak_lr / strong_lr / transfer_lr, gt_epochs / transfer_epochs);
    // 0: lr (or epochs) above; lr_transfer 0: the ceiling's (lr_strong as resolved), as the
    // reference's. Weak model and ceiling train on ground truth (gt), students on the weak
    // labels (transfer).
    float lr_weak, lr_strong, lr_transfer;
    size_t epochs_gt, epochs_transfer;
    protocol_optimizer optimizer;  // adam (no weight decay) or adamw
    float weight_decay;   // adamw's decoupled decay on matrices and embeddings; < 0: 0.01 (PyTorch's)
    size_t eval_every;    // test accuracy and loss every N steps of each training (0: at the end only)
    float aux_coef, aux_warmup;  // logconf's aux_coef and warmup_frac; < 0: 0.5 and 0.1 (loss.h)
    size_t max_ctx;       // 0: min(1024, the models' n_positions)
    bool truncate;        // cut long examples instead of dropping them
    bool linear_probe;    // train the heads only
    size_t ckpt_every;    // checkpoint every N steps (0: by time only)
    double ckpt_every_s;  // checkpoint every S seconds (600)
    bool save_models;     // also keep the ceiling's and students' final weights
    bool quiet;           // no progress lines (stderr); the results table is print_table's
    bool print_table;     // the command's results table (and inferred class counts) on stdout;
                          // false (the default): the library prints nothing there
    // Pipelining (protocol_pipeline.h): the first student trains while train2 is labeled, on
    // cores split by placement_plan; label_cores / train_cores override the split (0 = auto).
    bool no_pipeline;     // label everything first, then train (the reference schedule)
    int label_cores, train_cores;
    // Under MPI (world.h): DATA trains every model on all ranks (each batch split across them),
    // TASKS runs whole seeds on different ranks; AUTO picks (protocol_parallel_choose).
    protocol_parallel parallel;
    // Other runs' output directories (a sweep's earlier pairs) whose finished steps and labels
    // are taken, copied in, when their key is this run's: a weak model or ceiling is trained
    // once per seed and reused across pairs. reuse (may be NULL) counts what was taken.
    const char *const *reuse_dirs;
    size_t n_reuse_dirs;
    struct protocol_reuse *reuse;
    const char *hash_cache;  // the content-hash cache file (file_hash.h); NULL: OUT/file_hashes.json
    json_t *config_json;  // borrowed: the options as given, recorded in results.json
    results_seed *seed_results;  // optional (n_seeds): receives each finished seed's figures;
                                 // the caller shows them (no table on stdout, whatever print_table)
} protocol_config;

void protocol_config_default(protocol_config *c);

// AUTO's choice for `world` ranks, n_seeds seeds and a strong model of strong_params
// parameters: TASKS when every rank gets a seed of its own (no gradient traffic at all) and the
// strong model is at most 1B parameters (above, one seed on one node takes days: DATA finishes
// each model sooner), DATA otherwise; *why (static string) says which rule decided. DATA and
// TASKS pass through; a world of one is DATA (nothing to share).
protocol_parallel protocol_parallel_choose(protocol_parallel p, int world, size_t n_seeds, size_t strong_params,
                                           const char **why);
const char *protocol_parallel_name(protocol_parallel p);

// Runs (or resumes) everything and writes OUT/results.json, results_summary.json, report.html
// and OUT/seed<k>/weak_labels.jsonl. Returns 0, or -1 with a one-line message.
int protocol_run(const protocol_config *c);

// FNV-1a 64-bit hash of s, chained from h (start with PROTOCOL_HASH_INIT).
#define PROTOCOL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t protocol_hash(uint64_t h, const char *s);

#endif
