// w2s_context.c — the public API's context, version, ISA and status plumbing (w2s.h).
// Not the models (w2s_model.c) nor the runs (w2s_run.c). The one thing to know: the runtime
// reports errors in a thread-local message (error.h); api_end turns that into the caller's
// status + buffer, so no message leaks from one call into the next.
#include "w2s_internal.h"

#include "cpu.h"
#include "error.h"
#include "tune_wisdom.h"

#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_begin(const w2s_context *ctx) {
    w2s_error_clear();
    if (ctx && ctx->threads) omp_set_num_threads((int)ctx->threads);
}

static void copy_err(const char *msg, char *err, size_t err_cap) {
    if (err && err_cap) snprintf(err, err_cap, "%s", msg);
}

w2s_status api_end(int rc, w2s_status fail, char *err, size_t err_cap) {
    if (rc == 0) {
        copy_err("", err, err_cap);
        return W2S_OK;
    }
    const char *msg = w2s_error_message();
    copy_err(*msg ? msg : "unknown error", err, err_cap);
    return fail;
}

w2s_status api_fail(w2s_status status, char *err, size_t err_cap, const char *fmt, ...) {
    if (err && err_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_cap, fmt, ap);
        va_end(ap);
    }
    return status;
}

w2s_status api_copy_out(const char *text, size_t len, char *out, size_t cap, size_t *need, char *err, size_t err_cap) {
    if (need) *need = len + 1;
    if (!out && !cap) return api_end(0, W2S_OK, err, err_cap);
    if (!out || cap < len + 1)
        return api_fail(W2S_ERR_SPACE, err, err_cap, "output buffer of %zu bytes, %zu needed", cap, len + 1);
    memcpy(out, text, len);
    out[len] = 0;
    return api_end(0, W2S_OK, err, err_cap);
}

// ---- version, status, context

w2s_status w2s_version(const char **version) {
    if (!version) return W2S_ERR_ARGUMENT;
    *version = W2S_VERSION_STRING;
    return W2S_OK;
}

const char *w2s_status_name(w2s_status status) {
    switch (status) {
    case W2S_OK: return "ok";
    case W2S_ERR_ARGUMENT: return "argument";
    case W2S_ERR_RUNTIME: return "runtime";
    case W2S_ERR_SPACE: return "space";
    }
    return "unknown";
}

w2s_status w2s_context_create(w2s_context **ctx, char *err, size_t err_cap) {
    if (!ctx) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_context_create: ctx is NULL");
    *ctx = calloc(1, sizeof **ctx);
    if (!*ctx) return api_fail(W2S_ERR_RUNTIME, err, err_cap, "w2s_context_create: out of memory");
    // The GEMM configuration `w2s tune` stored for this CPU, before any model is opened; the
    // library never prints, so an unusable file is silently left for the built-in default.
    tune_wisdom_apply_once(NULL);
    return api_end(0, W2S_OK, err, err_cap);
}

void w2s_context_destroy(w2s_context *ctx) {
    free(ctx);
}

w2s_status w2s_context_set_threads(w2s_context *ctx, size_t threads, char *err, size_t err_cap) {
    if (!ctx) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_context_set_threads: ctx is NULL");
    if (threads > 4096) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "threads %zu: expected 0 to 4096", threads);
    ctx->threads = threads;
    return api_end(0, W2S_OK, err, err_cap);
}

w2s_status w2s_context_set_progress(w2s_context *ctx, int progress, char *err, size_t err_cap) {
    if (!ctx) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_context_set_progress: ctx is NULL");
    ctx->progress = progress != 0;
    return api_end(0, W2S_OK, err, err_cap);
}

w2s_status w2s_context_isa(const w2s_context *ctx, const char **isa, char *err, size_t err_cap) {
    if (!isa) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_context_isa: isa is NULL");
    *isa = w2s_isa_name(w2s_isa_active());
    return api_end(0, W2S_OK, err, err_cap);
}
