// fuzz_serve.c — libFuzzer target for `w2s serve`'s request handler (runtime/serve/
// serve_request.c): a body → token ids or a clean HTTP error, then logits → the answer's JSON.
// Not the HTTP layer (libmicrohttpd's) or the batcher. Byte 0 picks the endpoint (bit 0),
// classes 2-5 (bits 1-2), max_ctx 4 or 32 (bit 3), a byte-level tokenizer (bit 4), vocab 256
// or 64 (bit 5), max inputs 2 or 16 (bit 6); the rest is the body.
// Oracle: the status is 200/400/413/422; an accepted request has 1..max_inputs inputs of
// 1..max_ctx ids < vocab; every answer or error is valid JSON of the documented shape.
// fuzz-room: w2s_serve
#include "serve_request.h"

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

// The one function serve_request.c needs from the trainer (its softmax, same formula), so
// the target links no model code.
void trainer_soft_labels(const float *logits, size_t n, size_t K, float *probs, int32_t *hard) {
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * K;
        float *p = probs + i * K;
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (z[k] > z[best]) best = k;
        float mx = z[best];
        double sum = 0;
        for (size_t k = 0; k < K; k++) sum += p[k] = expf(z[k] - mx);
        for (size_t k = 0; k < K; k++) p[k] = (float)(p[k] / sum);
        if (hard) hard[i] = (int32_t)best;
    }
}

// ---- fixture: GPT-2's byte alphabet as a 256-token vocabulary, no merges (as fuzz_stream.c)

static void put_token(FILE *f, int b) {
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174, cp = b, n = 0;
    if (!printable) {
        for (int x = 0; x < b; x++) n += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
        cp = 256 + n;
    }
    if (cp == '"' || cp == '\\') fprintf(f, "\"\\%c\"", cp);
    else if (cp < 0x80) fprintf(f, "\"%c\"", cp);
    else fprintf(f, "\"%c%c\"", 0xC0 | cp >> 6, 0x80 | (cp & 0x3F));
}

static tokenizer *byte_tokenizer(void) {
    char vocab[64], merges[64];
    CHECK(mkdtemp(dir));
    snprintf(vocab, sizeof vocab, "%s/vocab.json", dir);
    snprintf(merges, sizeof merges, "%s/merges.txt", dir);
    FILE *f = fopen(vocab, "w");
    CHECK(f);
    fputc('{', f);
    for (int b = 0; b < 256; b++) {
        if (b) fputc(',', f);
        put_token(f, b);
        fprintf(f, ":%d", b);
    }
    fputc('}', f);
    CHECK(fclose(f) == 0);
    f = fopen(merges, "w");
    CHECK(f && fputs("#version: 0.2\n", f) >= 0 && fclose(f) == 0);
    tokenizer *t = tokenizer_load(vocab, merges);
    CHECK(t);
    unlink(vocab);
    unlink(merges);
    rmdir(dir);
    return t;
}

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
    if (!tok) tok = byte_tokenizer();
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
