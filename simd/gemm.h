// gemm.h — the matrix-multiply contract every model layer calls (docs/ARCHITECTURE.md, "GEMM contract").
//   C[M,N] = epilogue(A[M,K] · B[K,N])
// Three operand types: F32 (f32·f32, FMA), BF16 (bf16·bf16 with f32 accumulation, vdpbf16ps)
// and U8S8 (u8·s8 → s32, vpdpbusd, with a dequantizing epilogue). A is activations, read
// through a strided view (so Aᵀ costs nothing extra); B is weights, packed once into the
// ISA's panel layout, or packed on the fly from a strided view (weight gradients Aᵀ·dY).
// gemm() runs an OpenMP parallel region of omp_get_max_threads() threads from the calling
// thread (each pipeline stage is its own team) and allocates nothing after warm-up: packing
// buffers are per-thread, grow-only, freed at thread exit.
#ifndef W2S_SIMD_GEMM_H
#define W2S_SIMD_GEMM_H

#include "cpu.h"
#include "dtype.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GEMM_F32 = 0,  // A f32, B f32, accumulate f32
    GEMM_BF16,     // A f32 or bf16, B f32 or bf16; both rounded to bf16 (RNE); accumulate f32
    GEMM_U8S8,     // A u8, B s8 in [-127, 127]; accumulate s32 exactly
    GEMM_TYPE_COUNT
} gemm_type;

// Strided read-only matrix: element (i, j) at ((const T *)p)[i*rs + j*cs], strides in elements.
// Row-major X[R,C] with leading dimension ld is {X, ld, 1}; its transpose is {X, 1, ld}.
typedef struct {
    const void *p;
    ptrdiff_t rs, cs;
} gemm_view;

// Applied per element, in this order, while the tile is in registers:
//   acc (s32 for U8S8): v = row_scale[i]*col_scale[j]*(acc - row_zero[i]*col_sum[j])
//   acc (f32):          v = acc
//   v += bias[j]; v = gelu(v) if gelu; C[i,j] = v, or C[i,j] += v if accumulate.
// Without accumulate, C is never read (its old contents may be NaN).
typedef struct {
    const float *bias;        // (N) or NULL
    bool gelu;                // tanh-GELU of GPT-2, after bias
    bool accumulate;          // C += result
    const float *row_scale;   // (M) U8S8 only: per-token activation scale; NULL = 1
    const int32_t *row_zero;  // (M) U8S8 only: per-token u8 zero point; NULL = 0
    const float *col_scale;   // (N) U8S8 only: per-output-channel weight scale; NULL = 1
} gemm_epilogue;

// B[K,N] packed for one type and ISA. Layout (kernel-private, described for tests):
//   panels of nr columns; panel p holds ceil(K/kgroup) groups of nr*kgroup elements,
//   group g storing B[g*kgroup + t, p*nr + j] at [j*kgroup + t]; padding is zero.
typedef struct {
    gemm_type type;
    w2s_isa isa;
    size_t K, N;
    size_t nr, kgroup;   // panel width (columns) and K grouping (1 f32, 2 bf16, 4 u8s8)
    void *data;          // (ceil(N/nr), ceil(K/kgroup), nr, kgroup) f32 | bf16 | s8, 64-byte aligned
    int32_t *col_sum;    // (N) U8S8 only: Σ_k B[k, n], for the zero-point correction
} gemm_packed_b;

// Packs B[K,N] (element type b_dtype: F32→f32; BF16→f32 or bf16; U8S8→s8) for `isa`.
// Returns 0, or -1 with w2s_error_message() set (unsupported isa/type, out of memory).
int gemm_pack_b(gemm_packed_b *pb, gemm_type type, w2s_isa isa, size_t K, size_t N,
                w2s_dtype b_dtype, gemm_view b);
// Repacks new values of the same shape into existing storage (training: weights change every
// step); never allocates.
void gemm_repack_b(gemm_packed_b *pb, w2s_dtype b_dtype, gemm_view b);
// Repacks only the block [k0, k1) × [n0, n1) of B (b is all of B, from its origin), on the
// calling thread: an optimizer repacks each strip of rows it has just updated while they are
// in cache, from several threads at once (disjoint blocks touch disjoint bytes). k0 and k1
// must be multiples of pb->kgroup (or k1 = K), n0 and n1 of pb->nr (or n1 = N); not for
// U8S8 (its column sums span all of K). Returns 0, or -1 with w2s_error_message() set.
int gemm_repack_b_block(gemm_packed_b *pb, w2s_dtype b_dtype, gemm_view b, size_t k0, size_t k1, size_t n0,
                        size_t n1);
void gemm_packed_b_free(gemm_packed_b *pb);
// *view = columns [n0, n1) of pb, sharing pb's memory (no copy; never free a view): panels
// are stored whole, so n0 must be a multiple of pb->nr. For running a layer's packed weights
// on part of its outputs. Returns 0, or -1 with the error set (a misaligned or empty range).
int gemm_packed_b_columns(gemm_packed_b *view, const gemm_packed_b *pb, size_t n0, size_t n1);

typedef struct {
    size_t M, N, K;
    w2s_dtype a_dtype;                 // F32: f32; BF16: f32 or bf16; U8S8: u8
    gemm_view a;                       // A[M,K]
    const gemm_packed_b *b_packed;     // prepacked B[K,N] (packed for an isa that selects the
                                       // same kernel as the call's, e.g. the same isa) ...
    w2s_dtype b_dtype;                 // ... or, when b_packed is NULL, B[K,N] read from b
    gemm_view b;
    w2s_dtype c_dtype;                 // F32 always; S32 for U8S8 with an empty epilogue (raw)
    void *c;                           // C[M,N], row-major
    size_t ldc;                        // >= N
    gemm_epilogue ep;
} gemm_args;

// Computes one GEMM on the given ISA's kernels (w2s_isa_active() normally; tests pass every
// supported level). Any M, N, K >= 0, including M = 1 and K = 0 (then C = epilogue(0)).
// Deterministic: for a given type, isa and B, C is bit-identical whatever the thread count,
// and row i of C depends only on row i of A (not on M or the other rows of the batch).
// Returns 0, or -1 with w2s_error_message() set for a bad argument or an unsupported isa
// (or out of memory for the per-thread buffers, in which case C is incomplete).
int gemm(gemm_type type, w2s_isa isa, const gemm_args *args);

// The scalar reference, written for clarity: what every ISA variant is tested against.
// F32/BF16 accumulate in double (BF16 after rounding operands to bf16); U8S8 in int64.
int gemm_ref(gemm_type type, const gemm_args *args);

#endif
