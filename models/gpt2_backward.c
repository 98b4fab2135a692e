// gpt2_backward.c — the GPT-2 backward pass (llm.c's order), accumulating into m->grads.
// Not an optimizer: it only adds gradients. The one thing to know: every reduction over
// tokens (weight, bias, LayerNorm and embedding gradients) runs in token order inside a
// fixed column split (or inside gemm, which is thread-count invariant), so gradients are
// bit-identical for any thread count — no float atomics anywhere.
#include "gpt2_internal.h"

#include "colsum.h"
#include "error.h"
#include "prof.h"

#include <math.h>
#include <omp.h>
#include <string.h>

// Column chunk of the column-parallel reductions (a multiple of 16 floats: whole vectors).
#define COL_CHUNK 64

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

static void zero_floats(float *p, size_t n) {
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i += 4096) memset(p + i, 0, min_sz(4096, n - i) * sizeof(float));
    prof_end(PROF_RESIDUAL, pt);
}

// db[N] += Σ_r dy[r, :] over `rows` rows, in row order; with dy16 (rows, N) also dy16 = bf16(dy),
// from the same reads of dy. Each thread sums one contiguous range of whole 16-column vectors
// over all rows, reading row segments (columns 64 at a time down all rows would touch a new
// page per row: this pass is memory-bound).
static void bias_backward(const gpt2_model *m, float *db, w2s_bf16 *dy16, const float *dy, size_t rows, size_t N) {
    colsum_fn colsum = colsum_get(m->isa)->sum;
    colsum_bf16_fn colsum_bf16 = colsum_get(m->isa)->sum_bf16;
    double pt = prof_begin();
#pragma omp parallel
    {
        size_t T = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num(), vecs = (N + 15) / 16;
        size_t c0 = min_sz(N, t * vecs / T * 16), c1 = min_sz(N, (t + 1) * vecs / T * 16);
        if (c0 < c1 && dy16)
            colsum_bf16(db + c0, dy16 + c0, N, dy + c0, rows, N, c1 - c0);
        else if (c0 < c1)
            colsum(db + c0, dy + c0, rows, N, c1 - c0);
    }
    prof_end(PROF_BIAS_GRAD, pt);
}

// y = x·W + b with x (BT, K), W (K, N) block weight `which` of layer l:
//   dx (BT, K) = dy · Wᵀ (overwritten), dW += xᵀ · dy, db += Σ dy.
// x16, if not NULL, is x's bf16 copy (gpt2_acts16), read instead of x; on the bf16 path dy is
// first rounded once into acts16->dy, which both GEMMs then read, in the bias gradient's pass.
static int linear_backward(gpt2_model *m, size_t l, gpt2_block_weight_id which, float *dx, float *dw, float *db,
                           const float *dy, const float *x, const w2s_bf16 *x16, size_t BT) {
    size_t K, N;
    const float *w = gpt2_block_weight(m, l, which, &K, &N);
    w2s_bf16 *dy16 = m->acts16 ? m->acts16->dy : NULL;
    bias_backward(m, db, dy16, dy, BT, N);
    w2s_dtype dyt = dy16 ? W2S_DTYPE_BF16 : W2S_DTYPE_F32;
    gemm_view dyv = dy16 ? (gemm_view){dy16, (ptrdiff_t)N, 1} : (gemm_view){dy, (ptrdiff_t)N, 1};
    if (gpt2_matmul(m, dx, K, dyt, dyv, W2S_DTYPE_F32, (gemm_view){w, 1, (ptrdiff_t)N},
                    gpt2_repack(m, l, which, true), BT, K, N, NULL, false))
        return -1;
    gemm_view xt = x16 ? (gemm_view){x16, 1, (ptrdiff_t)K} : (gemm_view){x, 1, (ptrdiff_t)K};
    if (gpt2_matmul(m, dw, N, x16 ? W2S_DTYPE_BF16 : W2S_DTYPE_F32, xt, dyt, dyv, NULL, K, N, BT, NULL, true))
        return -1;
    return 0;
}

// LayerNorm y = LN(x; w, b) over rows of C: dx += ..., dw += ..., db += ...
static void layernorm_backward(const gpt2_model *m, float *dx, float *dw, float *db, const float *dy,
                               const float *x, const float *w, const float *mean, const float *rstd,
                               size_t rows, size_t C) {
    const rowops_kernels *rk = m->rk;
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++)
        rk->layernorm_bwd_dx(dx + r * C, dy + r * C, x + r * C, w, mean[r], rstd[r], C);
    size_t chunks = (C + COL_CHUNK - 1) / COL_CHUNK;
#pragma omp parallel for schedule(static)
    for (size_t ch = 0; ch < chunks; ch++) {
        size_t c0 = ch * COL_CHUNK, n = min_sz(COL_CHUNK, C - c0);
        for (size_t r = 0; r < rows; r++)
            rk->layernorm_bwd_params(dw + c0, db + c0, dy + r * C + c0, x + r * C + c0, mean[r], rstd[r], n);
    }
    prof_end(PROF_LAYERNORM, pt);
}

// ---- heads

// Gradient of lm_weight * mean cross-entropy, in place over the probabilities; then dlnf and
// the LM head (or tied wte) gradient.
static int lm_head_backward(gpt2_model *m, float *dlnf, float lm_weight, size_t BT) {
    size_t C = m->cfg.n_embd, VO = m->lm_vocab;
    float *dlog = m->acts.lm_logits;
    float s = m->n_targets ? lm_weight / (float)m->n_targets : 0.0f;
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r++) {
        float *d = dlog + r * VO;
        int32_t y = m->targets[r];
        if (y < 0) {
            memset(d, 0, VO * sizeof(float));
            continue;
        }
        d[y] -= 1.0f;
        for (size_t v = 0; v < VO; v++) d[v] *= s;
    }
    prof_end(PROF_SOFTMAX, pt);
    bool tied = m->opt.lm_mode == GPT2_LM_TIED;
    const float *w = tied ? m->params.wte : m->params.lm_head;
    float *dw = tied ? m->grads.wte : m->grads.lm_head;
    if (!m->linear_probe &&
        gpt2_matmul(m, dlnf, C, W2S_DTYPE_F32, (gemm_view){dlog, (ptrdiff_t)VO, 1}, W2S_DTYPE_F32,
                    (gemm_view){w, (ptrdiff_t)C, 1},
                    NULL, BT, C, VO, NULL, true))
        return -1;
    return gpt2_matmul(m, dw, C, W2S_DTYPE_F32, (gemm_view){dlog, 1, (ptrdiff_t)VO}, W2S_DTYPE_F32,
                       (gemm_view){m->acts.lnf, (ptrdiff_t)C, 1}, NULL, VO, C, BT, NULL, true);
}

static void cls_head_backward(gpt2_model *m, float *dlnf, const float *dlogits, size_t B, size_t T) {
    size_t C = m->cfg.n_embd, K = m->cfg.n_classes;
    const rowops_kernels *rk = m->rk;
    double pt = prof_begin();
    for (size_t b = 0; b < B; b++) {
        size_t i = b * T + (size_t)m->lengths[b] - 1;
        const float *h = m->acts.lnf + i * C;
        for (size_t k = 0; k < K; k++) {
            float g = dlogits[b * K + k];
            rk->axpy(m->grads.score + k * C, g, h, C);
            rk->axpy(dlnf + i * C, g, m->params.score + k * C, C);
        }
    }
    prof_end(PROF_HEAD, pt);
}

// ---- backward

static int backward(gpt2_model *m, const float *dlogits, float lm_weight, size_t B, size_t T) {
    size_t C = m->cfg.n_embd, L = m->cfg.n_layer, NH = m->cfg.n_head, BT = B * T;
    const gpt2_params *p = &m->params;
    gpt2_params *g = &m->grads;
    gpt2_acts *a = &m->acts;

    float *dlnf = a->dln;
    zero_floats(dlnf, BT * C);
    if (m->have_targets && lm_head_backward(m, dlnf, lm_weight, BT)) return -1;
    if (dlogits) cls_head_backward(m, dlnf, dlogits, B, T);
    if (m->linear_probe) return m->grad_ready ? m->grad_ready(m->grad_ready_arg, -1) : 0;

    float *dres = a->dres;
    zero_floats(dres, BT * C);
    layernorm_backward(m, dres, g->lnfw, g->lnfb, dlnf, a->res3 + (L - 1) * BT * C, p->lnfw,
                       a->lnf_mean, a->lnf_rstd, BT, C);

    const rowops_kernels *rk = m->rk;
    for (size_t l = L; l-- > 0;) {
        const float *res = l == 0 ? a->encoded : a->res3 + (l - 1) * BT * C;
        // ln1, atty, ln2 and fch_gelu are NULL on the bf16 path, which reads their bf16 copies.
        const float *ln1 = gpt2_layer_slice(a->ln1, l, BT * C), *qkv = a->qkv + l * BT * 3 * C;
        const float *atty = gpt2_layer_slice(a->atty, l, BT * C), *att = a->att + l * B * NH * T * T;
        const float *res2 = a->res2 + l * BT * C, *ln2 = gpt2_layer_slice(a->ln2, l, BT * C);
        const float *fch = a->fch + l * BT * 4 * C, *fch_gelu = gpt2_layer_slice(a->fch_gelu, l, BT * 4 * C);

        // MLP: res3 = res2 + gelu(ln2 · fcw + fcb) · fcprojw + fcprojb
        const struct gpt2_acts16 *a16 = m->acts16;
        size_t o1 = l * BT * C, o4 = l * BT * 4 * C;  // layer l's slice of a (L, B, T, C | 4C) copy
        if (linear_backward(m, l, GPT2_W_FCPROJ, a->dfch, g->fcprojw + l * 4 * C * C, g->fcprojb + l * C, dres,
                            fch_gelu, a16 ? a16->fch_gelu + o4 : NULL, BT))
            return -1;
        double pt = prof_begin();
#pragma omp parallel for schedule(static)
        for (size_t r = 0; r < BT; r++)
            rk->gelu_bwd(a->dfch + r * 4 * C, fch + r * 4 * C, a->dfch + r * 4 * C, 4 * C);
        prof_end(PROF_GELU, pt);
        if (linear_backward(m, l, GPT2_W_FC, a->dln, g->fcw + l * C * 4 * C, g->fcb + l * 4 * C, a->dfch, ln2,
                            a16 ? a16->ln2 + o1 : NULL, BT))
            return -1;
        layernorm_backward(m, dres, g->ln2w + l * C, g->ln2b + l * C, a->dln, res2, p->ln2w + l * C,
                           a->ln2_mean + l * BT, a->ln2_rstd + l * BT, BT, C);

        // attention: res2 = res + attn(ln1) · attprojw + attprojb
        if (linear_backward(m, l, GPT2_W_ATTPROJ, a->datty, g->attprojw + l * C * C, g->attprojb + l * C, dres, atty,
                            a16 ? a16->atty + o1 : NULL, BT))
            return -1;
        gpt2_attention_backward(m, a->dqkv, a->datty, qkv, att, B, T);
        if (linear_backward(m, l, GPT2_W_QKV, a->dln, g->qkvw + l * C * 3 * C, g->qkvb + l * 3 * C, a->dqkv, ln1,
                            a16 ? a16->ln1 + o1 : NULL, BT))
            return -1;
        layernorm_backward(m, dres, g->ln1w + l * C, g->ln1b + l * C, a->dln, res, p->ln1w + l * C,
                           a->ln1_mean + l * BT, a->ln1_rstd + l * BT, BT, C);
        if (m->grad_ready && m->grad_ready(m->grad_ready_arg, (int)l)) return -1;
    }

    // embeddings: column split, tokens in order (a token id may repeat within the batch)
    size_t chunks = (C + COL_CHUNK - 1) / COL_CHUNK;
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t ch = 0; ch < chunks; ch++) {
        size_t c0 = ch * COL_CHUNK, n = min_sz(COL_CHUNK, C - c0);
        for (size_t i = 0; i < BT; i++) {
            size_t b = i / T, t = i % T;
            if (t >= (size_t)m->lengths[b]) continue;
            rk->axpy(g->wte + (size_t)m->tokens[i] * C + c0, 1.0f, dres + i * C + c0, n);
            rk->axpy(g->wpe + t * C + c0, 1.0f, dres + i * C + c0, n);
        }
    }
    prof_end(PROF_EMBED, pt);
    return m->grad_ready ? m->grad_ready(m->grad_ready_arg, -1) : 0;
}

int gpt2_backward(gpt2_model *m, const float *dlogits, float lm_weight) {
    if (!m->B) return W2S_FAIL("gpt2_backward: no forward pass to differentiate (call gpt2_forward first)");
    if (dlogits && !m->cfg.n_classes)
        return W2S_FAIL("gpt2_backward: dlogits given but the model has no classification head");
    size_t B = m->B, T = m->T;
    prof_set_phase(PROF_PHASE_BACKWARD);
    m->B = m->T = 0;  // the LM backward overwrites the probabilities: one backward per forward
    return backward(m, dlogits, lm_weight, B, T);
}
