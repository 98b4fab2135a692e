// test_gpt2_shapes.c — gpt2_num_params and gpt2_act_bytes, the one place that sizes a model:
// parameter counts agree with the model gpt2_create builds and with GPT-2's published size,
// activation bytes with a count derived here by hand from the saved tensors of a layer.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gpt2.h"

static const gpt2_config small = {.n_layer = 12, .n_head = 12, .n_embd = 768, .vocab_size = 50257,
                                  .n_positions = 1024, .n_classes = 2, .ln_eps = 1e-5f};
static const gpt2_config tiny = {.n_layer = 2, .n_head = 2, .n_embd = 16, .vocab_size = 40,
                                 .n_positions = 12, .n_classes = 3, .ln_eps = 1e-5f};

static void test_num_params(void **state) {
    (void)state;
    // GPT-2 small: 124,439,808 parameters with the tied LM head (Radford et al. 2019's 124M),
    // plus the zero-initialized classification head (K × C).
    assert_int_equal(gpt2_num_params(&small, GPT2_LM_NONE, 0), 124439808 + 2 * 768);
    assert_int_equal(gpt2_num_params(&small, GPT2_LM_TIED, 0), 124439808 + 2 * 768);
    // An untied head adds its own (VO, C) matrix.
    assert_int_equal(gpt2_num_params(&tiny, GPT2_LM_UNTIED, 30) - gpt2_num_params(&tiny, GPT2_LM_NONE, 0), 30 * 16);
    const gpt2_lm_mode modes[] = {GPT2_LM_NONE, GPT2_LM_TIED, GPT2_LM_UNTIED};
    for (size_t i = 0; i < 3; i++) {
        gpt2_options o = {.max_batch = 2, .max_seq = 8, .lm_mode = modes[i], .lm_vocab = modes[i] == GPT2_LM_UNTIED ? 30 : 0,
                          .precision = GPT2_FP32};
        gpt2_model *m = gpt2_create(&tiny, &o);
        assert_non_null(m);
        assert_int_equal(m->num_params, gpt2_num_params(&tiny, o.lm_mode, o.lm_vocab));
        gpt2_destroy(m);
    }
}

// Floats of activations per sequence of T tokens at fp32, counted from the tensors the forward
// saves for the backward: per layer and token ln1 C, qkv 3C, atty C, res2 C, ln2 C, fch 4C,
// fch_gelu 4C, res3 C and two LayerNorms' mean and rstd; per token the embedding, ln_f (C + 2)
// and the backward's scratch (dres, dln, datty C each, dqkv 3C, dfch 4C); attention L·NH·T²
// plus its gradient NH·T²; the classification logits K; the LM logits T·VO.
static size_t floats_per_seq(const gpt2_config *c, size_t T, size_t VO) {
    size_t C = c->n_embd, L = c->n_layer, NH = c->n_head;
    return T * (L * (16 * C + 4) + 12 * C + 2 + VO) + L * NH * T * T + NH * T * T + c->n_classes;
}

static void test_act_bytes(void **state) {
    (void)state;
    const gpt2_config *cs[] = {&small, &tiny};
    for (size_t i = 0; i < 2; i++) {
        const gpt2_config *c = cs[i];
        size_t T = c->n_positions < 64 ? c->n_positions : 64, C = c->n_embd, L = c->n_layer;
        assert_int_equal(gpt2_act_bytes(c, GPT2_FP32, 0, 1, T), floats_per_seq(c, T, 0) * sizeof(float));
        assert_int_equal(gpt2_act_bytes(c, GPT2_FP32, 30, 1, T), floats_per_seq(c, T, 30) * sizeof(float));
        // Linear in the batch.
        assert_int_equal(gpt2_act_bytes(c, GPT2_BF16, 0, 5, T), 5 * gpt2_act_bytes(c, GPT2_BF16, 0, 1, T));
        // bf16: ln1, atty, ln2, fch_gelu (7C per layer and token) live only as bf16 copies, and
        // the bf16 dy scratch (4C per token) is added.
        size_t f32 = gpt2_act_bytes(c, GPT2_FP32, 0, 1, T), b16 = gpt2_act_bytes(c, GPT2_BF16, 0, 1, T);
        assert_int_equal(f32 - b16, T * L * 7 * C * sizeof(float) - T * (L * 7 + 4) * C * sizeof(uint16_t));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_params),
        cmocka_unit_test(test_act_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
