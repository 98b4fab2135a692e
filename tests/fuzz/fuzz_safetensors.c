// fuzz_safetensors.c — libFuzzer target for the safetensors reader (models/safetensors.c).
// Built by CMake with W2S_FUZZ=ON (clang -fsanitize=fuzzer); scripts/fuzz builds and runs it.
// Beyond "no crash, no out-of-bounds read", an accepted file must satisfy the reader's
// documented invariants (tiling, lookup by name, sorted metadata), and writing it out with
// the writer (to /dev/shm) and reading that back must give the same tensors and metadata.
// A violation traps.
// fuzz-room: w2s_models
#include "safetensors.h"

#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) \
    do {         \
        if (!(c)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Rewrites f with the writer and checks the copy holds the same tensors and metadata.
static void check_roundtrip(const safetensors_file *f) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/dev/shm/w2s-fuzz-%ld.safetensors", (long)getpid());
    safetensors_writer *w = safetensors_writer_create();
    CHECK(w);
    for (size_t i = 0; i < safetensors_count(f); i++) {
        const safetensors_tensor *t = safetensors_tensor_at(f, i);
        // Names the writer refuses (empty) are legal in a file; skip the round trip for them.
        if (safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data) != 0) {
            CHECK(t->name[0] == 0);
            safetensors_writer_destroy(w);
            return;
        }
    }
    for (size_t i = 0; i < safetensors_metadata_count(f); i++) {
        const char *k, *v;
        safetensors_metadata_at(f, i, &k, &v);
        CHECK(safetensors_writer_set_metadata(w, k, v) == 0);
    }
    CHECK(safetensors_writer_write(w, path) == 0);
    safetensors_writer_destroy(w);
    safetensors_file *g = safetensors_open(path);
    CHECK(g && safetensors_count(g) == safetensors_count(f));
    for (size_t i = 0; i < safetensors_count(f); i++) {
        const safetensors_tensor *a = safetensors_tensor_at(f, i);
        const safetensors_tensor *b = safetensors_find(g, a->name);
        CHECK(b && a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes);
        CHECK(memcmp(a->shape, b->shape, sizeof a->shape) == 0);
        CHECK(a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
    }
    CHECK(safetensors_metadata_count(g) == safetensors_metadata_count(f));
    for (size_t i = 0; i < safetensors_metadata_count(f); i++) {
        const char *k, *v, *v2;
        safetensors_metadata_at(f, i, &k, &v);
        CHECK((v2 = safetensors_metadata(g, k)) && strcmp(v, v2) == 0);
    }
    safetensors_close(g);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors_file *f = safetensors_open_memory(data, size, "fuzz");
    if (!f) {
        CHECK(w2s_error_message()[0] != 0);  // every rejection says why
        return 0;
    }
    size_t end = 0, n = safetensors_count(f);
    for (size_t i = 0; i < n; i++) {
        const safetensors_tensor *t = safetensors_tensor_at(f, i);
        CHECK(t->offset == end);  // strict tiling
        end += t->nbytes;
        CHECK(safetensors_find(f, t->name) == t);
        CHECK(t->ndim >= 0 && t->ndim <= SAFETENSORS_MAX_DIMS);
        CHECK(t->nbytes == t->numel * safetensors_dtype_size(t->dtype));
        const uint8_t *p = t->data;
        CHECK(p >= data && p + t->nbytes <= data + size);
        if (t->dtype == SAFETENSORS_F32 || t->dtype == SAFETENSORS_F16 ||
            t->dtype == SAFETENSORS_BF16) {
            float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);  // numel <= size
            CHECK(x && safetensors_read_f32(f, t->name, t->ndim, t->shape, x) == 0);
            free(x);
        }
    }
    CHECK(8 + end <= size);
    const char *prev = NULL;
    for (size_t i = 0; i < safetensors_metadata_count(f); i++) {
        const char *k, *v;
        safetensors_metadata_at(f, i, &k, &v);
        CHECK(!prev || strcmp(prev, k) < 0);
        CHECK(safetensors_metadata(f, k) == v);
        prev = k;
    }
    check_roundtrip(f);
    safetensors_close(f);
    return 0;
}
