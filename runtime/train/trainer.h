// trainer.h — fine-tuning a GPT-2 classifier on a dataset (docs/PROTOCOL.md, "Training defaults"),
// batched prediction and evaluation (accuracy, AUROC, soft predictions for labeling).
// Not the W2S protocol (protocol.h runs the steps) and not a pretraining loop (pretrain.h).
// The one thing to know: a batch of `batch` examples is processed in minibatches of at most
// the model's max_batch, but the loss sees the WHOLE batch (logconf's threshold is a batch
// statistic): all minibatches are forwarded and their logits kept, the loss and d(loss)/d(logits)
// are computed over the batch, then each minibatch is backpropagated with its slice of dlogits
// after re-running its forward (only one minibatch's activations fit). The last minibatch is
// backpropagated first, straight from the live activations, so one forward per step is saved.
#ifndef W2S_RUNTIME_TRAINER_H
#define W2S_RUNTIME_TRAINER_H

#include "dataset.h"
#include "gpt2.h"
#include "loss.h"
#include "optim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Examples to train on or evaluate: rows idx[0..n) of ds (idx NULL = rows 0..n), with targets
// (n, K) — row i belongs to example idx[i] — or NULL for ds's own targets (soft_label or
// one-hot ground truth). Evaluation scores against ds->hard_label.
typedef struct {
    const dataset *ds;
    const size_t *idx;
    size_t n;
    const float *targets;
} trainer_data;

// One point of a learning curve: test accuracy and loss after `step` optimizer steps.
typedef struct {
    size_t step;
    double accuracy, loss;
} trainer_curve_point;

#define TRAINER_MAX_CURVE 128  // points a curve holds; trainer_train fails on an eval_every giving more

typedef struct {
    size_t epochs;        // passes over the data (2)
    size_t batch;         // examples per optimizer step (32); clamped to n
    float lr;             // peak LR of the cosine schedule (to 0, no warm-up); see trainer_default_lr
    float weight_decay;   // decoupled (AdamW) on 2-D weights and embeddings; 0: plain Adam (the default)
    loss_config loss;
    bool linear_probe;    // train score.weight only (the body stays as loaded)
    // Checkpoints (NULL path: none). Written atomically after a step when `ckpt_every` steps
    // (0: never by count) or `ckpt_every_s` seconds (0: never by time) passed since the last.
    // A checkpoint whose key, step count or model size differ from this run is ignored.
    const char *ckpt_path;
    size_t ckpt_every;
    double ckpt_every_s;
    uint64_t ckpt_key;    // hash of everything that determines the run (protocol.c builds it)
    bool quiet;           // no progress lines
    const char *label;    // shown in progress lines
    // Streamed targets (the pipelined label→student transfer, protocol_pipeline.h): called
    // before each step with the positions it reads, [first, first + count) modulo n; returns 0
    // once their rows of d->targets are written, or -1 (error set) to stop. NULL: all there.
    int (*targets_ready)(void *arg, size_t first, size_t count);
    void *targets_ready_arg;
    // Learning curve: every `eval_every` steps (0: never) and after the last step, eval_data is
    // evaluated (accuracy, mean cross-entropy against its hard labels) into st->curve. The
    // points before a resume come back from the checkpoint, so a resumed curve is complete.
    size_t eval_every;
    const trainer_data *eval_data;
} trainer_config;

typedef struct {
    size_t steps;          // optimizer steps of the whole run
    size_t resumed_step;   // step a checkpoint resumed from (0: fresh start)
    double final_loss;     // loss of the last step
    double seconds;        // wall time of this call
    trainer_curve_point curve[TRAINER_MAX_CURVE];  // (n_curve) with c->eval_every
    size_t n_curve;
} trainer_stats;

// The reference's defaults (openai/weak-to-strong train_simple.py): 2 epochs, batch 32,
// xent, LR 5e-5 (set it with trainer_default_lr for the model's size).
void trainer_config_default(trainer_config *c);

// 5e-5 for gpt2 and gpt2-medium (n_embd <= 1024), 1e-5 for larger models (docs/PROTOCOL.md).
float trainer_default_lr(const gpt2_config *cfg);

// Default activation memory of the minibatch chosen by trainer_auto_minibatch.
#define TRAINER_ACT_BUDGET ((size_t)1 << 30)

// The largest minibatch (1 .. batch) whose activations for sequences of up to T tokens at
// this precision fit `budget` bytes (gpt2_act_bytes, training buffers included). A minibatch
// of the whole batch needs no forward recompute, so this is the fastest choice that fits.
size_t trainer_auto_minibatch(const gpt2_config *cfg, gpt2_precision precision, size_t T, size_t batch,
                              size_t budget);

// Optimizer steps of a run: floor(n · epochs / batch), at least 1 (batch clamped to n).
// Batches run through the data in its given order and wrap from one epoch into the next
// (the reference chains `epochs` copies of the dataset), so the order is fixed: no shuffle.
size_t trainer_total_steps(size_t n, size_t epochs, size_t batch);

// Fine-tunes m in place: Adam (β 0.9/0.999, ε 1e-8; AdamW with c->weight_decay > 0), LR cosine from c->lr to
// 0 over the run, minibatches of m->opt.max_batch. Resumes from c->ckpt_path when it holds a
// checkpoint of this run; the result is then bit-identical to an uninterrupted run (same
// thread count). Examples must fit m (length <= max_seq, ids < V). Returns 0 or -1.
// Under MPI (world.h) collective and data-parallel: each rank forwards and backpropagates its
// share of every batch (dist_shard), the loss sees the whole batch, gradients are summed in
// rank order; rank 0 alone reads and writes the checkpoint. Same world size and threads give
// bit-identical weights on every rank.
int trainer_train(gpt2_model *m, const trainer_config *c, const trainer_data *d, trainer_stats *st);

// Classification logits (n, K) of the examples, forward only, in minibatches of max_batch.
// Under MPI (world.h) collective: each rank forwards its share, every rank gets all rows.
int trainer_predict(gpt2_model *m, const trainer_data *d, float *logits);

typedef struct {
    double accuracy;        // argmax vs hard_label (unlabeled examples skipped)
    double loss;            // mean cross-entropy of the logits against hard_label (labeled examples)
    double auroc;           // binary tasks (K == 2) with both classes present; else NAN
    const char *auroc_reason;  // why auroc is NAN (static string), NULL otherwise
    size_t n;
    double seconds;
} trainer_eval_result;

// The optimizer's view of a model: one segment per tensor (the classification head only in
// linear-probe mode), block weights in the chunks gpt2_optim_chunk asks for.
typedef struct {
    optim_segment segs[GPT2_NUM_TENSORS];
    size_t n;
    bool body;  // segments include the transformer body (its bf16 packs change)
} trainer_segments;

// Weight decay, when the optimizer has any, applies to 2-D tensors (matrices, embeddings).
void trainer_segments_init(trainer_segments *s, const gpt2_model *m, bool head_only);

// The sum of a training loop's gradients over the ranks (nothing in a world of one), chosen by
// W2S_ALLREDUCE (reducer.h): "blocking", the default, sums every segment after the backward;
// "overlap" sums in buckets — layer L-1, …, 0, then the rest — started from m's grad_ready
// hook as the last backward of a step finishes each layer. Both add in rank order: the same bits.
typedef struct {
    gpt2_model *m;
    const trainer_segments *segs;
    struct dist_reducer *red;  // NULL: blocking (or a world of one, or the head only)
} trainer_grad_sync;

// Collective (the reducer duplicates communicators). Returns 0 or -1 (error set).
int trainer_grad_sync_init(trainer_grad_sync *g, gpt2_model *m, const trainer_segments *segs);
// Around the backward that makes a step's gradients final (every rank calls both, even one
// with nothing to backpropagate): arm sets m's hook; finish clears it and completes the sum.
void trainer_grad_sync_arm(trainer_grad_sync *g);
int trainer_grad_sync_finish(trainer_grad_sync *g);
void trainer_grad_sync_free(trainer_grad_sync *g);  // collective when it holds a reducer

// One Adam step of every training loop (trainer_train, `w2s bench train`, `w2s profile`):
// with bf16 weight packs, the body's packs are remade strip by strip inside the update
// (gpt2_params_written), so the next forward and backward pack nothing; call
// gpt2_pack_cache(m, true) once before the loop for that to hold.
void trainer_adam_step(gpt2_model *m, optim_adam *o, const trainer_segments *s, float lr);

// Predicts and scores the examples. logits: (n, K) output, or NULL (scratch is allocated).
int trainer_evaluate(gpt2_model *m, const trainer_data *d, float *logits, trainer_eval_result *r);

// Row-wise softmax of logits (n, K) into probs (n, K) (may alias), the soft labels a weak
// model hands to its students; hard (n, may be NULL) gets the argmax.
void trainer_soft_labels(const float *logits, size_t n, size_t K, float *probs, int32_t *hard);

#endif
