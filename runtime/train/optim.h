// optim.h — Adam / AdamW with fp32 state, global-norm gradient clipping, LR schedules.
// Not a trainer: it updates flat f32 buffers (the model's one parameter buffer and its one
// gradient buffer), segment by segment so weight decay can skip 1-D tensors. The one thing to
// know: results depend only on the inputs — elementwise updates, and the gradient norm is a
// double sum over fixed 64K-element chunks added in order — never on the thread count.
#ifndef W2S_RUNTIME_OPTIM_H
#define W2S_RUNTIME_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    float beta1, beta2;    // 0.9, 0.999 (protocol) or 0.9, 0.95 (demo pretraining)
    float eps;             // 1e-8
    float weight_decay;    // decoupled (AdamW, Loshchilov & Hutter 2019); 0 = plain Adam
    float clip_norm;       // global gradient-norm clip (PyTorch clip_grad_norm_); 0 = none
} optim_adam_config;

// A contiguous range of the parameter buffer and whether weight decay applies to it
// (GPT-2 practice: 2-D weight matrices and embeddings decay, biases and LayerNorm do not).
typedef struct {
    size_t offset, count;
    bool decay;
    size_t chunk;  // elements per update chunk, the unit a written-hook sees; 0 = the default
} optim_segment;

// Told, from whichever thread updated it, that params[offset, offset + count) now holds new
// values (one chunk of one segment; chunks of a step are disjoint and may arrive concurrently).
typedef void (*optim_written_fn)(void *ctx, size_t offset, size_t count);

typedef struct {
    optim_adam_config cfg;
    size_t n;      // parameters
    float *m;      // (n) first moment
    float *v;      // (n) second moment
    size_t step;   // updates done (bias correction uses step + 1)
} optim_adam;

// Allocates zeroed state for n parameters. NULL with w2s_error_message() on failure.
optim_adam *optim_adam_create(const optim_adam_config *cfg, size_t n);
void optim_adam_destroy(optim_adam *o);  // NULL is a no-op

// sqrt(Σ g²) over n values, accumulated in double over fixed chunks (thread-count invariant).
double optim_grad_norm(const float *g, size_t n);

// One update of all segments (they must cover disjoint ranges inside [0, n)) with learning
// rate lr. Gradients are scaled by min(1, clip_norm / (norm + 1e-6)) first when clip_norm > 0
// (in the update, `grads` is not modified). Returns the gradient norm before clipping, or NAN
// without clipping (then it is not computed).
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  p -= lr (wd·p [decay only] + m̂ / (sqrt(v̂) + eps))
// with m̂ = m / (1 - b1^t), v̂ = v / (1 - b2^t), t = step + 1 — PyTorch's Adam/AdamW.
double optim_adam_step(optim_adam *o, float *params, const float *grads, const optim_segment *segs,
                       size_t nseg, float lr);
// The same update, calling written(ctx, ...) after each chunk while it is still in cache (a
// model repacks its bf16 weight copies there instead of reading them back from memory).
double optim_adam_step_hooked(optim_adam *o, float *params, const float *grads, const optim_segment *segs,
                              size_t nseg, float lr, optim_written_fn written, void *ctx);

// Learning rate at `step` of `total`: linear warm-up from lr_max/warmup to lr_max over the
// first `warmup` steps (none if 0), then cosine from lr_max to lr_min at step == total
// (PyTorch CosineAnnealingLR with eta_min when warmup = 0). Steps past total give lr_min.
float optim_lr_cosine(size_t step, size_t total, size_t warmup, float lr_max, float lr_min);

#endif
