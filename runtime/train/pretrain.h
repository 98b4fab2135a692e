// pretrain.h — autoregressive pretraining of a GPT-2 model on fixed-length token sequences
// (the `w2s pretrain` step and the demo's weak/strong bodies, docs/DEMO.md "Pretraining").
// AdamW with decay on ≥2-D tensors only, global-norm clipping, linear warm-up then cosine
// to a floor, batches drawn without replacement from a reshuffled pool. Deterministic in the
// seed for a given world size (bits do not depend on the thread count). Not a fine-tuning
// trainer (no classification head loss). Under MPI (world.h) data-parallel: every rank draws
// the same batch, runs its share, and the gradients are summed in rank order.
#ifndef W2S_RUNTIME_PRETRAIN_H
#define W2S_RUNTIME_PRETRAIN_H

#include "gpt2.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t steps;           // optimizer steps
    size_t batch;           // sequences per step (<= n)
    size_t minibatch;       // sequences per forward/backward (<= the model's max_batch); 0 = batch.
                            // Gradients accumulate over a step's minibatches, weighted by their
                            // share of its targets, so the step is the same as one pass of batch.
    float lr;               // peak learning rate
    float lr_floor_frac;    // cosine ends at lr * lr_floor_frac (0.1)
    size_t warmup;          // linear warm-up steps (30)
    float beta1, beta2;     // (0.9, 0.95)
    float eps;              // 1e-8
    float weight_decay;     // 0.1, on ≥2-D tensors only
    float clip_norm;        // 1.0
    uint64_t seed;          // batch order
    bool quiet;             // no progress lines
    const char *label;      // shown in progress lines ("strong")
    // Resumable checkpoints (NULL path: none), as trainer_config's: written atomically by rank 0
    // after a step when `ckpt_every` steps (0: never by count) or `ckpt_every_s` seconds (0:
    // never by time) passed since the last. One whose key or step count differ is ignored.
    const char *ckpt_path;
    size_t ckpt_every;
    double ckpt_every_s;
    uint64_t ckpt_key;      // hash of everything that determines the run (cmd_pretrain.c builds it)
} pretrain_config;

typedef struct {
    float final_loss;       // mean LM loss over the targets of the last 10% of steps
    size_t resumed_step;    // step a checkpoint resumed from (0: fresh start)
} pretrain_stats;

// Sequences: tokens (N, T) inputs and targets (N, T) next-token targets (-1 = none), all of
// length T; shorter sequences are right-padded with any valid id and targets -1 (causal
// attention keeps pads out of real positions, so padding changes no loss or gradient). Every
// sequence needs at least one target. Trains m in place; st (may be NULL) gets the figures.
// Each step runs on two worker models, one thread each: m and a replica sharing its parameters
// (gpt2_create_replica: its own activations for up to a minibatch, created and freed by the
// call); the bits do not depend on the thread count. Resumes from c->ckpt_path when it holds a
// checkpoint of this run: the result is then bit-identical to an uninterrupted run.
// Under MPI collective: every rank needs the same tokens, targets and m; rank r runs its
// contiguous share (dist_shard) of each step's batch, the gradients and losses are summed in
// rank order, so every rank takes the same AdamW step and the weights stay identical.
int pretrain_run(gpt2_model *m, const pretrain_config *c, const int32_t *tokens, const int32_t *targets,
                 size_t n, size_t T, pretrain_stats *st);

// Mean LM loss over all n sequences, and the accuracy of the argmax prediction at position
// `probe_pos` against targets[:, probe_pos] (the demo's caption accuracy). Forward only.
// features (n, C), if not NULL, gets the final-LayerNorm output at probe_pos from the same
// forward passes (the demo's test features cost no extra pass). Batches of m's max_batch run on
// two workers as in pretrain_run (a replica of m's size is created for the call). With targets
// NULL only the features are made (no LM head; lm_loss and probe_acc are not written).
int pretrain_evaluate(gpt2_model *m, const int32_t *tokens, const int32_t *targets, size_t n, size_t T,
                      size_t probe_pos, double *lm_loss, double *probe_acc, float *features);

#endif
