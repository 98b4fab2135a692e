// test_gpt2_checkpoint.c — w2s checkpoints: save → load → save is byte-identical and keeps
// every parameter bit; HF-style files without "transformer." and without heads load (zero
// score head, lm_head copied from wte); missing or misshapen tensors fail with their name.
#include "test_main.h"

#include "error.h"
#include "fileio.h"
#include "fixture_file.h"
#include "gpt2_checkpoint.h"
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gpt2_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 16, .vocab_size = 29,
                                .n_positions = 9, .n_classes = 2, .ln_eps = 1e-5f};

static gpt2_model *make(gpt2_lm_mode mode, size_t vo, uint64_t seed) {
    gpt2_options opt = {.max_batch = 2, .max_seq = 9, .lm_mode = mode, .lm_vocab = vo};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    assert_non_null(m);
    gpt2_init_random(m, seed);
    for (size_t i = 0; i < m->num_params; i++)  // no zero head or unit LN: every bit matters
        m->params_memory[i] += 1e-3f * (float)(i % 17);
    return m;
}

static void test_roundtrip(void **state) {
    (void)state;
    gpt2_model *a = make(GPT2_LM_UNTIED, 27, 5);
    char *p1 = fixture_file_path("a.safetensors"), *p2 = fixture_file_path("b.safetensors");
    assert_int_equal(gpt2_checkpoint_save(a, p1), 0);
    gpt2_config c2;
    assert_int_equal(gpt2_checkpoint_config(p1, &c2), 0);
    assert_int_equal(c2.n_layer, 2);
    assert_int_equal(c2.n_classes, 2);
    gpt2_options opt = {.max_batch = 1, .max_seq = 4, .lm_mode = GPT2_LM_UNTIED, .lm_vocab = 27};
    gpt2_model *b = gpt2_checkpoint_load(p1, &opt, -1);
    if (!b) fprintf(stderr, "%s\n", w2s_error_message());
    assert_non_null(b);
    assert_int_equal(a->num_params, b->num_params);
    assert_memory_equal(a->params_memory, b->params_memory, a->num_params * sizeof(float));
    assert_int_equal(gpt2_checkpoint_save(b, p2), 0);
    size_t n1, n2;
    char *f1 = w2s_read_file(p1, 1 << 24, &n1), *f2 = w2s_read_file(p2, 1 << 24, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(f1, f2, n1);
    free(f1);
    free(f2);
    gpt2_destroy(a);
    gpt2_destroy(b);
    fixture_file_remove(p1);
    fixture_file_remove(p2);
}

// A GPT2Model-style file: bare names, no heads, plus the attn.bias buffers HF writes.
static void test_hf_bare_names(void **state) {
    (void)state;
    gpt2_model *a = make(GPT2_LM_NONE, 0, 9);
    safetensors_writer *w = safetensors_writer_create();
    char name[128];
    float buf[81];
    for (int i = 0; i < 81; i++) buf[i] = 1.0f;
    size_t bshape[2] = {9, 9};
    for (int i = 0; i < GPT2_NUM_TENSORS; i++) {
        const gpt2_tensor_info *t = &a->tensors[i];
        if (!t->numel || !strcmp(t->name, "score.weight")) continue;
        size_t layers = t->per_layer ? 2 : 1, per = t->numel / layers;
        for (size_t l = 0; l < layers; l++) {
            if (t->per_layer) snprintf(name, sizeof name, "h.%zu.%s", l, t->name);
            else snprintf(name, sizeof name, "%s", t->name);
            assert_int_equal(safetensors_writer_add(w, name, SAFETENSORS_F32, t->ndim, t->shape,
                                                    a->params_memory + t->offset + l * per), 0);
        }
    }
    assert_int_equal(safetensors_writer_add(w, "h.0.attn.bias", SAFETENSORS_F32, 2, bshape, buf), 0);
    char *p = fixture_file_path("hf.safetensors");
    assert_int_equal(safetensors_writer_write(w, p), 0);
    safetensors_writer_destroy(w);

    gpt2_model *b = make(GPT2_LM_UNTIED, 0, 11);  // VO = V: lm_head comes from wte
    assert_int_equal(gpt2_checkpoint_load_weights(b, p), 0);
    const gpt2_tensor_info *score = gpt2_tensor_find(b, "score.weight");
    for (size_t i = 0; i < score->numel; i++) assert_true(b->params_memory[score->offset + i] == 0.0f);
    assert_memory_equal(b->params.lm_head, a->params.wte, cfg.vocab_size * cfg.n_embd * sizeof(float));
    assert_memory_equal(b->params.wte, a->params.wte, cfg.vocab_size * cfg.n_embd * sizeof(float));
    assert_memory_equal(b->params.fcprojw, a->params.fcprojw, 2 * 64 * 16 * sizeof(float));
    gpt2_destroy(b);

    // an untied head of another width cannot come from wte
    b = make(GPT2_LM_UNTIED, 20, 11);
    assert_int_equal(gpt2_checkpoint_load_weights(b, p), -1);
    assert_non_null(strstr(w2s_error_message(), "lm_head"));
    gpt2_destroy(b);

    // another shape fails and names the tensor
    gpt2_config big = cfg;
    big.n_embd = 32;
    gpt2_options opt = {.max_batch = 1, .max_seq = 4};
    b = gpt2_create(&big, &opt);
    assert_int_equal(gpt2_checkpoint_load_weights(b, p), -1);
    assert_non_null(strstr(w2s_error_message(), "wte.weight"));
    gpt2_destroy(b);
    gpt2_destroy(a);
    fixture_file_remove(p);
}

static void test_missing_config(void **state) {
    (void)state;
    gpt2_config c;
    char *p = fixture_file_path("none.safetensors");
    assert_int_equal(gpt2_checkpoint_config(p, &c), -1);  // absent file
    fixture_file_remove(p);
}

W2S_TEST_MAIN(NULL, NULL, test_roundtrip, test_hf_bare_names, test_missing_config)
