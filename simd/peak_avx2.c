// peak_avx2.c — AVX2 throughput loops for peak_loops.h: ymm FMA and the widening int8 path
// (vpmaddwd on s16 pairs + vpaddd, what the AVX2 int8 kernels use without AVX-VNNI).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

double peak_f32_avx2(size_t iters, float *sink) {
    __m256 a = _mm256_set1_ps(*sink * 1e-9f + 0.999f), b = _mm256_set1_ps(1.0001f);
#define DECL(i) __m256 c##i = _mm256_set1_ps((float)(i));
    CHAINS(DECL)
#undef DECL
    for (size_t it = 0; it < iters; it++) {
#define STEP(i) c##i = _mm256_fmadd_ps(a, b, c##i);
        CHAINS(STEP)
#undef STEP
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, c##i);
    CHAINS(SUM)
#undef SUM
    *sink = _mm256_cvtss_f32(s);
    return (double)iters * 12.0 * 8.0 * 2.0;
}

double peak_s8_avx2(size_t iters, float *sink) {
    __m256i a = _mm256_set1_epi16((short)(*sink > 1e30f ? 2 : 3)), b = _mm256_set1_epi16(5);
#define DECL(i) __m256i c##i = _mm256_set1_epi32(i);
    CHAINS(DECL)
#undef DECL
    for (size_t it = 0; it < iters; it++) {
#define STEP(i) c##i = _mm256_add_epi32(c##i, _mm256_madd_epi16(a, b));
        CHAINS(STEP)
#undef STEP
    }
    __m256i s = _mm256_setzero_si256();
#define SUM(i) s = _mm256_add_epi32(s, c##i);
    CHAINS(SUM)
#undef SUM
    *sink = (float)_mm256_extract_epi32(s, 0);
    return (double)iters * 12.0 * 16.0 * 2.0;  // 16 s16 products per vpmaddwd ymm
}
