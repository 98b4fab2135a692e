// dataset_split.c — the W2S train1/train2/test split (docs/PROTOCOL.md) as index arrays.
// Only indices are produced: examples stay where dataset_load put them. The permutation is
// a function of (seed, pool size) alone, via rng.h, so runs are reproducible anywhere.
#include "dataset.h"

#include "error.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

// Copies perm[from .. from+n) into a new array (n may be 0: a 1-element allocation, so a
// NULL return always means out of memory).
static size_t *take(const size_t *perm, size_t from, size_t n) {
    size_t *out = malloc((n ? n : 1) * sizeof *out);
    if (out && n) memcpy(out, perm + from, n * sizeof *out);
    return out;
}

static size_t *shuffled(size_t n, rng *r) {
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm) return NULL;
    for (size_t i = 0; i < n; i++) perm[i] = i;
    rng_shuffle_indices(r, perm, n);
    return perm;
}

int dataset_split_w2s(dataset_split *s, size_t n_examples, size_t n_train, size_t n_test,
                      uint64_t seed) {
    memset(s, 0, sizeof *s);
    if (n_train > n_examples || n_test > n_examples - n_train)
        return W2S_FAIL("the dataset has %zu usable examples but the split needs n_train %zu + "
                        "n_test %zu (lower them, or check how many lines were dropped)",
                        n_examples, n_train, n_test);
    rng r;
    rng_seed(&r, seed);
    size_t *perm = shuffled(n_examples, &r);
    if (!perm) return W2S_FAIL("out of memory shuffling %zu examples", n_examples);
    s->n_train1 = n_train / 2;
    s->n_train2 = n_train - s->n_train1;
    s->n_test = n_test;
    s->train1 = take(perm, 0, s->n_train1);
    s->train2 = take(perm, s->n_train1, s->n_train2);
    s->test = take(perm, n_train, n_test);
    free(perm);
    if (!s->train1 || !s->train2 || !s->test) {
        dataset_split_free(s);
        return W2S_FAIL("out of memory for the split index arrays");
    }
    return 0;
}

int dataset_split_w2s_separate(dataset_split *s, size_t n_examples, size_t n_train,
                               size_t n_test_examples, size_t n_test, uint64_t seed) {
    if (n_test > n_test_examples)
        return W2S_FAIL("the test file has %zu usable examples but n_test is %zu", n_test_examples,
                        n_test);
    if (dataset_split_w2s(s, n_examples, n_train, 0, seed)) return -1;
    free(s->test);
    rng r;
    rng_seed_stream(&r, seed, 1);
    size_t *perm = shuffled(n_test_examples, &r);
    s->test = perm ? take(perm, 0, n_test) : NULL;
    s->n_test = n_test;
    free(perm);
    if (!s->test) {
        dataset_split_free(s);
        return W2S_FAIL("out of memory for the test index array");
    }
    return 0;
}

void dataset_split_free(dataset_split *s) {
    free(s->train1);
    free(s->train2);
    free(s->test);
    memset(s, 0, sizeof *s);
}
