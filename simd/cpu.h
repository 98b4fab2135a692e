// cpu.h — CPU feature detection and the ISA level every kernel family dispatches on.
// Detection reads CPUID *and* XGETBV (the OS must have enabled the YMM/ZMM state) on x86,
// HWCAP on AArch64. Levels are ordered within an architecture; a kernel family picks its best
// variant at or below the active level. W2S_ISA=<name> lowers the active level (never raises
// it) so every path can be tested and benchmarked on one machine.
#ifndef W2S_SIMD_CPU_H
#define W2S_SIMD_CPU_H

#include <stdbool.h>

typedef enum {
    W2S_ISA_SCALAR = 0,       // portable C, the reference
    // x86-64
    W2S_ISA_AVX2,             // AVX2 + FMA + F16C; int8 via exact widening, bf16 emulated
    W2S_ISA_AVX2_VNNI,        // + AVX-VNNI (vpdpbusd on ymm)
    W2S_ISA_AVX512,           // AVX-512 F/BW/VL/DQ; int8 via exact widening, bf16 emulated
    W2S_ISA_AVX512_VNNI,      // + AVX512_VNNI
    W2S_ISA_AVX512_BF16,      // + AVX512_BF16 (vdpbf16ps)
    // AArch64
    W2S_ISA_NEON,             // ASIMD + FMA
    W2S_ISA_NEON_DOTPROD,     // + sdot/udot
    W2S_ISA_NEON_BF16,        // + bfdot/bfmmla
    W2S_ISA_COUNT
} w2s_isa;

typedef struct {
    bool avx2, fma, f16c, avx_vnni;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512_vnni, avx512_bf16;
    bool os_ymm, os_zmm;      // XGETBV says the OS saves YMM / ZMM+opmask state
    bool neon, neon_dotprod, neon_bf16;
    char vendor[13];
    char brand[49];
    // What the core is, for per-core kernel configurations: x86 display family/model/stepping
    // (CPUID leaf 1 with the extended fields; 0 on AArch64), and the size in bytes of one L1
    // data, L2 and L3 cache as the core sees it (x86: CPUID leaf 4, or 0x8000001D on AMD;
    // AArch64: sysconf), 0 where unknown. Instructions and caches only: no topology.
    unsigned family, model, stepping;
    unsigned long cache_l1d, cache_l2, cache_l3;
} w2s_cpu_features;

// Detected once (thread-safe); never changes afterwards.
const w2s_cpu_features *w2s_cpu(void);
// Highest level this CPU + OS supports.
w2s_isa w2s_isa_detected(void);
// The level kernels use: detected, lowered by W2S_ISA if set. Read once.
w2s_isa w2s_isa_active(void);
// True if `isa` can run here (same architecture, at or below the detected level).
bool w2s_isa_supported(w2s_isa isa);
// True if an x86 kernel written for `level` serves a request for `isa`: isa is `level` or a
// higher x86 level, and this CPU runs `level`. What every dispatcher (*_get) asks.
bool w2s_isa_x86_at_least(w2s_isa isa, w2s_isa level);
const char *w2s_isa_name(w2s_isa isa);
// Parses a level name ("avx512_vnni"); returns -1 if unknown.
int w2s_isa_from_name(const char *name);

#endif
