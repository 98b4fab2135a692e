// peak_chains.h — the one loop body of the x86 peak loops (peak_avx2.c, peak_avx512*.c):
// PEAK_CHAINS_FN defines a loop function from its instruction. Private to those files; the
// loops' contract is peak_loops.h. The one thing to know: 12 independent accumulator chains
// cover FMA latency × pipes on current x86 cores (4 × 2 on Zen 5), so the loop measures
// throughput, never latency.
#ifndef W2S_SIMD_PEAK_CHAINS_H
#define W2S_SIMD_PEAK_CHAINS_H

#include <stddef.h>

#define PEAK_CHAIN_IDS(X, ...)                                                                               \
    X(0, __VA_ARGS__) X(1, __VA_ARGS__) X(2, __VA_ARGS__) X(3, __VA_ARGS__) X(4, __VA_ARGS__) X(5, __VA_ARGS__) \
        X(6, __VA_ARGS__) X(7, __VA_ARGS__) X(8, __VA_ARGS__) X(9, __VA_ARGS__) X(10, __VA_ARGS__) X(11, __VA_ARGS__)
#define PEAK_CHAIN_DECL(i, VEC, INIT, STEP, ADD) VEC c##i = INIT(i);
#define PEAK_CHAIN_STEP(i, VEC, INIT, STEP, ADD) c##i = STEP(c##i, a, b);
#define PEAK_CHAIN_SUM(i, VEC, INIT, STEP, ADD) s = ADD(s, c##i);

// double NAME(size_t iters, float *sink): operands a = A_INIT(*sink), b = B_INIT of type
// OPERAND (a depends on *sink so the compiler cannot fold the loop); chains c_i = INIT(i) of
// type VEC advance by c = STEP(c, a, b) each iteration, are summed with ADD, and LANE0(s)
// goes to *sink so none is dead. Returns the operations done: iters × 12 × OPS_PER_INSN.
#define PEAK_CHAINS_FN(NAME, OPERAND, A_INIT, B_INIT, VEC, INIT, STEP, ADD, LANE0, OPS_PER_INSN) \
    double NAME(size_t iters, float *sink) {                                                   \
        const OPERAND a = A_INIT(*sink), b = B_INIT;                                           \
        PEAK_CHAIN_IDS(PEAK_CHAIN_DECL, VEC, INIT, STEP, ADD)                                  \
        for (size_t it = 0; it < iters; it++) {                                                \
            PEAK_CHAIN_IDS(PEAK_CHAIN_STEP, VEC, INIT, STEP, ADD)                              \
        }                                                                                      \
        VEC s = INIT(0);                                                                       \
        PEAK_CHAIN_IDS(PEAK_CHAIN_SUM, VEC, INIT, STEP, ADD)                                   \
        *sink = LANE0(s);                                                                      \
        return (double)iters * 12.0 * (OPS_PER_INSN);                                          \
    }

#endif
