// profiler.h — where the time goes: per matmul path (dtype × ISA × shape × operand layout ×
// forward/backward) and per non-GEMM operation kind, the calls, seconds, FLOPs and bytes.
// It installs the observers of simd/prof.h; it does not time anything itself and does not
// print (profile_report.h does). One profiler per process (the observers are global);
// events from any thread are accepted (a mutex: events come per operation, not per tile).
// The one thing to know: GEMM events and regions are disjoint by contract (prof.h), so their
// sum is the profiled time and can be compared with the wall clock of the profiled steps.
#ifndef W2S_RUNTIME_PROFILER_H
#define W2S_RUNTIME_PROFILER_H

#include "gemm.h"
#include "prof.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Operand layout of a call: is A read transposed (column stride != 1), is B?
typedef enum { PROF_OP_AB = 0, PROF_OP_ABT, PROF_OP_ATB, PROF_OP_ATBT, PROF_OP_COUNT } profile_op;

typedef struct {
    // key
    gemm_type type;
    w2s_isa isa;
    prof_phase phase;
    profile_op op;
    size_t M, N, K;
    bool b_packed, accumulate;
    bool nested;                // called inside an OpenMP region (e.g. per-head attention GEMMs
                                // of the int8 graph): seconds are one thread's, concurrent with
                                // other threads', and lie inside the caller's region, so they are
                                // NOT added to the profiled total
    int threads;                // omp_get_max_threads() of the calling thread (1 when nested)
    // accumulated
    uint64_t calls;
    double seconds;
    double flops;               // 2·M·N·K per call
    double bytes;               // per call: A + B + C (C twice when accumulating), at their dtypes
    // filled by `w2s profile --compare-onednn` (0 = not measured)
    double cmp_w2s_s, cmp_onednn_s;  // median seconds per call, same process, interleaved
} profile_gemm_row;

typedef struct {
    uint64_t calls;
    double seconds;
} profile_region_row;

typedef struct {
    profile_gemm_row *gemm;      // (n_gemm), malloc'ed
    size_t n_gemm;
    profile_region_row region[PROF_PHASE_COUNT][PROF_KIND_COUNT];
    double gemm_seconds, region_seconds;   // sums over the rows (GEMM: top-level rows only)
    double nested_gemm_seconds;             // thread-seconds of nested GEMM rows (informative)
    double t_start, t_stop;                 // monotonic seconds of start and stop/snapshot
} profile_data;

// Clears all counts and installs the observers. Returns 0, or -1 if already running.
int profiler_start(void);
// Uninstalls the observers (counts are kept for profiler_snapshot). No-op if not running.
void profiler_stop(void);
// Clears all counts (running or not): e.g. after warm-up steps.
void profiler_reset(void);
bool profiler_running(void);

// Copies the current counts into *d (d->gemm malloc'ed). Returns 0 or -1 (out of memory).
int profiler_snapshot(profile_data *d);
void profile_data_free(profile_data *d);

// Events as the observers receive them (exposed for tests and for code that times an operation
// itself). gemm: one call of `args` on `isa` that took t1 - t0 seconds.
void profiler_record_gemm(gemm_type type, w2s_isa isa, const gemm_args *args, double t0, double t1);
void profiler_record_region(prof_kind kind, prof_phase phase, double t0, double t1);

// Arithmetic intensity (FLOP per byte) and achieved GFLOP/s of a row.
double profile_row_intensity(const profile_gemm_row *r);
double profile_row_gflops(const profile_gemm_row *r);
// "A*B", "A*B^T", "A^T*B", "A^T*B^T".
const char *profile_op_name(profile_op op);
// Short label of a row's path, e.g. "bf16 avx512_bf16 bwd 768x3072x1024 A^T*B".
void profile_row_label(const profile_gemm_row *r, char *buf, size_t n);


#endif
