// peak_avx512_bf16.c — the bf16 throughput loop for peak_loops.h: vdpbf16ps zmm (32 bf16
// products accumulated pairwise into 16 f32 lanes per instruction).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_chains.h"
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define BF16_A(seed) _mm512_cvtne2ps_pbh(_mm512_set1_ps((seed) * 1e-9f + 0.5f), _mm512_set1_ps(0.5f))
#define BF16_B _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f))
#define F32_INIT(i) _mm512_set1_ps((float)(i))
PEAK_CHAINS_FN(peak_bf16_avx512_bf16, __m512bh, BF16_A, BF16_B, __m512, F32_INIT, _mm512_dpbf16_ps, _mm512_add_ps,
               _mm512_reduce_add_ps, 32 * 2)
