// serve_request.h — the pure half of `w2s serve`: a request body (JSON) → token sequences, or
// a clean HTTP error (status + one-line reason); and the model's logits → the answer's JSON.
// Not networking or batching (serve.h) and it runs no model, so it can be fuzzed alone
// (fuzz/fuzz_serve.c). The one thing to know: every input becomes a list of token ids here,
// checked against the model's vocabulary and max_ctx, before anything is queued.
#ifndef W2S_SERVE_REQUEST_H
#define W2S_SERVE_REQUEST_H

#include "tokenizer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { SERVE_PREDICT = 0, SERVE_LABEL } serve_kind;

// What a request is checked against. Read-only while serving, except through tok_lock.
typedef struct {
    size_t vocab_size, n_classes, max_ctx;  // ids < vocab_size; tokens per input <= max_ctx
    size_t max_inputs;                       // inputs per /predict request
    tokenizer *tok;                          // NULL: token ids only
    pthread_mutex_t *tok_lock;               // held around tokenizer_encode (one thread at a time); may be NULL
    char **labels;                           // n_classes names (id2label), or NULL: "LABEL_k"
} serve_spec;

typedef struct {
    serve_kind kind;
    size_t n;                 // inputs
    tokenizer_ids *ids;       // (n) token ids per input
    bool truncate;            // cut inputs longer than max_ctx instead of refusing them
    bool raw_scores;          // /predict: logits instead of probabilities
    bool list_form;           // /predict: the inputs came as a list (answer a list of lists)
    json_t *record;           // /label: the request object (answer fields are added to it)
    int status;               // 200, or the HTTP error status
    char err[256];            // status != 200: the reason, printable ASCII
} serve_request;

// Parses body[0..len) for an endpoint of `kind` into r (zeroed first). Returns r->status:
// 200, 400 (malformed JSON, wrong types), 413 (too many inputs, too long without truncate),
// 422 (a token id outside the vocabulary, no tokens, text without a tokenizer) or 500.
int serve_parse(const serve_spec *s, serve_kind kind, const char *body, size_t len, serve_request *r);

// The answer of a parsed request given its logits (r->n, K): /predict [{"label", "score"}...]
// sorted by score (a list of those for list input), /label the record plus soft_label and
// hard_label as `w2s label` writes them. Returns a malloc'd NUL-terminated string or NULL.
char *serve_answer(const serve_spec *s, const serve_request *r, const float *logits);

// {"error": msg, "error_type": ...} for an HTTP error status; malloc'd, or NULL.
char *serve_error_body(int status, const char *msg);

void serve_request_free(serve_request *r);

#endif
