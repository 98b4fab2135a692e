// peak.h — this machine's measured peaks: fp32 FMA, bf16 dot and int8 dot throughput on one
// core and on all threads, and memory bandwidth (STREAM-like triad and copy). `w2s info
// --peak` prints them; the profiler divides achieved rates by them.
// Not a model of the CPU: every number is measured (best of several short runs, since the
// machine may be shared) and cached in $XDG_CACHE_HOME/w2s/peak.json (~/.cache when unset)
// keyed by CPU brand + ISA level + thread count, so later runs do not re-measure.
#ifndef W2S_RUNTIME_PEAK_H
#define W2S_RUNTIME_PEAK_H

#include "gemm.h"
#include "peak_loops.h"

#include <stdbool.h>

typedef struct {
    char cpu[64];                          // brand string (key)
    char isa[24];                          // ISA level the loops ran at (key)
    int threads;                           // threads of the all-core figures (key)
    double core[PEAK_FAMILY_COUNT];        // GFLOP/s (GOP/s for int8), one thread
    double all[PEAK_FAMILY_COUNT];         // GFLOP/s (GOP/s), `threads` threads together
    char loop[PEAK_FAMILY_COUNT][40];      // instruction measured, e.g. "vdpbf16ps zmm"
    double triad_gbs, copy_gbs;            // memory bandwidth, all threads, GB/s (1e9 B/s)
    double seconds;                        // time the measurement took
} peak_info;

// Measures everything at `isa` with `threads` OpenMP threads (about 1–3 s).
// Returns 0, or -1 with the error set (out of memory for the bandwidth buffers).
int peak_measure(peak_info *p, w2s_isa isa, int threads);

// The cached entry for (this CPU, isa, threads): 0 if found, 1 if absent, -1 on a read error.
int peak_cache_load(peak_info *p, w2s_isa isa, int threads);
// Adds / replaces this entry in the cache file (atomic write). Returns 0 or -1.
int peak_cache_save(const peak_info *p);
// Cached entry, or measured and saved; *measured tells which (may be NULL). Returns 0 or -1.
// A cache that cannot be written is not an error (the numbers are still returned).
int peak_get(peak_info *p, w2s_isa isa, int threads, bool *measured);
// The cache file's path (peak.json in w2s_cache_dir) into buf (size n); 0 or -1.
int peak_cache_path(char *buf, size_t n);

// The compute ceiling of a GEMM type with `threads` threads (GFLOP/s or GOP/s): the all-thread
// figure when threads >= p->threads, else the one-core figure times threads.
double peak_gemm_gflops(const peak_info *p, gemm_type type, int threads);

const char *peak_family_name(peak_family fam);   // "fp32", "bf16", "int8"

#endif
