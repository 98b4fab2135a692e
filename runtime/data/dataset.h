// dataset.h — JSONL classification datasets: load and validate, split for W2S, write labels.
// Not a tokenizer (text goes through a caller-supplied callback, so runtime/ does not depend
// on a concrete one) and not a batcher. All examples live in a few flat arrays (token ids
// concatenated with offsets), never one allocation per example.
//
// Input lines (docs/FORMATS.md): {"txt": str, "hard_label": int} with optional
// "soft_label": [p0, p1, …], or pre-tokenized {"input_ids": [int…], "hard_label": int}.
// When a line has both, "input_ids" wins and "txt" is not tokenized. Other fields are kept
// (with keep_raw) and written back by dataset_write_labels. Blank lines (whitespace only)
// are skipped and counted: they are what editors and `cat` leave at the ends of files. CRLF
// line ends and a UTF-8 byte-order mark at the start of the file are accepted.
// Errors read "FILE:LINE: problem (hint)".
#ifndef W2S_RUNTIME_DATASET_H
#define W2S_RUNTIME_DATASET_H

#include <stddef.h>
#include <stdint.h>

// Turns text[0..len) (UTF-8, no NUL) into token ids: sets *ids to a malloc'ed array of *n
// ids (the dataset frees it with free()) and returns 0, or returns -1 with w2s_error set.
typedef int (*dataset_tokenize_fn)(void *ctx, const char *text, size_t len, int32_t **ids,
                                   size_t *n);

#define DATASET_MAX_LINE_DEFAULT ((size_t)64 << 20)  // 64 MiB: far above any real example
#define DATASET_SOFT_SUM_TOL 1e-3                     // soft_label rows must sum to 1 ± this

typedef struct {
    size_t n_classes;      // K; 0 = infer: max(2, largest hard_label + 1, soft_label length)
    int require_labels;    // every example must carry an integer "hard_label"
    int skip_bad;          // skip and count invalid lines instead of failing on the first
    int keep_raw;          // keep each line's JSON text (dataset_write_labels needs it)
    size_t max_ctx;        // 0 = no limit; longer examples are dropped and counted ...
    int truncate;          // ... or, when set, cut to their FIRST max_ctx tokens and counted
    int64_t vocab_size;    // > 0: every token id must be in [0, vocab_size)
    size_t max_line_bytes; // 0 = DATASET_MAX_LINE_DEFAULT; longer lines are invalid
    dataset_tokenize_fn tokenize;  // needed only if some line has "txt" and no "input_ids"
    void *tokenize_ctx;
} dataset_options;

typedef struct {
    size_t n_lines;      // lines read, blank ones included
    size_t n_blank;      // whitespace-only lines (skipped, never an error)
    size_t n_bad;        // invalid lines skipped (skip_bad only; otherwise loading fails)
    size_t n_too_long;   // examples dropped for having more than max_ctx tokens
    size_t n_truncated;  // examples cut to max_ctx tokens (truncate only)
    size_t n_unlabeled;  // examples without "hard_label"
    char first_bad[256]; // message of the first skipped invalid line ("" if none)
} dataset_stats;

typedef struct {
    size_t n;             // examples kept
    size_t n_classes;     // K
    int32_t *tokens;      // (total tokens) every example's ids, concatenated
    size_t *tok_off;      // (n + 1) example i is tokens[tok_off[i] .. tok_off[i+1])
    int32_t *hard_label;  // (n) ground-truth class, or -1 when the line had none
    float *target;        // (n, K) soft_label if given, else one-hot(hard_label), else zeros
    uint8_t *has_target;  // (n) 1 if target row i is a real distribution
    uint8_t *has_soft;    // (n) 1 if the line carried its own soft_label
    size_t *line;         // (n) 1-based line number in the source file
    char *raw;            // keep_raw: every kept line's text, each NUL-terminated; else NULL
    size_t *raw_off;      // keep_raw: (n) line i's text starts at raw + raw_off[i]; else NULL
    char *path;           // source file name, for messages
    dataset_stats stats;
} dataset;

// Loads a JSONL file. On failure returns -1, leaves *ds empty (safe to dataset_free) and
// sets the error "PATH:LINE: problem". With opts->skip_bad, invalid lines are skipped and
// counted instead (I/O errors and a final n_classes conflict still fail). An empty result
// (no examples) is not an error; the caller decides.
int dataset_load(dataset *ds, const char *path, const dataset_options *opts);
void dataset_free(dataset *ds);

// Example i's token ids and count.
static inline const int32_t *dataset_tokens(const dataset *ds, size_t i, size_t *n) {
    *n = ds->tok_off[i + 1] - ds->tok_off[i];
    return ds->tokens + ds->tok_off[i];
}
// Example i's target row (K probabilities), or NULL if it has none (unlabeled).
static inline const float *dataset_target(const dataset *ds, size_t i) {
    return ds->has_target[i] ? ds->target + i * ds->n_classes : NULL;
}

// Counts hard labels of examples idx[0..n_idx) (idx NULL = all examples) into
// counts[0..K); unlabeled examples are not counted. Returns the number of classes present,
// so a caller training on ground truth can refuse a one-class dataset.
size_t dataset_class_counts(const dataset *ds, const size_t *idx, size_t n_idx, size_t *counts);

// ---- W2S split (docs/PROTOCOL.md)

typedef struct {
    size_t *train1, n_train1;  // weak model's ground-truth training set
    size_t *train2, n_train2;  // labeled by the weak model; student and ceiling train on it
    size_t *test, n_test;      // evaluation set
} dataset_split;

// One pool of n_examples: seeded shuffle (rng_seed(seed)), the first n_train split in halves
// (train1 = floor(n_train/2), train2 = the rest, like the reference's train_test_split of
// 0.5), then the next n_test for test. Fails if n_train + n_test > n_examples. Indices are
// into the pool; free with dataset_split_free.
int dataset_split_w2s(dataset_split *s, size_t n_examples, size_t n_train, size_t n_test,
                      uint64_t seed);
// Separate test file: train1/train2 as above from n_examples (n_test = 0 there), and test =
// the first n_test of a seeded shuffle of the test file's n_test_examples (stream 1 of seed,
// so it does not depend on the training pool's size). Test indices are into the test file.
int dataset_split_w2s_separate(dataset_split *s, size_t n_examples, size_t n_train,
                               size_t n_test_examples, size_t n_test, uint64_t seed);
void dataset_split_free(dataset_split *s);

// ---- labeled output (docs/FORMATS.md)

// Writes, atomically, one line per example idx[i] (i < n): the example's original fields,
// then "gt_label" (its original hard_label, when it had one and no gt_label field, as the
// reference's labeled datasets do), "soft_label" = soft[i*K .. i*K+K) printed with %.9g
// (round-trips a float) and "hard_label" = hard[i]. Needs a dataset loaded with keep_raw.
// soft: (n, K) with K = ds->n_classes; hard: (n).
int dataset_write_labels(const char *path, const dataset *ds, const size_t *idx, size_t n,
                         const float *soft, const int32_t *hard);

#endif
