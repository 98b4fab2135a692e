// peak_avx512_bf16.c — the bf16 throughput loop for peak_loops.h: vdpbf16ps zmm (32 bf16
// products accumulated pairwise into 16 f32 lanes per instruction).
// Not numerically meaningful: only the instruction mix and independence matter.
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

#include <immintrin.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

double peak_bf16_avx512_bf16(size_t iters, float *sink) {
    __m512 x = _mm512_set1_ps(*sink * 1e-9f + 0.5f);
    __m512bh a = _mm512_cvtne2ps_pbh(x, x), b = _mm512_cvtne2ps_pbh(x, x);
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)(i));
    CHAINS(DECL)
#undef DECL
    for (size_t it = 0; it < iters; it++) {
#define STEP(i) c##i = _mm512_dpbf16_ps(c##i, a, b);
        CHAINS(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
    CHAINS(SUM)
#undef SUM
    *sink = _mm512_reduce_add_ps(s);
    return (double)iters * 12.0 * 32.0 * 2.0;
}
