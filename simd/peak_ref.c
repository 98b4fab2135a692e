// peak_ref.c — the scalar throughput loop and the dispatch of peak_loops.h: picks the best
// loop of a family at or below an ISA level. bf16 without vdpbf16ps is emulated with f32
// FMAs by the GEMM kernels, so its ceiling is the f32 FMA loop; int8 without VNNI uses the
// widening loop. Not a timer: runtime/profile/peak.c times these.
#include "peak_loops.h"

// Optimized even in Debug/sanitizer builds: at -O0 the accumulators would live in memory and
// the loop would measure store-to-load latency, and the cached peaks would be wrong for all.
#pragma GCC optimize("O2")

double peak_f32_ref(size_t iters, float *sink) {
    float a = *sink * 1e-9f + 0.999f, b = 1.0001f;
    float c[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (size_t it = 0; it < iters; it++)
        for (int j = 0; j < 8; j++) c[j] = c[j] * a + b;
    *sink = c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
    return (double)iters * 8.0 * 2.0;
}

// Not instrumented by sanitizers either: a Debug/ASan build must cache the same bandwidth.
__attribute__((no_sanitize("address", "undefined"))) void peak_triad(float *a, const float *b, const float *c,
                                                                      size_t n) {
    for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
}

__attribute__((no_sanitize("address", "undefined"))) void peak_copy(float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) a[i] = b[i];
}

typedef double (*peak_fn)(size_t iters, float *sink);

static peak_fn pick(peak_family fam, w2s_isa isa, const char **name) {
#if defined(__x86_64__)
    bool zmm = isa >= W2S_ISA_AVX512 && isa <= W2S_ISA_AVX512_BF16;
    bool ymm = isa >= W2S_ISA_AVX2 && isa <= W2S_ISA_AVX512_BF16;
    if (fam == PEAK_BF16_DOT && isa == W2S_ISA_AVX512_BF16) {
        *name = "vdpbf16ps zmm";
        return peak_bf16_avx512_bf16;
    }
    if (fam == PEAK_S8_DOT && zmm) {
        bool vnni = isa >= W2S_ISA_AVX512_VNNI;
        *name = vnni ? "vpdpbusd zmm" : "vpmaddwd+vpaddd zmm (widening)";
        return vnni ? peak_s8_avx512_vnni : peak_s8_avx512;
    }
    if (fam == PEAK_S8_DOT && ymm) {
        *name = "vpmaddwd+vpaddd ymm (widening)";
        return peak_s8_avx2;
    }
    if (zmm) {
        *name = fam == PEAK_BF16_DOT ? "vfmadd231ps zmm (bf16 emulated)" : "vfmadd231ps zmm";
        return peak_f32_avx512;
    }
    if (ymm) {
        *name = fam == PEAK_BF16_DOT ? "vfmadd231ps ymm (bf16 emulated)" : "vfmadd231ps ymm";
        return peak_f32_avx2;
    }
#else
    (void)fam;
    (void)isa;
#endif
    *name = "scalar fma";
    return peak_f32_ref;
}

double peak_loop_run(peak_family fam, w2s_isa isa, size_t iters, float *sink) {
    const char *name;
    return pick(fam, isa, &name)(iters, sink);
}

const char *peak_loop_name(peak_family fam, w2s_isa isa) {
    const char *name;
    (void)pick(fam, isa, &name);
    return name;
}
