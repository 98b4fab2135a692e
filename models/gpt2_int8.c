// gpt2_int8.c — the int8 GPT-2 classification forward (gpt2_int8.h).
// Not the training model: no saved activations, one residual buffer updated in place (the
// projections' epilogue accumulates into it). The one thing to know: the last layer only
// computes the rows that reach the head (each sequence's last token): keys and values still
// cover every token, but queries, attention output, the MLP and ln_f run on B rows instead of
// Σ lens.
#include "gpt2_int8.h"

#include "attn_infer.h"
#include "error.h"
#include "prof.h"
#include "quant.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

// One quantized linear layer per weight of a block: W (K, N) → s8 packed, scale (N) f32.
typedef struct {
    gemm_packed_b w;
    float *scale;       // (N) per-output-channel weight scale
    const float *bias;  // (N) f32, in the graph's f32 buffer
} qlinear;

struct gpt2_int8 {
    gpt2_config cfg;
    size_t max_batch, max_seq, max_tokens;
    w2s_isa isa;
    const rowops_kernels *rk;
    attn_infer_fn attn;
    // f32 tensors, carved from f32_mem
    float *wte;       // (V, C)
    float *wpe;       // (P, C)
    float *ln1w, *ln1b, *ln2w, *ln2b;  // (L, C)
    float *qkvb;      // (L, 3C)
    float *attprojb;  // (L, C)
    float *fcb;       // (L, 4C)
    float *fcprojb;   // (L, C)
    float *lnfw, *lnfb;  // (C)
    float *score;     // (K, C)
    float *f32_mem;
    size_t f32_count;
    qlinear *qkv, *attproj, *fc, *fcproj;  // (L) each
    // activations, carved from act_mem; N = max_tokens
    float *x;         // (N, C) residual stream
    float *h;         // (N, 4C) qkv (3C per row; the last layer's B queries after N rows),
                      // GELU(fc) (4C per row), or ln_f rows (C)
    float *atty;      // (N, C) attention output
    float *att;       // (n_scratch, scratch) per thread: attention scratch, or a LayerNorm row
    size_t scratch;   // floats per thread: max(attn_infer_scratch(T_max, hs), C), 64-byte multiple
    size_t n_scratch; // threads with scratch (omp_get_max_threads() at creation)
    float *rscale;    // (N + B_max) per-token activation scales (+ the last layer's gathered rows)
    int32_t *rzero;   // (N + B_max) per-token zero points
    uint8_t *qa;      // (N, 4C) quantized activations feeding the next GEMM
    size_t *off;      // (B_max + 1) first row of each sequence
    void *act_mem;
    size_t act_bytes;
};

// ---- create / destroy

static void *alloc64(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
}

static int qlinear_init(qlinear *ql, w2s_isa isa, const float *w, const float *bias, size_t K,
                        size_t N, int8_t *scratch, const char *name, size_t layer) {
    ql->bias = bias;
    ql->scale = malloc(N * sizeof(float));
    if (!ql->scale) return W2S_FAIL("gpt2_int8: out of memory");
    if (quant_weights_s8_per_channel(scratch, ql->scale, w, K, N))
        return w2s_error_wrap("gpt2_int8: h.%zu.%s", layer, name);
    if (gemm_pack_b(&ql->w, GEMM_U8S8, isa, K, N, W2S_DTYPE_S8, (gemm_view){scratch, (ptrdiff_t)N, 1}))
        return w2s_error_wrap("gpt2_int8: packing h.%zu.%s", layer, name);
    return 0;
}

static void qlinear_free(qlinear *ql) {
    if (!ql) return;
    gemm_packed_b_free(&ql->w);
    free(ql->scale);
}

void gpt2_int8_destroy(gpt2_int8 *q) {
    if (!q) return;
    for (size_t l = 0; l < q->cfg.n_layer; l++) {
        if (q->qkv) qlinear_free(&q->qkv[l]);
        if (q->attproj) qlinear_free(&q->attproj[l]);
        if (q->fc) qlinear_free(&q->fc[l]);
        if (q->fcproj) qlinear_free(&q->fcproj[l]);
    }
    free(q->qkv);
    free(q->attproj);
    free(q->fc);
    free(q->fcproj);
    free(q->f32_mem);
    free(q->act_mem);
    free(q);
}

// Copies the f32 tensors the graph keeps into one buffer (a size table, as gpt2.c does).
static int copy_f32(gpt2_int8 *q, const gpt2_model *m) {
    const gpt2_config *c = &q->cfg;
    size_t C = c->n_embd, L = c->n_layer;
    const gpt2_params *p = &m->params;
    struct {
        float **dst;
        const float *src;
        size_t n;
    } t[] = {
        {&q->wte, p->wte, c->vocab_size * C}, {&q->wpe, p->wpe, c->n_positions * C},
        {&q->ln1w, p->ln1w, L * C},           {&q->ln1b, p->ln1b, L * C},
        {&q->ln2w, p->ln2w, L * C},           {&q->ln2b, p->ln2b, L * C},
        {&q->qkvb, p->qkvb, L * 3 * C},       {&q->attprojb, p->attprojb, L * C},
        {&q->fcb, p->fcb, L * 4 * C},         {&q->fcprojb, p->fcprojb, L * C},
        {&q->lnfw, p->lnfw, C},               {&q->lnfb, p->lnfb, C},
        {&q->score, p->score, c->n_classes * C},
    };
    size_t n = sizeof t / sizeof t[0], total = 0;
    for (size_t i = 0; i < n; i++) total += (t[i].n + 15) / 16 * 16;  // 64-byte aligned tensors
    q->f32_mem = alloc64(total * sizeof(float));
    if (!q->f32_mem) return W2S_FAIL("gpt2_int8: out of memory (%zu f32 parameters)", total);
    q->f32_count = total;
    float *at = q->f32_mem;
    for (size_t i = 0; i < n; i++) {
        *t[i].dst = at;
        if (t[i].n) memcpy(at, t[i].src, t[i].n * sizeof(float));  // score is NULL without a head
        at += (t[i].n + 15) / 16 * 16;
    }
    return 0;
}

static int alloc_acts(gpt2_int8 *q) {
    size_t C = q->cfg.n_embd, N = q->max_tokens;
    size_t per_thread = attn_infer_scratch(q->max_seq, C / q->cfg.n_head);
    q->scratch = ((per_thread > C ? per_thread : C) + 15) / 16 * 16;
    struct {
        void **dst;
        size_t bytes;
    } t[] = {
        {(void **)&q->x, N * C * sizeof(float)},
        {(void **)&q->h, N * 4 * C * sizeof(float)},
        {(void **)&q->atty, N * C * sizeof(float)},
        {(void **)&q->att, q->n_scratch * q->scratch * sizeof(float)},
        {(void **)&q->rscale, (N + q->max_batch) * sizeof(float)},
        {(void **)&q->rzero, (N + q->max_batch) * sizeof(int32_t)},
        {(void **)&q->qa, N * 4 * C},
        {(void **)&q->off, (q->max_batch + 1) * sizeof(size_t)},
    };
    size_t n = sizeof t / sizeof t[0], total = 0;
    for (size_t i = 0; i < n; i++) total += (t[i].bytes + 63) / 64 * 64;
    q->act_mem = alloc64(total);
    if (!q->act_mem) return W2S_FAIL("gpt2_int8: out of memory (%zu activation bytes)", total);
    q->act_bytes = total;
    char *at = q->act_mem;
    for (size_t i = 0; i < n; i++) {
        *t[i].dst = at;
        at += (t[i].bytes + 63) / 64 * 64;
    }
    return 0;
}

gpt2_int8 *gpt2_int8_create(const gpt2_model *m, size_t max_batch, size_t max_seq, size_t max_tokens) {
    const gpt2_config *c = &m->cfg;
    if (c->n_layer < 1) {
        W2S_FAIL("gpt2_int8_create: the model needs at least one layer (n_layer %zu)", c->n_layer);
        return NULL;
    }
    if (!max_batch || !max_seq || max_seq > c->n_positions || max_tokens < max_seq) {
        W2S_FAIL("gpt2_int8_create: capacity batch %zu, seq %zu, tokens %zu invalid (need seq <= "
                 "n_positions %zu and tokens >= seq)", max_batch, max_seq, max_tokens, c->n_positions);
        return NULL;
    }
    gpt2_int8 *q = calloc(1, sizeof *q);
    if (!q) {
        W2S_FAIL("gpt2_int8_create: out of memory");
        return NULL;
    }
    q->cfg = *c;
    q->max_batch = max_batch;
    q->max_seq = max_seq;
    q->max_tokens = max_tokens;
    q->isa = w2s_isa_active();
    q->rk = rowops_get(q->isa);
    q->attn = attn_infer_get(q->isa)->attend;
    q->n_scratch = (size_t)omp_get_max_threads();
    size_t C = c->n_embd, L = c->n_layer;
    q->qkv = calloc(L, sizeof(qlinear));
    q->attproj = calloc(L, sizeof(qlinear));
    q->fc = calloc(L, sizeof(qlinear));
    q->fcproj = calloc(L, sizeof(qlinear));
    int8_t *scratch = malloc(4 * C * C);  // one layer's largest weight, quantized, before packing
    int rc = (!q->qkv || !q->attproj || !q->fc || !q->fcproj || !scratch) ? W2S_FAIL("gpt2_int8: out of memory") : 0;
    if (!rc) rc = copy_f32(q, m);
    if (!rc) rc = alloc_acts(q);
    const gpt2_params *p = &m->params;
    for (size_t l = 0; l < L && !rc; l++) {
        rc = qlinear_init(&q->qkv[l], q->isa, p->qkvw + l * C * 3 * C, q->qkvb + l * 3 * C, C, 3 * C,
                          scratch, "attn.c_attn.weight", l);
        if (!rc) rc = qlinear_init(&q->attproj[l], q->isa, p->attprojw + l * C * C, q->attprojb + l * C, C, C,
                                   scratch, "attn.c_proj.weight", l);
        if (!rc) rc = qlinear_init(&q->fc[l], q->isa, p->fcw + l * C * 4 * C, q->fcb + l * 4 * C, C, 4 * C,
                                   scratch, "mlp.c_fc.weight", l);
        if (!rc) rc = qlinear_init(&q->fcproj[l], q->isa, p->fcprojw + l * 4 * C * C, q->fcprojb + l * C, 4 * C,
                                   C, scratch, "mlp.c_proj.weight", l);
    }
    free(scratch);
    if (rc) {
        gpt2_int8_destroy(q);
        return NULL;
    }
    return q;
}

const gpt2_config *gpt2_int8_config(const gpt2_int8 *q) { return &q->cfg; }
size_t gpt2_int8_max_batch(const gpt2_int8 *q) { return q->max_batch; }
size_t gpt2_int8_max_seq(const gpt2_int8 *q) { return q->max_seq; }
size_t gpt2_int8_max_tokens(const gpt2_int8 *q) { return q->max_tokens; }

const float *gpt2_int8_features(const gpt2_int8 *q) { return q->h; }

size_t gpt2_int8_bytes(const gpt2_int8 *q) {
    size_t C = q->cfg.n_embd, per_layer = 12 * C * C + 9 * C * sizeof(float);  // s8 weights + scales
    return q->f32_count * sizeof(float) + q->act_bytes + q->cfg.n_layer * per_layer;
}

// ---- steps

// Below this many elements a row pass runs on the calling thread: waking a sleeping team costs
// more than the work (the one-example latency path).
#define PARALLEL_MIN_ELEMS ((size_t)1 << 17)

// Rows [r0, r1) of quant_rows, one row at a time: LayerNorm (when w is non-NULL) into `row`
// (C floats of the thread's scratch, still in L1 when the quantizer reads it back), then the
// row's u8 quantization.
static int quant_row_block(gpt2_int8 *q, const float *x, size_t ldx, size_t r0, size_t r1, size_t K,
                           const float *w, const float *b, float *row) {
    for (size_t r = r0; r < r1; r++) {
        const float *src = x + r * ldx;
        if (w) {
            q->rk->layernorm_fwd(row, NULL, NULL, src, w, b, K, q->cfg.ln_eps);
            src = row;
        }
        if (quant_rows_u8_isa(q->isa, q->qa + r * K, K, q->rscale + r, q->rzero + r, src, K, 1, K)) return -1;
    }
    return 0;
}

// Quantizes rows [0, M) of X (stride ldx) into q->qa (stride K) with per-row scales, after
// applying LayerNorm (w, b; then K = C) when w is non-NULL. Rows are split over the team in one
// region; each row's result depends on that row only.
static int quant_rows(gpt2_int8 *q, const float *x, size_t ldx, size_t M, size_t K, const float *w,
                      const float *b) {
    int failed = 0, nt = omp_get_max_threads();
    nt = nt < (int)q->n_scratch ? nt : (int)q->n_scratch;
    double pt = prof_begin();  // profiler region (prof.h): LayerNorm + quantization
#pragma omp parallel num_threads(nt) if (M * K >= PARALLEL_MIN_ELEMS)
    {
        size_t n = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        if (quant_row_block(q, x, ldx, M * t / n, M * (t + 1) / n, K, w, b, q->att + t * q->scratch))
#pragma omp atomic write
            failed = 1;
    }
    prof_end(PROF_QUANTIZE, pt);
    // The message lives in the failing thread's storage: redo on this thread to report it.
    if (failed) return quant_row_block(q, x, ldx, 0, M, K, w, b, q->att);
    return 0;
}

// y[M, n1 - n0] (row stride ldc; =, or += with accumulate) dequant(qa[r0 .. r0 + M) · W[:, n0:n1))
// + bias, GELU if asked. A column range other than the whole is a view of the packed weights
// (gemm_packed_b_columns: n0 must be a multiple of the panel width).
static int qmatmul_part(gpt2_int8 *q, float *y, size_t ldc, const qlinear *ql, size_t n0, size_t n1, size_t r0,
                        size_t M, bool gelu, bool accumulate) {
    gemm_packed_b pb;
    if (gemm_packed_b_columns(&pb, &ql->w, n0, n1)) return -1;
    size_t K = pb.K;
    gemm_args g = {
        .M = M, .N = n1 - n0, .K = K,
        .a_dtype = W2S_DTYPE_U8, .a = {q->qa + r0 * K, (ptrdiff_t)K, 1},
        .b_packed = &pb,
        .c_dtype = W2S_DTYPE_F32, .c = y, .ldc = ldc,
        .ep = {.bias = ql->bias + n0, .gelu = gelu, .accumulate = accumulate, .row_scale = q->rscale + r0,
               .row_zero = q->rzero + r0, .col_scale = ql->scale + n0},
    };
    if (gemm(GEMM_U8S8, q->isa, &g)) return w2s_error_wrap("gpt2_int8 matmul %zux%zux%zu", M, n1 - n0, K);
    return 0;
}

// y[M, N] (=, or += with accumulate) dequant(qa[M, K] · W) + bias, GELU if asked.
static int qmatmul(gpt2_int8 *q, float *y, const qlinear *ql, size_t M, bool gelu, bool accumulate) {
    return qmatmul_part(q, y, ql->w.N, ql, 0, ql->w.N, 0, M, gelu, accumulate);
}

// The last layer's qkv: keys and values of every token (N rows), queries only of each
// sequence's last token (B rows: the only queries whose outputs reach the head), into qlast
// (B, C). The B quantized rows are first gathered after the N in use (qa holds 4C per row and
// rscale/rzero N + B_max entries). Each row's results are bit-identical to the full product's.
static int qkv_last(gpt2_int8 *q, const qlinear *ql, size_t N, size_t B, float *qlast) {
    size_t C = q->cfg.n_embd;
    for (size_t b = 0; b < B; b++) {
        size_t r = q->off[b + 1] - 1;
        memcpy(q->qa + (N + b) * C, q->qa + r * C, C);
        q->rscale[N + b] = q->rscale[r];
        q->rzero[N + b] = q->rzero[r];
    }
    if (qmatmul_part(q, q->h + C, 3 * C, ql, C, 3 * C, 0, N, false, false)) return -1;
    return qmatmul_part(q, qlast, C, ql, 0, C, N, B, false, false);
}

// Causal self-attention in f32, one (sequence, head) pair per task, all B·NH tasks in one
// region: attn_infer's fused kernel (scores, softmax, P·V of one head without a GEMM call or
// an n×n matrix). qkv (N, 3C) rows of the packed sequences; output rows: every token
// (last = false), or only each sequence's last token, written to row b of atty (last = true),
// its query then from row b of qlast (B, C) when qlast is non-NULL.
// Each task writes only its own head's columns, so the schedule cannot change any bit; its
// scratch is its thread's (n_scratch of them).
static void attention(gpt2_int8 *q, const float *qkv, size_t B, bool last, const float *qlast) {
    size_t C = q->cfg.n_embd, NH = q->cfg.n_head, hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    const size_t *off = q->off;
    attn_infer_fn kern = q->attn;
    int nt = omp_get_max_threads();
    nt = nt < (int)q->n_scratch ? nt : (int)q->n_scratch;
    double pt = prof_begin();  // profiler region
#pragma omp parallel for collapse(2) schedule(dynamic) num_threads(nt) if (B * NH > 1)
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            const float *s = qkv + off[b] * C3 + h * hs;  // this sequence's rows, this head
            size_t n = off[b + 1] - off[b], t0 = last ? n - 1 : 0;
            float *o = q->atty + (last ? b : off[b]) * C + h * hs;
            const float *qt = qlast ? qlast + b * C + h * hs : s + t0 * C3;
            kern(o, C, qt, qlast ? C : C3, s + C, s + 2 * C, C3, n, t0, hs, scale,
                 q->att + (size_t)omp_get_thread_num() * q->scratch);
        }
    }
    prof_end(PROF_ATTENTION, pt);
}

// ---- forward

int gpt2_int8_forward(gpt2_int8 *q, const int32_t *const *seqs, const size_t *lens, size_t B,
                      float *logits) {
    const gpt2_config *c = &q->cfg;
    size_t C = c->n_embd, L = c->n_layer, K = c->n_classes, V = c->vocab_size;
    if (B < 1 || B > q->max_batch)
        return W2S_FAIL("gpt2_int8_forward: batch of %zu sequences outside 1..%zu", B, q->max_batch);
    q->off[0] = 0;
    for (size_t b = 0; b < B; b++) {
        if (lens[b] < 1 || lens[b] > q->max_seq)
            return W2S_FAIL("gpt2_int8_forward: sequence %zu has %zu tokens, outside 1..%zu", b, lens[b],
                            q->max_seq);
        q->off[b + 1] = q->off[b] + lens[b];
        if (q->off[b + 1] > q->max_tokens)
            return W2S_FAIL("gpt2_int8_forward: the batch holds more than %zu tokens", q->max_tokens);
        for (size_t t = 0; t < lens[b]; t++)
            if (seqs[b][t] < 0 || (size_t)seqs[b][t] >= V)
                return W2S_FAIL("gpt2_int8_forward: token %d at (%zu, %zu) outside the vocabulary 0..%zu",
                                (int)seqs[b][t], b, t, V - 1);
    }
    size_t N = q->off[B];

    prof_set_phase(PROF_PHASE_FORWARD);
    double pt = prof_begin();
#pragma omp parallel for schedule(static) if (N * C >= PARALLEL_MIN_ELEMS)
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < lens[b]; t++) {
            float *e = q->x + (q->off[b] + t) * C;
            const float *wt = q->wte + (size_t)seqs[b][t] * C, *wp = q->wpe + t * C;
            for (size_t i = 0; i < C; i++) e[i] = wt[i] + wp[i];
        }
    prof_end(PROF_EMBED, pt);

    size_t M = N;  // rows carried through the block: N, then B in the last layer after attention
    for (size_t l = 0; l < L; l++) {
        bool last = l == L - 1;
        if (quant_rows(q, q->x, C, M, C, q->ln1w + l * C, q->ln1b + l * C)) return -1;
        // Queries apart only when the packed weights split at column C (whole panels).
        float *qlast = last && C % q->qkv[l].w.nr == 0 ? q->h + 3 * N * C : NULL;  // (B, C)
        if (qlast ? qkv_last(q, &q->qkv[l], N, B, qlast) : qmatmul(q, q->h, &q->qkv[l], M, false, false))
            return -1;
        attention(q, q->h, B, last, qlast);
        if (last) {
            // Keep each sequence's last residual row, moved to row b: source off[b+1]-1 >= b and
            // increasing in b, so no later source is overwritten.
            for (size_t b = 0; b < B; b++)
                memmove(q->x + b * C, q->x + (q->off[b + 1] - 1) * C, C * sizeof(float));
            M = B;
        }
        if (quant_rows(q, q->atty, C, M, C, NULL, NULL)) return -1;
        if (qmatmul(q, q->x, &q->attproj[l], M, false, true)) return -1;
        if (quant_rows(q, q->x, C, M, C, q->ln2w + l * C, q->ln2b + l * C)) return -1;
        if (qmatmul(q, q->h, &q->fc[l], M, true, false)) return -1;
        if (quant_rows(q, q->h, 4 * C, M, 4 * C, NULL, NULL)) return -1;
        if (qmatmul(q, q->x, &q->fcproj[l], M, false, true)) return -1;
    }
    // ln_f of the B last-token rows, then the f32 head (as gpt2_forward.c's cls_head_forward).
    pt = prof_begin();
    for (size_t b = 0; b < B; b++) {
        float *f = q->h + b * C;
        q->rk->layernorm_fwd(f, NULL, NULL, q->x + b * C, q->lnfw, q->lnfb, C, c->ln_eps);
        for (size_t k = 0; k < K; k++) logits[b * K + k] = q->rk->dot(f, q->score + k * C, C);
    }
    prof_end(PROF_HEAD, pt);
    return 0;
}
