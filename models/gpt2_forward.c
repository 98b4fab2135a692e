// gpt2_forward.c — the GPT-2 forward pass over a (B, T) batch of right-padded sequences,
// saving what the backward needs, plus the classification and LM heads.
// Not a KV-cache decoder: every call recomputes whole sequences. The one thing to know:
// attention (gpt2_attention.c) is computed only for real positions (t < lengths[b]); pad
// positions get a zero attention output, so their values are finite but never feed a real one.
#include "gpt2_internal.h"

#include "error.h"
#include "prof.h"

#include <math.h>
#include <string.h>

// ---- matmul

int gpt2_matmul(const gpt2_model *m, float *c, size_t ldc, w2s_dtype a_dtype, gemm_view a, w2s_dtype b_dtype,
                gemm_view b, const gemm_packed_b *pb, size_t M, size_t N, size_t K, const float *bias,
                bool accumulate) {
    gemm_type type = m->opt.precision == GPT2_BF16 ? GEMM_BF16 : GEMM_F32;
    gemm_args g = {
        .M = M, .N = N, .K = K,
        .a_dtype = a_dtype, .a = a,
        .b_packed = pb,
        .b_dtype = b_dtype, .b = b,
        .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = ldc,
        .ep = {.bias = bias, .accumulate = accumulate},
    };
    if (gemm(type, m->isa, &g)) return w2s_error_wrap("gpt2 matmul %zux%zux%zu", M, N, K);
    return 0;
}

// y[BT, N] = x[BT, K] · W[K, N] + bias for block weight `which` of layer l (W row-major
// [in, out]: HF Conv1D); += if accumulate. x16, if not NULL, is x's bf16 copy (read instead).
static int linear(gpt2_model *m, size_t l, gpt2_block_weight_id which, float *y, const float *x, const w2s_bf16 *x16,
                  const float *bias, size_t BT, bool accumulate) {
    size_t K, N;
    const float *w = gpt2_block_weight(m, l, which, &K, &N);
    gemm_view a = x16 ? (gemm_view){x16, (ptrdiff_t)K, 1} : (gemm_view){x, (ptrdiff_t)K, 1};
    return gpt2_matmul(m, y, N, x16 ? W2S_DTYPE_BF16 : W2S_DTYPE_F32, a, W2S_DTYPE_F32, (gemm_view){w, (ptrdiff_t)N, 1},
                       gpt2_repack(m, l, which, false), BT, N, K, bias, accumulate);
}

// The bf16 copy of block activation `base` (an (L, B, T, width) tensor of acts16) at layer l, or
// NULL on the fp32 path.
static w2s_bf16 *act16(const gpt2_model *m, w2s_bf16 *base, size_t l, size_t BT, size_t width) {
    return m->acts16 ? base + l * BT * width : NULL;
}

// y16[r] = bf16(y[r]) for `rows` rows of n (parallel).
static void to_bf16_rows(const gpt2_model *m, w2s_bf16 *y16, const float *y, size_t rows, size_t n) {
    const convert_kernels *ck = m->acts16->ck;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) ck->f32_to_bf16(y16 + r * n, y + r * n, n);
}

// ---- layers

// y16, if not NULL, also gets y in bf16 (each row converted while in cache).
static void layernorm_rows(const gpt2_model *m, float *y, w2s_bf16 *y16, float *mean, float *rstd,
                           const float *x, const float *w, const float *b, size_t rows, size_t C) {
    const rowops_kernels *rk = m->rk;
    float eps = m->cfg.ln_eps;
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        rk->layernorm_fwd(y + r * C, mean ? mean + r : NULL, rstd ? rstd + r : NULL, x + r * C, w, b,
                          C, eps);
        if (y16) m->acts16->ck->f32_to_bf16(y16 + r * C, y + r * C, C);
    }
    prof_end(PROF_LAYERNORM, pt);
}

// dst = src (n floats) in parallel chunks: the residual is copied into the next stream so the
// projection GEMM can accumulate into it.
static void copy_rows(float *dst, const float *src, size_t n) {
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i += 4096) memcpy(dst + i, src + i, (n - i < 4096 ? n - i : 4096) * sizeof(float));
    prof_end(PROF_RESIDUAL, pt);
}

// ---- heads

static void cls_head_forward(gpt2_model *m, size_t B, size_t T) {
    size_t C = m->cfg.n_embd, K = m->cfg.n_classes;
    double pt = prof_begin();
    for (size_t b = 0; b < B; b++) {
        const float *h = m->acts.lnf + (b * T + (size_t)m->lengths[b] - 1) * C;
        for (size_t k = 0; k < K; k++)
            m->acts.cls_logits[b * K + k] = m->rk->dot(h, m->params.score + k * C, C);
    }
    prof_end(PROF_HEAD, pt);
}

// LM logits (B, T, VO) = lnf · Wᵀ, W (VO, C); rows with a target become probabilities and
// the mean cross-entropy over them is stored.
static int lm_head_forward(gpt2_model *m, size_t B, size_t T) {
    size_t C = m->cfg.n_embd, VO = m->lm_vocab, BT = B * T;
    const float *w = m->opt.lm_mode == GPT2_LM_TIED ? m->params.wte : m->params.lm_head;
    if (gpt2_matmul(m, m->acts.lm_logits, VO, W2S_DTYPE_F32, (gemm_view){m->acts.lnf, (ptrdiff_t)C, 1},
                    W2S_DTYPE_F32, (gemm_view){w, 1, (ptrdiff_t)C}, NULL, BT, VO, C, NULL, false))
        return -1;
    float *row_loss = m->acts.dres;  // (BT) scratch: per-row losses, summed in order below
    const rowops_kernels *rk = m->rk;
    double pt = prof_begin();
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r++) {
        int32_t y = m->targets[r];
        row_loss[r] = 0.0f;
        if (y < 0) continue;
        float *p = m->acts.lm_logits + r * VO;
        rk->softmax_fwd(p, p, VO, 1.0f);
        row_loss[r] = -logf(p[y]);
    }
    double sum = 0.0;
    for (size_t r = 0; r < BT; r++) sum += row_loss[r];
    m->lm_loss = m->n_targets ? (float)(sum / (double)m->n_targets) : 0.0f;
    prof_end(PROF_SOFTMAX, pt);
    return 0;
}

// ---- forward

static int check_batch(gpt2_model *m, const int32_t *tokens, const int32_t *lengths, size_t B,
                       size_t T, const int32_t *targets) {
    if (B == 0 || T == 0 || B > m->opt.max_batch || T > m->opt.max_seq)
        return W2S_FAIL("gpt2_forward: batch %zu x %zu outside the model's 1..%zu x 1..%zu", B, T,
                        m->opt.max_batch, m->opt.max_seq);
    size_t V = m->cfg.vocab_size;
    m->n_targets = 0;
    for (size_t b = 0; b < B; b++) {
        if (lengths[b] < 1 || (size_t)lengths[b] > T)
            return W2S_FAIL("gpt2_forward: sequence %zu has length %d, outside 1..%zu", b,
                            (int)lengths[b], T);
        for (size_t t = 0; t < T; t++) {
            size_t i = b * T + t;
            bool real = t < (size_t)lengths[b];
            if (real && (tokens[i] < 0 || (size_t)tokens[i] >= V))
                return W2S_FAIL("gpt2_forward: token %d at (%zu, %zu) outside the vocabulary 0..%zu",
                                (int)tokens[i], b, t, V - 1);
            m->tokens[i] = real ? tokens[i] : 0;
            int32_t y = targets && real ? targets[i] : -1;
            if (y >= 0 && (size_t)y >= m->lm_vocab)
                return W2S_FAIL("gpt2_forward: target %d at (%zu, %zu) outside the LM head's 0..%zu",
                                (int)y, b, t, m->lm_vocab ? m->lm_vocab - 1 : 0);
            m->targets[i] = y < 0 ? -1 : y;
            m->n_targets += y >= 0;
        }
        m->lengths[b] = lengths[b];
    }
    if (targets && !m->lm_vocab)
        return W2S_FAIL("gpt2_forward: LM targets given but the model has no LM head");
    m->have_targets = targets != NULL;
    return 0;
}

int gpt2_forward(gpt2_model *m, const int32_t *tokens, const int32_t *lengths, size_t B, size_t T,
                 const int32_t *targets) {
    m->B = m->T = 0;  // no valid forward until this one completes
    prof_set_phase(PROF_PHASE_FORWARD);
    double pt = prof_begin();
    if (check_batch(m, tokens, lengths, B, T, targets)) return -1;
    gpt2_layout_acts(m, B, T);
    size_t C = m->cfg.n_embd, L = m->cfg.n_layer, NH = m->cfg.n_head, BT = B * T;
    const gpt2_params *p = &m->params;
    gpt2_acts *a = &m->acts;

    // token + position embedding; pad positions get the position embedding only
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < BT; i++) {
        size_t b = i / T, t = i % T;
        float *e = a->encoded + i * C;
        const float *wp = p->wpe + t * C;
        if (t < (size_t)m->lengths[b]) {
            const float *wt = p->wte + (size_t)m->tokens[i] * C;
            for (size_t c = 0; c < C; c++) e[c] = wt[c] + wp[c];
        } else {
            memcpy(e, wp, C * sizeof(float));
        }
    }
    prof_end(PROF_EMBED, pt);

    for (size_t l = 0; l < L; l++) {
        const float *res = l == 0 ? a->encoded : a->res3 + (l - 1) * BT * C;
        struct gpt2_acts16 *a16 = m->acts16;
        // f32 rows of ln1, atty, ln2 and GELU: the stored tensors, or on the bf16 path backward
        // scratch that only carries each row to its bf16 copy (gpt2_internal.h).
        float *ln1 = a16 ? a->dln : a->ln1 + l * BT * C, *qkv = a->qkv + l * BT * 3 * C;
        float *atty = a16 ? a->datty : a->atty + l * BT * C, *att = a->att + l * B * NH * T * T;
        float *res2 = a->res2 + l * BT * C, *ln2 = a16 ? a->dln : a->ln2 + l * BT * C;
        float *fch = a->fch + l * BT * 4 * C, *fch_gelu = a16 ? a->dfch : a->fch_gelu + l * BT * 4 * C;
        float *res3 = a->res3 + l * BT * C;

        w2s_bf16 *ln1_16 = a16 ? act16(m, a16->ln1, l, BT, C) : NULL;
        w2s_bf16 *atty16 = a16 ? act16(m, a16->atty, l, BT, C) : NULL;
        w2s_bf16 *ln2_16 = a16 ? act16(m, a16->ln2, l, BT, C) : NULL;
        w2s_bf16 *fchg16 = a16 ? act16(m, a16->fch_gelu, l, BT, 4 * C) : NULL;

        layernorm_rows(m, ln1, ln1_16, a->ln1_mean + l * BT, a->ln1_rstd + l * BT, res, p->ln1w + l * C,
                       p->ln1b + l * C, BT, C);
        if (linear(m, l, GPT2_W_QKV, qkv, ln1, ln1_16, p->qkvb + l * 3 * C, BT, false))
            return -1;
        gpt2_attention_forward(m, atty, att, qkv, B, T);
        if (atty16) {
            pt = prof_begin();
            to_bf16_rows(m, atty16, atty, BT, C);
            prof_end(PROF_ATTENTION, pt);
        }
        copy_rows(res2, res, BT * C);
        if (linear(m, l, GPT2_W_ATTPROJ, res2, atty, atty16, p->attprojb + l * C, BT, true))
            return -1;
        layernorm_rows(m, ln2, ln2_16, a->ln2_mean + l * BT, a->ln2_rstd + l * BT, res2, p->ln2w + l * C,
                       p->ln2b + l * C, BT, C);
        if (linear(m, l, GPT2_W_FC, fch, ln2, ln2_16, p->fcb + l * 4 * C, BT, false))
            return -1;
        const rowops_kernels *rk = m->rk;
        pt = prof_begin();
#pragma omp parallel for schedule(static)
        for (size_t r = 0; r < BT; r++) {
            rk->gelu_fwd(fch_gelu + r * 4 * C, fch + r * 4 * C, 4 * C);
            if (fchg16) a16->ck->f32_to_bf16(fchg16 + r * 4 * C, fch_gelu + r * 4 * C, 4 * C);
        }
        prof_end(PROF_GELU, pt);
        copy_rows(res3, res2, BT * C);
        if (linear(m, l, GPT2_W_FCPROJ, res3, fch_gelu, fchg16, p->fcprojb + l * C, BT, true))
            return -1;
    }
    layernorm_rows(m, a->lnf, NULL, a->lnf_mean, a->lnf_rstd, a->res3 + (L - 1) * BT * C, p->lnfw, p->lnfb,
                   BT, C);
    if (m->cfg.n_classes) cls_head_forward(m, B, T);
    if (m->have_targets && lm_head_forward(m, B, T)) return -1;
    m->B = B;
    m->T = T;
    return 0;
}
