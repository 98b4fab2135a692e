// probe.h — linear probes on frozen features (docs/DEMO.md "Probes"; the paper's vision setup).
// A head Linear(D → K) with bias, zero-initialized, trained with AdamW on standardized
// features against soft targets with any W2S loss (xent, logconf, product). Tiny: the work is
// O(epochs · N · D · K) scalar loops, not a hot path. Deterministic in the seed.
#ifndef W2S_RUNTIME_PROBE_H
#define W2S_RUNTIME_PROBE_H

#include "loss.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// How logconf hardens K == 2 predictions (loss.h): the batch quantile of the paper's code; the
// same quantile over a running buffer of the last `threshold_buffer` predictions and targets
// (steadier than one batch of 64, as EleutherAI's w2s does); or argmax (0.5, no class prior).
typedef enum { PROBE_THRESHOLD_BATCH, PROBE_THRESHOLD_RUNNING, PROBE_THRESHOLD_ARGMAX } probe_threshold;

typedef struct {
    size_t epochs;        // passes over the data, reshuffled each epoch (20)
    size_t batch;         // examples per optimizer step; the last batch may be smaller (64)
    float lr;             // peak learning rate, cosine-annealed to 0, no warm-up (1e-2)
    float beta1, beta2;   // AdamW moments (0.9, 0.999)
    float eps;            // AdamW epsilon (1e-8)
    float weight_decay;   // decoupled, on the weight matrix only (0)
    loss_config loss;     // the loss over each whole batch
    uint64_t seed;        // batch order
    probe_threshold threshold;  // logconf with K == 2 (PROBE_THRESHOLD_BATCH)
    size_t threshold_buffer;    // PROBE_THRESHOLD_RUNNING: predictions kept (1024)
    bool first_epoch_in_order;  // epoch 1 visits examples 0..N-1 in order (labels streamed in
                                // that order by the pipeline); later epochs reshuffle
} probe_config;

// docs/DEMO.md's probe recipe with the given loss.
void probe_config_default(probe_config *c, loss_kind loss);

typedef struct {
    size_t d, k;
    float *w;      // (K, D) followed by b: one buffer, so the optimizer sees one vector
    float *b;      // (K) = w + K*D
    float *mean;   // (D) standardization fitted on the training split
    float *inv_std;// (D) 1 / (unbiased std + 1e-5)
} probe_head;

int probe_head_init(probe_head *h, size_t d, size_t k);
void probe_head_free(probe_head *h);

// Fits the standardization on x (N, D), then trains the head on (x, y): y (N, K) target
// probabilities (one-hot for ground truth). Returns 0, or -1 with a message.
int probe_train(probe_head *h, const probe_config *c, const float *x, const float *y, size_t n);

// Accuracy of argmax(predict(x)) against labels (N); 0 or -1.
int probe_accuracy(const probe_head *h, const float *x, const int32_t *labels, size_t n, double *acc);

// ---- step by step (the pipelined student consumes labels as they are produced)
// Mean and 1/(unbiased std + 1e-5) of each feature of x (N, D), kept in the head.
void probe_fit_standardizer(probe_head *h, const float *x, size_t n);

typedef struct probe_trainer probe_trainer;
// Zeroes the head and prepares AdamW for c->epochs epochs of n examples. The standardizer must
// already be fitted. NULL with a message on failure.
probe_trainer *probe_trainer_create(probe_head *h, const probe_config *c, size_t n);
void probe_trainer_destroy(probe_trainer *t);
// One optimizer step on rows idx[0..B) of x (N, D) and y (N, K); B <= c->batch.
int probe_trainer_step(probe_trainer *t, const float *x, const float *y, const size_t *idx, size_t B);
// Runs epochs first_epoch..epochs-1 in full batches over the n examples. probe_train is
// fit + create + epochs(0); the pipelined path steps through epoch 0 itself, then calls
// epochs(1) — with first_epoch_in_order the two visit the same batches in the same order.
int probe_trainer_epochs(probe_trainer *t, const float *x, const float *y, size_t first_epoch);

// probs (N, K) = softmax(head(standardize(x))) for features x (N, D). Returns 0 or -1.
int probe_predict(const probe_head *h, const float *x, size_t n, float *probs);

#endif
