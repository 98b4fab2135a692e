// protocol_internal.h — what protocol.c shares with its two helpers, protocol_checks.c (sanity
// checks and warnings) and protocol_steps.c (step records, labels, provenance on disk).
// Not a public header: nothing outside runtime/protocol/ includes it.
// The one thing to know: a run_ctx is built once by protocol_run (load_inputs) and only read
// afterwards, except for its warnings list and its file-hash cache.
#ifndef W2S_RUNTIME_PROTOCOL_INTERNAL_H
#define W2S_RUNTIME_PROTOCOL_INTERNAL_H

#include "dataset.h"
#include "file_hash.h"
#include "gpt2.h"
#include "protocol.h"
#include "results.h"
#include "tokenizer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const protocol_config *c;
    gpt2_config cw, cs;           // weak and strong shapes (n_classes set to K)
    tokenizer *tok;
    dataset pool, test_file;
    bool separate_test;
    size_t K, n_train, n_test, max_ctx, max_len;
    size_t mb_weak, mb_strong;    // minibatches (the models' max_batch)
    float lr_weak, lr_strong, lr_transfer;  // resolved: per-stage option, --lr, or by model size
    size_t epochs_gt, epochs_transfer;
    float weight_decay;                    // 0 with adam
    const char *label_precision;
    uint64_t data_hash;           // content of the data, test and tokenizer files
    uint64_t base_hash, weak_model_hash, strong_model_hash;
    file_hash_cache hashes;
    json_t *warnings;             // sanity warnings so far (results.json, report.html, stdout)
    const char *tok_dir;          // the tokenizer's directory, or NULL (pre-tokenized data only)
    // --chain M1..Mk (bootstrapping): the models, M1 = weak_dir and Mk = strong_dir, with
    // their shapes (n_classes K), content hashes, minibatches and the students' learning rate
    // on each (index 0, the weak model, unused); n_chain 0 without a chain.
    size_t n_chain;
    const char *chain_dir[RESULTS_MAX_CHAIN];
    gpt2_config chain_cfg[RESULTS_MAX_CHAIN];
    uint64_t chain_hash[RESULTS_MAX_CHAIN];
    size_t chain_mb[RESULTS_MAX_CHAIN];
    float chain_lr[RESULTS_MAX_CHAIN];
    char chain_text[RESULTS_MAX_CHAIN * 4096];  // owns chain_dir's strings
} run_ctx;

// ---- sanity checks and warnings (protocol_checks.c)

bool protocol_is_dir(const char *p);

// Cheap early check (safetensors header only) that a model's weights match its config; role
// ("weak", "strong") names it in the error. Returns 0 or -1 with a message.
int protocol_check_model_file(const char *path, const gpt2_config *cfg, const char *role);
// Without --n-classes: a rare class or an unused label value is an error naming the lines;
// otherwise prints the inferred counts (unless quiet). Returns 0 or -1.
int protocol_check_inferred_classes(run_ctx *x);
// Ground-truth training needs two classes in split idx[0..n) of the pool. Returns 0 or -1.
int protocol_check_classes(const run_ctx *x, const size_t *idx, size_t n, const char *what, uint64_t seed);
// A sanity warning: printed now (stderr, unless quiet) and kept in x->warnings.
void protocol_warn(run_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Before training: same or larger weak model, test/train overlap, long examples.
void protocol_warn_inputs(run_ctx *x);
// After a training: a constant predictor, or no better than the majority class (with an lr hint).
void protocol_warn_model(run_ctx *x, uint64_t seed, const char *name, const results_model *m, double majority,
                         float lr, const char *lr_opt, const gpt2_config *cfg);
// After the last seed: a ceiling-weak gap within the test set's standard error (sets pgr_noisy).
void protocol_warn_gap(run_ctx *x, results_run *r);
// The class every row of logits (n, K) argmaxes to, or -1 when they differ.
int protocol_one_class(const float *logits, size_t n, size_t K);

// ---- step records, labels and provenance (protocol_steps.c)

// out = OUT/seed<seed>/<step>.
void protocol_step_dir(char *out, size_t cap, const char *out_dir, uint64_t seed, const char *step);
void protocol_key_hex(char out[17], uint64_t key);
// Reads dir/step.json into *m when its key matches. Returns true if reused.
bool protocol_step_load(const char *dir, uint64_t key, results_model *m);
// protocol_step_load as rank 0 sees it, on every rank; want_file (may be NULL) must exist too.
bool protocol_step_load_shared(const char *dir, uint64_t key, results_model *m, const char *want_file);
// Copies another run's finished step directory into dir, its record last. Returns 0 or -1.
int protocol_copy_step(const char *from, const char *dir);
// Why dir's record does not match key (static string), or NULL when there is none or it matches.
const char *protocol_step_stale_reason(const char *dir, uint64_t key, uint64_t data_hash, uint64_t model_hash);
// Writes dir/step.json (rank 0 only) with the model's test predictions pred (n_test; may be
// NULL). Returns 0 or -1.
int protocol_step_save(const char *dir, uint64_t key, const results_model *m, uint64_t data_hash, uint64_t model_hash,
                       const int32_t *pred, size_t n_test);
// The test predictions (n) recorded in dir/step.json into pred: false when there are none (a
// record from before they were kept) or not n of them.
bool protocol_step_predictions(const char *dir, size_t n, int32_t *pred);
// Saves m as a complete Hugging Face directory (weights, config, tokenizer files). Returns 0 or -1.
int protocol_save_model_dir(const run_ctx *x, const gpt2_model *m, const char *dir, const char *model_file);
// The files of a labeling of train2 and the model that made it. step NULL, the weak model's:
// OUT/seed<k>/labels.safetensors, weak_labels.jsonl and weak/model.safetensors; a chain hop's
// step: OUT/seed<k>/<step>/labels.safetensors, labels.jsonl and model.safetensors.
void protocol_label_paths(const run_ctx *x, uint64_t seed, const char *step, char rec[4200], char jsonl[4200],
                          char model_file[4200]);
// True (soft (n, K) and hard (n) filled) when this run's or a reuse directory's labels (of
// step, as above) hold this key.
bool protocol_labels_reuse(const run_ctx *x, uint64_t seed, const char *step, size_t n, uint64_t key, float *soft,
                           int32_t *hard);
// Writes the labels' JSONL, then their record labels.safetensors (rank 0 only). Returns 0 or -1.
int protocol_labels_save(const run_ctx *x, uint64_t seed, const char *step, const dataset_split *sp, uint64_t key,
                         const float *soft, const int32_t *hard);
// The step of hop h (1..n_chain-1) of loss l's chain, into name[64]: chain<h>_<loss>, or
// student_<loss> for hop 1 of a 2-model chain (the student itself).
void protocol_chain_step_name(const run_ctx *x, size_t l, size_t h, char *name);
// Student-supervisor agreement on the n test examples of seed's ceiling, students and chain
// hops (results_model.agreement), read back from their records; rank 0's figures.
void protocol_seed_agreement(const run_ctx *x, uint64_t seed, size_t n, results_seed *r);
// results.json's "provenance" and config.resolved.
json_t *protocol_provenance_json(run_ctx *x);
json_t *protocol_resolved_json(const run_ctx *x);

#endif
