// peak_avx512.c — AVX-512 throughput loops for peak_loops.h: zmm FMA and the widening int8
// path (vpmaddwd zmm + vpaddd, what the AVX-512 int8 kernels use without VNNI).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

double peak_f32_avx512(size_t iters, float *sink) {
    __m512 a = _mm512_set1_ps(*sink * 1e-9f + 0.999f), b = _mm512_set1_ps(1.0001f);
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)(i));
    CHAINS(DECL)
#undef DECL
    for (size_t it = 0; it < iters; it++) {
#define STEP(i) c##i = _mm512_fmadd_ps(a, b, c##i);
        CHAINS(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
    CHAINS(SUM)
#undef SUM
    *sink = _mm512_reduce_add_ps(s);
    return (double)iters * 12.0 * 16.0 * 2.0;
}

double peak_s8_avx512(size_t iters, float *sink) {
    __m512i a = _mm512_set1_epi16((short)(*sink > 1e30f ? 2 : 3)), b = _mm512_set1_epi16(5);
#define DECL(i) __m512i c##i = _mm512_set1_epi32(i);
    CHAINS(DECL)
#undef DECL
    for (size_t it = 0; it < iters; it++) {
#define STEP(i) c##i = _mm512_add_epi32(c##i, _mm512_madd_epi16(a, b));
        CHAINS(STEP)
#undef STEP
    }
    __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, c##i);
    CHAINS(SUM)
#undef SUM
    *sink = (float)_mm_cvtsi128_si32(_mm512_castsi512_si128(s));  // lane 0: sums may wrap
    return (double)iters * 12.0 * 32.0 * 2.0;  // 32 s16 products per vpmaddwd zmm
}
