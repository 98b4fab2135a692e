// gemm_avx512.h — AVX-512 pieces shared by the f32 and bf16 GEMM micro-kernels: the 8×48 K
// loops in assembly, the tile epilogue, and the per-row-count dispatch. Include only from
// *_avx512*.c files. Partial tiles use masked loads/stores and the same epilogue code, so edge
// elements get exactly the arithmetic of interior ones (results never depend on tile position).
#ifndef W2S_SIMD_GEMM_AVX512_H
#define W2S_SIMD_GEMM_AVX512_H

#include "gemm_kernel.h"

#include "vecmath_avx512.h"

#include "mask_avx512.h"
#include <immintrin.h>

// Column mask for the 16-wide slice s of a tile with n valid columns.

// Final write of one 16-column slice v (raw f32 accumulator) of row i at column j0 of the
// tile, following args->flags (gemm_kernel.h): LOAD adds C's partial sum; LAST applies bias,
// GELU and ACCUM; otherwise the raw sum is stored.
static inline __attribute__((always_inline)) void gemm_store16_avx512(
    const gemm_uk_args *ua, size_t i, size_t j0, __m512 v, __mmask16 mk) {
    float *c = (float *)ua->c + i * ua->ldc + j0;
    unsigned f = ua->flags;
    if (f & GEMM_UK_LOAD) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, c));
    if (f & GEMM_UK_LAST) {
        if (ua->bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, ua->bias + j0));
        if (ua->gelu) v = vm_gelu_avx512(v);
        if (f & GEMM_UK_ACCUM) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, c));
    }
    _mm512_mask_storeu_ps(c, mk, v);
}

// The 8x48 K loops below keep the 24 accumulators in registers the compiler chooses (asm
// outputs, handed back as c[8][3]), so the epilogue runs on them directly with no trip through memory. gcc
// allows 30 asm operands, so the loop's pointers and counts come in through one struct and
// live in fixed registers: rax = A, rdx = B, rcx = steps, rsi = A's row stride (direct), rdi =
// 3 × stride, r8 = A's row 5; the 3 B vectors of a step live in zmm29-31.
typedef struct {
    const void *a, *b;
    size_t steps, lda;
} gemm_avx512_loop_args;

// (The outputs are 24 scalars copied into c afterwards: gcc keeps an array that is an asm
// operand in memory, which would cost a store and a reload of every accumulator.)
#define GEMM_AVX512_ACC24_DECL \
    __m512 r00, r01, r02, \
        r10, r11, r12, \
        r20, r21, r22, \
        r30, r31, r32, \
        r40, r41, r42, \
        r50, r51, r52, \
        r60, r61, r62, \
        r70, r71, r72;
#define GEMM_AVX512_ACC24_OUT \
        [c00] "=v"(r00), [c01] "=v"(r01), [c02] "=v"(r02), \
        [c10] "=v"(r10), [c11] "=v"(r11), [c12] "=v"(r12), \
        [c20] "=v"(r20), [c21] "=v"(r21), [c22] "=v"(r22), \
        [c30] "=v"(r30), [c31] "=v"(r31), [c32] "=v"(r32), \
        [c40] "=v"(r40), [c41] "=v"(r41), [c42] "=v"(r42), \
        [c50] "=v"(r50), [c51] "=v"(r51), [c52] "=v"(r52), \
        [c60] "=v"(r60), [c61] "=v"(r61), [c62] "=v"(r62), \
        [c70] "=v"(r70), [c71] "=v"(r71), [c72] "=v"(r72)
#define GEMM_AVX512_ACC24_COPY(c) \
    c[0][0] = r00; c[0][1] = r01; c[0][2] = r02; \
    c[1][0] = r10; c[1][1] = r11; c[1][2] = r12; \
    c[2][0] = r20; c[2][1] = r21; c[2][2] = r22; \
    c[3][0] = r30; c[3][1] = r31; c[3][2] = r32; \
    c[4][0] = r40; c[4][1] = r41; c[4][2] = r42; \
    c[5][0] = r50; c[5][1] = r51; c[5][2] = r52; \
    c[6][0] = r60; c[6][1] = r61; c[6][2] = r62; \
    c[7][0] = r70; c[7][1] = r71; c[7][2] = r72;
#define GEMM_AVX512_ZERO_ACC24 \
    "vpxord %[c00], %[c00], %[c00]\n\t" "vpxord %[c01], %[c01], %[c01]\n\t" "vpxord %[c02], %[c02], %[c02]\n\t" \
    "vpxord %[c10], %[c10], %[c10]\n\t" "vpxord %[c11], %[c11], %[c11]\n\t" "vpxord %[c12], %[c12], %[c12]\n\t" \
    "vpxord %[c20], %[c20], %[c20]\n\t" "vpxord %[c21], %[c21], %[c21]\n\t" "vpxord %[c22], %[c22], %[c22]\n\t" \
    "vpxord %[c30], %[c30], %[c30]\n\t" "vpxord %[c31], %[c31], %[c31]\n\t" "vpxord %[c32], %[c32], %[c32]\n\t" \
    "vpxord %[c40], %[c40], %[c40]\n\t" "vpxord %[c41], %[c41], %[c41]\n\t" "vpxord %[c42], %[c42], %[c42]\n\t" \
    "vpxord %[c50], %[c50], %[c50]\n\t" "vpxord %[c51], %[c51], %[c51]\n\t" "vpxord %[c52], %[c52], %[c52]\n\t" \
    "vpxord %[c60], %[c60], %[c60]\n\t" "vpxord %[c61], %[c61], %[c61]\n\t" "vpxord %[c62], %[c62], %[c62]\n\t" \
    "vpxord %[c70], %[c70], %[c70]\n\t" "vpxord %[c71], %[c71], %[c71]\n\t" "vpxord %[c72], %[c72], %[c72]\n\t"
#define GEMM_AVX512_LOOP_CLOBBERS "rax", "rdx", "rcx", "rsi", "rdi", "r8", "zmm29", "zmm30", "zmm31", "memory", "cc"
// One row r of a step: the 32-bit A unit at address SRC broadcast straight from memory
// ({1to16} operand, which gcc does not emit from intrinsics) into the 3 accumulators of row r.
#define GEMM_AVX512_ROW3(OP, SRC, r) \
    OP " " SRC "%{1to16%}, %%zmm29, %[c" #r "0]\n\t" \
    OP " " SRC "%{1to16%}, %%zmm30, %[c" #r "1]\n\t" \
    OP " " SRC "%{1to16%}, %%zmm31, %[c" #r "2]\n\t"
#define GEMM_AVX512_LOAD_B3 \
    "vmovaps (%%rdx), %%zmm29\n\t" \
    "vmovaps 64(%%rdx), %%zmm30\n\t" \
    "vmovaps 128(%%rdx), %%zmm31\n\t"

// The K loop of an 8×48 tile in assembly, shared by the f32 (OP = vfmadd231ps) and bf16
// (OP = vdpbf16ps) kernels: per step, 3 B vectors (48 columns × one 32-bit unit) are loaded and
// each of the 8 A units feeds 3 memory-broadcast FMAs, 24 per step. steps may be 0. SETUP
// derives the A addressing registers, A0..A7 address row i's unit of the current step and
// ADVANCE moves A to the next step (the two layouts below).
#define GEMM_AVX512_8X48_ASM(OP, SETUP, A0, A1, A2, A3, A4, A5, A6, A7, ADVANCE) \
        __asm__ volatile( \
        "mov 0(%[p]), %%rax\n\t" \
        "mov 8(%[p]), %%rdx\n\t" \
        "mov 16(%[p]), %%rcx\n\t" \
        SETUP \
        GEMM_AVX512_ZERO_ACC24 \
        "test %%rcx, %%rcx\n\t" \
        "jz 2f\n\t" \
        ".p2align 5\n" \
        "1:\n\t" \
        GEMM_AVX512_LOAD_B3 \
        GEMM_AVX512_ROW3(OP, A0, 0) \
        GEMM_AVX512_ROW3(OP, A1, 1) \
        GEMM_AVX512_ROW3(OP, A2, 2) \
        GEMM_AVX512_ROW3(OP, A3, 3) \
        GEMM_AVX512_ROW3(OP, A4, 4) \
        GEMM_AVX512_ROW3(OP, A5, 5) \
        GEMM_AVX512_ROW3(OP, A6, 6) \
        GEMM_AVX512_ROW3(OP, A7, 7) \
        ADVANCE \
        "add $192, %%rdx\n\t" \
        "dec %%rcx\n\t" \
        "jnz 1b\n" \
        "2:\n\t" \
        : GEMM_AVX512_ACC24_OUT \
        : [p] "r"(&la) \
        : GEMM_AVX512_LOOP_CLOBBERS);

// Packed A: the 8 units of a step are adjacent (a micro-panel, 32 bytes per step).
#define GEMM_AVX512_8X48_LOOP(NAME, OP) \
    static inline __attribute__((always_inline)) void NAME(const void *a, const void *b, size_t steps, \
                                                           __m512 c[8][3]) { \
        gemm_avx512_loop_args la = {a, b, steps, 0}; \
        GEMM_AVX512_ACC24_DECL \
        GEMM_AVX512_8X48_ASM(OP, "", "0(%%rax)", "4(%%rax)", "8(%%rax)", "12(%%rax)", "16(%%rax)", \
                             "20(%%rax)", "24(%%rax)", "28(%%rax)", "add $32, %%rax\n\t") \
        GEMM_AVX512_ACC24_COPY(c) \
    }

// A read in place (gemm_kernel.h, "Direct A"): row i's unit for step s is at a + i*lda + 4*s,
// addressed as base + index*scale from two bases (rows 0 and 5) and two indices (lda, 3*lda),
// so the loop still issues one memory-broadcast FMA per accumulator.
#define GEMM_AVX512_8X48_LOOP_DIRECT(NAME, OP) \
    static inline __attribute__((always_inline)) void NAME(const void *a, size_t lda, const void *b, \
                                                           size_t steps, __m512 c[8][3]) { \
        gemm_avx512_loop_args la = {a, b, steps, lda}; \
        GEMM_AVX512_ACC24_DECL \
        GEMM_AVX512_8X48_ASM(OP, \
                             "mov 24(%[p]), %%rsi\n\t" \
                             "lea (%%rsi,%%rsi,2), %%rdi\n\t" \
                             "lea (%%rax,%%rsi,4), %%r8\n\t" \
                             "add %%rsi, %%r8\n\t", \
                             "(%%rax)", "(%%rax,%%rsi,1)", "(%%rax,%%rsi,2)", "(%%rax,%%rdi,1)", \
                             "(%%rax,%%rsi,4)", "(%%r8)", "(%%rax,%%rdi,2)", "(%%r8,%%rsi,2)", \
                             "add $4, %%rax\n\t" \
                             "add $4, %%r8\n\t") \
        GEMM_AVX512_ACC24_COPY(c) \
    }

// The epilogue of an M×48 tile (M ≤ 8 rows, c[i][0..2] its 16-column slices), shared by the f32
// and vdpbf16ps kernels for full and partial tiles alike, so an element's arithmetic never
// depends on the tile it lies in. EPI (gemm_avx512_epi) is a compile-time constant: a full tile
// runs one copy of its K loop per EPI, so that the common cases are straight-line code that
// keeps the 24 accumulators in registers from the loop to the stores (with GELU's constants,
// or flags tested per store, gcc spills them).
enum {
    GEMM_AVX512_EPI_STORE,  // C = acc (a raw partial sum, or the final value with nothing to add)
    GEMM_AVX512_EPI_LOAD,   // C += acc (a later K block without bias, or linear accumulation)
    GEMM_AVX512_EPI_BIAS,   // C = acc + bias (the last and only K block)
    GEMM_AVX512_EPI_ANY,    // whatever the flags say, GELU included
};

static inline int gemm_avx512_epi(const gemm_uk_args *ua) {
    unsigned f = ua->flags;
    if (!(f & GEMM_UK_LAST)) return f & GEMM_UK_LOAD ? GEMM_AVX512_EPI_LOAD : GEMM_AVX512_EPI_STORE;
    if (ua->gelu || (f & GEMM_UK_ACCUM) || ((f & GEMM_UK_LOAD) && ua->bias)) return GEMM_AVX512_EPI_ANY;
    return f & GEMM_UK_LOAD ? GEMM_AVX512_EPI_LOAD : ua->bias ? GEMM_AVX512_EPI_BIAS : GEMM_AVX512_EPI_STORE;
}

// Flags and epilogue operands are read once per tile, not per store (C's float stores could
// alias them as far as the compiler knows). Each EPI does exactly the additions the flags ask
// for, in gemm_kernel.h's order, so all EPIs agree bit for bit where they overlap.
static inline __attribute__((always_inline)) void gemm_avx512_store_tile48(const gemm_uk_args *ua,
                                                                           const int M, __m512 c[][3],
                                                                           const int EPI) {
    float *cp = ua->c;
    const size_t ldc = ua->ldc;
    const unsigned f = ua->flags;
    const __mmask16 mk[3] = {w2s_mask16_from(ua->n, 0), w2s_mask16_from(ua->n, 16), w2s_mask16_from(ua->n, 32)};
    const bool last = f & GEMM_UK_LAST;
    const bool load = EPI == GEMM_AVX512_EPI_LOAD || (EPI == GEMM_AVX512_EPI_ANY && (f & GEMM_UK_LOAD));
    const bool accum = EPI == GEMM_AVX512_EPI_ANY && last && (f & GEMM_UK_ACCUM);
    const bool gelu = EPI == GEMM_AVX512_EPI_ANY && last && ua->gelu;
    const float *bias = EPI == GEMM_AVX512_EPI_BIAS || (EPI == GEMM_AVX512_EPI_ANY && last) ? ua->bias : NULL;
    __m512 bv[3];
#pragma GCC unroll 3
    for (int j = 0; j < 3; j++) bv[j] = bias ? _mm512_maskz_loadu_ps(mk[j], bias + 16 * j) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < M; i++)
#pragma GCC unroll 3
        for (int j = 0; j < 3; j++) {
            float *ci = cp + i * ldc + 16 * j;
            __m512 v = c[i][j];
            if (load) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk[j], ci));
            if (bias) v = _mm512_add_ps(v, bv[j]);
            if (gelu) v = vm_gelu_avx512(v);
            if (accum) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk[j], ci));
            _mm512_mask_storeu_ps(ci, mk[j], v);
        }
}

// A full 8-row tile: the K loop LOOP_CALL into c, then the epilogue, one copy per EPI.
#define GEMM_AVX512_FULL_TILE(ua, c, LOOP_CALL)                                                  \
    do {                                                                                         \
        switch (gemm_avx512_epi(ua)) {                                                           \
        case GEMM_AVX512_EPI_STORE: LOOP_CALL; gemm_avx512_store_tile48(ua, 8, c, GEMM_AVX512_EPI_STORE); break; \
        case GEMM_AVX512_EPI_LOAD: LOOP_CALL; gemm_avx512_store_tile48(ua, 8, c, GEMM_AVX512_EPI_LOAD); break;   \
        case GEMM_AVX512_EPI_BIAS: LOOP_CALL; gemm_avx512_store_tile48(ua, 8, c, GEMM_AVX512_EPI_BIAS); break;   \
        default: LOOP_CALL; gemm_avx512_store_tile48(ua, 8, c, GEMM_AVX512_EPI_ANY); break;                      \
        }                                                                                        \
    } while (0)

// The epilogue of a partial tile (M < 8 rows, computed with intrinsics).
#define GEMM_AVX512_STORE_PARTIAL(ua, M, c)                                                      \
    do {                                                                                         \
        switch (gemm_avx512_epi(ua)) {                                                           \
        case GEMM_AVX512_EPI_STORE: gemm_avx512_store_tile48(ua, M, c, GEMM_AVX512_EPI_STORE); break; \
        case GEMM_AVX512_EPI_LOAD: gemm_avx512_store_tile48(ua, M, c, GEMM_AVX512_EPI_LOAD); break;   \
        case GEMM_AVX512_EPI_BIAS: gemm_avx512_store_tile48(ua, M, c, GEMM_AVX512_EPI_BIAS); break;   \
        default: gemm_avx512_store_tile48(ua, M, c, GEMM_AVX512_EPI_ANY); break;                      \
        }                                                                                        \
    } while (0)

// Defines the micro-kernel NAME(ua) from TILE(ua, M, DIRECT) (M = rows, DIRECT = A read in
// place): one function per (M, DIRECT), so every M is a compile-time constant and each full
// tile gets a register allocation of its own (inlined into one switch, gcc spilled the
// accumulators of the full tile to the stack around the epilogue).
#define GEMM_AVX512_TILE_FN(TILE, M, D, SUFFIX) \
    static void TILE##_##M##SUFFIX(const gemm_uk_args *ua) { TILE(ua, M, D); }
#define GEMM_AVX512_KERNEL_M8(NAME, TILE) \
    GEMM_AVX512_TILE_FN(TILE, 1, false, p) GEMM_AVX512_TILE_FN(TILE, 2, false, p) \
    GEMM_AVX512_TILE_FN(TILE, 3, false, p) GEMM_AVX512_TILE_FN(TILE, 4, false, p) \
    GEMM_AVX512_TILE_FN(TILE, 5, false, p) GEMM_AVX512_TILE_FN(TILE, 6, false, p) \
    GEMM_AVX512_TILE_FN(TILE, 7, false, p) GEMM_AVX512_TILE_FN(TILE, 8, false, p) \
    GEMM_AVX512_TILE_FN(TILE, 1, true, d) GEMM_AVX512_TILE_FN(TILE, 2, true, d) \
    GEMM_AVX512_TILE_FN(TILE, 3, true, d) GEMM_AVX512_TILE_FN(TILE, 4, true, d) \
    GEMM_AVX512_TILE_FN(TILE, 5, true, d) GEMM_AVX512_TILE_FN(TILE, 6, true, d) \
    GEMM_AVX512_TILE_FN(TILE, 7, true, d) GEMM_AVX512_TILE_FN(TILE, 8, true, d) \
    static void NAME(const gemm_uk_args *ua) { \
        static const gemm_ukernel_fn tiles[2][8] = { \
            {TILE##_1p, TILE##_2p, TILE##_3p, TILE##_4p, TILE##_5p, TILE##_6p, TILE##_7p, TILE##_8p}, \
            {TILE##_1d, TILE##_2d, TILE##_3d, TILE##_4d, TILE##_5d, TILE##_6d, TILE##_7d, TILE##_8d}, \
        }; \
        tiles[ua->a_ld != 0][ua->m - 1](ua); \
    }

#endif
