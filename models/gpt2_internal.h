// gpt2_internal.h — helpers shared by gpt2.c, gpt2_forward.c and gpt2_backward.c only.
// Not part of the model's API. The one thing to know: every matmul of the model goes through
// gpt2_matmul, which picks GEMM_F32 or GEMM_BF16 from the model's precision.
#ifndef W2S_MODELS_GPT2_INTERNAL_H
#define W2S_MODELS_GPT2_INTERNAL_H

#include "gpt2.h"

#include "convert.h"

// bf16 path: bf16 copies of the four activations that are only ever matmul operands, written by
// their producers (LayerNorm, attention, GELU) while the rows are in cache, and of each linear
// layer's output gradient in the backward. The GEMMs read them in place ("direct A", no
// packing) or pack from them cheaply, so each is rounded to bf16 once instead of in every
// GEMM's packing — the same RNE rounding the GEMM applies to f32 operands, hence bit-identical
// results. These four have no f32 tensor on this path (their gpt2_acts fields are NULL): the
// producers write each f32 row into backward scratch (dln, datty, dfch: free during a forward)
// and round it from there.
struct gpt2_acts16 {
    w2s_bf16 *memory;               // one buffer, carved for the current (B, T)
    w2s_bf16 *ln1, *atty, *ln2;     // (L, B, T, C)
    w2s_bf16 *fch_gelu;             // (L, B, T, 4C)
    w2s_bf16 *dy;                   // (B, T, 4C) backward scratch: one linear's output gradient
    const convert_kernels *ck;
};

// Layer l's slice of an (L, ...) activation tensor of `per_layer` floats per layer, or NULL
// when the tensor is not kept (bf16 path, above).
static inline float *gpt2_layer_slice(float *base, size_t l, size_t per_layer) {
    return base ? base + l * per_layer : NULL;
}

// Points the activation tensors (and the bf16 copies) at the compact layout of a (B, T) batch.
void gpt2_layout_acts(gpt2_model *m, size_t B, size_t T);

// C[M,N] (=, or += with accumulate) A[M,K] · B[K,N] (+ bias[N]), A a strided view of a_dtype,
// B prepacked (pb) or a strided view of b_dtype (pb NULL); dtypes f32, or bf16 on the bf16
// path; C row-major with leading dimension ldc. Returns 0 or -1 (gemm's message, wrapped).
int gpt2_matmul(const gpt2_model *m, float *c, size_t ldc, w2s_dtype a_dtype, gemm_view a, w2s_dtype b_dtype,
                gemm_view b, const gemm_packed_b *pb, size_t M, size_t N, size_t K, const float *bias,
                bool accumulate);

// The four matmul weights of a block, in wpack order.
typedef enum {
    GPT2_W_QKV = 0,     // qkvw (C, 3C)
    GPT2_W_ATTPROJ,     // attprojw (C, C)
    GPT2_W_FC,          // fcw (C, 4C)
    GPT2_W_FCPROJ,      // fcprojw (4C, C)
    GPT2_BLOCK_WEIGHTS
} gpt2_block_weight_id;

// wpack holds, per layer and block weight, the pack of W and of Wᵀ: (L, GPT2_BLOCK_WEIGHTS, 2).
static inline size_t gpt2_wpack_index(size_t l, gpt2_block_weight_id w, bool transposed) {
    return (l * GPT2_BLOCK_WEIGHTS + (size_t)w) * 2 + (transposed ? 1 : 0);
}

// Layer l's [in, out] matrix of block weight w, its shape in *K_in / *N_out.
const float *gpt2_block_weight(const gpt2_model *m, size_t l, gpt2_block_weight_id w, size_t *K_in, size_t *N_out);

// The pack of block weight w of layer l (transposed: Wᵀ), refreshed from the master weights
// when stale; NULL where the fp32 path packs on the fly (gpt2.h, gpt2_model.wpack).
const gemm_packed_b *gpt2_repack(gpt2_model *m, size_t l, gpt2_block_weight_id w, bool transposed);

// Causal self-attention of one layer over real positions (gpt2_attention.c):
//   forward:  qkv (B, T, 3C) → out (B, T, C), att (B, NH, T, T) probabilities
//   backward: datty (B, T, C) → dqkv (B, T, 3C) (overwritten), using m->acts.datt as scratch
void gpt2_attention_forward(const gpt2_model *m, float *out, float *att, const float *qkv, size_t B,
                            size_t T);
void gpt2_attention_backward(gpt2_model *m, float *dqkv, const float *datty, const float *qkv,
                             const float *att, size_t B, size_t T);

#endif
