// fuzz_jsonl.c — libFuzzer target for JSONL datasets and label files (runtime/dataset*.c).
// Built by CMake with W2S_FUZZ=ON (clang -fsanitize=fuzzer); scripts/fuzz builds and runs it.
// Bytes 0-2 pick the loader options (skip_bad, keep_raw, truncate, require_labels, tokenizer,
// n_classes, max_ctx, vocab_size); the rest is the file. A rejected file must say why and name
// the file; an accepted one must satisfy every invariant of dataset.h, and its labels written
// by dataset_write_labels must load back (as a label file) to the same tokens and labels.
#define _GNU_SOURCE  // memmem
// fuzz-room: w2s_data
#include "dataset.h"

#include "error.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) \
    do {         \
        if (!(c)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// /dev/shm keeps the two files per input off the disk (the loader only takes paths).
static char dir[] = "/dev/shm/w2s_fuzz_jsonl_XXXXXX";
static char in_path[64], out_path[64];

// A byte tokenizer: id = byte value, DEL (0x7f) bytes vanish (so "\u007f" has no tokens),
// and a text containing "FAIL" is an error — the three outcomes a real tokenizer can have.
static int byte_tokenize(void *ctx, const char *text, size_t len, int32_t **ids, size_t *n) {
    (void)ctx;
    *ids = NULL;
    *n = 0;
    if (len >= 4 && memmem(text, len, "FAIL", 4)) return W2S_FAIL("tokenizer refuses FAIL");
    int32_t *p = malloc(len * sizeof *p);
    if (!p) return W2S_FAIL("out of memory");
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] != 0x7f) p[k++] = (unsigned char)text[i];
    *ids = p;
    *n = k;
    return 0;
}

static void check_invariants(const dataset *ds, const dataset_options *o) {
    size_t K = ds->n_classes;
    const dataset_stats *s = &ds->stats;
    CHECK(K >= 2 && K <= 65536);
    CHECK(!o->n_classes || K == o->n_classes);
    // Every line is accounted for exactly once.
    CHECK(s->n_lines == s->n_blank + s->n_bad + s->n_too_long + ds->n);
    CHECK(o->skip_bad || s->n_bad == 0);
    CHECK((s->n_bad == 0) == (s->first_bad[0] == 0));
    CHECK(o->max_ctx || (s->n_too_long == 0 && s->n_truncated == 0));
    CHECK(o->truncate || s->n_truncated == 0);
    CHECK(!o->truncate || s->n_too_long == 0);
    CHECK(s->n_truncated <= ds->n);
    CHECK(ds->tok_off[0] == 0);
    size_t unlabeled = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t nt;
        const int32_t *t = dataset_tokens(ds, i, &nt);
        CHECK(nt >= 1);
        CHECK(!o->max_ctx || nt <= o->max_ctx);
        for (size_t j = 0; j < nt; j++)
            CHECK(t[j] >= 0 && (o->vocab_size <= 0 || t[j] < o->vocab_size));
        CHECK(ds->line[i] >= 1 && ds->line[i] <= s->n_lines);
        CHECK(i == 0 || ds->line[i] > ds->line[i - 1]);
        int32_t h = ds->hard_label[i];
        CHECK(h >= -1 && h < (int32_t)K);
        CHECK(!o->require_labels || h >= 0);
        unlabeled += h < 0;
        const float *row = ds->target + i * K;
        double sum = 0;
        for (size_t k = 0; k < K; k++) {
            CHECK(row[k] >= 0.0f && row[k] <= 1.0f + (float)DATASET_SOFT_SUM_TOL);
            sum += row[k];
        }
        CHECK(ds->has_target[i] == (ds->has_soft[i] || h >= 0));
        if (ds->has_target[i])
            CHECK(fabs(sum - 1.0) <= DATASET_SOFT_SUM_TOL + 1e-6);  // float rounding of entries
        else
            CHECK(sum == 0.0);
        if (o->keep_raw) CHECK(ds->raw_off[i] == 0 || ds->raw[ds->raw_off[i] - 1] == 0);
    }
    CHECK(unlabeled == s->n_unlabeled);
}

// Writes labels for every example (its own target, or uniform when unlabeled), reloads the
// label file and requires the same tokens, the written soft labels bit-exactly (%.9g
// round-trips a float) and the written hard labels.
static void check_label_round_trip(const dataset *ds, const dataset_options *o) {
    size_t n = ds->n, K = ds->n_classes;
    size_t *idx = malloc(n * sizeof *idx);
    float *soft = malloc(n * K * sizeof *soft);
    int32_t *hard = malloc(n * sizeof *hard);
    CHECK(idx && soft && hard);
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        const float *t = dataset_target(ds, i);
        int32_t best = 0;
        for (size_t k = 0; k < K; k++) {
            soft[i * K + k] = t ? t[k] : 1.0f / (float)K;
            if (soft[i * K + k] > soft[i * K + best]) best = (int32_t)k;
        }
        hard[i] = best;
    }
    CHECK(dataset_write_labels(out_path, ds, idx, n, soft, hard) == 0);
    dataset_options o2 = *o;
    o2.n_classes = K;
    o2.skip_bad = 0;
    o2.require_labels = 1;
    o2.max_line_bytes = 0;  // the label fields lengthen every line
    dataset back;
    if (dataset_load(&back, out_path, &o2) != 0) {
        fprintf(stderr, "label file does not load back: %s\n", w2s_error_message());
        __builtin_trap();
    }
    CHECK(back.n == n && back.n_classes == K);
    CHECK(back.tok_off[n] == ds->tok_off[n]);
    CHECK(!memcmp(back.tok_off, ds->tok_off, (n + 1) * sizeof *ds->tok_off));
    CHECK(!memcmp(back.tokens, ds->tokens, ds->tok_off[n] * sizeof *ds->tokens));
    CHECK(!memcmp(back.hard_label, hard, n * sizeof *hard));
    CHECK(!memcmp(back.target, soft, n * K * sizeof *soft));
    for (size_t i = 0; i < n; i++) CHECK(back.has_soft[i] == 1);
    dataset_free(&back);
    free(idx);
    free(soft);
    free(hard);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!in_path[0]) {
        CHECK(mkdtemp(dir));
        snprintf(in_path, sizeof in_path, "%s/in.jsonl", dir);
        snprintf(out_path, sizeof out_path, "%s/labels.jsonl", dir);
    }
    if (size < 3) return 0;
    static const size_t classes[8] = {0, 0, 0, 2, 2, 3, 5, 65536};
    static const int64_t vocabs[4] = {0, 256, 50, 1};
    dataset_options o = {
        .skip_bad = data[0] & 1,
        .keep_raw = (data[0] >> 1) & 1,
        .truncate = (data[0] >> 2) & 1,
        .require_labels = (data[0] >> 3) & 1,
        .n_classes = classes[(data[0] >> 5) & 7],
        .max_ctx = data[1] & 0x3f ? (size_t)(data[1] & 0x3f) : 0,
        .vocab_size = vocabs[(data[1] >> 6) & 3],
        .max_line_bytes = data[2] & 0x80 ? (size_t)(data[2] & 0x7f) * 16 + 1 : 0,
    };
    if ((data[0] >> 4) & 1) o.tokenize = byte_tokenize;
    FILE *f = fopen(in_path, "wb");
    CHECK(f && fwrite(data + 3, 1, size - 3, f) == size - 3 && fclose(f) == 0);

    w2s_error_clear();
    dataset ds;
    if (dataset_load(&ds, in_path, &o) != 0) {
        const char *msg = w2s_error_message();
        CHECK(msg[0] != 0);
        CHECK(strstr(msg, in_path) != NULL);  // every load error names the file
        CHECK(ds.n == 0 && ds.tokens == NULL && ds.raw == NULL);
        dataset_free(&ds);
        return 0;
    }
    check_invariants(&ds, &o);
    // Printing n x K labels dominates an input with thousands of classes: round-trip small ones.
    if (o.keep_raw && ds.n > 0 && ds.n * ds.n_classes <= 4096) check_label_round_trip(&ds, &o);
    dataset_free(&ds);
    return 0;
}
