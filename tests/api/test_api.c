// test_api.c — the public C API's contract, through the shared libw2s.so (only w2s_* calls):
// statuses and messages in the caller's buffer (NULL, short and long buffers), argument checks,
// a missing file, tokenizer absence, probabilities (rows sum to 1, int8 close to fp32, the same
// bits for any batch size and subset, a longer input after shorter ones), W2S_ERR_SPACE with
// the size needed, and w2s_train / w2s_run errors. The comparison with the `w2s` command on the
// same inputs is test_api_install.sh's and test_python_api.sh's.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_file.h"
#include "gpt2.h"
#include "gpt2_checkpoint.h"
#include "w2s/w2s.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V 64    // vocabulary of the fixture classifier
#define T 16    // its positions
#define K 3     // its classes
// int8 vs fp32 on a random tiny model: per-token activation quantization moves probabilities
// by ~1e-3 here; 0.05 only catches a broken path (wrong scales, wrong row), not noise.
#define INT8_TOL 0.05f

static char *model_path;

static int make_classifier(void **state) {
    gpt2_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .vocab_size = V, .n_positions = T, .n_classes = K,
                       .ln_eps = 1e-5f};
    gpt2_options opt = {.max_batch = 1, .max_seq = 1, .lm_mode = GPT2_LM_NONE, .precision = GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return -1;
    gpt2_init_random(m, 7);
    // The head is zero-initialized (every input 1/K): give it weights so inputs differ.
    srand(7);
    for (size_t i = 0; i < K * cfg.n_embd; i++) m->params.score[i] = (float)(rand() % 2001 - 1000) / 500.0f;
    gpt2_params_changed(m);
    model_path = fixture_file_path("cls.safetensors");
    int rc = gpt2_checkpoint_save(m, model_path);
    gpt2_destroy(m);
    return rc;
}

static int remove_classifier(void **state) {
    fixture_file_remove(model_path);
    return 0;
}

// Random ids: n examples of lengths 1..T (or all of length len when len > 0), offsets (n + 1).
static int32_t *random_ids(size_t n, size_t len, size_t *off, unsigned seed) {
    srand(seed);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) off[i + 1] = off[i] + (len ? len : 1 + (size_t)rand() % T);
    int32_t *ids = malloc(off[n] * sizeof *ids);
    for (size_t j = 0; j < off[n]; j++) ids[j] = rand() % V;
    return ids;
}

static void test_version_and_status(void **state) {
    const char *v;
    char want[64];
    assert_int_equal(w2s_version(&v), W2S_OK);
    snprintf(want, sizeof want, "%d.%d.%d", W2S_VERSION_MAJOR, W2S_VERSION_MINOR, W2S_VERSION_PATCH);
    assert_string_equal(v, want);
    assert_int_equal(w2s_version(NULL), W2S_ERR_ARGUMENT);
    assert_string_equal(w2s_status_name(W2S_ERR_SPACE), "space");
    assert_string_equal(w2s_status_name((w2s_status)99), "unknown");
    w2s_context *ctx;
    char err[256] = "stale";
    assert_int_equal(w2s_context_create(&ctx, err, sizeof err), W2S_OK);
    assert_string_equal(err, "");  // a success clears the buffer
    const char *isa = NULL;
    assert_int_equal(w2s_context_isa(ctx, &isa, err, sizeof err), W2S_OK);
    assert_true(isa && *isa);
    assert_int_equal(w2s_context_set_threads(ctx, 5000, err, sizeof err), W2S_ERR_ARGUMENT);
    assert_non_null(strstr(err, "5000"));
    assert_int_equal(w2s_context_set_threads(NULL, 1, NULL, 0), W2S_ERR_ARGUMENT);  // no buffer: no write
    w2s_context_destroy(ctx);
    w2s_context_destroy(NULL);
}

static void test_errors_in_the_buffer(void **state) {
    w2s_context *ctx;
    w2s_model *m = (w2s_model *)&m;
    char err[512], tiny[8];
    assert_int_equal(w2s_context_create(&ctx, NULL, 0), W2S_OK);
    assert_int_equal(w2s_model_open(ctx, "/nonexistent/dir/model.safetensors", NULL, &m, err, sizeof err),
                     W2S_ERR_RUNTIME);
    assert_null(m);
    assert_non_null(strstr(err, "/nonexistent/dir/model.safetensors"));
    assert_int_equal(w2s_model_open(ctx, "/nonexistent/x", NULL, &m, tiny, sizeof tiny), W2S_ERR_RUNTIME);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);  // truncated, terminated
    assert_int_equal(w2s_model_open(NULL, model_path, NULL, &m, err, sizeof err), W2S_ERR_ARGUMENT);
    assert_int_equal(w2s_run(ctx, "{\"weak\": ", NULL, 0, NULL, err, sizeof err), W2S_ERR_RUNTIME);
    assert_non_null(strstr(err, "--config (text)"));
    assert_int_equal(w2s_run(ctx, "{\"colour\": \"blue\"}", NULL, 0, NULL, err, sizeof err), W2S_ERR_RUNTIME);
    assert_non_null(strstr(err, "unknown option '--colour'"));
    assert_int_equal(w2s_run(ctx, "{\"weak\": \"w\"}", NULL, 0, NULL, err, sizeof err), W2S_ERR_RUNTIME);
    assert_non_null(strstr(err, "are required"));
    assert_int_equal(w2s_train(ctx, model_path, "/nonexistent.jsonl", "/tmp/x.safetensors", "{\"loss\": \"hinge\"}",
                               NULL, 0, NULL, err, sizeof err), W2S_ERR_ARGUMENT);
    assert_non_null(strstr(err, "--loss hinge"));
    assert_int_equal(w2s_train(ctx, model_path, "d", "o", "{\"model\": \"x\"}", NULL, 0, NULL, err, sizeof err),
                     W2S_ERR_ARGUMENT);
    w2s_context_destroy(ctx);
}

static void test_predict(void **state) {
    w2s_context *ctx;
    w2s_model *m;
    char err[512];
    assert_int_equal(w2s_context_create(&ctx, err, sizeof err), W2S_OK);
    assert_int_equal(w2s_model_open(ctx, model_path, NULL, &m, err, sizeof err), W2S_OK);
    size_t k, t, v;
    assert_int_equal(w2s_model_shape(m, &k, &t, &v, err, sizeof err), W2S_OK);
    assert_true(k == K && t == T && v == V);
    // No vocab.json beside the checkpoint: ids only.
    size_t n_ids;
    assert_int_equal(w2s_model_tokenize(m, "hi", 2, NULL, 0, &n_ids, err, sizeof err), W2S_ERR_ARGUMENT);
    assert_non_null(strstr(err, "no tokenizer"));
    const char *texts[] = {"hi"};
    float p1[K];
    assert_int_equal(w2s_model_predict_texts(m, texts, 1, W2S_PRECISION_INT8, p1, err, sizeof err), W2S_ERR_ARGUMENT);

    enum { N = 40 };
    size_t off[N + 1];
    int32_t *ids = random_ids(N, 0, off, 1);
    float *p8 = malloc(N * K * sizeof(float)), *p32 = malloc(N * K * sizeof(float)), *q = malloc(N * K * sizeof(float));
    assert_int_equal(w2s_model_predict_ids(m, ids, off, N, W2S_PRECISION_INT8, p8, err, sizeof err), W2S_OK);
    assert_int_equal(w2s_model_predict_ids(m, ids, off, N, W2S_PRECISION_FP32, p32, err, sizeof err), W2S_OK);
    assert_int_equal(w2s_model_predict_ids(m, ids, off, N, W2S_PRECISION_BF16, q, err, sizeof err), W2S_OK);
    double spread = 0;  // the probabilities must depend on the input for the checks below to mean anything
    for (size_t i = 0; i < N; i++) spread += fabsf(p32[i * K] - p32[0]);
    assert_true(spread / N > 0.01);
    for (size_t i = 0; i < N; i++) {
        float s = 0;
        for (size_t c = 0; c < K; c++) {
            s += p8[i * K + c];
            assert_true(fabsf(p8[i * K + c] - p32[i * K + c]) < INT8_TOL);
            assert_true(fabsf(q[i * K + c] - p32[i * K + c]) < INT8_TOL);
        }
        assert_true(fabsf(s - 1) < 1e-5f);
    }
    // Batch independence through the API: batch 1 and the examples 10..19 alone give the same bits.
    assert_int_equal(w2s_model_set_batch(m, 1, err, sizeof err), W2S_OK);
    assert_int_equal(w2s_model_predict_ids(m, ids, off, N, W2S_PRECISION_INT8, q, err, sizeof err), W2S_OK);
    assert_memory_equal(q, p8, N * K * sizeof(float));
    assert_int_equal(w2s_model_set_batch(m, 0, err, sizeof err), W2S_ERR_ARGUMENT);
    assert_int_equal(w2s_model_predict_ids(m, ids, off + 10, 10, W2S_PRECISION_INT8, q, err, sizeof err), W2S_OK);
    assert_memory_equal(q, p8 + 10 * K, 10 * K * sizeof(float));
    // Short inputs first, then the longest: the int8 graph grows.
    size_t off2[3];
    int32_t *ids2 = random_ids(2, 2, off2, 2), *ids3 = random_ids(1, T, off2, 3);
    size_t off3[2] = {0, T};
    assert_int_equal(w2s_model_predict_ids(m, ids2, (size_t[]){0, 2, 4}, 2, W2S_PRECISION_INT8, q, err, sizeof err),
                     W2S_OK);
    assert_int_equal(w2s_model_predict_ids(m, ids3, off3, 1, W2S_PRECISION_INT8, q, err, sizeof err), W2S_OK);
    // Bad inputs name the example.
    int32_t bad[] = {1, 2, V};
    assert_int_equal(w2s_model_predict_ids(m, bad, (size_t[]){0, 1, 3}, 2, W2S_PRECISION_INT8, q, err, sizeof err),
                     W2S_ERR_ARGUMENT);
    assert_non_null(strstr(err, "example 1: token id 64 outside the vocabulary"));
    assert_int_equal(w2s_model_predict_ids(m, bad, (size_t[]){0, 0}, 1, W2S_PRECISION_INT8, q, err, sizeof err),
                     W2S_ERR_ARGUMENT);
    assert_int_equal(w2s_model_predict_ids(m, ids3, (size_t[]){0, T + 1}, 1, W2S_PRECISION_FP32, q, err, sizeof err),
                     W2S_ERR_ARGUMENT);
    assert_int_equal(w2s_model_predict_ids(m, ids, off, N, (w2s_precision)7, q, err, sizeof err), W2S_ERR_ARGUMENT);
    free(ids);
    free(ids2);
    free(ids3);
    free(p8);
    free(p32);
    free(q);
    w2s_model_close(m);
    w2s_model_close(NULL);
    w2s_context_destroy(ctx);
}

static void test_train_summary_space(void **state) {
    char line[256], data_text[64 * 40] = "";
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof line, "{\"input_ids\": [%d, %d, %d], \"hard_label\": %d}\n", i % V, (i * 7) % V,
                 (i * 13) % V, i % K);
        strcat(data_text, line);
    }
    char *data = fixture_file_write_str("d.jsonl", data_text), *out = fixture_file_path("trained.safetensors");
    w2s_context *ctx;
    char err[512], small[8];
    size_t need = 0;
    assert_int_equal(w2s_context_create(&ctx, err, sizeof err), W2S_OK);
    // The checkpoint is written; the summary does not fit and the size it needs is given.
    assert_int_equal(w2s_train(ctx, model_path, data, out, "{\"epochs\": 1, \"batch\": 8, \"lr\": 0.001}", small,
                               sizeof small, &need, err, sizeof err), W2S_ERR_SPACE);
    assert_true(need > sizeof small);
    char *summary = malloc(need);
    assert_int_equal(w2s_train(ctx, model_path, data, out, "{\"epochs\": 1, \"batch\": 8, \"lr\": 0.001}", summary,
                               need, NULL, err, sizeof err), W2S_OK);
    assert_non_null(strstr(summary, "\"examples\": 40, \"steps\": 5"));
    w2s_model *m;
    assert_int_equal(w2s_model_open(ctx, out, NULL, &m, err, sizeof err), W2S_OK);
    w2s_model_close(m);
    free(summary);
    w2s_context_destroy(ctx);
    fixture_file_remove(data);
    fixture_file_remove(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_status),
        cmocka_unit_test(test_errors_in_the_buffer),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_train_summary_space),
    };
    return cmocka_run_group_tests(tests, make_classifier, remove_classifier);
}
