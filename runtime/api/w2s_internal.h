// w2s_internal.h — what the public API's files (w2s_*.c) share: the context and the one way a
// call ends (api_end: the runtime's thread-local error becomes the caller's status + message).
// Not installed and not part of the API: include/w2s/w2s.h is.
#ifndef W2S_API_INTERNAL_H
#define W2S_API_INTERNAL_H

#define W2S_BUILDING_LIBRARY 1
#include "w2s/w2s.h"

#include <stdbool.h>
#include <stddef.h>

struct w2s_context {
    size_t threads;  // 0: the OpenMP default
    bool progress;   // progress lines on stderr (w2s_train, w2s_run)
};

// Starts a call: clears the runtime's error and applies ctx's threads (ctx may be NULL).
void api_begin(const w2s_context *ctx);
// Ends a call: rc 0 → W2S_OK; otherwise `fail` with the runtime's current message copied
// into err[0..err_cap) (truncated, always NUL-terminated).
w2s_status api_end(int rc, w2s_status fail, char *err, size_t err_cap);
// A W2S_ERR_ARGUMENT with a message (printf format), for checks made here.
w2s_status api_fail(w2s_status status, char *err, size_t err_cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
// Copies text (len bytes + NUL) to out[0..cap): W2S_OK, or W2S_ERR_SPACE with *need set.
w2s_status api_copy_out(const char *text, size_t len, char *out, size_t cap, size_t *need, char *err, size_t err_cap);

#endif
