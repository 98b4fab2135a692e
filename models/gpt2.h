// gpt2.h — GPT-2 of any size: parameters, activations, forward and backward for whole
// (B, T) batches of right-padded sequences, with a classification head and/or an LM head.
// Not an optimizer or a loss library: the caller turns head logits into a loss and passes
// d(loss)/d(logits) to gpt2_backward (the LM cross-entropy is the one loss computed here).
// Memory follows llm.c: ONE parameter buffer carved by a size table, one gradient buffer, one
// activation buffer sized for (max_batch, max_seq) at creation; nothing is allocated per step.
// Batch independence: sequence b's outputs depend only on tokens[b, 0..lengths[b]); pad
// positions are computed but never read by real ones (causal attention), pad ids never read.
#ifndef W2S_MODELS_GPT2_H
#define W2S_MODELS_GPT2_H

#include "gemm.h"
#include "gpt2_config.h"
#include "rowops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// VO = outputs of the LM head (lm_vocab; the demo predicts 266 of its 267 embedding rows).
typedef enum {
    GPT2_LM_NONE = 0,   // no LM head (fine-tuning / classification only)
    GPT2_LM_TIED,       // logits = h · wteᵀ (Hugging Face GPT2LMHeadModel), VO = V
    GPT2_LM_UNTIED,     // logits = h · lm_headᵀ, lm_head (VO, C), no bias (the demo)
} gpt2_lm_mode;

typedef enum {
    GPT2_FP32 = 0,      // every matmul in f32 (reference, tests)
    GPT2_BF16,          // matmul operands rounded to bf16, f32 accumulation; the rest f32
} gpt2_precision;

typedef struct {
    size_t max_batch;         // B_max
    size_t max_seq;           // T_max (<= n_positions)
    gpt2_lm_mode lm_mode;
    size_t lm_vocab;          // VO for GPT2_LM_UNTIED (0 = vocab_size); must be V when tied
    gpt2_precision precision;
} gpt2_options;

#define GPT2_NUM_TENSORS 18

// Pointers into one buffer, in this order (the size table of gpt2_tensor_info).
// HF Conv1D weights are [in, out] = gemm's B[K, N], stored as-is.
typedef struct {
    float *wte;       // (V, C)
    float *wpe;       // (P, C)
    float *ln1w;      // (L, C)
    float *ln1b;      // (L, C)
    float *qkvw;      // (L, C, 3C)
    float *qkvb;      // (L, 3C)
    float *attprojw;  // (L, C, C)
    float *attprojb;  // (L, C)
    float *ln2w;      // (L, C)
    float *ln2b;      // (L, C)
    float *fcw;       // (L, C, 4C)
    float *fcb;       // (L, 4C)
    float *fcprojw;   // (L, 4C, C)
    float *fcprojb;   // (L, C)
    float *lnfw;      // (C)
    float *lnfb;      // (C)
    float *lm_head;   // (VO, C) untied LM head; NULL (0 elements) otherwise
    float *score;     // (K, C) classification head (HF GPT2ForSequenceClassification); NULL if K = 0
} gpt2_params;

// One parameter tensor: its checkpoint name and shape. Per-layer tensors are stored (L, ...)
// and named "h.<i>.<name>" in checkpoints, one tensor per layer.
typedef struct {
    const char *name;    // "wte.weight", "attn.c_attn.weight", "score.weight", ...
    bool per_layer;
    int ndim;            // of ONE layer's tensor (1 or 2)
    size_t shape[2];     // of ONE layer's tensor
    size_t offset;       // in floats from the start of the parameter buffer
    size_t numel;        // all layers
} gpt2_tensor_info;

// Saved activations of the last forward (compact (B, T) layout of the current batch). On the
// bf16 path ln1, atty, ln2 and fch_gelu are NULL: only their bf16 copies are kept.
typedef struct {
    float *encoded;   // (B, T, C)
    float *ln1;       // (L, B, T, C)
    float *ln1_mean;  // (L, B, T)
    float *ln1_rstd;  // (L, B, T)
    float *qkv;       // (L, B, T, 3C)
    float *atty;      // (L, B, T, C)
    float *att;       // (L, B, NH, T, T) softmax rows of real queries (zero for j > t)
    float *res2;      // (L, B, T, C) residual after attention
    float *ln2;       // (L, B, T, C)
    float *ln2_mean;  // (L, B, T)
    float *ln2_rstd;  // (L, B, T)
    float *fch;       // (L, B, T, 4C) pre-GELU
    float *fch_gelu;  // (L, B, T, 4C)
    float *res3;      // (L, B, T, C) residual after the MLP
    float *lnf;       // (B, T, C) final LayerNorm output (the features)
    float *lnf_mean;  // (B, T)
    float *lnf_rstd;  // (B, T)
    float *lm_logits; // (B, T, VO) logits; rows with a target hold probabilities
    float *cls_logits;// (B, K)
    // backward scratch (reused per layer)
    float *dres;      // (B, T, C) grad of the residual stream
    float *dln;       // (B, T, C)
    float *datty;     // (B, T, C)
    float *dqkv;      // (B, T, 3C)
    float *dfch;      // (B, T, 4C)
    float *datt;      // (B, NH, T, T) attention score grads of one layer
} gpt2_acts;

typedef struct {
    gpt2_config cfg;
    gpt2_options opt;
    size_t lm_vocab;                             // VO (0 without an LM head)
    gpt2_tensor_info tensors[GPT2_NUM_TENSORS];
    size_t num_params;
    gpt2_params params;
    float *params_memory;                        // (num_params)
    gpt2_params grads;
    float *grads_memory;                         // (num_params), zeroed by gpt2_zero_grad
    gpt2_acts acts;
    float *acts_memory;
    bool linear_probe;   // backward stops at the heads: only score / lm_head get gradients
    const rowops_kernels *rk;
    w2s_isa isa;
    // The four block weights packed for gemm. bf16: refreshed from the f32 master weights by
    // every forward ([0], W as B[in, out]) and backward ([1], Wᵀ for dX = dY·Wᵀ), so each step
    // converts every weight to bf16 exactly once per use instead of once per thread — or, under
    // gpt2_pack_cache, only on the first use after the weights changed. fp32: only W, only
    // under the cache (made at first use, freed when the cache is turned off); otherwise empty
    // and gemm packs B on the fly.
    gemm_packed_b *wpack;  // (L, 4, 2): gpt2_wpack_index (gpt2_internal.h) × {W, Wᵀ}
    uint64_t *wpack_gen;   // (L, 4, 2) params_gen each pack was made from
    size_t *wpack_rows;    // (L, 4) rows of W repacked by gpt2_params_written since the last bump
    uint64_t params_gen;   // bumped by gpt2_params_changed and gpt2_pack_cache
    bool pack_cache;
    struct gpt2_acts16 *acts16;  // bf16 only: bf16 copies of the matmul-only activations
                                 // (gpt2_internal.h); NULL for fp32
    // state of the last forward
    size_t B, T;
    int32_t *tokens;     // (B_max, T_max) copy; the embedding backward needs it
    int32_t *lengths;    // (B_max)
    int32_t *targets;    // (B_max, T_max); -1 = no target
    bool have_targets;
    size_t n_targets;    // LM positions counted in the loss
    float lm_loss;       // mean LM cross-entropy (valid when have_targets)
    // Told by gpt2_backward as gradients become final, for a data-parallel caller to start
    // reducing them while the backward goes on (PyTorch DDP's bucket hooks): after layer l's
    // block with layer = l (L-1 down to 0; its slices of the per-layer tensors are done), then
    // once with layer = -1 when the rest (embeddings, final LayerNorm, heads) is (in linear-probe
    // mode only that call: the blocks get no gradients). Called on the
    // calling thread, between parallel regions; a non-zero return fails the backward. Only
    // meaningful on the last backward that accumulates into a step's gradients. NULL: none.
    int (*grad_ready)(void *arg, int layer);
    void *grad_ready_arg;
} gpt2_model;

// ---- shape arithmetic: the one place that knows how big a model and its activations are

// Parameters of a model of config c (the length of params_memory and grads_memory), with the
// LM head lm_mode of lm_vocab outputs (0 = vocab_size) as in gpt2_options.
size_t gpt2_num_params(const gpt2_config *c, gpt2_lm_mode lm_mode, size_t lm_vocab);
// Bytes of activations gpt2_create allocates for batches of up to B sequences of T tokens at
// this precision, with an LM head of lm_vocab outputs (0: none): the f32 buffers plus, on the
// bf16 path, the bf16 copies. Linear in B, so B = 1 gives the cost of one more sequence.
size_t gpt2_act_bytes(const gpt2_config *c, gpt2_precision precision, size_t lm_vocab, size_t B, size_t T);

// Creates a model with all parameters zero: call gpt2_init_random() or load a checkpoint.
// Returns NULL with w2s_error_message() set (bad config/options, out of memory).
gpt2_model *gpt2_create(const gpt2_config *cfg, const gpt2_options *opt);
void gpt2_destroy(gpt2_model *m);   // NULL is a no-op

// A data-parallel replica of src for training on a share of each batch: its own activations
// (max_batch sequences), gradients and bf16 weight packs, but src's parameters — shared, not
// copied, so an optimizer step on src's parameters is what the replica's next forward sees
// (its params_memory is NULL: save and load through src). Destroy it before src. Returns NULL
// with w2s_error_message() set (out of memory, max_batch 0 or above src's).
gpt2_model *gpt2_create_replica(const gpt2_model *src, size_t max_batch);

// GPT-2 initialization (Radford et al. 2019; llm.c): weights N(0, 0.02), residual
// projections (attn.c_proj, mlp.c_proj) N(0, 0.02/sqrt(2L)), biases 0, LayerNorm 1/0, the
// classification head 0. Deterministic in `seed` (rng_splitmix64 + Box–Muller over fixed chunks),
// independent of the thread count.
void gpt2_init_random(gpt2_model *m, uint64_t seed);

// Forward pass of a batch.
//   tokens:  (B, T) ids in [0, V) for t < lengths[b]; entries at t >= lengths[b] are ignored
//   lengths: (B) each in [1, T]
//   targets: (B, T) LM targets in [0, VO) or -1 (no target), or NULL. With targets and an LM
//            head, m->lm_loss = mean cross-entropy over the positions t < lengths[b] whose
//            target is >= 0, and the LM head's backward is prepared. Without targets the
//            LM head is not computed (features and classification only).
// Outputs: m->acts.cls_logits (B, K) at the last real token, m->acts.lnf (B, T, C).
// B <= max_batch, T <= max_seq. Returns 0, or -1 with a message (bad ids, sizes).
int gpt2_forward(gpt2_model *m, const int32_t *tokens, const int32_t *lengths, size_t B, size_t T,
                 const int32_t *targets);

// Backward of the last forward, ACCUMULATING into m->grads (call gpt2_zero_grad first):
//   loss = lm_weight * lm_loss (if the forward had targets) + Σ dlogits ⊙ cls_logits
//   dlogits: (B, K) gradient of the caller's loss w.r.t. cls_logits, or NULL.
// In linear-probe mode only the heads' gradients are computed. Returns 0 or -1.
int gpt2_backward(gpt2_model *m, const float *dlogits, float lm_weight);

void gpt2_zero_grad(gpt2_model *m);

// Weight packs: by default every forward and backward repacks the block weights from the f32
// master weights (fp32: gemm packs them on the fly), so any write to the parameters is seen.
// A training loop that runs several forwards and backwards between optimizer steps
// (minibatches of one batch), or a labeler that never changes the weights, turns the cache on
// and then promises to call gpt2_params_changed after EVERY write to the parameters; packs are
// then made once per use kind per optimizer step. Turning the cache on or off invalidates
// every pack. On fp32 the cache keeps the forward's packs only (one more copy of the block
// weights, released when it is turned off); results are bit-identical either way.
void gpt2_pack_cache(gpt2_model *m, bool on);
void gpt2_params_changed(gpt2_model *m);

// Repacking inside the optimizer step, strip by strip while each is in cache (so no forward
// or backward packs, and the weights are not read back from memory): an optimizer that
// updates tensor i in chunks of gpt2_optim_chunk(m, i) elements (0: any chunking, nothing to
// repack) calls gpt2_params_written(m, offset, count) after each chunk, from any thread. The
// caller brackets the step with gpt2_params_changed before and gpt2_params_repacked after;
// only packs whose every row was rewritten in between count as current, the rest are made at
// their next use. Needs gpt2_pack_cache on to be of use; bf16 only (no-ops on fp32).
size_t gpt2_optim_chunk(const gpt2_model *m, size_t tensor);
void gpt2_params_written(void *m, size_t offset, size_t count);
void gpt2_params_repacked(gpt2_model *m);

// The tensor table entry called `name` ("score.weight"), or NULL.
const gpt2_tensor_info *gpt2_tensor_find(const gpt2_model *m, const char *name);

// 6·N per token, N = parameters used by a forward (embedding lookups excluded, the LM head
// or tied wte counted when present): the FLOPs estimate of one training step per token.
double gpt2_train_flops_per_token(const gpt2_model *m);

#endif
