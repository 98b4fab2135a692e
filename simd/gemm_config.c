// gemm_config.c — the run-time GEMM configuration: what kind of core this is, the built-in
// tile and blocking for it, and the installed configuration that gemm_kernel_find() serves
// (as a copy of the registered kernel with the configured blocking). Not the tuner
// (runtime/tune). The per-core rules are docs/PERFORMANCE.md's, "Tiles on one- and two-FMA-pipe
// cores": one-pipe cores keep the tiles and blocking measured on Zen 4; two-pipe cores take
// the 12×32 tiles with kc from L1.
#include "gemm_config.h"

#include "gemm_kernel.h"

#include "error.h"
#include "peak_loops.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// ---- what the core is

// x86 cores whose 512-bit FMA width is known from CPUID family/model (display values).
typedef struct {
    const char *vendor;
    unsigned family, model_lo, model_hi;
    gemm_core_kind kind;
    const char *what;
} core_entry;

static const core_entry core_table[] = {
    {"AuthenticAMD", 25, 0x10, 0x1f, GEMM_CORE_AVX512_1PIPE, "Zen 4 (Genoa)"},
    {"AuthenticAMD", 25, 0x60, 0x7f, GEMM_CORE_AVX512_1PIPE, "Zen 4 (client)"},
    {"AuthenticAMD", 25, 0xa0, 0xaf, GEMM_CORE_AVX512_1PIPE, "Zen 4c (Bergamo/Siena)"},
    {"AuthenticAMD", 26, 0x00, 0x1f, GEMM_CORE_AVX512_2PIPE, "Zen 5 (Turin)"},
    {"GenuineIntel", 6, 0x8f, 0x8f, GEMM_CORE_AVX512_2PIPE, "Sapphire Rapids"},
    {"GenuineIntel", 6, 0xcf, 0xcf, GEMM_CORE_AVX512_2PIPE, "Emerald Rapids"},
    {"GenuineIntel", 6, 0xad, 0xae, GEMM_CORE_AVX512_2PIPE, "Granite Rapids"},
    {"GenuineIntel", 6, 0x7d, 0x7e, GEMM_CORE_AVX512_1PIPE, "Ice Lake (client)"},
    {"GenuineIntel", 6, 0x8c, 0x8d, GEMM_CORE_AVX512_1PIPE, "Tiger Lake"},
    // Skylake-SP/Cascade Lake (0x55) and Ice Lake-SP (0x6a) have one or two 512-bit FMA units
    // depending on the SKU: measured.
};

static gemm_core_kind core_kind;
static char core_how[96];
static pthread_once_t core_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
// Best FLOP/s of a peak loop over three 2-million-FMA runs (~5 ms on a 4 GHz core; the best
// run is the one the machine's neighbours disturbed least).
static double loop_rate(double (*loop)(size_t, float *)) {
    float sink = 1.0f;
    double best = 0.0;
    for (int r = 0; r < 3; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        double ops = loop(200000, &sink);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (s > 0 && ops / s > best) best = ops / s;
    }
    return best;
}
#endif

static void core_detect(void) {
    const w2s_cpu_features *f = w2s_cpu();
    w2s_isa det = w2s_isa_detected();
    core_kind = GEMM_CORE_GENERIC;
    snprintf(core_how, sizeof core_how, "no SIMD level");
    if (det >= W2S_ISA_NEON) {
        core_kind = GEMM_CORE_NEON;
        snprintf(core_how, sizeof core_how, "AArch64");
        return;
    }
    if (det == W2S_ISA_SCALAR) return;
    if (det < W2S_ISA_AVX512) {
        core_kind = GEMM_CORE_AVX2;
        snprintf(core_how, sizeof core_how, "no AVX-512");
        return;
    }
    for (size_t i = 0; i < sizeof core_table / sizeof core_table[0]; i++) {
        const core_entry *e = &core_table[i];
        if (!strcmp(f->vendor, e->vendor) && f->family == e->family && f->model >= e->model_lo &&
            f->model <= e->model_hi) {
            core_kind = e->kind;
            snprintf(core_how, sizeof core_how, "family %u model %u: %s", f->family, f->model, e->what);
            return;
        }
    }
#if defined(__x86_64__)
    // Unknown AVX-512 core: a zmm FMA at twice the ymm rate means two full-width pipes; at the
    // same rate, one (or two halves of one, as on Zen 4).
    double ratio = loop_rate(peak_f32_avx512) / loop_rate(peak_f32_avx2);
    core_kind = ratio > 1.5 ? GEMM_CORE_AVX512_2PIPE : GEMM_CORE_AVX512_1PIPE;
    snprintf(core_how, sizeof core_how, "family %u model %u, measured: zmm FMA rate %.2fx ymm", f->family,
             f->model, ratio);
#endif
}

gemm_core_kind gemm_core(const char **how) {
    pthread_once(&core_once, core_detect);
    if (how) *how = core_how;
    return core_kind;
}

const char *gemm_core_name(gemm_core_kind kind) {
    static const char *const names[] = {"generic", "avx2", "avx512-1pipe", "avx512-2pipe", "neon"};
    return (unsigned)kind < GEMM_CORE_KIND_COUNT ? names[kind] : "?";
}

// ---- built-in configurations

static size_t type_esz(gemm_type t) { return t == GEMM_F32 ? 4 : t == GEMM_BF16 ? 2 : 1; }
static size_t round_down(size_t a, size_t b) { return a / b * b; }
static size_t clamp_sz(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static const gemm_kernel *find_by_name(const char *name) {
    for (const gemm_kernel *const *e = gemm_kernel_registry; *e; e++)
        if (!strcmp((*e)->name, name)) return *e;
    return NULL;
}

size_t gemm_config_tiles(gemm_type type, const gemm_kernel **out, size_t cap) {
    const gemm_kernel *def = gemm_kernel_find_default(type, w2s_isa_active());
    if (!def) return 0;
    size_t n = 0;
    if (n < cap) out[n] = def;
    n++;
    for (const gemm_kernel *const *e = gemm_kernel_registry; *e; e++)
        if (*e != def && (*e)->type == type && (*e)->isa == def->isa) {
            if (n < cap) out[n] = *e;
            n++;
        }
    return n;
}

// The kernel of `type` at the active level with tile mr×nr (mr = 0: the default), or NULL.
static const gemm_kernel *tile_kernel(gemm_type type, size_t mr, size_t nr) {
    const gemm_kernel *t[8];
    size_t n = gemm_config_tiles(type, t, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (!mr || (t[i]->mr == mr && t[i]->nr == nr)) return t[i];
    return NULL;
}

static void set_entry(gemm_config *c, const gemm_kernel *k, size_t kc, size_t mc, size_t nc) {
    memset(c, 0, sizeof *c);  // whole bytes: configurations compare and hash as memory
    snprintf(c->kernel, sizeof c->kernel, "%s", k->name);
    c->kc = clamp_sz(round_down(kc, 16 * k->kgroup), 16 * k->kgroup, 8192);  // whole cache lines of A rows
    c->mc = clamp_sz(round_down(mc, k->mr), k->mr, 1024);
    c->nc = clamp_sz(round_down(nc, k->nr), k->nr, 8192);
    c->split = GEMM_SPLIT_AUTO;
}

static const char *const split_names[GEMM_SPLIT_COUNT] = {"auto", "rows", "cols"};

const char *gemm_split_name(gemm_split s) { return (unsigned)s < GEMM_SPLIT_COUNT ? split_names[s] : "?"; }

int gemm_split_parse(const char *name, gemm_split *s) {
    for (int i = 0; i < GEMM_SPLIT_COUNT; i++)
        if (name && !strcmp(name, split_names[i])) {
            *s = (gemm_split)i;
            return 0;
        }
    return -1;
}

void gemm_config_builtin(gemm_config_set *s, gemm_core_kind kind) {
    const w2s_cpu_features *f = w2s_cpu();
    memset(s, 0, sizeof *s);
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        gemm_type type = (gemm_type)t;
        const gemm_kernel *k = tile_kernel(type, 0, 0);
        if (!k) continue;
        size_t esz = type_esz(type), kc = k->kc, mc = k->mc;
        // Two-pipe AVX-512: the 12×32 tiles (fewer operand bytes per FMA) with the B
        // micro-panel in half of L1; int8 keeps its tile (4 K per lane already).
        const gemm_kernel *wide = kind == GEMM_CORE_AVX512_2PIPE && type != GEMM_U8S8 ? tile_kernel(type, 12, 32) : NULL;
        if (wide) {
            k = wide;
            if (f->cache_l1d) kc = f->cache_l1d / (2 * k->nr * esz);
            else kc = 192 * 4 / esz;
        } else if ((kind == GEMM_CORE_AVX2 || kind == GEMM_CORE_NEON) && f->cache_l1d && type != GEMM_U8S8) {
            size_t l1_kc = f->cache_l1d / (2 * k->nr * esz);
            if (l1_kc < kc) kc = l1_kc;
        }
        // The packed A block (mc × kc) in at most 60% of L2, beside B's micro-panel; the
        // kernels' own mc already fits the 1 MiB L2 they were measured with.
        if (f->cache_l2 && mc * kc * esz > f->cache_l2 * 6 / 10) mc = f->cache_l2 * 6 / 10 / (kc * esz);
        if (wide && f->cache_l2) mc = clamp_sz(f->cache_l2 / 2 / (kc * esz), k->mr, 384);
        set_entry(&s->type[t], k, kc, mc, k->nc);
    }
}

static bool same_config(const gemm_config *a, const gemm_config *b) {
    return !strcmp(a->kernel, b->kernel) && a->kc == b->kc && a->mc == b->mc && a->nc == b->nc &&
           a->split == b->split;
}

static size_t add_candidate(gemm_config *out, size_t n, size_t cap, const gemm_config *c) {
    for (size_t i = 0; i < n; i++)
        if (same_config(&out[i], c)) return n;
    if (n < cap) out[n++] = *c;
    return n;
}

size_t gemm_config_candidates(gemm_type type, gemm_config *out, size_t cap) {
    const w2s_cpu_features *f = w2s_cpu();
    size_t n = 0, esz = type_esz(type);
    gemm_config_set builtin;
    gemm_config_builtin(&builtin, gemm_core(NULL));
    if (builtin.type[type].kernel[0]) n = add_candidate(out, n, cap, &builtin.type[type]);
    const gemm_kernel *tiles[8];
    size_t nt = gemm_config_tiles(type, tiles, 8);
    unsigned long l1 = f->cache_l1d ? f->cache_l1d : 32768, l2 = f->cache_l2 ? f->cache_l2 : 1u << 20;
    for (size_t i = 0; i < nt && i < 8; i++) {
        const gemm_kernel *k = tiles[i];
        size_t l1_kc = l1 / (2 * k->nr * esz);
        size_t kcs[3] = {k->kc, l1_kc, 4 * l1_kc};
        for (int j = 0; j < 3; j++) {
            gemm_config c;
            size_t mc = j == 0 ? k->mc : l2 / 2 / (kcs[j] * esz);
            set_entry(&c, k, kcs[j], mc > 384 ? 384 : mc, k->nc);
            n = add_candidate(out, n, cap, &c);
        }
    }
    for (gemm_split sp = GEMM_SPLIT_ROWS; sp < GEMM_SPLIT_COUNT && builtin.type[type].kernel[0]; sp++) {
        gemm_config c = builtin.type[type];
        c.split = sp;
        n = add_candidate(out, n, cap, &c);
    }
    return n;
}

// ---- the installed configuration

static gemm_kernel installed[GEMM_TYPE_COUNT];   // copies with the configured blocking
static bool installed_ok[GEMM_TYPE_COUNT];
static gemm_config_set installed_set;
static char installed_source[4352];  // a wisdom path (W2S_PATH_MAX) and what tuned it
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void install_unchecked(const gemm_config_set *s, const char *source) {
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        const gemm_kernel *k = s->type[t].kernel[0] ? find_by_name(s->type[t].kernel) : NULL;
        installed_ok[t] = false;
        if (!k) continue;
        installed[t] = *k;
        installed[t].kc = s->type[t].kc;
        installed[t].mc = s->type[t].mc;
        installed[t].nc = s->type[t].nc;
        installed[t].split = s->type[t].split;
        installed_ok[t] = true;
    }
    installed_set = *s;
    snprintf(installed_source, sizeof installed_source, "%s", source);
}

static void install_builtin(void) {
    gemm_config_set s;
    const char *how;
    gemm_core_kind kind = gemm_core(&how);
    gemm_config_builtin(&s, kind);
    char src[160];
    snprintf(src, sizeof src, "built-in for %s (%s)", gemm_core_name(kind), how);
    install_unchecked(&s, src);
}

int gemm_config_check(const gemm_config_set *s) {
    static const char *const tn[] = {"f32", "bf16", "u8s8"};
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        const gemm_config *c = &s->type[t];
        const gemm_kernel *def = gemm_kernel_find_default((gemm_type)t, w2s_isa_active());
        if (!c->kernel[0] && !def) continue;
        const gemm_kernel *k = find_by_name(c->kernel);
        if (!k || !def || k->type != (gemm_type)t || k->isa != def->isa)
            return W2S_FAIL("gemm config: %s kernel '%.47s' is not a %s tile of this CPU's level %s", tn[t],
                            c->kernel, tn[t], w2s_isa_name(w2s_isa_active()));
        if (c->kc < k->kgroup || c->kc % k->kgroup || c->kc > 8192 || c->mc < k->mr || c->mc % k->mr ||
            c->mc > 4096 || c->nc < k->nr || c->nc % k->nr || c->nc > 65536 || (unsigned)c->split >= GEMM_SPLIT_COUNT)
            return W2S_FAIL("gemm config: %s blocking kc=%zu mc=%zu nc=%zu split %d does not fit %s (kc a multiple "
                            "of %zu, mc of %zu, nc of %zu, split auto, rows or cols)",
                            tn[t], c->kc, c->mc, c->nc, (int)c->split, k->name, k->kgroup, k->mr, k->nr);
    }
    return 0;
}

int gemm_config_install(const gemm_config_set *s, const char *source) {
    pthread_once(&install_once, install_builtin);
    if (gemm_config_check(s)) return -1;
    install_unchecked(s, source);
    return 0;
}

void gemm_config_active(gemm_config_set *s, const char **source) {
    pthread_once(&install_once, install_builtin);
    if (s) *s = installed_set;
    if (source) *source = installed_source;
}

const gemm_kernel *gemm_config_kernel(gemm_type type, const gemm_kernel *def) {
    pthread_once(&install_once, install_builtin);
    if (installed_ok[type] && installed[type].isa == def->isa) return &installed[type];
    return def;
}

// Here rather than in gemm_registry.c, which this file reads: files do not depend both ways.
const gemm_kernel *gemm_kernel_find(gemm_type type, w2s_isa isa) {
    const gemm_kernel *k = gemm_kernel_find_default(type, isa);
    return k ? gemm_config_kernel(type, k) : NULL;
}

char *gemm_config_format(const gemm_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "%s kc=%zu mc=%zu nc=%zu split=%s", c->kernel[0] ? c->kernel : "(none)", c->kc, c->mc, c->nc,
             gemm_split_name(c->split));
    return buf;
}
