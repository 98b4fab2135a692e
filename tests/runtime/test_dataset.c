// test_dataset.c — dataset: JSONL loading and every validation error, max_ctx handling,
// the W2S split, class counts, and the labeled-output writer (round trip through the loader).
// Fixtures are written by the tests; the tokenizer is a stand-in (one id per byte) so the
// expected ids are obvious.
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"
#include "fileio.h"
#include "fixture_file.h"

// ---- stand-in tokenizer: id = byte value; the text "FAIL" makes it fail

static int byte_tokenize(void *ctx, const char *text, size_t len, int32_t **ids, size_t *n) {
    int *calls = ctx;
    if (calls) (*calls)++;
    if (len == 4 && !memcmp(text, "FAIL", 4)) return W2S_FAIL("stand-in tokenizer refuses FAIL");
    *ids = malloc(len * sizeof **ids);
    if (!*ids) return W2S_FAIL("oom");
    for (size_t i = 0; i < len; i++) (*ids)[i] = (unsigned char)text[i];
    *n = len;
    return 0;
}

static dataset_options text_opts(void) {
    dataset_options o = {0};
    o.tokenize = byte_tokenize;
    o.keep_raw = 1;
    return o;
}

// Loads `content` from a fixture; returns the load result and keeps the error message.
static int load_str(dataset *ds, const char *content, const dataset_options *o, char **path_out) {
    char *path = fixture_file_write_str("data.jsonl", content);
    int rc = dataset_load(ds, path, o);
    if (path_out)
        *path_out = path;
    else
        fixture_file_remove(path);
    return rc;
}

static void assert_ids(const dataset *ds, size_t i, const char *text) {
    size_t n;
    const int32_t *ids = dataset_tokens(ds, i, &n);
    assert_int_equal(n, strlen(text));
    for (size_t k = 0; k < n; k++) assert_int_equal(ids[k], (unsigned char)text[k]);
}

// ---- loading valid files

static void test_load_text_and_labels(void **state) {
    (void)state;
    int calls = 0;
    dataset_options o = text_opts();
    o.tokenize_ctx = &calls;
    const char *content =
        "{\"txt\": \"ab\", \"hard_label\": 1, \"extra\": {\"k\": [1, 2]}}\n"
        "\n"
        "   \t\n"
        "{\"txt\": \"héllo\", \"hard_label\": 0}\r\n"
        "{\"hard_label\": 1, \"input_ids\": [5, 0, 7], \"txt\": \"ignored\"}\n"
        "{\"txt\": \"xyz\", \"hard_label\": 0, \"soft_label\": [0.25, 0.75]}";  // no final \n
    dataset ds;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    assert_int_equal(ds.n, 4);
    assert_int_equal(ds.n_classes, 2);
    assert_int_equal(ds.stats.n_lines, 6);
    assert_int_equal(ds.stats.n_blank, 2);
    assert_int_equal(ds.stats.n_bad, 0);
    assert_int_equal(calls, 3);  // input_ids wins over txt on line 5: not tokenized
    assert_ids(&ds, 0, "ab");
    assert_ids(&ds, 1, "h\xc3\xa9llo");  // UTF-8 bytes, the CR stripped
    size_t n;
    const int32_t *ids = dataset_tokens(&ds, 2, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 5);
    assert_int_equal(ids[1], 0);  // token 0 is a real token ("!" in GPT-2)
    assert_int_equal(ids[2], 7);
    assert_ids(&ds, 3, "xyz");
    assert_int_equal(ds.line[0], 1);
    assert_int_equal(ds.line[1], 4);
    assert_int_equal(ds.line[2], 5);
    assert_int_equal(ds.line[3], 6);
    assert_int_equal(ds.hard_label[0], 1);
    assert_int_equal(ds.hard_label[1], 0);
    // Targets: one-hot from hard labels, the given soft label verbatim.
    const float *t = dataset_target(&ds, 0);
    assert_true(t[0] == 0.0f && t[1] == 1.0f);
    t = dataset_target(&ds, 1);
    assert_true(t[0] == 1.0f && t[1] == 0.0f);
    t = dataset_target(&ds, 3);
    assert_true(t[0] == 0.25f && t[1] == 0.75f);
    assert_int_equal(ds.has_soft[3], 1);
    assert_int_equal(ds.has_soft[0], 0);
    assert_string_equal(ds.raw + ds.raw_off[1], "{\"txt\": \"héllo\", \"hard_label\": 0}");
    dataset_free(&ds);
}

static void test_byte_order_mark(void **state) {
    (void)state;
    dataset_options o = text_opts();
    dataset ds;
    assert_int_equal(load_str(&ds, "\xEF\xBB\xBF{\"txt\": \"a\", \"hard_label\": 1}\n", &o, NULL),
                     0);
    assert_int_equal(ds.n, 1);
    assert_string_equal(ds.raw, "{\"txt\": \"a\", \"hard_label\": 1}");
    dataset_free(&ds);
    // Only at the start of the file: elsewhere it is not JSON.
    char *path;
    assert_int_equal(load_str(&ds, "{\"txt\": \"a\"}\n\xEF\xBB\xBF{\"txt\": \"b\"}\n", &o, &path),
                     -1);
    assert_non_null(strstr(w2s_error_message(), ":2: malformed JSON"));
    fixture_file_remove(path);
}

static void test_unlabeled_and_require(void **state) {
    (void)state;
    dataset_options o = text_opts();
    const char *content = "{\"txt\": \"a\"}\n{\"txt\": \"b\", \"hard_label\": 2}\n";
    dataset ds;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.n_classes, 3);  // inferred from the largest label
    assert_int_equal(ds.stats.n_unlabeled, 1);
    assert_int_equal(ds.hard_label[0], -1);
    assert_null(dataset_target(&ds, 0));
    assert_non_null(dataset_target(&ds, 1));
    size_t counts[3];
    assert_int_equal(dataset_class_counts(&ds, NULL, 0, counts), 1);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[2], 1);
    dataset_free(&ds);

    o.require_labels = 1;
    char *path;
    assert_int_equal(load_str(&ds, content, &o, &path), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:1: missing \"hard_label\"", path);
    assert_non_null(strstr(w2s_error_message(), want));
    fixture_file_remove(path);
}

static void test_n_classes_inference(void **state) {
    (void)state;
    dataset_options o = text_opts();
    dataset ds;
    // All labels 0: still two classes (a classifier needs two); class counts expose it.
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\",\"hard_label\":0}\n", &o, NULL), 0);
    assert_int_equal(ds.n_classes, 2);
    size_t counts[2];
    assert_int_equal(dataset_class_counts(&ds, NULL, 0, counts), 1);
    dataset_free(&ds);
    // soft_label length sets K.
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\",\"soft_label\":[0.2,0.3,0.5]}\n", &o, NULL), 0);
    assert_int_equal(ds.n_classes, 3);
    assert_int_equal(ds.hard_label[0], -1);
    assert_non_null(dataset_target(&ds, 0));  // a soft label alone is a target
    dataset_free(&ds);
    // A hard label beyond the soft labels' length: conflict named with both lines.
    char *path;
    assert_int_equal(load_str(&ds,
                              "{\"txt\":\"a\",\"soft_label\":[0.5,0.5]}\n"
                              "{\"txt\":\"b\",\"hard_label\":4}\n",
                              &o, &path),
                     -1);
    assert_non_null(strstr(w2s_error_message(), ":1: \"soft_label\" has 2 entries, but line 2"));
    fixture_file_remove(path);
    // Given K.
    o.n_classes = 4;
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\",\"hard_label\":1}\n", &o, NULL), 0);
    assert_int_equal(ds.n_classes, 4);
    dataset_free(&ds);
    o.n_classes = 1;
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\",\"hard_label\":0}\n", &o, NULL), -1);
    assert_non_null(strstr(w2s_error_message(), "at least 2 classes"));
}

// ---- every validation error names FILE:LINE and the problem

typedef struct {
    const char *line;
    const char *want;  // substring of the message after "FILE:2: "
} bad_case;

static const bad_case bad_cases[] = {
    {"{\"txt\": \"a\", \"hard_label\": 1", "malformed JSON"},
    {"[1, 2, 3]", "expected a JSON object, got an array"},
    {"\"just a string\"", "expected a JSON object, got a string"},
    {"{\"hard_label\": 1}", "no \"txt\" or \"input_ids\" field"},
    {"{\"txt\": \"\", \"hard_label\": 1}", "\"txt\" is empty"},
    {"{\"txt\": 12, \"hard_label\": 1}", "\"txt\" must be a string, got an integer"},
    {"{\"txt\": \"a\xff\", \"hard_label\": 1}", "invalid UTF-8"},
    {"{\"txt\": \"a\", \"hard_label\": \"1\"}", "\"hard_label\" must be an integer, got a string"},
    {"{\"txt\": \"a\", \"hard_label\": 1.0}", "\"hard_label\" must be an integer, got a real"},
    {"{\"txt\": \"a\", \"hard_label\": -1}", "\"hard_label\" = -1 is negative"},
    {"{\"txt\": \"a\", \"hard_label\": 2}", "\"hard_label\" = 2 is out of range for 2 classes"},
    {"{\"txt\": \"a\", \"hard_label\": 1, \"soft_label\": [0.1, 0.2, 0.7]}",
     "\"soft_label\" has 3 entries, expected 2"},
    {"{\"txt\": \"a\", \"hard_label\": 1, \"soft_label\": [-0.1, 1.1]}",
     "\"soft_label\"[0] = -0.1 is not a probability"},
    {"{\"txt\": \"a\", \"hard_label\": 1, \"soft_label\": [0.3, 0.3]}",
     "\"soft_label\" sums to 0.6, not 1"},
    {"{\"txt\": \"a\", \"hard_label\": 1, \"soft_label\": [0.5, \"x\"]}",
     "\"soft_label\"[1] must be a number, got a string"},
    {"{\"txt\": \"a\", \"hard_label\": 1, \"soft_label\": 0.5}",
     "\"soft_label\" must be an array of probabilities, got a real"},
    {"{\"input_ids\": [1, 2.5], \"hard_label\": 1}",
     "\"input_ids\"[1] must be an integer, got a real"},
    {"{\"input_ids\": [1, 1000], \"hard_label\": 1}",
     "\"input_ids\"[1] = 1000 is outside the vocabulary [0, 1000)"},
    {"{\"input_ids\": [-3], \"hard_label\": 1}", "\"input_ids\"[0] = -3 is outside"},
    {"{\"input_ids\": [], \"hard_label\": 1}", "\"input_ids\" is empty"},
    {"{\"input_ids\": \"1 2\", \"hard_label\": 1}",
     "\"input_ids\" must be an array of integers, got a string"},
    {"{\"txt\": \"FAIL\", \"hard_label\": 1}", "tokenizer failed: stand-in tokenizer refuses FAIL"},
    {"{\"txt\": \"a\", \"txt\": \"b\", \"hard_label\": 1}", "malformed JSON near byte"},
    {"{\"txt\": \"a\\u0000b\", \"hard_label\": 1}", "a string contains \\u0000 (NUL)"},
    {"{\"txt\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
     "\"hard_label\": 1}",
     "line is longer than 64 bytes"},
};

static void test_each_bad_line(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof bad_cases / sizeof bad_cases[0]; c++) {
        dataset_options o = text_opts();
        o.n_classes = 2;
        o.vocab_size = 1000;
        o.max_line_bytes = 64;
        char content[512];
        snprintf(
            content, sizeof content,
            "{\"txt\": \"ok\", \"hard_label\": 0}\n%s\n{\"txt\": \"ok2\", \"hard_label\": 1}\n",
            bad_cases[c].line);
        dataset ds;
        char *path;
        int rc = load_str(&ds, content, &o, &path);
        char want[512];
        snprintf(want, sizeof want, "%s:2: %s", path, bad_cases[c].want);
        if (rc != -1 || !strstr(w2s_error_message(), want))
            fail_msg("case %zu (%s): rc %d, message '%s', wanted '%s'", c, bad_cases[c].line, rc,
                     w2s_error_message(), want);
        assert_int_equal(ds.n, 0);  // left empty on failure
        dataset_free(&ds);

        // skip_bad: the two good lines load, the bad one is counted and described.
        o.skip_bad = 1;
        assert_int_equal(dataset_load(&ds, path, &o), 0);
        assert_int_equal(ds.n, 2);
        assert_int_equal(ds.stats.n_bad, 1);
        assert_non_null(strstr(ds.stats.first_bad, want));
        assert_int_equal(ds.line[1], 3);
        assert_ids(&ds, 1, "ok2");
        dataset_free(&ds);
        fixture_file_remove(path);
    }
}

static void test_no_tokenizer_is_fatal(void **state) {
    (void)state;
    dataset_options o = {0};
    o.skip_bad = 1;  // a missing tokenizer is the caller's mistake, never a skippable line
    dataset ds;
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\",\"hard_label\":0}\n", &o, NULL), -1);
    assert_non_null(strstr(w2s_error_message(), ":1: the line has \"txt\" but no tokenizer"));
    // Pre-tokenized files need none.
    assert_int_equal(load_str(&ds, "{\"input_ids\":[3],\"hard_label\":0}\n", &o, NULL), 0);
    assert_int_equal(ds.n, 1);
    dataset_free(&ds);
}

static void test_tokenizer_ids_checked(void **state) {
    (void)state;
    dataset_options o = text_opts();
    o.vocab_size = 100;  // 'a' = 97 fits, 'z' = 122 does not
    dataset ds;
    char *path;
    assert_int_equal(load_str(&ds, "{\"txt\":\"a\"}\n{\"txt\":\"az\"}\n", &o, &path), -1);
    assert_non_null(strstr(w2s_error_message(),
                           ":2: tokenizer returned id 122 outside the vocabulary [0, 100)"));
    fixture_file_remove(path);
}

static void test_missing_file(void **state) {
    (void)state;
    dataset_options o = text_opts();
    dataset ds;
    assert_int_equal(dataset_load(&ds, "/nonexistent/w2s/data.jsonl", &o), -1);
    assert_non_null(strstr(w2s_error_message(), "/nonexistent/w2s/data.jsonl"));
}

static void test_max_ctx(void **state) {
    (void)state;
    const char *content = "{\"txt\":\"abcdef\",\"hard_label\":0}\n"
                          "{\"txt\":\"abcd\",\"hard_label\":1}\n"
                          "{\"txt\":\"abc\",\"hard_label\":1}\n";
    dataset_options o = text_opts();
    o.max_ctx = 4;
    dataset ds;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    assert_int_equal(ds.n, 2);  // 6 tokens dropped; exactly max_ctx is kept
    assert_int_equal(ds.stats.n_too_long, 1);
    assert_int_equal(ds.line[0], 2);
    assert_ids(&ds, 0, "abcd");
    assert_int_equal(ds.raw_off[0], 0);  // the dropped line's raw text is not kept either
    assert_string_equal(ds.raw, "{\"txt\":\"abcd\",\"hard_label\":1}");
    dataset_free(&ds);
    o.truncate = 1;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.stats.n_truncated, 1);
    assert_ids(&ds, 0, "abcd");  // the FIRST max_ctx tokens
    assert_ids(&ds, 2, "abc");
    dataset_free(&ds);
}

static void test_many_lines(void **state) {
    (void)state;
    // 100k examples: checks the flat-array growth and offsets at scale, cheaply.
    enum { N = 100000 };
    size_t cap = (size_t)N * 48, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t i = 0; i < N; i++)
        len +=
            (size_t)snprintf(buf + len, cap - len, "{\"input_ids\":[%zu,%zu],\"hard_label\":%zu}\n",
                             i % 50000, (i * 7) % 50000, i % 3);
    char *path = fixture_file_write("big.jsonl", buf, len);
    free(buf);
    dataset_options o = {0};
    o.vocab_size = 50257;
    dataset ds;
    assert_int_equal(dataset_load(&ds, path, &o), 0);
    fixture_file_remove(path);
    assert_int_equal(ds.n, N);
    assert_int_equal(ds.n_classes, 3);
    assert_null(ds.raw);
    for (size_t i = 0; i < N; i += 997) {
        size_t n;
        const int32_t *ids = dataset_tokens(&ds, i, &n);
        assert_int_equal(n, 2);
        assert_int_equal(ids[0], (int32_t)(i % 50000));
        assert_int_equal(ids[1], (int32_t)((i * 7) % 50000));
        assert_int_equal(ds.hard_label[i], (int32_t)(i % 3));
    }
    size_t counts[3];
    assert_int_equal(dataset_class_counts(&ds, NULL, 0, counts), 3);
    assert_int_equal(counts[0] + counts[1] + counts[2], N);
    assert_int_equal(counts[0], (N + 2) / 3);
    dataset_free(&ds);
}

// ---- the W2S split

static void test_split(void **state) {
    (void)state;
    enum { N = 1001 };
    dataset_split s;
    assert_int_equal(dataset_split_w2s(&s, N, 601, 300, 7), 0);
    assert_int_equal(s.n_train1, 300);
    assert_int_equal(s.n_train2, 301);
    assert_int_equal(s.n_test, 300);
    int seen[N] = {0};
    for (size_t i = 0; i < s.n_train1; i++) seen[s.train1[i]] += 1;
    for (size_t i = 0; i < s.n_train2; i++) seen[s.train2[i]] += 10;
    for (size_t i = 0; i < s.n_test; i++) seen[s.test[i]] += 100;
    size_t c1 = 0, c2 = 0, c3 = 0, c0 = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(seen[i] == 0 || seen[i] == 1 || seen[i] == 10 || seen[i] == 100);
        c0 += seen[i] == 0;
        c1 += seen[i] == 1;
        c2 += seen[i] == 10;
        c3 += seen[i] == 100;
    }
    assert_int_equal(c1, 300);
    assert_int_equal(c2, 301);
    assert_int_equal(c3, 300);
    assert_int_equal(c0, 100);
    // Shuffled, not the identity prefix.
    size_t in_order = 0;
    for (size_t i = 0; i < s.n_train1; i++) in_order += s.train1[i] == i;
    assert_true(in_order < 10);

    // Same seed, same split; another seed, another split.
    dataset_split a, b;
    assert_int_equal(dataset_split_w2s(&a, N, 601, 300, 7), 0);
    assert_memory_equal(a.train1, s.train1, s.n_train1 * sizeof(size_t));
    assert_memory_equal(a.test, s.test, s.n_test * sizeof(size_t));
    assert_int_equal(dataset_split_w2s(&b, N, 601, 300, 8), 0);
    assert_true(memcmp(b.train1, s.train1, s.n_train1 * sizeof(size_t)) != 0);
    dataset_split_free(&a);
    dataset_split_free(&b);
    dataset_split_free(&s);

    assert_int_equal(dataset_split_w2s(&s, 100, 80, 21, 1), -1);
    assert_non_null(strstr(w2s_error_message(), "100 usable examples"));
    assert_int_equal(dataset_split_w2s(&s, 100, 80, 20, 1), 0);  // exactly all
    dataset_split_free(&s);
}

static void test_split_separate(void **state) {
    (void)state;
    dataset_split s, t;
    assert_int_equal(dataset_split_w2s_separate(&s, 50, 40, 30, 20, 3), 0);
    assert_int_equal(s.n_train1 + s.n_train2, 40);
    assert_int_equal(s.n_test, 20);
    int seen[30] = {0};
    for (size_t i = 0; i < 20; i++) {
        assert_true(s.test[i] < 30);
        assert_int_equal(seen[s.test[i]]++, 0);
    }
    // Train indices match the one-pool split with no test; the test permutation does not
    // depend on the training pool's size.
    dataset_split one;
    assert_int_equal(dataset_split_w2s(&one, 50, 40, 0, 3), 0);
    assert_memory_equal(one.train2, s.train2, s.n_train2 * sizeof(size_t));
    dataset_split_free(&one);
    assert_int_equal(dataset_split_w2s_separate(&t, 70, 40, 30, 20, 3), 0);
    assert_memory_equal(t.test, s.test, 20 * sizeof(size_t));
    dataset_split_free(&t);
    dataset_split_free(&s);
    assert_int_equal(dataset_split_w2s_separate(&s, 50, 40, 30, 31, 3), -1);
    assert_non_null(strstr(w2s_error_message(), "test file has 30"));
}

// ---- labeled output

static void test_write_labels_round_trip(void **state) {
    (void)state;
    const char *content =
        "{\"txt\": \"ab\", \"hard_label\": 1, \"id\": \"q1\", \"meta\": {\"x\": 0.1}}\n"
        "{\"txt\": \"c\"}\n"
        "{\"txt\": \"de\", \"hard_label\": 0, \"soft_label\": [0.5, 0.5], \"gt_label\": 0}\n";
    dataset_options o = text_opts();
    dataset ds;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    // Values chosen to need all 9 significant digits to round-trip.
    const float soft[3 * 2] = {0.123456791f, 0.876543224f, 1.0f / 3.0f,
                               2.0f / 3.0f,  1e-8f,        1.0f - 1e-8f};
    const int32_t hard[3] = {1, 1, 0};
    const size_t idx[3] = {2, 0, 1};  // written in index order, not file order
    char *out = fixture_file_path("labels.jsonl");
    assert_int_equal(dataset_write_labels(out, &ds, idx, 3, soft, hard), 0);

    size_t size;
    char *text = w2s_read_file(out, 1 << 20, &size);
    assert_non_null(text);
    const char *want =
        "{\"txt\":\"de\",\"gt_label\":0,\"soft_label\":[0.123456791,0.876543224],\"hard_label\":1}"
        "\n"
        "{\"txt\":\"ab\",\"id\":\"q1\",\"meta\":{\"x\":0.10000000000000001},\"gt_label\":1,"
        "\"soft_label\":[0.333333343,0.666666687],\"hard_label\":1}\n"
        "{\"txt\":\"c\",\"soft_label\":[9.99999994e-09,1],\"hard_label\":0}\n";
    assert_string_equal(text, want);
    free(text);

    // The labels file loads back with its soft labels bit-exact.
    dataset back;
    o.n_classes = 2;
    o.require_labels = 1;
    assert_int_equal(dataset_load(&back, out, &o), 0);
    assert_int_equal(back.n, 3);
    for (size_t i = 0; i < 3; i++) {
        const float *t = dataset_target(&back, i);
        assert_memory_equal(t, soft + 2 * i, 2 * sizeof(float));
        assert_int_equal(back.hard_label[i], hard[i]);
    }
    dataset_free(&back);

    // Wrong inputs fail without leaving a file behind.
    char *out2 = fixture_file_path("bad.jsonl");
    const int32_t bad_hard[1] = {2};
    assert_int_equal(dataset_write_labels(out2, &ds, idx, 1, soft, bad_hard), -1);
    assert_non_null(strstr(w2s_error_message(), "out of range"));
    const float nan_soft[2] = {0.5f, __builtin_nanf("")};
    assert_int_equal(dataset_write_labels(out2, &ds, idx, 1, nan_soft, hard), -1);
    assert_false(w2s_file_exists(out2));
    fixture_file_remove(out2);
    fixture_file_remove(out);
    dataset_free(&ds);

    o = text_opts();
    o.keep_raw = 0;
    assert_int_equal(load_str(&ds, content, &o, NULL), 0);
    out = fixture_file_path("labels.jsonl");
    assert_int_equal(dataset_write_labels(out, &ds, idx, 1, soft, hard), -1);
    assert_non_null(strstr(w2s_error_message(), "keep_raw"));
    fixture_file_remove(out);
    dataset_free(&ds);
}

W2S_TEST_MAIN(NULL, NULL, test_load_text_and_labels, test_byte_order_mark, test_unlabeled_and_require,
              test_n_classes_inference, test_each_bad_line, test_no_tokenizer_is_fatal, test_tokenizer_ids_checked,
              test_missing_file, test_max_ctx, test_many_lines, test_split, test_split_separate,
              test_write_labels_round_trip)
