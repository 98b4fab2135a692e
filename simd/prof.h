// prof.h — the hooks the profiler (runtime/profile/profiler.h) listens on, usable from every layer:
// gemm() reports each call to `gemm_observer`, and non-GEMM operations mark regions with
// prof_begin()/prof_end(). Not a profiler: nothing is accumulated here, only forwarded.
// The one thing to know: when no profiler is installed both observers are NULL and a hook
// costs one predictable branch (no clock read), so the hooks stay in release builds.
// Regions must not contain gemm() calls: the profiler adds both up as disjoint time.
#ifndef W2S_SIMD_PROF_H
#define W2S_SIMD_PROF_H

#include "gemm.h"

#include <stdint.h>
#include <time.h>

// Operation kinds of the non-GEMM regions (the profiler's table rows).
typedef enum {
    PROF_EMBED = 0,    // token + position embedding (and its backward)
    PROF_LAYERNORM,
    PROF_ATTENTION,    // causal attention: scores, softmax, weighted sum (matmul-free loops)
    PROF_GELU,         // standalone GELU (not fused into a gemm epilogue)
    PROF_SOFTMAX,      // LM-head softmax / cross-entropy
    PROF_RESIDUAL,     // residual copies and zeroing of gradient buffers
    PROF_BIAS_GRAD,    // bias gradient reductions (on the bf16 path with the bf16 copy of dy)
    PROF_HEAD,         // classification head
    PROF_LOSS,         // the caller's loss and its gradient
    PROF_OPTIMIZER,    // the parameter update and the zeroing of parameter gradients
    PROF_QUANTIZE,     // per-token activation quantization (int8 graph)
    PROF_PACK,         // weight packing outside gemm() (gemm_repack_b: once per step in training)
    PROF_DATA,         // reading, decoding and tokenizing datasets
    PROF_FILE_IO,      // opening and reading safetensors files; writing them and label files
    PROF_OTHER,
    PROF_KIND_COUNT
} prof_kind;

// Which pass the calling thread is in; set by the model (gpt2_forward / gpt2_backward) and by
// the parameter update (optim_adam_step*, gpt2_zero_grad).
typedef enum { PROF_PHASE_FORWARD = 0, PROF_PHASE_BACKWARD, PROF_PHASE_UPDATE, PROF_PHASE_COUNT } prof_phase;

// Called by gemm() after every successful call with M, N > 0, on the calling thread, with
// the monotonic times (seconds) around the whole call. NULL (the default) = off.
typedef void (*gemm_observer_fn)(gemm_type type, w2s_isa isa, const gemm_args *args, double t0,
                                 double t1);
extern gemm_observer_fn gemm_observer;

// Called by prof_end() on the calling thread. NULL (the default) = off.
typedef void (*prof_region_fn)(prof_kind kind, prof_phase phase, double t0, double t1);
extern prof_region_fn prof_region_observer;

// Per thread; PROF_PHASE_FORWARD until set. prof_last_phase is the last phase set by any thread:
// what GEMMs run by OpenMP worker threads (which never set their own) are attributed to.
extern __thread prof_phase prof_current_phase;  // __thread: also valid C++ (bench/)
extern prof_phase prof_last_phase;

static inline void prof_set_phase(prof_phase p) {
    prof_current_phase = p;
    __atomic_store_n(&prof_last_phase, p, __ATOMIC_RELAXED);
}

// Monotonic seconds.
static inline double prof_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Usage, one line each around an operation:  double t = prof_begin(); ...; prof_end(PROF_GELU, t);
static inline double prof_begin(void) { return prof_region_observer ? prof_now() : 0.0; }

// Data and file I/O run outside the passes: their rows ignore the thread's phase.
static inline int prof_kind_phased(prof_kind kind) { return kind != PROF_DATA && kind != PROF_FILE_IO; }

static inline void prof_end(prof_kind kind, double t0) {
    prof_region_fn f = prof_region_observer;
    // t0 == 0: the observer was installed after prof_begin(); drop that half-seen region.
    if (__builtin_expect(f != NULL, 0) && t0 != 0.0)
        f(kind, prof_kind_phased(kind) ? prof_current_phase : PROF_PHASE_FORWARD, t0, prof_now());
}

const char *prof_kind_name(prof_kind kind);     // "layernorm", ...
const char *prof_phase_name(prof_phase phase);  // "forward" | "backward" | "update"

#endif
