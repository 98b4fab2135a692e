// peak_avx512.c — AVX-512 throughput loops for peak_loops.h: zmm FMA and the widening int8
// path (vpmaddwd zmm + vpaddd, what the AVX-512 int8 kernels use without VNNI).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_chains.h"
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define F32_A(seed) _mm512_set1_ps((seed) * 1e-9f + 0.999f)
#define F32_INIT(i) _mm512_set1_ps((float)(i))
#define F32_STEP(c, a, b) _mm512_fmadd_ps(a, b, c)
PEAK_CHAINS_FN(peak_f32_avx512, __m512, F32_A, _mm512_set1_ps(1.0001f), __m512, F32_INIT, F32_STEP, _mm512_add_ps,
               _mm512_reduce_add_ps, 16 * 2)  // 16 lanes × multiply-add

#define S16_A(seed) _mm512_set1_epi16((short)((seed) > 1e30f ? 2 : 3))
#define S32_INIT(i) _mm512_set1_epi32(i)
#define WIDEN_STEP(c, a, b) _mm512_add_epi32(c, _mm512_madd_epi16(a, b))
#define S32_LANE0(s) (float)_mm_cvtsi128_si32(_mm512_castsi512_si128(s))  // lane 0: sums may wrap
PEAK_CHAINS_FN(peak_s8_avx512, __m512i, S16_A, _mm512_set1_epi16(5), __m512i, S32_INIT, WIDEN_STEP, _mm512_add_epi32,
               S32_LANE0, 32 * 2)  // 32 s16 products per vpmaddwd zmm
