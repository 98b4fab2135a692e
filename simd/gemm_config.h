// gemm_config.h — which micro-kernel (register tile) and which K/M/N blocking each GEMM type
// runs with on this core, chosen at run time: a built-in default per kind of core (CPUID
// family/model, or the measured FMA width where the model is unknown, and the cache sizes),
// or a configuration the caller installs (stored tuning results, `w2s tune`'s candidates).
// Not a tuner and not a file format: runtime/tune times candidates and stores them. The one
// thing to know: B packed for one configuration is refused by gemm() under a configuration
// with another tile, so install a configuration before packing weights (at start-up).
#ifndef W2S_SIMD_GEMM_CONFIG_H
#define W2S_SIMD_GEMM_CONFIG_H

#include "gemm.h"

struct gemm_kernel;

#include <stddef.h>

// The kinds of core the built-in defaults distinguish (docs/PERFORMANCE.md, "Tiles on one- and
// two-FMA-pipe cores").
typedef enum {
    GEMM_CORE_GENERIC = 0,    // scalar only, or an architecture without a table entry
    GEMM_CORE_AVX2,           // AVX2 + FMA, two 256-bit FMA pipes (Haswell .. Zen 3)
    GEMM_CORE_AVX512_1PIPE,   // one 512-bit FMA per cycle (Zen 4, Xeon with one FMA unit)
    GEMM_CORE_AVX512_2PIPE,   // two 512-bit FMAs per cycle (Zen 5, Sapphire/Granite Rapids)
    GEMM_CORE_NEON,           // AArch64
    GEMM_CORE_KIND_COUNT
} gemm_core_kind;

// How a product against prepacked B (the models' weights) splits its threads over C when both
// ways give every thread the same padded area. Rows: each thread reads all of B for its own
// rows of A (B's traffic from L3 grows with the threads, A's does not). Columns: each thread
// streams only its share of B and reads all of A. Auto: rows when every thread gets at least a
// full mc block of rows, else columns (gemm.c, split_threads). Results are bit-identical
// whichever is used.
typedef enum {
    GEMM_SPLIT_AUTO = 0,
    GEMM_SPLIT_ROWS,
    GEMM_SPLIT_COLS,
    GEMM_SPLIT_COUNT
} gemm_split;

const char *gemm_split_name(gemm_split s);            // "auto", "rows", "cols"
int gemm_split_parse(const char *name, gemm_split *s);  // 0, or -1 (not one of the names)

// One GEMM type's configuration. kernel names a registered micro-kernel of that type whose isa
// is the one the active ISA level selects by default (only the tile differs); kc is a multiple
// of the kernel's kgroup, mc of its mr, nc of its nr.
typedef struct {
    char kernel[48];
    size_t kc, mc, nc;
    gemm_split split;
} gemm_config;

typedef struct {
    gemm_config type[GEMM_TYPE_COUNT];
} gemm_config_set;

// What kind of core this is, and how that was decided (a static string: "family 25 model 17",
// "measured: zmm FMA 1.02x ymm", ...). Decided once; the first call may time two 5 ms loops.
gemm_core_kind gemm_core(const char **how);
const char *gemm_core_name(gemm_core_kind kind);   // "avx512-1pipe", ...

// The built-in configuration of each type for `kind` at the active ISA level, with blocking
// derived from this CPU's cache sizes (w2s_cpu()).
void gemm_config_builtin(gemm_config_set *s, gemm_core_kind kind);

// The tiles gemm_config_set may name for `type` at the active ISA level (the default one first):
// fills up to cap kernels, returns how many there are.
size_t gemm_config_tiles(gemm_type type, const struct gemm_kernel **out, size_t cap);

// The configurations `w2s tune` times for `type` (and tests/simd checks against the reference):
// each tile of gemm_config_tiles with its registered blocking, with kc from L1 (the B
// micro-panel in half of L1) and 4× that, mc then from L2, all with the automatic thread
// split; and the built-in one with rows and with columns split. The built-in one comes first.
// Fills up to cap, returns how many were written.
size_t gemm_config_candidates(gemm_type type, gemm_config *out, size_t cap);

// Checks s against the registry and the active ISA level. Returns 0, or -1 with the error set
// (what is wrong with which type's entry).
int gemm_config_check(const gemm_config_set *s);

// Installs s for every later gemm()/gemm_pack_b() at the active level's kernels; `source` says
// where it came from (copied, shown by `w2s info`). Not thread-safe against running GEMMs:
// call at start-up or between products. Returns 0, or -1 (gemm_config_check failed; nothing
// changes).
int gemm_config_install(const gemm_config_set *s, const char *source);

// The installed configuration (the built-in default for gemm_core() until one is installed)
// and its source.
void gemm_config_active(gemm_config_set *s, const char **source);

// "gemm_f32_avx512_8x48 kc=768 mc=128 nc=3072 split=auto" into buf; returns buf.
char *gemm_config_format(const gemm_config *c, char *buf, size_t cap);

#endif
