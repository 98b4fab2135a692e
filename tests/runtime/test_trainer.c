// test_trainer.c — the classification trainer on a tiny GPT-2 and a generated dataset:
// minibatch size does not change the result beyond float reordering (the loss sees the whole
// batch), a run resumed from its checkpoint is bit-identical, stale checkpoints are ignored,
// the linear probe moves only the head, training learns a simple rule, and evaluation agrees
// with per-example forwards.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fixture_file.h"
#include "gpt2.h"
#include "rng.h"
#include "trainer.h"

#define N_EX 48
#define V 32
#define K 2
#define MAX_LEN 9
// Same math, gradients summed over minibatches in another order: float reordering only. Over
// 6 Adam steps of lr 1e-3 a parameter moves at most ~6e-3; 1e-5 is ~0.2% of that.
#define TOL_MINIBATCH 1e-5f
// Logits of a batched forward vs one example at a time: the rows are batch-independent up
// to the GEMM's blocking of M (fp32): 1e-5 absolute on logits of magnitude ~1.
#define TOL_BATCH_INDEP 1e-5f
// Two fp32 softmax outputs summing to 1: a few ulps of 1.
#define TOL_PROB_SUM 1e-6f

static char *data_path;
static dataset ds;

static int setup(void **state) {
    (void)state;
    rng r;
    rng_seed(&r, 42);
    char *text = malloc(N_EX * 128), *p = text;
    for (size_t i = 0; i < N_EX; i++) {
        size_t len = 2 + rng_below(&r, MAX_LEN - 1), last = 0;
        p += sprintf(p, "{\"input_ids\": [");
        for (size_t t = 0; t < len; t++) p += sprintf(p, "%s%zu", t ? "," : "", last = rng_below(&r, V));
        p += sprintf(p, "], \"hard_label\": %d}\n", last < V / 2 ? 0 : 1);
    }
    data_path = fixture_file_write("data.jsonl", text, (size_t)(p - text));
    free(text);
    dataset_options o = {.require_labels = 1, .vocab_size = V};
    return dataset_load(&ds, data_path, &o);
}

static int teardown(void **state) {
    (void)state;
    dataset_free(&ds);
    fixture_file_remove(data_path);
    return 0;
}

static gpt2_model *tiny_model(size_t max_batch, gpt2_precision prec) {
    gpt2_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 16, .vocab_size = V, .n_positions = 16,
                       .n_classes = K, .ln_eps = 1e-5f};
    gpt2_options opt = {.max_batch = max_batch, .max_seq = MAX_LEN, .lm_mode = GPT2_LM_NONE, .precision = prec};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    assert_non_null(m);
    gpt2_init_random(m, 7);
    // A non-zero head, so the first step's gradient reaches the body.
    for (size_t i = 0; i < K * 16; i++) m->params.score[i] = 0.05f * (float)((int)(i % 5) - 2);
    return m;
}

static trainer_config base_config(loss_kind loss) {
    trainer_config c;
    trainer_config_default(&c);
    c.batch = 16;
    c.lr = 1e-3f;
    c.quiet = true;
    c.ckpt_every_s = 0;
    loss_config_default(&c.loss, loss);
    return c;
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
    float d = 0;
    for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

static void test_total_steps(void **state) {
    (void)state;
    assert_int_equal(trainer_total_steps(48, 2, 16), 6);
    assert_int_equal(trainer_total_steps(10, 2, 32), 2);   // batch clamped to n
    assert_int_equal(trainer_total_steps(50, 1, 32), 1);   // floor, as the reference
    assert_int_equal(trainer_total_steps(1, 1, 32), 1);
    // Auto minibatch: gpt2 (124M) at 1024 tokens needs ~1.2 GB per sequence -> 1; at 64 tokens
    // ~42 MB -> 25 fit in 1 GiB; clamped to [1, batch].
    gpt2_config g = {.n_layer = 12, .n_head = 12, .n_embd = 768, .vocab_size = 50257, .n_positions = 1024,
                     .n_classes = 2, .ln_eps = 1e-5f};
    assert_int_equal(trainer_auto_minibatch(&g, GPT2_FP32, 1024, 32, TRAINER_ACT_BUDGET), 1);
    size_t mb64 = trainer_auto_minibatch(&g, GPT2_FP32, 64, 32, TRAINER_ACT_BUDGET);
    assert_true(mb64 >= 16 && mb64 <= 32);
    assert_int_equal(trainer_auto_minibatch(&g, GPT2_FP32, 64, 8, TRAINER_ACT_BUDGET), 8);
    assert_int_equal(trainer_auto_minibatch(&g, GPT2_FP32, 64, 32, 0), 1);
}

static void test_minibatch_equivalence(void **state) {
    (void)state;
    trainer_data d = {.ds = &ds, .n = ds.n};
    trainer_config c = base_config(LOSS_LOGCONF);  // its threshold is a whole-batch statistic
    gpt2_model *ref = tiny_model(16, GPT2_FP32);
    trainer_stats st;
    assert_int_equal(trainer_train(ref, &c, &d, &st), 0);
    assert_int_equal(st.steps, 6);
    const size_t mbs[] = {4, 5};  // 5: an uneven last minibatch (5+5+5+1)
    for (size_t i = 0; i < 2; i++) {
        gpt2_model *m = tiny_model(mbs[i], GPT2_FP32);
        assert_int_equal(trainer_train(m, &c, &d, &st), 0);
        float diff = max_abs_diff(m->params_memory, ref->params_memory, m->num_params);
        printf("minibatch %zu vs 16: max |dparam| %.3g\n", mbs[i], (double)diff);
        assert_true(diff <= TOL_MINIBATCH);
        gpt2_destroy(m);
    }
    gpt2_destroy(ref);
}

static void test_resume_bit_identical(void **state) {
    (void)state;
    char *ck = fixture_file_path("train.ckpt");
    trainer_data d = {.ds = &ds, .n = ds.n};
    trainer_config c = base_config(LOSS_LOGCONF);
    c.ckpt_path = ck;
    c.ckpt_every = 2;
    c.ckpt_key = 0x1234;
    gpt2_model *a = tiny_model(4, GPT2_BF16);
    trainer_stats st;
    assert_int_equal(trainer_train(a, &c, &d, &st), 0);
    assert_int_equal(st.resumed_step, 0);
    // The file holds step 4 of 6 (none is written after the last step): resume from it.
    gpt2_model *b = tiny_model(4, GPT2_BF16);
    assert_int_equal(trainer_train(b, &c, &d, &st), 0);
    assert_int_equal(st.resumed_step, 4);
    assert_memory_equal(a->params_memory, b->params_memory, a->num_params * sizeof(float));
    // Another run's checkpoint (other key) is ignored: a fresh start, same result.
    c.ckpt_key = 0x9999;
    c.ckpt_every = 0;
    gpt2_model *e = tiny_model(4, GPT2_BF16);
    assert_int_equal(trainer_train(e, &c, &d, &st), 0);
    assert_int_equal(st.resumed_step, 0);
    assert_memory_equal(a->params_memory, e->params_memory, a->num_params * sizeof(float));
    gpt2_destroy(a);
    gpt2_destroy(b);
    gpt2_destroy(e);
    fixture_file_remove(ck);
}

static void test_linear_probe(void **state) {
    (void)state;
    trainer_data d = {.ds = &ds, .n = ds.n};
    trainer_config c = base_config(LOSS_XENT);
    c.linear_probe = true;
    gpt2_model *m = tiny_model(8, GPT2_FP32), *init = tiny_model(8, GPT2_FP32);
    assert_int_equal(trainer_train(m, &c, &d, NULL), 0);
    const gpt2_tensor_info *score = gpt2_tensor_find(m, "score.weight");
    assert_memory_equal(m->params_memory, init->params_memory, score->offset * sizeof(float));
    assert_true(max_abs_diff(m->params.score, init->params.score, score->numel) > 0);
    assert_false(m->linear_probe);  // restored after training
    gpt2_destroy(m);
    gpt2_destroy(init);
}

static void test_learns_and_evaluates(void **state) {
    (void)state;
    trainer_data d = {.ds = &ds, .n = ds.n};
    trainer_config c = base_config(LOSS_XENT);
    c.epochs = 12;
    c.lr = 3e-3f;
    gpt2_model *m = tiny_model(8, GPT2_FP32);
    trainer_eval_result before, after;
    assert_int_equal(trainer_evaluate(m, &d, NULL, &before), 0);
    assert_int_equal(trainer_train(m, &c, &d, NULL), 0);
    float logits[N_EX * K], probs[N_EX * K];
    int32_t hard[N_EX];
    assert_int_equal(trainer_evaluate(m, &d, logits, &after), 0);
    printf("train accuracy %.3f -> %.3f, AUROC %.3f\n", before.accuracy, after.accuracy, after.auroc);
    assert_true(after.accuracy >= 0.9);  // the label is a function of the last token
    assert_true(after.auroc > 0.9 && after.auroc <= 1.0);
    // Batched logits = one example at a time (batch independence of the prediction path).
    gpt2_model *one = tiny_model(1, GPT2_FP32);
    memcpy(one->params_memory, m->params_memory, m->num_params * sizeof(float));
    size_t correct = 0;
    trainer_soft_labels(logits, ds.n, K, probs, hard);
    for (size_t i = 0; i < ds.n; i++) {
        size_t idx = i;
        trainer_data di = {.ds = &ds, .idx = &idx, .n = 1};
        float z[K];
        assert_int_equal(trainer_predict(one, &di, z), 0);
        assert_true(max_abs_diff(z, logits + i * K, K) <= TOL_BATCH_INDEP);
        assert_true(fabsf(probs[i * K] + probs[i * K + 1] - 1.0f) < TOL_PROB_SUM);
        correct += hard[i] == ds.hard_label[i];
    }
    assert_true(fabs((double)correct / (double)ds.n - after.accuracy) < 1e-12);
    gpt2_destroy(one);
    gpt2_destroy(m);
}

static void test_errors(void **state) {
    (void)state;
    trainer_data d = {.ds = &ds, .n = 0};
    trainer_config c = base_config(LOSS_XENT);
    gpt2_model *m = tiny_model(4, GPT2_FP32);
    assert_int_equal(trainer_train(m, &c, &d, NULL), -1);
    assert_non_null(strstr(w2s_error_message(), "no examples"));
    gpt2_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_total_steps),
        cmocka_unit_test(test_minibatch_equivalence),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_linear_probe),
        cmocka_unit_test(test_learns_and_evaluates),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
