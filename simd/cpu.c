// cpu.c — CPUID/XGETBV (x86) and HWCAP (AArch64) feature detection; W2S_ISA override.
#include "cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#include <unistd.h>
#endif

static w2s_cpu_features features;
static w2s_isa detected_isa = W2S_ISA_SCALAR;
static w2s_isa active_isa = W2S_ISA_SCALAR;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static const char *const isa_names[W2S_ISA_COUNT] = {
    [W2S_ISA_SCALAR] = "scalar",           [W2S_ISA_AVX2] = "avx2",
    [W2S_ISA_AVX2_VNNI] = "avx2_vnni",     [W2S_ISA_AVX512] = "avx512",
    [W2S_ISA_AVX512_VNNI] = "avx512_vnni", [W2S_ISA_AVX512_BF16] = "avx512_bf16",
    [W2S_ISA_NEON] = "neon",               [W2S_ISA_NEON_DOTPROD] = "neon_dotprod",
    [W2S_ISA_NEON_BF16] = "neon_bf16",
};

#if defined(__x86_64__)
static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

// Deterministic cache parameters (leaf 4 on Intel, 0x8000001D on AMD: the same layout):
// sub-leaf i describes one cache until type 0; size = ways · partitions · line · sets.
static void caches_x86(w2s_cpu_features *f, unsigned leaf) {
    for (unsigned i = 0; i < 16; i++) {
        unsigned a, b, c, d;
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned type = a & 0x1f, level = (a >> 5) & 7;
        if (type == 0) break;
        unsigned long size = (unsigned long)((b >> 22) + 1) * (((b >> 12) & 0x3ff) + 1) * ((b & 0xfff) + 1) * (c + 1);
        if (level == 1 && type == 1) f->cache_l1d = size;
        if (level == 2 && type != 2) f->cache_l2 = size;
        if (level == 3 && type != 2) f->cache_l3 = size;
    }
}

static void detect_x86(w2s_cpu_features *f) {
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max_leaf = a;
    memcpy(f->vendor + 0, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    __cpuid(1, a, b, c, d);
    unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    f->stepping = a & 0xf;
    f->family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    f->model = base_family == 0xf || base_family == 0x6 ? base_model | ((a >> 16) & 0xf) << 4 : base_model;
    bool osxsave = c & (1u << 27);
    f->fma = c & (1u << 12);
    f->f16c = c & (1u << 29);
    bool avx = c & (1u << 28);
    if (osxsave) {
        unsigned long long xcr0 = xgetbv0();
        f->os_ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
        f->os_zmm = f->os_ymm && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
    }
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f->avx2 = avx && (b & (1u << 5));
        f->avx512f = b & (1u << 16);
        f->avx512dq = b & (1u << 17);
        f->avx512bw = b & (1u << 30);
        f->avx512vl = b & (1u << 31);
        f->avx512_vnni = c & (1u << 11);
        __cpuid_count(7, 1, a, b, c, d);
        f->avx_vnni = a & (1u << 4);
        f->avx512_bf16 = a & (1u << 5);
    }
    // Features the OS does not save are unusable: a context switch would corrupt them.
    if (!f->os_ymm) f->avx2 = f->fma = f->f16c = f->avx_vnni = false;
    if (!f->os_zmm) f->avx512f = f->avx512bw = f->avx512vl = f->avx512dq = f->avx512_vnni = f->avx512_bf16 = false;

    unsigned brand[12] = {0};
    __cpuid(0x80000000, a, b, c, d);
    unsigned max_ext = a;
    if (max_ext >= 0x80000001) __cpuid(0x80000001, a, b, c, d);
    bool topoext = max_ext >= 0x80000001 && (c & (1u << 22));
    if (!strcmp(f->vendor, "AuthenticAMD") && topoext && max_ext >= 0x8000001d)
        caches_x86(f, 0x8000001d);
    else if (max_leaf >= 4)
        caches_x86(f, 4);
    if (max_ext >= 0x80000004) {
        for (unsigned i = 0; i < 3; i++)
            __cpuid(0x80000002 + i, brand[4 * i], brand[4 * i + 1], brand[4 * i + 2], brand[4 * i + 3]);
        memcpy(f->brand, brand, 48);
    }
}

static w2s_isa level_x86(const w2s_cpu_features *f) {
    bool base512 = f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->fma;
    if (base512 && f->avx512_vnni && f->avx512_bf16) return W2S_ISA_AVX512_BF16;
    if (base512 && f->avx512_vnni) return W2S_ISA_AVX512_VNNI;
    if (base512) return W2S_ISA_AVX512;
    if (f->avx2 && f->fma && f->f16c && f->avx_vnni) return W2S_ISA_AVX2_VNNI;
    if (f->avx2 && f->fma && f->f16c) return W2S_ISA_AVX2;
    return W2S_ISA_SCALAR;
}
#endif

#if defined(__aarch64__)
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
static void detect_arm64(w2s_cpu_features *f) {
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    f->neon = true;  // ASIMD is mandatory on AArch64
    f->neon_dotprod = hw & HWCAP_ASIMDDP;
    f->neon_bf16 = hw2 & HWCAP2_BF16;
    strcpy(f->vendor, "arm64");
    long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE), l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    f->cache_l1d = l1 > 0 ? (unsigned long)l1 : 0;
    f->cache_l2 = l2 > 0 ? (unsigned long)l2 : 0;
    f->cache_l3 = l3 > 0 ? (unsigned long)l3 : 0;
}
#endif

static bool isa_supported_after_detection(w2s_isa isa);

static void detect(void) {
#if defined(__x86_64__)
    detect_x86(&features);
    detected_isa = level_x86(&features);
#elif defined(__aarch64__)
    detect_arm64(&features);
    detected_isa = features.neon_bf16 && features.neon_dotprod ? W2S_ISA_NEON_BF16
                   : features.neon_dotprod                     ? W2S_ISA_NEON_DOTPROD
                                                               : W2S_ISA_NEON;
#endif
    active_isa = detected_isa;
    const char *forced = getenv("W2S_ISA");
    if (forced && *forced) {
        int want = w2s_isa_from_name(forced);
        if (want < 0)
            fprintf(stderr, "w2s: ignoring W2S_ISA=%s (unknown level)\n", forced);
        else if (!isa_supported_after_detection((w2s_isa)want))
            fprintf(stderr, "w2s: ignoring W2S_ISA=%s (this CPU supports at most %s)\n", forced,
                    isa_names[detected_isa]);
        else
            active_isa = (w2s_isa)want;
    }
}

const w2s_cpu_features *w2s_cpu(void) {
    pthread_once(&detect_once, detect);
    return &features;
}

w2s_isa w2s_isa_detected(void) {
    pthread_once(&detect_once, detect);
    return detected_isa;
}

w2s_isa w2s_isa_active(void) {
    pthread_once(&detect_once, detect);
    return active_isa;
}

bool w2s_isa_supported(w2s_isa isa) {
    pthread_once(&detect_once, detect);
    return isa_supported_after_detection(isa);
}

bool w2s_isa_x86_at_least(w2s_isa isa, w2s_isa level) {
    return isa >= level && isa <= W2S_ISA_AVX512_BF16 && w2s_isa_supported(level);
}

// detect() itself needs this answer, so it must not go through pthread_once.
static bool isa_supported_after_detection(w2s_isa isa) {
    if (isa == W2S_ISA_SCALAR) return true;
    bool x86 = isa >= W2S_ISA_AVX2 && isa <= W2S_ISA_AVX512_BF16;
    bool arm = isa >= W2S_ISA_NEON && isa <= W2S_ISA_NEON_BF16;
    bool det_x86 = detected_isa >= W2S_ISA_AVX2 && detected_isa <= W2S_ISA_AVX512_BF16;
    bool det_arm = detected_isa >= W2S_ISA_NEON;
    if (x86 && det_x86) {
        // AVX2_VNNI is not "below" AVX512 on CPUs with AVX-512 but no AVX-VNNI.
        if (isa == W2S_ISA_AVX2_VNNI) return features.avx_vnni && features.avx2;
        return isa <= detected_isa;
    }
    if (arm && det_arm) return isa <= detected_isa;
    return false;
}

const char *w2s_isa_name(w2s_isa isa) {
    return (unsigned)isa < W2S_ISA_COUNT ? isa_names[isa] : "unknown";
}

int w2s_isa_from_name(const char *name) {
    for (int i = 0; i < W2S_ISA_COUNT; i++)
        if (strcmp(name, isa_names[i]) == 0) return i;
    return -1;
}
