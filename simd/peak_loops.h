// peak_loops.h — throughput loops that measure this CPU's peak per instruction family:
// fp32 FMA, bf16 dot (vdpbf16ps) and int8 dot (vpdpbusd, or the widening fallback).
// Not a benchmark driver (runtime/profile/peak.c times them on one and on all cores) and not a GEMM:
// the loops do no useful work. The one thing to know: each loop keeps 12 independent
// accumulator chains, enough to cover FMA latency × pipes on current x86 cores (4 × 2 on Zen 5).
#ifndef W2S_SIMD_PEAK_LOOPS_H
#define W2S_SIMD_PEAK_LOOPS_H

#include "cpu.h"

#include <stddef.h>

typedef enum {
    PEAK_F32_FMA = 0,   // FLOPs of f32 multiply-adds (2 per lane)
    PEAK_BF16_DOT,      // FLOPs of bf16 pair dot products into f32 (4 per f32 lane)
    PEAK_S8_DOT,        // integer ops of u8·s8 quad dots into s32 (8 per s32 lane)
    PEAK_FAMILY_COUNT
} peak_family;

// Runs `iters` iterations of the best loop for `fam` at or below `isa` on the calling thread.
// Returns the operations performed (FLOPs or integer ops, 2 per multiply-add); writes a value
// derived from the accumulators to *sink so the loop cannot be optimized away.
double peak_loop_run(peak_family fam, w2s_isa isa, size_t iters, float *sink);
// The instruction the loop of (fam, isa) measures, e.g. "vdpbf16ps zmm".
const char *peak_loop_name(peak_family fam, w2s_isa isa);

// Memory bandwidth kernels (STREAM's triad a = b + 3c and copy a = b) over n floats; the
// caller splits n across threads and times each thread's share.
void peak_triad(float *a, const float *b, const float *c, size_t n);
void peak_copy(float *a, const float *b, size_t n);

// ---- the loops (ops per iteration = 12 × ops per instruction)
double peak_f32_ref(size_t iters, float *sink);          // scalar, 8 × 2 FLOPs per iteration
#if defined(__x86_64__)
double peak_f32_avx2(size_t iters, float *sink);         // vfmadd231ps ymm
double peak_s8_avx2(size_t iters, float *sink);          // vpmaddwd + vpaddd ymm (widening)
double peak_f32_avx512(size_t iters, float *sink);       // vfmadd231ps zmm
double peak_s8_avx512(size_t iters, float *sink);        // vpmaddwd + vpaddd zmm (widening)
double peak_s8_avx512_vnni(size_t iters, float *sink);   // vpdpbusd zmm
double peak_bf16_avx512_bf16(size_t iters, float *sink); // vdpbf16ps zmm
#endif

#endif
