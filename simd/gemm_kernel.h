// gemm_kernel.h — the internal micro-kernel + packing interface behind gemm() (BLIS style).
// What a kernel author (any type, any ISA) implements and how the driver (gemm.c) calls it.
// Not public: model code calls gemm.h only. The one thing to know: a kernel computes one
// MR×NR tile of C from a packed A micro-panel and a packed B micro-panel for ONE K block,
// keeping partial sums in C itself between K blocks (raw f32 / s32 in C's memory).
#ifndef W2S_SIMD_GEMM_KERNEL_H
#define W2S_SIMD_GEMM_KERNEL_H

#include "gemm.h"
#include "gemm_config.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// ---- packed layouts
// kgroup = number of consecutive K elements a kernel consumes as one unit (1 f32 FMA, 2 for a
// bf16 pair of vdpbf16ps / bfdot, 4 for a u8·s8 quad of vpdpbusd / sdot). Both operands are
// stored as "groups": for a K block of kc elements there are G = ceil(kc / kgroup) groups.
//
// Packed A micro-panel (MR rows × kc), element type f32 (F32), bf16 (BF16), u8 (U8S8):
//   group g holds MR*kgroup elements; A[i, k0 + g*kgroup + t] is at [g*MR*kgroup + i*kgroup + t].
//   Rows i >= m and K positions >= kc are ZERO (so a kernel may always compute the full tile).
// Packed B micro-panel (kc × NR), element type f32 | bf16 | s8:
//   group g holds NR*kgroup elements; B[k0 + g*kgroup + t, j0 + j] is at [g*NR*kgroup + j*kgroup + t].
//   Columns j >= n and K positions >= kc are ZERO. This is exactly one panel of
//   gemm_packed_b (gemm.h), starting at group k0/kgroup: a prepacked B is used in place.
// Panels start 64-byte aligned (the driver guarantees it for A, B, and prepacked data).
// K blocks start at multiples of kc_blk, which is a multiple of kgroup, so a block never
// splits a group.

// ---- the micro-kernel call
// flags of gemm_uk_args.flags:
enum {
    GEMM_UK_LOAD = 1u << 0,   // start the accumulator from C's raw partial sum (f32, or s32 for
                              // U8S8) instead of 0. Set on every K block after the first, and
                              // on all blocks when accumulating linearly (see below).
    GEMM_UK_LAST = 1u << 1,   // last K block: apply the epilogue and write the final value.
                              // Without it: store the raw accumulator (f32 / s32) to C.
    GEMM_UK_ACCUM = 1u << 2,  // (only with LAST) add the epilogue result to C's old f32 value
                              // (s32 for GEMM_UK_S32). Never set together with LOAD.
    GEMM_UK_S32 = 1u << 3,    // U8S8 raw output: C is s32, no epilogue (final = accumulator).
};
// Partial sums across K blocks live in C itself: for F32/BF16 C is f32 anyway; for U8S8 the
// s32 partial sums are stored bit-for-bit in C's 4-byte slots even when C is f32 (the last
// block reads them back as s32, then writes f32). That keeps no extra state and makes U8S8
// exact. The driver picks the flags so this is always sound:
//   - no accumulate:        block 0: 0;        blocks 1..: LOAD;   last also LAST.
//   - accumulate, linear (F32/BF16 without GELU, or U8S8 raw s32): every block LOAD (the old
//     C is the starting value), last also LAST (bias then added once; no ACCUM).
//   - accumulate, non-linear (GELU, or U8S8 → f32): K is NOT blocked (one block of all K),
//     flags = LAST | ACCUM. Slower for huge K, but rare (GPT-2 never accumulates through GELU).
// kc may be 0 (K = 0): then a, b are not read and the accumulator is 0 (or C when LOAD).
typedef struct {
    size_t kc;           // K extent of this block (elements, not groups); may be 0
    const void *a;       // packed A micro-panel, ceil(kc/kgroup) groups of MR*kgroup; or,
                         // when a_ld != 0, A itself (see "Direct A" below)
    size_t a_ld;         // 0, or the byte stride between rows of a direct A
    const void *b;       // packed B micro-panel, ceil(kc/kgroup) groups of NR*kgroup
    void *c;             // C tile origin: element (i, j) at ((float|int32_t *)c)[i*ldc + j]
    size_t ldc;          // in elements
    size_t m, n;         // valid rows 1..MR, valid columns 1..NR; never touch C outside m×n
    unsigned flags;      // GEMM_UK_*
    // Epilogue operands (read only with GEMM_UK_LAST), already offset to the tile's first
    // row / column; each may be NULL (meaning: bias 0, scale 1, zero point 0, col_sum 0).
    const float *bias;        // (n)
    bool gelu;                // tanh-GELU after bias (rowops_gelu is the definition)
    const float *row_scale;   // (m) U8S8
    const int32_t *row_zero;  // (m) U8S8
    const float *col_scale;   // (n) U8S8
    const int32_t *col_sum;   // (n) U8S8: Σ_k B[k, j] over ALL of K (not just this block)
} gemm_uk_args;

// Direct A (gemm_kernel.direct_a): a kernel may read A unpacked when it is row-major with
// elements of the packed type (f32 for F32, bf16 for BF16, u8 for U8S8): then a points to
// A[i0, k0] and row i of the tile starts a_ld bytes after row i-1; a group of kgroup
// elements is read as one unit at byte offset g*kgroup*size. The driver only uses it when
// every group lies inside the row (kc a multiple of kgroup, or the block ends at K with K a
// multiple of kgroup), so nothing past A is read; rows >= m are never touched.
// Skipping the pack saves its cost and its L1/L2 footprint (oneDNN's brgemm does the same).

// Epilogue order per element, identical for every kernel (gemm.h):
//   U8S8: v = row_scale[i]*col_scale[j]*(float)(acc - row_zero[i]*col_sum[j])   (s32 math;
//         product in float: (row_scale*col_scale) first, then times the int converted to f32)
//   F32/BF16: v = acc
//   v += bias[j]; if gelu: v = gelu(v); if ACCUM: v += C_old; C = v.
// Determinism (docs/PROTOCOL.md, "Numerics"): an element's value must not depend on m, n or where its tile
// lies — same K order, same epilogue code for edge and interior tiles (use masks, or stage a
// ragged tile through a buffer and run the same vector code). The driver fixes kc per kernel
// and splits threads on tile boundaries, so results are then bit-identical across thread
// counts and batch compositions; tests/simd/test_gemm_mt.c checks both for every kernel.
typedef void (*gemm_ukernel_fn)(const gemm_uk_args *args);

struct gemm_kernel;
// Packs rows [0, m) (m <= MR) and K range [0, kc) of the view `a` (already offset to the
// block origin) into one A micro-panel at dst, zero-padding to MR rows and to a whole number
// of groups. a_dtype: F32 → f32; BF16 → f32 (rounded to bf16 RNE while packing) or bf16;
// U8S8 → u8.
typedef void (*gemm_pack_a_fn)(const struct gemm_kernel *k, void *dst, w2s_dtype a_dtype,
                               gemm_view a, size_t m, size_t kc);
// Packs rows [0, kc) and columns [0, n) (n <= NR) of `b` (offset to the block origin) into one
// B micro-panel at dst, zero-padded. b_dtype: F32 → f32; BF16 → f32 (rounded) or bf16; U8S8 → s8.
typedef void (*gemm_pack_b_fn)(const struct gemm_kernel *k, void *dst, w2s_dtype b_dtype,
                               gemm_view b, size_t kc, size_t n);

// ---- the registration table entry: one per (type, isa) that has a kernel
typedef struct gemm_kernel {
    const char *name;       // e.g. "gemm_f32_avx512_8x48"
    gemm_type type;
    w2s_isa isa;
    size_t mr, nr, kgroup;  // register tile and K grouping
    size_t kc, mc, nc;      // cache blocking: K block (multiple of kgroup), rows of A per
                            // packed block (multiple of mr), columns per B block (multiple of nr)
    gemm_split split;       // thread split over C against prepacked B (gemm_config.h)
    gemm_ukernel_fn ukernel;
    gemm_pack_a_fn pack_a;  // gemm_pack_a_generic works for every layout
    // Optional: packs m > MR rows (consecutive micro-panels) in one call, faster than pack_a
    // panel by panel where a whole block is transposed at once; NULL: the driver uses pack_a.
    gemm_pack_a_fn pack_a_block;
    gemm_pack_b_fn pack_b;  // gemm_pack_b_generic works for every layout
    bool direct_a;          // ukernel accepts a_ld != 0 (unpacked row-major A)
    bool alt;               // another tile of the same (type, isa): never the default, only
                            // served when the installed configuration names it (gemm_config.h)
} gemm_kernel;

// ---- registration
// Every kernel file defines one `const gemm_kernel gemm_kernel_<type>_<isa>` (for example
// gemm_kernel_u8s8_avx512_vnni, gemm_kernel_bf16_neon_bf16) and adds one line to the table
// in gemm_registry.c (x86 entries under __x86_64__, AArch64 ones under __aarch64__, because
// the build drops *_neon*.c on x86 and *_avx*.c on AArch64). Nothing else changes.
//
// How many gemm() calls so far ran on the shared-chunk schedule (gemm.c, "the team"); for
// tests that must know the schedule they name was taken.
uint64_t gemm_shared_schedule_calls(void);

// Lookup (gemm_kernel_find_default): for (type, isa) take the non-alt entry with that exact
// isa; else the best lower level of the same architecture that has one; else the scalar entry.
// Lower means in w2s_isa order, except that AVX2_VNNI is skipped below AVX512 levels (AVX-512
// CPUs need not have AVX-VNNI, e.g. Zen 4/5). Returns NULL only for an isa this build cannot
// run at all. gemm_kernel_find is what the driver uses: the default, or, when the installed
// configuration (gemm_config.h) is for a kernel of the default's isa, that configuration's
// tile with its blocking (a copy of the registered entry; the same pointer until the next
// install).
const gemm_kernel *gemm_kernel_find_default(gemm_type type, w2s_isa isa);
const gemm_kernel *gemm_kernel_find(gemm_type type, w2s_isa isa);  // in gemm_config.c
// gemm_config.c: the installed configuration's kernel for `type` when it replaces `def`.
const gemm_kernel *gemm_config_kernel(gemm_type type, const gemm_kernel *def);

// Entries registered in gemm_registry.c (NULL-terminated).
extern const gemm_kernel *const gemm_kernel_registry[];

// ---- shared helpers (gemm_pack.c, gemm_scalar.c)
void gemm_pack_a_generic(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                         size_t m, size_t kc);
void gemm_pack_b_generic(const gemm_kernel *k, void *dst, w2s_dtype b_dtype, gemm_view b,
                         size_t kc, size_t n);
// Element (k, n) of a prepacked B as the product sees it (f32 value of f32/bf16/s8).
float gemm_packed_b_get(const gemm_packed_b *pb, size_t k, size_t n);

// Scalar tail used by kernels that finish a tile in a local f32/s32 buffer: applies the
// flags/epilogue of `args` to acc (m×n, row stride acc_ld, raw f32 or s32 by type) and
// stores into args->c. Handles LOAD too (adds C's raw partial before the epilogue).
void gemm_uk_store_f32(const gemm_uk_args *args, const float *acc, size_t acc_ld);
void gemm_uk_store_s32(const gemm_uk_args *args, const int32_t *acc, size_t acc_ld);

#endif
