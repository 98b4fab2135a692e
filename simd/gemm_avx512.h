// gemm_avx512.h — AVX-512 pieces shared by the f32 and bf16 GEMM micro-kernels (and usable by
// the int8 ones once their tile is converted to f32): the vectorised tanh-GELU and the
// epilogue store of one 16-column slice of a C row. Include only from *_avx512*.c files.
// Partial tiles use masked loads/stores, so edge elements get exactly the arithmetic of
// interior ones (results never depend on tile position).
#ifndef W2S_SIMD_GEMM_AVX512_H
#define W2S_SIMD_GEMM_AVX512_H

#include "gemm_kernel.h"

#include "vecmath_avx512.h"

#include <immintrin.h>

// Column mask for the 16-wide slice s of a tile with n valid columns.
static inline __mmask16 gemm_mask16(size_t n, size_t s) {
    size_t lo = 16 * s;
    if (n <= lo) return 0;
    return n - lo >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - lo)) - 1);
}

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

// The parts both 8x48 loops share: zero the 24 accumulators zmm0-23, store them to acc[8][48]
// row-major, and the registers the loops clobber.
#define GEMM_AVX512_ZERO_ACC24 \
    "vpxord %%zmm0, %%zmm0, %%zmm0\n\t" \
    "vpxord %%zmm1, %%zmm1, %%zmm1\n\t" \
    "vpxord %%zmm2, %%zmm2, %%zmm2\n\t" \
    "vpxord %%zmm3, %%zmm3, %%zmm3\n\t" \
    "vpxord %%zmm4, %%zmm4, %%zmm4\n\t" \
    "vpxord %%zmm5, %%zmm5, %%zmm5\n\t" \
    "vpxord %%zmm6, %%zmm6, %%zmm6\n\t" \
    "vpxord %%zmm7, %%zmm7, %%zmm7\n\t" \
    "vpxord %%zmm8, %%zmm8, %%zmm8\n\t" \
    "vpxord %%zmm9, %%zmm9, %%zmm9\n\t" \
    "vpxord %%zmm10, %%zmm10, %%zmm10\n\t" \
    "vpxord %%zmm11, %%zmm11, %%zmm11\n\t" \
    "vpxord %%zmm12, %%zmm12, %%zmm12\n\t" \
    "vpxord %%zmm13, %%zmm13, %%zmm13\n\t" \
    "vpxord %%zmm14, %%zmm14, %%zmm14\n\t" \
    "vpxord %%zmm15, %%zmm15, %%zmm15\n\t" \
    "vpxord %%zmm16, %%zmm16, %%zmm16\n\t" \
    "vpxord %%zmm17, %%zmm17, %%zmm17\n\t" \
    "vpxord %%zmm18, %%zmm18, %%zmm18\n\t" \
    "vpxord %%zmm19, %%zmm19, %%zmm19\n\t" \
    "vpxord %%zmm20, %%zmm20, %%zmm20\n\t" \
    "vpxord %%zmm21, %%zmm21, %%zmm21\n\t" \
    "vpxord %%zmm22, %%zmm22, %%zmm22\n\t" \
    "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
#define GEMM_AVX512_STORE_ACC24 \
    "vmovaps %%zmm0, 0(%[acc])\n\t" \
    "vmovaps %%zmm1, 64(%[acc])\n\t" \
    "vmovaps %%zmm2, 128(%[acc])\n\t" \
    "vmovaps %%zmm3, 192(%[acc])\n\t" \
    "vmovaps %%zmm4, 256(%[acc])\n\t" \
    "vmovaps %%zmm5, 320(%[acc])\n\t" \
    "vmovaps %%zmm6, 384(%[acc])\n\t" \
    "vmovaps %%zmm7, 448(%[acc])\n\t" \
    "vmovaps %%zmm8, 512(%[acc])\n\t" \
    "vmovaps %%zmm9, 576(%[acc])\n\t" \
    "vmovaps %%zmm10, 640(%[acc])\n\t" \
    "vmovaps %%zmm11, 704(%[acc])\n\t" \
    "vmovaps %%zmm12, 768(%[acc])\n\t" \
    "vmovaps %%zmm13, 832(%[acc])\n\t" \
    "vmovaps %%zmm14, 896(%[acc])\n\t" \
    "vmovaps %%zmm15, 960(%[acc])\n\t" \
    "vmovaps %%zmm16, 1024(%[acc])\n\t" \
    "vmovaps %%zmm17, 1088(%[acc])\n\t" \
    "vmovaps %%zmm18, 1152(%[acc])\n\t" \
    "vmovaps %%zmm19, 1216(%[acc])\n\t" \
    "vmovaps %%zmm20, 1280(%[acc])\n\t" \
    "vmovaps %%zmm21, 1344(%[acc])\n\t" \
    "vmovaps %%zmm22, 1408(%[acc])\n\t" \
    "vmovaps %%zmm23, 1472(%[acc])\n\t"
#define GEMM_AVX512_CLOBBERS \
    "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", \
        "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23", "zmm24", \
        "zmm25", "zmm26", "memory", "cc"

// The K loop of an 8×48 tile in assembly, shared by the f32 (OP = vfmadd231ps) and bf16
// (OP = vdpbf16ps) kernels: per step, 3 B vectors (48 columns × one 32-bit unit) are loaded and
// each of the 8 A units is broadcast straight from memory ({1to16} operand, which gcc does
// not emit from intrinsics), so the 24 accumulators stay in zmm0-23 with 11 loads per 24 FMAs.
// The finished tile goes to acc[8][48] (L1-resident) for the epilogue. steps may be 0.
#define GEMM_AVX512_8X48_LOOP(NAME, OP) \
    static inline void NAME(const void *a, const void *b, size_t steps, float *acc) { \
        __asm__ volatile( \
        GEMM_AVX512_ZERO_ACC24 \
        "test %[n], %[n]\n\t" \
        "jz 2f\n\t" \
        ".p2align 5\n" \
        "1:\n\t" \
        "vmovaps (%[b]), %%zmm24\n\t" \
        "vmovaps 64(%[b]), %%zmm25\n\t" \
        "vmovaps 128(%[b]), %%zmm26\n\t" \
        OP " 0(%[a])%{1to16%}, %%zmm24, %%zmm0\n\t" \
        OP " 0(%[a])%{1to16%}, %%zmm25, %%zmm1\n\t" \
        OP " 0(%[a])%{1to16%}, %%zmm26, %%zmm2\n\t" \
        OP " 4(%[a])%{1to16%}, %%zmm24, %%zmm3\n\t" \
        OP " 4(%[a])%{1to16%}, %%zmm25, %%zmm4\n\t" \
        OP " 4(%[a])%{1to16%}, %%zmm26, %%zmm5\n\t" \
        OP " 8(%[a])%{1to16%}, %%zmm24, %%zmm6\n\t" \
        OP " 8(%[a])%{1to16%}, %%zmm25, %%zmm7\n\t" \
        OP " 8(%[a])%{1to16%}, %%zmm26, %%zmm8\n\t" \
        OP " 12(%[a])%{1to16%}, %%zmm24, %%zmm9\n\t" \
        OP " 12(%[a])%{1to16%}, %%zmm25, %%zmm10\n\t" \
        OP " 12(%[a])%{1to16%}, %%zmm26, %%zmm11\n\t" \
        OP " 16(%[a])%{1to16%}, %%zmm24, %%zmm12\n\t" \
        OP " 16(%[a])%{1to16%}, %%zmm25, %%zmm13\n\t" \
        OP " 16(%[a])%{1to16%}, %%zmm26, %%zmm14\n\t" \
        OP " 20(%[a])%{1to16%}, %%zmm24, %%zmm15\n\t" \
        OP " 20(%[a])%{1to16%}, %%zmm25, %%zmm16\n\t" \
        OP " 20(%[a])%{1to16%}, %%zmm26, %%zmm17\n\t" \
        OP " 24(%[a])%{1to16%}, %%zmm24, %%zmm18\n\t" \
        OP " 24(%[a])%{1to16%}, %%zmm25, %%zmm19\n\t" \
        OP " 24(%[a])%{1to16%}, %%zmm26, %%zmm20\n\t" \
        OP " 28(%[a])%{1to16%}, %%zmm24, %%zmm21\n\t" \
        OP " 28(%[a])%{1to16%}, %%zmm25, %%zmm22\n\t" \
        OP " 28(%[a])%{1to16%}, %%zmm26, %%zmm23\n\t" \
        "add $32, %[a]\n\t" \
        "add $192, %[b]\n\t" \
        "dec %[n]\n\t" \
        "jnz 1b\n" \
        "2:\n\t" \
        GEMM_AVX512_STORE_ACC24 \
        : [a] "+r"(a), [b] "+r"(b), [n] "+r"(steps) \
        : [acc] "r"(acc) \
        : GEMM_AVX512_CLOBBERS); \
    }

// The same loop reading A in place (gemm_kernel.h, "Direct A"): row i's unit for step s is at
// a + i*lda + 4*s, addressed as base + index*scale from two bases (rows 0 and 5) and two
// indices (lda, 3*lda), so the loop still issues one memory-broadcast FMA per accumulator.
#define GEMM_AVX512_8X48_LOOP_DIRECT(NAME, OP) \
    static inline void NAME(const void *a, size_t lda, const void *b, size_t steps, float *acc) { \
        const char *a5 = (const char *)a + 5 * lda; \
        size_t l3 = 3 * lda; \
        __asm__ volatile( \
        GEMM_AVX512_ZERO_ACC24 \
        "test %[n], %[n]\n\t" \
        "jz 2f\n\t" \
        ".p2align 5\n" \
        "1:\n\t" \
        "vmovaps (%[b]), %%zmm24\n\t" \
        "vmovaps 64(%[b]), %%zmm25\n\t" \
        "vmovaps 128(%[b]), %%zmm26\n\t" \
        OP " (%[a])%{1to16%}, %%zmm24, %%zmm0\n\t" \
        OP " (%[a])%{1to16%}, %%zmm25, %%zmm1\n\t" \
        OP " (%[a])%{1to16%}, %%zmm26, %%zmm2\n\t" \
        OP " (%[a],%[L],1)%{1to16%}, %%zmm24, %%zmm3\n\t" \
        OP " (%[a],%[L],1)%{1to16%}, %%zmm25, %%zmm4\n\t" \
        OP " (%[a],%[L],1)%{1to16%}, %%zmm26, %%zmm5\n\t" \
        OP " (%[a],%[L],2)%{1to16%}, %%zmm24, %%zmm6\n\t" \
        OP " (%[a],%[L],2)%{1to16%}, %%zmm25, %%zmm7\n\t" \
        OP " (%[a],%[L],2)%{1to16%}, %%zmm26, %%zmm8\n\t" \
        OP " (%[a],%[L3],1)%{1to16%}, %%zmm24, %%zmm9\n\t" \
        OP " (%[a],%[L3],1)%{1to16%}, %%zmm25, %%zmm10\n\t" \
        OP " (%[a],%[L3],1)%{1to16%}, %%zmm26, %%zmm11\n\t" \
        OP " (%[a],%[L],4)%{1to16%}, %%zmm24, %%zmm12\n\t" \
        OP " (%[a],%[L],4)%{1to16%}, %%zmm25, %%zmm13\n\t" \
        OP " (%[a],%[L],4)%{1to16%}, %%zmm26, %%zmm14\n\t" \
        OP " (%[a5])%{1to16%}, %%zmm24, %%zmm15\n\t" \
        OP " (%[a5])%{1to16%}, %%zmm25, %%zmm16\n\t" \
        OP " (%[a5])%{1to16%}, %%zmm26, %%zmm17\n\t" \
        OP " (%[a],%[L3],2)%{1to16%}, %%zmm24, %%zmm18\n\t" \
        OP " (%[a],%[L3],2)%{1to16%}, %%zmm25, %%zmm19\n\t" \
        OP " (%[a],%[L3],2)%{1to16%}, %%zmm26, %%zmm20\n\t" \
        OP " (%[a5],%[L],2)%{1to16%}, %%zmm24, %%zmm21\n\t" \
        OP " (%[a5],%[L],2)%{1to16%}, %%zmm25, %%zmm22\n\t" \
        OP " (%[a5],%[L],2)%{1to16%}, %%zmm26, %%zmm23\n\t" \
        "add $4, %[a]\n\t" \
        "add $4, %[a5]\n\t" \
        "add $192, %[b]\n\t" \
        "dec %[n]\n\t" \
        "jnz 1b\n" \
        "2:\n\t" \
        GEMM_AVX512_STORE_ACC24 \
        : [a] "+r"(a), [a5] "+r"(a5), [b] "+r"(b), [n] "+r"(steps) \
        : [acc] "r"(acc), [L] "r"(lda), [L3] "r"(l3) \
        : GEMM_AVX512_CLOBBERS); \
    }


// The rest both 8x48 kernels (f32 and vdpbf16ps) share: storing the c[M][3] accumulators of a
// tile through the epilogue, and dispatching on the tile's row count so every M is a
// compile-time constant of TILE(ua, M, direct).
#define GEMM_AVX512_STORE_TILE48(ua, M, c)                                                    \
    do {                                                                                      \
        __mmask16 m0_ = gemm_mask16((ua)->n, 0), m1_ = gemm_mask16((ua)->n, 1),               \
                  m2_ = gemm_mask16((ua)->n, 2);                                              \
        for (int i_ = 0; i_ < (M); i_++) {                                                    \
            gemm_store16_avx512((ua), (size_t)i_, 0, (c)[i_][0], m0_);                        \
            gemm_store16_avx512((ua), (size_t)i_, 16, (c)[i_][1], m1_);                       \
            gemm_store16_avx512((ua), (size_t)i_, 32, (c)[i_][2], m2_);                       \
        }                                                                                     \
    } while (0)

#define GEMM_AVX512_DISPATCH_M8(ua, TILE)                                                     \
    switch ((ua)->m) {                                                                        \
    case 8: (ua)->a_ld ? TILE(ua, 8, true) : TILE(ua, 8, false); break;                       \
    case 7: (ua)->a_ld ? TILE(ua, 7, true) : TILE(ua, 7, false); break;                       \
    case 6: (ua)->a_ld ? TILE(ua, 6, true) : TILE(ua, 6, false); break;                       \
    case 5: (ua)->a_ld ? TILE(ua, 5, true) : TILE(ua, 5, false); break;                       \
    case 4: (ua)->a_ld ? TILE(ua, 4, true) : TILE(ua, 4, false); break;                       \
    case 3: (ua)->a_ld ? TILE(ua, 3, true) : TILE(ua, 3, false); break;                       \
    case 2: (ua)->a_ld ? TILE(ua, 2, true) : TILE(ua, 2, false); break;                       \
    default: (ua)->a_ld ? TILE(ua, 1, true) : TILE(ua, 1, false); break;                      \
    }

#endif
