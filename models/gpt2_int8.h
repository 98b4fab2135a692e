// gpt2_int8.h — the int8 inference graph of a trained GPT-2 classifier (docs/PROTOCOL.md, "Numerics", weak
// inference): linear weights s8 per output channel, packed once; activations u8 per token,
// quantized right before each linear; GEMM_U8S8 with the fused dequantizing epilogue.
// Not a trainer and not an LM: forward only, classification logits only. The one thing to
// know: sequences are packed back to back (no padding rows), every per-token step depends on
// its own row only, and attention is per sequence, so an example's logits are bit-identical
// whatever other examples share its batch.
#ifndef W2S_MODELS_GPT2_INT8_H
#define W2S_MODELS_GPT2_INT8_H

#include "gpt2.h"

#include <stddef.h>
#include <stdint.h>

typedef struct gpt2_int8 gpt2_int8;

// Quantizes and packs the weights of `m` (fp32 master weights; m may be destroyed afterwards:
// everything needed is copied). Capacity: at most max_batch sequences and max_tokens tokens
// (summed over the batch) per forward, each sequence at most max_seq tokens (<= n_positions).
// The model needs at least one layer; without a classification head (n_classes 0) the graph
// yields features only (gpt2_int8_features).
// Kernels: w2s_isa_active() at creation. Returns NULL with w2s_error_message() set (a NaN/Inf
// weight, bad capacity, out of memory).
gpt2_int8 *gpt2_int8_create(const gpt2_model *m, size_t max_batch, size_t max_seq, size_t max_tokens);
void gpt2_int8_destroy(gpt2_int8 *q);   // NULL is a no-op

const gpt2_config *gpt2_int8_config(const gpt2_int8 *q);
size_t gpt2_int8_max_batch(const gpt2_int8 *q);
size_t gpt2_int8_max_seq(const gpt2_int8 *q);
size_t gpt2_int8_max_tokens(const gpt2_int8 *q);

// Classification logits of B sequences.
//   seqs:   (B) pointers to each sequence's token ids, ids in [0, V)
//   lens:   (B) lengths, each in [1, max_seq], summing to <= max_tokens
//   logits: (B, K) output: the head applied to the final LayerNorm (f32) of each sequence's
//           last token; the head itself is f32 (K·C multiply-adds: too small to quantize).
//           May be NULL when the model has no head (K = 0).
// Runs OpenMP regions of omp_get_max_threads() threads (attention: at most the
// omp_get_max_threads() of gpt2_int8_create, which sized its per-thread score scratch);
// allocates nothing. Not thread-safe on one graph (it owns the activation buffers). Returns 0, or -1 with the error set (bad ids
// or sizes, or a NaN/Inf activation: a diverged model is not labeled with garbage).
int gpt2_int8_forward(gpt2_int8 *q, const int32_t *const *seqs, const size_t *lens, size_t B,
                      float *logits);

// The final-LayerNorm output of each sequence's last token from the last forward: (B, C) of
// that forward, valid until the next one (the demo's probes read features, not logits).
const float *gpt2_int8_features(const gpt2_int8 *q);

// Bytes of packed weights + f32 tensors + activation buffers (for `w2s label` reporting).
size_t gpt2_int8_bytes(const gpt2_int8 *q);

#endif
