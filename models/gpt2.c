// gpt2.c — GPT-2 model construction: the parameter size table, the three buffers
// (parameters, gradients, activations), initialization and bookkeeping.
// Forward and backward live in gpt2_forward.c / gpt2_backward.c. The one thing to know:
// every pointer in gpt2_params / gpt2_acts is carved from one allocation by a size table,
// in the order of the struct fields, so the layout is fixed by the config alone.
#include "gpt2_internal.h"

#include "error.h"
#include "prof.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(gpt2_params) == GPT2_NUM_TENSORS * sizeof(float *),
               "gpt2_params must be exactly the tensor pointers, in table order");

#define GPT2_NUM_ACTS (sizeof(gpt2_acts) / sizeof(float *))
_Static_assert(sizeof(gpt2_acts) % sizeof(float *) == 0, "gpt2_acts holds only float pointers");

// ---- size tables

// The tensors of a model of config c whose untied LM head has head_rows rows (0: no lm_head
// tensor), in gpt2_params order; returns the number of parameters.
static size_t tensor_table(const gpt2_config *c, size_t head_rows, gpt2_tensor_info out[GPT2_NUM_TENSORS]) {
    size_t V = c->vocab_size, P = c->n_positions, C = c->n_embd, L = c->n_layer;
    size_t K = c->n_classes, VO = head_rows;
    const struct {
        const char *name;
        bool per_layer;
        int ndim;
        size_t d0, d1;
    } t[GPT2_NUM_TENSORS] = {
        {"wte.weight", false, 2, V, C},
        {"wpe.weight", false, 2, P, C},
        {"ln_1.weight", true, 1, C, 0},
        {"ln_1.bias", true, 1, C, 0},
        {"attn.c_attn.weight", true, 2, C, 3 * C},
        {"attn.c_attn.bias", true, 1, 3 * C, 0},
        {"attn.c_proj.weight", true, 2, C, C},
        {"attn.c_proj.bias", true, 1, C, 0},
        {"ln_2.weight", true, 1, C, 0},
        {"ln_2.bias", true, 1, C, 0},
        {"mlp.c_fc.weight", true, 2, C, 4 * C},
        {"mlp.c_fc.bias", true, 1, 4 * C, 0},
        {"mlp.c_proj.weight", true, 2, 4 * C, C},
        {"mlp.c_proj.bias", true, 1, C, 0},
        {"ln_f.weight", false, 1, C, 0},
        {"ln_f.bias", false, 1, C, 0},
        {"lm_head.weight", false, 2, VO, C},
        {"score.weight", false, 2, K, C},
    };
    size_t off = 0;
    for (int i = 0; i < GPT2_NUM_TENSORS; i++) {
        gpt2_tensor_info *ti = &out[i];
        ti->name = t[i].name;
        ti->per_layer = t[i].per_layer;
        ti->ndim = t[i].ndim;
        ti->shape[0] = t[i].d0;
        ti->shape[1] = t[i].ndim == 2 ? t[i].d1 : 0;
        ti->numel = (t[i].per_layer ? L : 1) * t[i].d0 * (t[i].ndim == 2 ? t[i].d1 : 1);
        ti->offset = off;
        off += ti->numel;
    }
    return off;
}

static size_t head_rows(gpt2_lm_mode mode, size_t lm_vocab) { return mode == GPT2_LM_UNTIED ? lm_vocab : 0; }

size_t gpt2_num_params(const gpt2_config *c, gpt2_lm_mode lm_mode, size_t lm_vocab) {
    gpt2_tensor_info t[GPT2_NUM_TENSORS];
    return tensor_table(c, head_rows(lm_mode, lm_vocab ? lm_vocab : c->vocab_size), t);
}

static void point_params(gpt2_model *m, gpt2_params *p, float *base) {
    float **ptrs = (float **)p;
    for (int i = 0; i < GPT2_NUM_TENSORS; i++)
        ptrs[i] = m->tensors[i].numel ? base + m->tensors[i].offset : NULL;
}

// Activation sizes (floats) for (B, T) with an LM head of VO outputs (0: none), in gpt2_acts
// field order.
static void act_sizes(const gpt2_config *c, gpt2_precision precision, size_t VO, size_t B, size_t T,
                      size_t sizes[GPT2_NUM_ACTS]) {
    size_t C = c->n_embd, L = c->n_layer, NH = c->n_head, K = c->n_classes;
    size_t BT = B * T;
    // The bf16 path keeps ln1, atty, ln2 and fch_gelu only as their bf16 copies (acts16): the
    // GEMMs and the backward read nothing else of them.
    size_t f32 = precision != GPT2_BF16;
    size_t s[] = {
        BT * C,                    // encoded
        f32 * L * BT * C, L * BT, L * BT, // ln1, mean, rstd
        L * BT * 3 * C,            // qkv
        f32 * L * BT * C,          // atty
        L * B * NH * T * T,        // att
        L * BT * C,                // res2
        f32 * L * BT * C, L * BT, L * BT, // ln2, mean, rstd
        L * BT * 4 * C,            // fch
        f32 * L * BT * 4 * C,      // fch_gelu
        L * BT * C,                // res3
        BT * C, BT, BT,            // lnf, mean, rstd
        BT * VO,                   // lm_logits
        B * K,                     // cls_logits
        BT * C, BT * C, BT * C,    // dres, dln, datty
        BT * 3 * C,                // dqkv
        BT * 4 * C,                // dfch
        B * NH * T * T,            // datt
    };
    _Static_assert(sizeof s / sizeof s[0] == GPT2_NUM_ACTS, "one size per activation");
    memcpy(sizes, s, sizeof s);
}

// ---- weight packs

const float *gpt2_block_weight(const gpt2_model *m, size_t l, gpt2_block_weight_id w, size_t *K_in, size_t *N_out) {
    size_t C = m->cfg.n_embd;
    const gpt2_params *p = &m->params;
    switch (w) {
    case GPT2_W_QKV: *K_in = C; *N_out = 3 * C; return p->qkvw + l * C * 3 * C;
    case GPT2_W_ATTPROJ: *K_in = C; *N_out = C; return p->attprojw + l * C * C;
    case GPT2_W_FC: *K_in = C; *N_out = 4 * C; return p->fcw + l * C * 4 * C;
    default: *K_in = 4 * C; *N_out = C; return p->fcprojw + l * 4 * C * C;
    }
}

// W [K_in, N_out] as gemm's B, or its transpose (element (k, n) = W[n, k]).
static gemm_view weight_view(const float *w, size_t N_out, bool transposed) {
    return transposed ? (gemm_view){w, 1, (ptrdiff_t)N_out} : (gemm_view){w, (ptrdiff_t)N_out, 1};
}

// bf16: every pack made now (training packs at every use, gpt2_repack). fp32: the table only;
// W's pack is made at its first use under the cache (gpt2_repack), Wᵀ's never.
static int alloc_packs(gpt2_model *m) {
    size_t n = m->cfg.n_layer * GPT2_BLOCK_WEIGHTS * 2;
    m->wpack = calloc(n, sizeof *m->wpack);
    m->wpack_gen = calloc(n, sizeof *m->wpack_gen);
    m->wpack_rows = calloc(n / 2, sizeof *m->wpack_rows);
    if (!m->wpack || !m->wpack_gen || !m->wpack_rows)
        return W2S_FAIL("gpt2_create: out of memory for the weight packs' table");
    if (m->opt.precision != GPT2_BF16) return 0;
    for (size_t l = 0; l < m->cfg.n_layer; l++)
        for (gpt2_block_weight_id w = 0; w < GPT2_BLOCK_WEIGHTS; w++)
            for (int t = 0; t < 2; t++) {
                size_t K, N;
                const float *p = gpt2_block_weight(m, l, w, &K, &N);
                if (gemm_pack_b(&m->wpack[gpt2_wpack_index(l, w, t)], GEMM_BF16, m->isa,
                                t ? N : K, t ? K : N, W2S_DTYPE_F32, weight_view(p, N, t)))
                    return w2s_error_wrap("gpt2_create: packing bf16 weights");
            }
    return 0;
}

// fp32 keeps packs only for the forward's W under the cache: packing an fp32 B costs a pass
// over it whose values do not change, which a product of a few rows (one example labeled)
// cannot hide, while Wᵀ packs would double the weights' memory for training alone.
static bool fp32_pack_wanted(const gpt2_model *m, bool transposed) { return m->pack_cache && !transposed; }

static void free_fp32_packs(gpt2_model *m) {
    for (size_t i = 0; i < m->cfg.n_layer * GPT2_BLOCK_WEIGHTS * 2; i++) gemm_packed_b_free(&m->wpack[i]);
}

const gemm_packed_b *gpt2_repack(gpt2_model *m, size_t l, gpt2_block_weight_id w, bool transposed) {
    if (!m->wpack) return NULL;
    size_t K, N;
    const float *p = gpt2_block_weight(m, l, w, &K, &N);
    size_t i = gpt2_wpack_index(l, w, transposed);
    gemm_packed_b *pb = &m->wpack[i];
    bool fp32 = m->opt.precision != GPT2_BF16;
    if (fp32 && !fp32_pack_wanted(m, transposed)) return NULL;
    if (m->pack_cache && pb->data && m->wpack_gen[i] == m->params_gen) return pb;
    if (fp32 && !pb->data) {
        // Out of memory leaves B packed on the fly, as without the cache: slower, same bits.
        if (gemm_pack_b(pb, GEMM_F32, m->isa, K, N, W2S_DTYPE_F32, weight_view(p, N, false))) return NULL;
    } else {
        gemm_repack_b(pb, W2S_DTYPE_F32, weight_view(p, N, transposed));
    }
    m->wpack_gen[i] = m->params_gen;
    return pb;
}

void gpt2_pack_cache(gpt2_model *m, bool on) {
    m->pack_cache = on;
    m->params_gen++;
    if (!on && m->wpack && m->opt.precision != GPT2_BF16) free_fp32_packs(m);
}

void gpt2_params_changed(gpt2_model *m) {
    m->params_gen++;
    if (m->wpack_rows) memset(m->wpack_rows, 0, m->cfg.n_layer * GPT2_BLOCK_WEIGHTS * sizeof *m->wpack_rows);
}

// Rows of W per repack strip: whole K groups of W's pack and whole panels of Wᵀ's (both are
// made for the same kernel, so one weight's values hold for all four). 0 if layers do not
// split into such strips (then nothing is repacked inside the optimizer).
static size_t strip_rows(const gpt2_model *m, gpt2_block_weight_id which) {
    const gemm_packed_b *w = &m->wpack[gpt2_wpack_index(0, which, false)];
    const gemm_packed_b *wt = &m->wpack[gpt2_wpack_index(0, which, true)];
    size_t a = w->kgroup, b = wt->nr, g = a, r = b;
    while (r) {
        size_t t = g % r;
        g = r;
        r = t;
    }
    size_t rows = a / g * b, K = w->K;
    return K % rows ? 0 : rows;
}

// Which block weight tensor starts at `offset`, or GPT2_BLOCK_WEIGHTS if none.
static gpt2_block_weight_id block_weight_at(const gpt2_model *m, size_t offset) {
    gpt2_block_weight_id w = 0;
    for (; w < GPT2_BLOCK_WEIGHTS; w++) {
        size_t K, N;
        if ((size_t)(gpt2_block_weight(m, 0, w, &K, &N) - m->params_memory) == offset) break;
    }
    return w;
}

size_t gpt2_optim_chunk(const gpt2_model *m, size_t tensor) {
    if (!m->wpack || m->opt.precision != GPT2_BF16 || !m->params_memory || tensor >= GPT2_NUM_TENSORS) return 0;
    gpt2_block_weight_id w = block_weight_at(m, m->tensors[tensor].offset);
    if (w == GPT2_BLOCK_WEIGHTS || !m->tensors[tensor].numel) return 0;
    return strip_rows(m, w) * m->wpack[gpt2_wpack_index(0, w, false)].N;
}

void gpt2_params_written(void *model, size_t offset, size_t count) {
    gpt2_model *m = model;
    if (!m->wpack || m->opt.precision != GPT2_BF16 || !m->params_memory) return;
    for (gpt2_block_weight_id w = 0; w < GPT2_BLOCK_WEIGHTS; w++) {
        size_t K, N, R = strip_rows(m, w);
        const float *w0 = gpt2_block_weight(m, 0, w, &K, &N);
        size_t start = (size_t)(w0 - m->params_memory), size = m->cfg.n_layer * K * N;
        if (!R || offset < start || offset >= start + size) continue;
        size_t rel = offset - start, l = rel / (K * N), r0 = rel % (K * N) / N, rows = count / N;
        // only whole strips inside one layer (the chunks gpt2_optim_chunk asks for)
        if (count % N || r0 % R || (rows % R && r0 + rows != K) || r0 + rows > K) return;
        gemm_packed_b *pw = &m->wpack[gpt2_wpack_index(l, w, false)], *pwt = &m->wpack[gpt2_wpack_index(l, w, true)];
        const float *wl = w0 + l * K * N;
        if (gemm_repack_b_block(pw, W2S_DTYPE_F32, weight_view(wl, N, false), r0, r0 + rows, 0, N) ||
            gemm_repack_b_block(pwt, W2S_DTYPE_F32, weight_view(wl, N, true), 0, N, r0, r0 + rows))
            return;  // not counted: the pack is made again at its next use
#pragma omp atomic
        m->wpack_rows[l * GPT2_BLOCK_WEIGHTS + (size_t)w] += rows;
        return;
    }
}

void gpt2_params_repacked(gpt2_model *m) {
    if (!m->wpack_rows) return;
    for (size_t l = 0; l < m->cfg.n_layer; l++)
        for (gpt2_block_weight_id w = 0; w < GPT2_BLOCK_WEIGHTS; w++) {
            size_t K, N;
            gpt2_block_weight(m, l, w, &K, &N);
            size_t i = l * GPT2_BLOCK_WEIGHTS + (size_t)w;
            if (m->wpack_rows[i] == K)
                m->wpack_gen[gpt2_wpack_index(l, w, false)] = m->wpack_gen[gpt2_wpack_index(l, w, true)] = m->params_gen;
            m->wpack_rows[i] = 0;
        }
}

// ---- bf16 activation copies

// Elements of gpt2_acts16 for a (B, T) batch: ln1, atty, ln2 (C each) and fch_gelu (4C) per
// layer, and the dy scratch (4C).
static size_t acts16_size(const gpt2_config *c, size_t B, size_t T) {
    return (c->n_layer * 7 + 4) * B * T * c->n_embd;
}

size_t gpt2_act_bytes(const gpt2_config *c, gpt2_precision precision, size_t lm_vocab, size_t B, size_t T) {
    size_t sizes[GPT2_NUM_ACTS], floats = 0;
    act_sizes(c, precision, lm_vocab, B, T, sizes);
    for (size_t i = 0; i < GPT2_NUM_ACTS; i++) floats += sizes[i];
    size_t bf16 = precision == GPT2_BF16 ? acts16_size(c, B, T) : 0;
    return floats * sizeof(float) + bf16 * sizeof(uint16_t);
}

static int alloc_acts16(gpt2_model *m) {
    size_t n = acts16_size(&m->cfg, m->opt.max_batch, m->opt.max_seq);
    size_t bytes = (n * sizeof(w2s_bf16) + 63) & ~(size_t)63;
    m->acts16 = calloc(1, sizeof *m->acts16);
    if (m->acts16) m->acts16->memory = aligned_alloc(64, bytes);
    if (!m->acts16 || !m->acts16->memory)
        return W2S_FAIL("gpt2_create: out of memory for the bf16 activation copies (%zu bytes)", bytes);
    memset(m->acts16->memory, 0, bytes);
    m->acts16->ck = convert_get(w2s_isa_active());
    return 0;
}

// ---- create / destroy

static float *alloc_floats(size_t n) {
    // 64-byte aligned for the kernels; never 0 bytes (aligned_alloc(64, 0) may return NULL).
    size_t bytes = ((n ? n : 1) * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

gpt2_model *gpt2_create(const gpt2_config *cfg, const gpt2_options *opt) {
    const gpt2_config *c = cfg;
    if (!c->n_layer || !c->n_head || !c->n_embd || !c->vocab_size || !c->n_positions ||
        c->n_embd % c->n_head) {
        W2S_FAIL("gpt2_create: bad config (n_layer %zu, n_head %zu, n_embd %zu, vocab %zu, "
                 "positions %zu); n_embd must be a multiple of n_head",
                 c->n_layer, c->n_head, c->n_embd, c->vocab_size, c->n_positions);
        return NULL;
    }
    if (!(c->ln_eps > 0.0f)) {
        W2S_FAIL("gpt2_create: layer_norm_epsilon %g must be > 0", (double)c->ln_eps);
        return NULL;
    }
    if (!opt->max_batch || !opt->max_seq || opt->max_seq > c->n_positions) {
        W2S_FAIL("gpt2_create: max_batch %zu / max_seq %zu invalid (max_seq <= n_positions %zu)",
                 opt->max_batch, opt->max_seq, c->n_positions);
        return NULL;
    }
    if (opt->lm_mode == GPT2_LM_TIED && opt->lm_vocab && opt->lm_vocab != c->vocab_size) {
        W2S_FAIL("gpt2_create: a tied LM head predicts all %zu embedding rows, not %zu",
                 c->vocab_size, opt->lm_vocab);
        return NULL;
    }
    if (opt->lm_vocab > c->vocab_size) {
        W2S_FAIL("gpt2_create: lm_vocab %zu > vocab_size %zu", opt->lm_vocab, c->vocab_size);
        return NULL;
    }
    gpt2_model *m = calloc(1, sizeof *m);
    if (!m) {
        W2S_FAIL("gpt2_create: out of memory");
        return NULL;
    }
    m->cfg = *c;
    m->opt = *opt;
    m->lm_vocab = opt->lm_mode == GPT2_LM_NONE ? 0 : opt->lm_vocab ? opt->lm_vocab : c->vocab_size;
    m->num_params = tensor_table(c, head_rows(opt->lm_mode, m->lm_vocab), m->tensors);
    size_t sizes[GPT2_NUM_ACTS], n_acts = 0;
    act_sizes(c, opt->precision, m->lm_vocab, opt->max_batch, opt->max_seq, sizes);
    for (size_t i = 0; i < GPT2_NUM_ACTS; i++) n_acts += sizes[i];
    size_t BTmax = opt->max_batch * opt->max_seq;
    m->params_memory = alloc_floats(m->num_params);
    m->grads_memory = alloc_floats(m->num_params);
    m->acts_memory = alloc_floats(n_acts);
    m->tokens = malloc(BTmax * sizeof(int32_t));
    m->targets = malloc(BTmax * sizeof(int32_t));
    m->lengths = malloc(opt->max_batch * sizeof(int32_t));
    if (!m->params_memory || !m->grads_memory || !m->acts_memory || !m->tokens || !m->targets ||
        !m->lengths) {
        W2S_FAIL("gpt2_create: out of memory (%zu parameters, %zu activation floats for "
                 "batch %zu x %zu); lower the batch size or sequence length",
                 m->num_params, n_acts, opt->max_batch, opt->max_seq);
        gpt2_destroy(m);
        return NULL;
    }
    memset(m->acts_memory, 0, n_acts * sizeof(float));
    point_params(m, &m->params, m->params_memory);
    point_params(m, &m->grads, m->grads_memory);
    m->isa = w2s_isa_active();
    m->rk = rowops_get(m->isa);
    if (alloc_packs(m) || (opt->precision == GPT2_BF16 && alloc_acts16(m))) {
        gpt2_destroy(m);
        return NULL;
    }
    memset(m->grads_memory, 0, m->num_params * sizeof(float));
    memset(m->params_memory, 0, m->num_params * sizeof(float));
    return m;
}

gpt2_model *gpt2_create_replica(const gpt2_model *src, size_t max_batch) {
    if (!max_batch || max_batch > src->opt.max_batch) {
        W2S_FAIL("gpt2_create_replica: max_batch %zu outside 1..%zu (the source's)", max_batch,
                 src->opt.max_batch);
        return NULL;
    }
    gpt2_options opt = src->opt;
    opt.max_batch = max_batch;
    gpt2_model *m = gpt2_create(&src->cfg, &opt);
    if (!m) return NULL;
    free(m->params_memory);
    m->params_memory = NULL;
    m->params = src->params;
    m->linear_probe = src->linear_probe;
    return m;
}

void gpt2_destroy(gpt2_model *m) {
    if (!m) return;
    if (m->wpack)
        for (size_t i = 0; i < m->cfg.n_layer * GPT2_BLOCK_WEIGHTS * 2; i++) gemm_packed_b_free(&m->wpack[i]);
    free(m->wpack);
    free(m->wpack_gen);
    free(m->wpack_rows);
    if (m->acts16) free(m->acts16->memory);
    free(m->acts16);
    free(m->params_memory);
    free(m->grads_memory);
    free(m->acts_memory);
    free(m->tokens);
    free(m->targets);
    free(m->lengths);
    free(m);
}

void gpt2_zero_grad(gpt2_model *m) {
    prof_set_phase(PROF_PHASE_UPDATE);  // part of the update: the profile's optimizer row
    double t = prof_begin();
    memset(m->grads_memory, 0, m->num_params * sizeof(float));
    prof_end(PROF_OPTIMIZER, t);
}

void gpt2_layout_acts(gpt2_model *m, size_t B, size_t T) {
    size_t sizes[GPT2_NUM_ACTS];
    act_sizes(&m->cfg, m->opt.precision, m->lm_vocab, B, T, sizes);
    float **ptrs = (float **)&m->acts;
    float *p = m->acts_memory;
    for (size_t i = 0; i < GPT2_NUM_ACTS; i++) {
        ptrs[i] = p;
        p += sizes[i];
    }
    if (m->opt.precision == GPT2_BF16)  // sized 0 above
        m->acts.ln1 = m->acts.atty = m->acts.ln2 = m->acts.fch_gelu = NULL;
    if (m->acts16) {
        size_t n = m->cfg.n_layer * B * T * m->cfg.n_embd;  // one (L, B, T, C) tensor
        struct gpt2_acts16 *a = m->acts16;
        a->ln1 = a->memory;
        a->atty = a->ln1 + n;
        a->ln2 = a->atty + n;
        a->fch_gelu = a->ln2 + n;
        a->dy = a->fch_gelu + 4 * n;
    }
}

// ---- initialization

// Fills p[0..n) with N(0, sd²) by Box–Muller (both outputs of each pair used), from a
// splitmix64 stream seeded by `key`.
static void fill_normal(float *p, size_t n, double sd, uint64_t key) {
    uint64_t s = key;
    for (size_t j = 0; j < n; j += 2) {
        double u1 = ((rng_splitmix64(&s) >> 11) + 1) * (1.0 / 9007199254740993.0);  // (0, 1]
        double u2 = (rng_splitmix64(&s) >> 11) * (1.0 / 9007199254740992.0);
        double r = sd * sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
        p[j] = (float)(r * cos(a));
        if (j + 1 < n) p[j + 1] = (float)(r * sin(a));
    }
}

// Normal values are drawn in fixed chunks, each from its own stream keyed by (seed, tensor,
// chunk), so chunks fill in parallel and the result does not depend on the thread count.
#define INIT_CHUNK ((size_t)65536)

void gpt2_init_random(gpt2_model *m, uint64_t seed) {
    double std_resid = 0.02 / sqrt(2.0 * (double)m->cfg.n_layer);
    for (int i = 0; i < GPT2_NUM_TENSORS; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        float *p = m->params_memory + t->offset;
        const char *n = t->name;
        bool is_ln_weight = !strcmp(n, "ln_1.weight") || !strcmp(n, "ln_2.weight") ||
                            !strcmp(n, "ln_f.weight");
        if (is_ln_weight) {
            for (size_t j = 0; j < t->numel; j++) p[j] = 1.0f;
        } else if (t->ndim == 1 || !strcmp(n, "score.weight")) {
            memset(p, 0, t->numel * sizeof(float));  // biases, LN biases, the zero-init head
        } else {
            bool resid = !strcmp(n, "attn.c_proj.weight") || !strcmp(n, "mlp.c_proj.weight");
            double sd = resid ? std_resid : 0.02;
            size_t chunks = (t->numel + INIT_CHUNK - 1) / INIT_CHUNK;
#pragma omp parallel for schedule(static)
            for (size_t c = 0; c < chunks; c++) {
                uint64_t key = seed ^ ((uint64_t)i << 56) ^ ((uint64_t)c * 0xd1b54a32d192ed03ull);
                size_t len = t->numel - c * INIT_CHUNK < INIT_CHUNK ? t->numel - c * INIT_CHUNK : INIT_CHUNK;
                fill_normal(p + c * INIT_CHUNK, len, sd, rng_splitmix64(&key));
            }
        }
    }
}

// ---- queries

const gpt2_tensor_info *gpt2_tensor_find(const gpt2_model *m, const char *name) {
    for (int i = 0; i < GPT2_NUM_TENSORS; i++)
        if (!strcmp(m->tensors[i].name, name)) return &m->tensors[i];
    return NULL;
}

double gpt2_train_flops_per_token(const gpt2_model *m) {
    // Matmul parameters: the blocks, the heads (score is per sequence, negligible but exact
    // accounting is not the point: 6·N is the standard estimate, Kaplan et al. 2020 §2.1).
    double n = 0;
    for (int i = 2; i < GPT2_NUM_TENSORS; i++) n += (double)m->tensors[i].numel;
    if (m->opt.lm_mode == GPT2_LM_TIED) n += (double)m->tensors[0].numel;
    return 6.0 * n;
}
