// peak_avx512_vnni.c — the int8 throughput loop for peak_loops.h: vpdpbusd zmm (64 u8·s8
// products accumulated into 16 s32 lanes per instruction).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_chains.h"
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define U8_A(seed) _mm512_set1_epi8((char)((seed) > 1e30f ? 2 : 3))
#define S32_INIT(i) _mm512_set1_epi32(i)
#define S32_LANE0(s) (float)_mm_cvtsi128_si32(_mm512_castsi512_si128(s))  // lane 0: sums may wrap
PEAK_CHAINS_FN(peak_s8_avx512_vnni, __m512i, U8_A, _mm512_set1_epi8(5), __m512i, S32_INIT, _mm512_dpbusd_epi32,
               _mm512_add_epi32, S32_LANE0, 64 * 2)
