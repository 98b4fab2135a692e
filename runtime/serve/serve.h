// serve.h — `w2s serve`'s HTTP service: GNU libmicrohttpd accepts and parses HTTP, handler
// threads parse bodies (serve_request.h) and queue their inputs; the calling thread batches
// queued inputs by tokens and runs the labeler on its own OpenMP team.
// Not a general web server: fixed endpoints, JSON only, no TLS (listen on 127.0.0.1 or put a
// proxy in front). The one thing to know: an answer never depends on its batch-mates (the
// labeler is batch-independent), so batching changes latency and throughput, never bits.
//
// Why libmicrohttpd: a mature GNU library in Debian with a small C API, thread-per-connection
// or internal-select modes, and connection timeouts, connection limits and per-connection
// memory limits built in; quiescing the listen socket gives a clean SIGTERM drain.
#ifndef W2S_SERVE_H
#define W2S_SERVE_H

#include "labeler.h"
#include "serve_request.h"

#include <stddef.h>

typedef struct {
    const char *host;          // listen address (IPv4 literal), default 127.0.0.1
    unsigned port;             // 0: an ephemeral port (printed on stdout)
    size_t max_batch_tokens;   // tokens per forward (inputs are never split)
    size_t max_batch;          // inputs per forward (the labeler's batch capacity)
    size_t max_concurrent;     // requests admitted at once (parsing, queued or running); more get 503
    size_t max_body;           // request body bytes; more get 413
    unsigned timeout_s;        // an idle or stalled connection is closed after this
    const char *api_key;       // not NULL: "Authorization: Bearer <key>" required (except /health)
    const char *info_json;     // the body of GET /info
} serve_options;

// Serves until SIGTERM or SIGINT, then stops accepting, answers every admitted request and
// returns 0. Returns -1 with the error set if the server cannot start. Call from the thread
// whose OpenMP team should run the model; blocks SIGTERM/SIGINT/SIGPIPE in that thread (and
// in the handler threads it starts).
int serve_run(const serve_options *o, const serve_spec *s, const labeler_model *lm);

#endif
