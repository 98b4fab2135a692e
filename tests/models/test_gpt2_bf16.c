// test_gpt2_bf16.c — bf16 mixed-precision training reaches the fp32 loss on a tiny task.
// Same init, same data, same Adam: a small GPT-2 learns "next = previous + step (mod V)"
// sequences (the step must be inferred in context, so attention has to work). The bf16 run
// rounds every matmul operand to bf16; master weights, Adam state, LayerNorm, softmax, GELU
// and the loss stay f32 (docs/PROTOCOL.md, "Numerics"). Also: the weight-pack cache (gpt2_pack_cache), on
// bf16 and on fp32, gives bit-identical gradients and really reuses packs until gpt2_params_changed, and packs remade
// inside the optimizer step give the same training bit for bit.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "test_main.h"
#include "xorshift.h"

#include "error.h"
#include "gpt2.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V = 16, T = 16, B = 16, STEPS = 200 };
// The task is learnable far below chance (ln 16 = 2.77) in STEPS steps (fp32 reaches ~0.1) ...
#define LOSS_LEARNED 0.5
// ... and bf16 ends within this of fp32 (final losses averaged over the last 20 steps).
// Observed gap 5e-4; bf16 rounding perturbs the trajectory, so allow 0.02 (still 4x smaller
// than the loss itself: a bf16 path that trains worse, or not at all, fails).
#define LOSS_GAP_TOL 0.02

static uint64_t rs;
static uint32_t rnd(void) { return (uint32_t)(xorshift64(&rs) >> 32); }

static void make_batch(int32_t *tok, int32_t *tgt, int32_t *len) {
    for (int b = 0; b < B; b++) {
        int32_t x = (int32_t)(rnd() % V), step = 1 + (int32_t)(rnd() % 3);
        len[b] = T - (int32_t)(rnd() % 4);  // some padding
        for (int t = 0; t < T; t++) {
            tok[b * T + t] = x;
            x = (x + step) % V;
            tgt[b * T + t] = t + 1 < len[b] ? x : -1;
        }
    }
}

// A 2-layer model of width n_embd with an untied LM head, GPT-2 init from seed.
static gpt2_model *tiny_model(gpt2_precision prec, size_t n_embd, uint64_t seed) {
    gpt2_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = n_embd, .vocab_size = V, .n_positions = T,
                       .n_classes = 0, .ln_eps = 1e-5f};
    gpt2_options opt = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_UNTIED, .precision = prec};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    assert_non_null(m);
    gpt2_init_random(m, seed);
    return m;
}

static double train(gpt2_precision prec) {
    gpt2_model *m = tiny_model(prec, 32, 7);
    optim_adam_config oc = {.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.0f, .clip_norm = 1.0f};
    optim_adam *o = optim_adam_create(&oc, m->num_params);
    optim_segment seg = {.offset = 0, .count = m->num_params};
    int32_t tok[B * T], tgt[B * T], len[B];
    rs = 0x9E3779B97F4A7C15ull;
    double tail = 0;
    for (int s = 0; s < STEPS; s++) {
        make_batch(tok, tgt, len);
        gpt2_zero_grad(m);
        if (gpt2_forward(m, tok, len, B, T, tgt) || gpt2_backward(m, NULL, 1.0f)) {
            fprintf(stderr, "%s\n", w2s_error_message());
            fail();
        }
        if (s >= STEPS - 20) tail += m->lm_loss / 20.0;
        optim_adam_step(o, m->params_memory, m->grads_memory, &seg, 1,
                        optim_lr_cosine((size_t)s, STEPS, 10, 1e-2f, 1e-3f));
    }
    optim_adam_destroy(o);
    gpt2_destroy(m);
    return tail;
}

// Loss and gradients of one forward + backward of the fixed batch.
static float loss_and_grads(gpt2_model *m, const int32_t *tok, const int32_t *tgt, const int32_t *len, float *g) {
    assert_int_equal(gpt2_forward(m, tok, len, B, T, tgt), 0);
    gpt2_zero_grad(m);
    assert_int_equal(gpt2_backward(m, NULL, 1.0f), 0);
    memcpy(g, m->grads_memory, m->num_params * sizeof(float));
    return m->lm_loss;
}

// Cache on against off for one precision (fp32 packs only the forward's weights, at first use).
static void check_pack_cache(gpt2_precision prec) {
    gpt2_model *m = tiny_model(prec, 32, 3);
    int32_t tok[B * T], tgt[B * T], len[B];
    rs = 0x1234567ull;
    make_batch(tok, tgt, len);
    size_t n = m->num_params;
    float *g_off = malloc(n * sizeof(float)), *g_on = malloc(n * sizeof(float));
    assert_non_null(g_off);
    assert_non_null(g_on);
    float l_off = loss_and_grads(m, tok, tgt, len, g_off);
    gpt2_pack_cache(m, true);
    for (int rep = 0; rep < 2; rep++) {  // the second pass reuses the first pass's packs
        float l_on = loss_and_grads(m, tok, tgt, len, g_on);
        assert_memory_equal(&l_on, &l_off, sizeof(float));
        assert_memory_equal(g_on, g_off, n * sizeof(float));
    }
    for (size_t i = 0; i < m->cfg.n_layer * 8; i += 2) {  // W packed (fp32 too); Wᵀ only on bf16
        assert_non_null(m->wpack[i].data);
        assert_true((m->wpack[i + 1].data != NULL) == (prec == GPT2_BF16));
    }
    // A weight write the model is not told about is not seen (the packs really are reused) ...
    float saved = m->params.fcw[0];
    m->params.fcw[0] += 1.0f;
    float l_stale = loss_and_grads(m, tok, tgt, len, g_on);
    assert_memory_equal(&l_stale, &l_off, sizeof(float));
    // ... and after gpt2_params_changed the result is that of a fresh pack (cache off).
    gpt2_params_changed(m);
    float l_new = loss_and_grads(m, tok, tgt, len, g_on);
    gpt2_pack_cache(m, false);
    float l_ref = loss_and_grads(m, tok, tgt, len, g_off);
    assert_true(l_new != l_off);
    assert_memory_equal(&l_new, &l_ref, sizeof(float));
    assert_memory_equal(g_on, g_off, n * sizeof(float));
    if (prec == GPT2_FP32) assert_null(m->wpack[0].data);  // the cache's copy is released when off
    m->params.fcw[0] = saved;
    free(g_off);
    free(g_on);
    gpt2_destroy(m);
}

static void test_pack_cache_bf16(void **state) {
    (void)state;
    check_pack_cache(GPT2_BF16);
}

static void test_pack_cache_fp32(void **state) {
    (void)state;
    check_pack_cache(GPT2_FP32);
}

// The optimizer's in-step repacking (gpt2_optim_chunk / gpt2_params_written) against plain
// packing at use: same losses and gradients bit for bit over several steps, and every pack
// current after each step (so the next forward and backward pack nothing). n_embd 96 splits
// into strips of whole panels (48 columns on AVX-512, fewer below).
static void test_optimizer_repack(void **state) {
    (void)state;
    gpt2_model *fused = tiny_model(GPT2_BF16, 96, 5), *plain = tiny_model(GPT2_BF16, 96, 5);
    optim_adam_config oc = {.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f};
    optim_adam *of = optim_adam_create(&oc, fused->num_params), *op = optim_adam_create(&oc, plain->num_params);
    optim_segment segs[GPT2_NUM_TENSORS];
    size_t nseg = 0, chunked = 0;
    for (size_t i = 0; i < GPT2_NUM_TENSORS; i++)
        if (fused->tensors[i].numel) {
            segs[nseg] = (optim_segment){.offset = fused->tensors[i].offset, .count = fused->tensors[i].numel,
                                         .chunk = gpt2_optim_chunk(fused, i)};
            chunked += segs[nseg++].chunk != 0;
        }
    assert_int_equal(chunked, 4);  // the four block weights
    size_t n = fused->num_params;
    float *gf = malloc(n * sizeof(float)), *gp = malloc(n * sizeof(float));
    assert_non_null(gf);
    assert_non_null(gp);
    int32_t tok[B * T], tgt[B * T], len[B];
    rs = 0xABCDEFull;
    gpt2_pack_cache(fused, true);
    for (int step = 0; step < 3; step++) {
        make_batch(tok, tgt, len);
        float lf = loss_and_grads(fused, tok, tgt, len, gf), lp = loss_and_grads(plain, tok, tgt, len, gp);
        assert_memory_equal(&lf, &lp, sizeof(float));
        assert_memory_equal(gf, gp, n * sizeof(float));
        gpt2_params_changed(fused);
        optim_adam_step_hooked(of, fused->params_memory, fused->grads_memory, segs, nseg, 1e-2f, gpt2_params_written,
                               fused);
        gpt2_params_repacked(fused);
        optim_adam_step(op, plain->params_memory, plain->grads_memory, segs, nseg, 1e-2f);
        for (size_t i = 0; i < fused->cfg.n_layer * 8; i++) assert_true(fused->wpack_gen[i] == fused->params_gen);
    }
    free(gf);
    free(gp);
    optim_adam_destroy(of);
    optim_adam_destroy(op);
    gpt2_destroy(fused);
    gpt2_destroy(plain);
}

static void test_bf16_matches_fp32(void **state) {
    (void)state;
    double l32 = train(GPT2_FP32), l16 = train(GPT2_BF16);
    printf("final loss (mean of last 20 steps): fp32 %.4f, bf16 %.4f, gap %.4f\n", l32, l16, fabs(l32 - l16));
    assert_true(l32 < LOSS_LEARNED);
    assert_true(fabs(l32 - l16) <= LOSS_GAP_TOL);
}

W2S_TEST_MAIN(NULL, NULL, test_bf16_matches_fp32, test_pack_cache_bf16, test_pack_cache_fp32, test_optimizer_repack)
