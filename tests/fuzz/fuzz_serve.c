// fuzz_serve.c — libFuzzer target for `w2s serve`'s request handler (runtime/serve/
// serve_request.c): a body → token ids or a clean HTTP error, then logits → the answer's JSON.
// Not the HTTP layer (libmicrohttpd's) or the batcher. Byte 0 picks the endpoint (bit 0),
// classes 2-5 (bits 1-2), max_ctx 4 or 32 (bit 3), a byte-level tokenizer (bit 4), vocab 256
// or 64 (bit 5), max inputs 2 or 16 (bit 6); the rest is the body.
// Oracle: the status is 200/400/413/422; an accepted request has 1..max_inputs inputs of
// 1..max_ctx ids < vocab; every answer or error is valid JSON of the documented shape.
// fuzz-room: w2s_serve
#include "serve_request.h"

#include "fuzz_byte_tokenizer.h"

#include "trainer.h"

#include <jansson.h>
#include <math.h>
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

static char dir[] = "/dev/shm/w2s_fuzz_serve_XXXXXX";

// ---- the oracle

static void check_predict(const json_t *a, size_t K, bool raw) {
    CHECK(json_is_array(a) && json_array_size(a) == K);
    double sum = 0, prev = INFINITY;
    for (size_t k = 0; k < K; k++) {
        json_t *e = json_array_get(a, k);
        CHECK(json_is_object(e) && json_is_string(json_object_get(e, "label")));
        json_t *s = json_object_get(e, "score");
        CHECK(json_is_number(s));
        double v = json_number_value(s);
        CHECK(v <= prev);  // sorted by score, descending
        prev = v;
        sum += v;
    }
    if (!raw) CHECK(fabs(sum - 1) < 1e-5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tokenizer *tok;
    if (!tok) {
        CHECK(mkdtemp(dir));
        tok = fuzz_byte_tokenizer(dir);
        char path[96];  // the files are read; remove them and the folder
        snprintf(path, sizeof path, "%s/vocab.json", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/merges.txt", dir);
        unlink(path);
        rmdir(dir);
    }
    if (size < 1) return 0;
    uint8_t c = data[0];
    serve_kind kind = (c & 1) ? SERVE_LABEL : SERVE_PREDICT;
    serve_spec s = {.n_classes = 2 + ((c >> 1) & 3), .max_ctx = (c & 8) ? 32 : 4, .tok = (c & 16) ? tok : NULL,
                    .vocab_size = (c & 32) ? 256 : 64, .max_inputs = (c & 64) ? 16 : 2};
    size_t K = s.n_classes;
    serve_request r;
    int st = serve_parse(&s, kind, (const char *)data + 1, size - 1, &r);
    CHECK(st == r.status && (st == 200 || st == 400 || st == 413 || st == 422));
    float *z = NULL;
    if (st == 200) {
        CHECK(r.n >= 1 && r.n <= (kind == SERVE_LABEL ? 1 : s.max_inputs));
        z = malloc(r.n * K * sizeof *z);
        CHECK(z);
        for (size_t i = 0; i < r.n; i++) {
            CHECK(r.ids[i].n >= 1 && r.ids[i].n <= s.max_ctx);
            uint64_t h = 0;
            for (size_t t = 0; t < r.ids[i].n; t++) {
                CHECK(r.ids[i].ids[t] >= 0 && (size_t)r.ids[i].ids[t] < s.vocab_size);
                h = h * 31 + (uint64_t)r.ids[i].ids[t];
            }
            for (size_t k = 0; k < K; k++) z[i * K + k] = (float)((h >> (3 * k)) % 9) - 4.0f;
        }
    } else {
        CHECK(r.err[0]);
        for (const char *p = r.err; *p; p++) CHECK(*p >= 0x20 && *p <= 0x7e);
    }
    char *out = serve_answer(&s, &r, z);
    CHECK(out);
    json_error_t je;
    json_t *a = json_loads(out, 0, &je);
    CHECK(a);
    if (st != 200) {
        CHECK(json_is_string(json_object_get(a, "error")) && json_is_string(json_object_get(a, "error_type")));
    } else if (kind == SERVE_LABEL) {
        json_t *soft = json_object_get(a, "soft_label"), *hard = json_object_get(a, "hard_label");
        CHECK(json_is_array(soft) && json_array_size(soft) == K && json_is_integer(hard));
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (z[k] > z[best]) best = k;
        CHECK((size_t)json_integer_value(hard) == best);
    } else if (r.list_form) {
        CHECK(json_is_array(a) && json_array_size(a) == r.n);
        for (size_t i = 0; i < r.n; i++) check_predict(json_array_get(a, i), K, r.raw_scores);
    } else {
        CHECK(r.n == 1);
        check_predict(a, K, r.raw_scores);
    }
    json_decref(a);
    free(out);
    free(z);
    serve_request_free(&r);
    return 0;
}
