// test_hf_config.c — config.json <-> gpt2_config: the real GPT-2 config.json text as
// published by Hugging Face (typed in here), round trips through hf_config_save, the named
// architectures, and one bad file per rule with the message checked for the file and key.
#include "fixture_file.h"
#include "hf_config.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include "test_main.h"

static void assert_contains(const char *msg, const char *want) {
    if (!strstr(msg, want)) fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

// The fields of openai-community/gpt2's config.json that matter, with its other keys kept
// so the reader is seen ignoring them.
static const char *GPT2_JSON =
    "{\n"
    "  \"activation_function\": \"gelu_new\",\n"
    "  \"architectures\": [\"GPT2LMHeadModel\"],\n"
    "  \"attn_pdrop\": 0.1,\n"
    "  \"bos_token_id\": 50256,\n"
    "  \"embd_pdrop\": 0.1,\n"
    "  \"eos_token_id\": 50256,\n"
    "  \"initializer_range\": 0.02,\n"
    "  \"layer_norm_epsilon\": 1e-05,\n"
    "  \"model_type\": \"gpt2\",\n"
    "  \"n_ctx\": 1024,\n"
    "  \"n_embd\": 768,\n"
    "  \"n_head\": 12,\n"
    "  \"n_layer\": 12,\n"
    "  \"n_positions\": 1024,\n"
    "  \"resid_pdrop\": 0.1,\n"
    "  \"summary_activation\": null,\n"
    "  \"summary_first_dropout\": 0.1,\n"
    "  \"summary_proj_to_labels\": true,\n"
    "  \"summary_type\": \"cls_index\",\n"
    "  \"summary_use_proj\": true,\n"
    "  \"task_specific_params\": {\"text-generation\": {\"do_sample\": true,\n"
    "                                               \"max_length\": 50}},\n"
    "  \"vocab_size\": 50257\n"
    "}\n";

static void assert_cfg_equal(const gpt2_config *a, const gpt2_config *b) {
    assert_int_equal(a->n_layer, b->n_layer);
    assert_int_equal(a->n_head, b->n_head);
    assert_int_equal(a->n_embd, b->n_embd);
    assert_int_equal(a->vocab_size, b->vocab_size);
    assert_int_equal(a->n_positions, b->n_positions);
    assert_int_equal(a->n_classes, b->n_classes);
    assert_memory_equal(&a->ln_eps, &b->ln_eps, sizeof a->ln_eps);  // bit-exact
}

static void test_load_hf_gpt2(void **state) {
    (void)state;
    char *path = fixture_file_write_str("config.json", GPT2_JSON);
    gpt2_config c, want;
    if (hf_config_load(path, &c) != 0) fail_msg("%s", w2s_error_message());
    assert_int_equal(hf_config_named("gpt2", &want), 0);
    assert_cfg_equal(&c, &want);
    fixture_file_remove(path);
}

static void test_named(void **state) {
    (void)state;
    const struct { const char *name; size_t l, h, c; } w[] = {
        {"gpt2", 12, 12, 768}, {"gpt2-medium", 24, 16, 1024},
        {"gpt2-large", 36, 20, 1280}, {"gpt2-xl", 48, 25, 1600}};
    for (size_t i = 0; i < 4; i++) {
        gpt2_config c;
        assert_int_equal(hf_config_named(w[i].name, &c), 0);
        assert_int_equal(c.n_layer, w[i].l);
        assert_int_equal(c.n_head, w[i].h);
        assert_int_equal(c.n_embd, w[i].c);
        assert_int_equal(c.vocab_size, 50257);
        assert_int_equal(c.n_positions, 1024);
        assert_int_equal(c.n_classes, 0);
        assert_true(c.ln_eps == 1e-5f);
        assert_int_equal(hf_config_validate(&c, "named"), 0);
    }
    gpt2_config c;
    assert_int_equal(hf_config_named("gpt3", &c), -1);
    assert_contains(w2s_error_message(), "\"gpt3\"");
    assert_contains(w2s_error_message(), "gpt2-xl");
}

static void test_save_roundtrip(void **state) {
    (void)state;
    gpt2_config c = {.n_layer = 3, .n_head = 4, .n_embd = 64, .vocab_size = 1000,
                     .n_positions = 128, .n_classes = 3, .ln_eps = 1e-6f};
    char *path = fixture_file_path("config.json");
    if (hf_config_save(path, &c) != 0) fail_msg("%s", w2s_error_message());
    gpt2_config back;
    if (hf_config_load(path, &back) != 0) fail_msg("%s", w2s_error_message());
    assert_cfg_equal(&back, &c);

    char *text = hf_config_to_json(&c);
    assert_non_null(text);
    assert_contains(text, "\"layer_norm_epsilon\": 1e-6");  // shortest; jansson omits "0" in e-06
    assert_contains(text, "\"id2label\": {");
    assert_contains(text, "\"2\": \"LABEL_2\"");
    assert_contains(text, "\"num_labels\": 3");
    assert_contains(text, "GPT2ForSequenceClassification");
    assert_contains(text, "\"n_ctx\": 128");
    free(text);
    // Deterministic: the same config gives the same text.
    char *t1 = hf_config_to_json(&c), *t2 = hf_config_to_json(&c);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);

    // No head: no labels written, and 1e-5 spelled as typed, not 9.99999975e-06.
    assert_int_equal(hf_config_named("gpt2-medium", &c), 0);
    text = hf_config_to_json(&c);
    assert_non_null(text);
    assert_null(strstr(text, "id2label"));
    assert_null(strstr(text, "num_labels"));
    assert_contains(text, "\"layer_norm_epsilon\": 1e-5");
    assert_int_equal(hf_config_parse(text, strlen(text), "text", &back), 0);
    assert_cfg_equal(&back, &c);
    free(text);
    fixture_file_remove(path);
}

static void test_classes_and_aliases(void **state) {
    (void)state;
    gpt2_config c;
    const char *base = "\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10";
    char buf[512];
    snprintf(buf, sizeof buf, "{%s, \"n_ctx\": 16}", base);  // legacy n_ctx only
    assert_int_equal(hf_config_parse(buf, strlen(buf), "a", &c), 0);
    assert_int_equal(c.n_positions, 16);
    assert_int_equal(c.n_classes, 0);
    assert_true(c.ln_eps == 1e-5f);
    snprintf(buf, sizeof buf, "{%s, \"n_ctx\": 16, \"n_positions\": 32, \"num_labels\": 2}", base);
    assert_int_equal(hf_config_parse(buf, strlen(buf), "b", &c), 0);
    assert_int_equal(c.n_positions, 32);  // n_positions wins, as in transformers
    assert_int_equal(c.n_classes, 2);
    snprintf(buf, sizeof buf,
             "{%s, \"n_positions\": 32, \"id2label\": {\"1\": \"pos\", \"0\": \"neg\"}, "
             "\"n_inner\": null, \"layer_norm_epsilon\": 0.001}", base);
    assert_int_equal(hf_config_parse(buf, strlen(buf), "c", &c), 0);
    assert_int_equal(c.n_classes, 2);
    assert_true(c.ln_eps == 0.001f);
    snprintf(buf, sizeof buf, "{%s, \"n_positions\": 32, \"n_inner\": 32}", base);
    assert_int_equal(hf_config_parse(buf, strlen(buf), "d", &c), 0);
}

// Each bad config fails with a message naming the source and the key.
static void expect_bad(const char *json, const char *want1, const char *want2) {
    char *path = fixture_file_write_str("config.json", json);
    gpt2_config c;
    w2s_error_clear();
    if (hf_config_load(path, &c) == 0) fail_msg("accepted bad config: %s", json);
    assert_contains(w2s_error_message(), path);
    assert_contains(w2s_error_message(), want1);
    if (want2) assert_contains(w2s_error_message(), want2);
    fixture_file_remove(path);
}

#define OK_KEYS \
    "\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, \"n_positions\": 16"

static void test_rejects(void **state) {
    (void)state;
    expect_bad("{\"n_layer\": 2,", "not valid JSON", NULL);
    expect_bad("[]", "not a JSON object", NULL);
    expect_bad("{\"n_layer\": 2, \"n_layer\": 3}", "duplicate", NULL);
    expect_bad("{\"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, \"n_positions\": 16}",
               "missing key \"n_layer\"", NULL);
    expect_bad("{\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10}",
               "missing key \"n_positions\"", NULL);
    expect_bad("{" OK_KEYS ", \"n_layer\": 0}", "duplicate", NULL);
    expect_bad("{\"n_layer\": 0, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, "
               "\"n_positions\": 16}", "\"n_layer\" is 0", NULL);
    expect_bad("{\"n_layer\": 2.0, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, "
               "\"n_positions\": 16}", "\"n_layer\" must be a non-negative integer", NULL);
    expect_bad("{\"n_layer\": -2, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, "
               "\"n_positions\": 16}", "\"n_layer\"", NULL);
    expect_bad("{\"n_layer\": 2, \"n_head\": 3, \"n_embd\": 8, \"vocab_size\": 10, "
               "\"n_positions\": 16}", "\"n_embd\" (8) is not a multiple of \"n_head\" (3)", NULL);
    expect_bad("{\"n_layer\": 2000, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 10, "
               "\"n_positions\": 16}", "\"n_layer\" is 2000", "[1, 1024]");
    expect_bad("{\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 99999999999, "
               "\"n_positions\": 16}", "\"vocab_size\"", NULL);
    expect_bad("{" OK_KEYS ", \"activation_function\": \"relu\"}", "\"activation_function\"",
               "\"relu\"");
    expect_bad("{" OK_KEYS ", \"activation_function\": 3}", "\"activation_function\"", NULL);
    expect_bad("{" OK_KEYS ", \"model_type\": \"llama\"}", "\"model_type\"", "\"llama\"");
    expect_bad("{" OK_KEYS ", \"layer_norm_epsilon\": 0}", "\"layer_norm_epsilon\"", NULL);
    expect_bad("{" OK_KEYS ", \"layer_norm_epsilon\": \"1e-5\"}", "\"layer_norm_epsilon\"",
               NULL);
    expect_bad("{" OK_KEYS ", \"n_inner\": 64}", "\"n_inner\"", NULL);
    expect_bad("{" OK_KEYS ", \"reorder_and_upcast_attn\": true}", "\"reorder_and_upcast_attn\"",
               NULL);
    expect_bad("{" OK_KEYS ", \"num_labels\": 3, \"id2label\": {\"0\": \"a\", \"1\": \"b\"}}",
               "\"num_labels\" is 3", "has 2 entries");
    expect_bad("{" OK_KEYS ", \"id2label\": {\"0\": \"a\", \"2\": \"b\"}}", "no key \"1\"", NULL);
    expect_bad("{" OK_KEYS ", \"id2label\": [\"a\"]}", "\"id2label\"", NULL);
    expect_bad("{" OK_KEYS ", \"num_labels\": 100000}", "\"num_labels\"", NULL);

    gpt2_config c;
    assert_int_equal(hf_config_load("/nonexistent-dir/config.json", &c), -1);
    assert_contains(w2s_error_message(), "/nonexistent-dir/config.json");
    gpt2_config bad = {.n_layer = 1, .n_head = 3, .n_embd = 8, .vocab_size = 5, .n_positions = 4,
                       .ln_eps = 1e-5f};
    assert_null(hf_config_to_json(&bad));
    assert_int_equal(hf_config_save("/tmp/never-written-config.json", &bad), -1);
    assert_contains(w2s_error_message(), "/tmp/never-written-config.json");
}

W2S_TEST_MAIN(NULL, NULL, test_load_hf_gpt2, test_named, test_save_roundtrip, test_classes_and_aliases, test_rejects)
