// peak_avx2.c — AVX2 throughput loops for peak_loops.h: ymm FMA and the widening int8 path
// (vpmaddwd on s16 pairs + vpaddd, what the AVX2 int8 kernels use without AVX-VNNI).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_chains.h"
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define F32_A(seed) _mm256_set1_ps((seed) * 1e-9f + 0.999f)
#define F32_INIT(i) _mm256_set1_ps((float)(i))
#define F32_STEP(c, a, b) _mm256_fmadd_ps(a, b, c)
#define F32_LANE0(s) _mm256_cvtss_f32(s)
PEAK_CHAINS_FN(peak_f32_avx2, __m256, F32_A, _mm256_set1_ps(1.0001f), __m256, F32_INIT, F32_STEP, _mm256_add_ps,
               F32_LANE0, 8 * 2)  // 8 lanes × multiply-add

#define S16_A(seed) _mm256_set1_epi16((short)((seed) > 1e30f ? 2 : 3))
#define S32_INIT(i) _mm256_set1_epi32(i)
#define WIDEN_STEP(c, a, b) _mm256_add_epi32(c, _mm256_madd_epi16(a, b))
#define S32_LANE0(s) (float)_mm256_extract_epi32(s, 0)
PEAK_CHAINS_FN(peak_s8_avx2, __m256i, S16_A, _mm256_set1_epi16(5), __m256i, S32_INIT, WIDEN_STEP, _mm256_add_epi32,
               S32_LANE0, 16 * 2)  // 16 s16 products per vpmaddwd ymm
