// gemm_neon.h — tile stores shared by the AArch64 GEMM micro-kernels (gemm_*_neon*.c): write
// a register tile of MR rows × NV 4-lane vectors to C under the gemm_uk_args flags.
// Not a kernel and not for x86 (include only from *_neon*.c). The one thing to know: full
// tiles whose epilogue is linear are stored from registers; edge tiles, GELU and the U8S8
// dequantizing epilogue go through the shared scalar tail (gemm_uk_store_*), which defines
// the epilogue, so every level matches it exactly (speed there is secondary on AArch64).
#ifndef W2S_SIMD_GEMM_NEON_H
#define W2S_SIMD_GEMM_NEON_H

#include "gemm_kernel.h"

#include <arm_neon.h>

// Largest tile (elements) any AArch64 kernel uses: 8 rows × 12 columns.
#define GEMM_NEON_MAX_TILE 96

// c: (mr, nv) vectors, row-major; the tile is mr × 4·nv floats (at most GEMM_NEON_MAX_TILE).
static inline void gemm_neon_store_f32(const gemm_uk_args *args, const float32x4_t *c,
                                       size_t mr, size_t nv) {
    unsigned fl = args->flags;
    bool last = fl & GEMM_UK_LAST;
    if (args->m != mr || args->n != 4 * nv || (last && args->gelu)) {
        float acc[GEMM_NEON_MAX_TILE];
        for (size_t i = 0; i < mr * nv; i++) vst1q_f32(acc + 4 * i, c[i]);
        gemm_uk_store_f32(args, acc, 4 * nv);
        return;
    }
    // Same operation order as gemm_uk_store_f32: LOAD, then bias, then ACCUM.
    float *cp = args->c;
    for (size_t i = 0; i < mr; i++, cp += args->ldc)
        for (size_t v = 0; v < nv; v++) {
            float32x4_t x = c[i * nv + v];
            if (fl & GEMM_UK_LOAD) x = vaddq_f32(x, vld1q_f32(cp + 4 * v));
            if (last && args->bias) x = vaddq_f32(x, vld1q_f32(args->bias + 4 * v));
            if (last && (fl & GEMM_UK_ACCUM)) x = vaddq_f32(x, vld1q_f32(cp + 4 * v));
            vst1q_f32(cp + 4 * v, x);
        }
}

// c: (mr, nv) vectors of raw s32 sums. Partial sums and raw s32 output are stored from
// registers (wrapping adds, like the s32 accumulators themselves); the dequantizing epilogue
// and edge tiles use gemm_uk_store_s32.
static inline void gemm_neon_store_s32(const gemm_uk_args *args, const int32x4_t *c, size_t mr,
                                       size_t nv) {
    unsigned fl = args->flags;
    bool last = fl & GEMM_UK_LAST;
    if (args->m != mr || args->n != 4 * nv || (last && !(fl & GEMM_UK_S32))) {
        int32_t acc[GEMM_NEON_MAX_TILE];
        for (size_t i = 0; i < mr * nv; i++) vst1q_s32(acc + 4 * i, c[i]);
        gemm_uk_store_s32(args, acc, 4 * nv);
        return;
    }
    int32_t *cp = args->c;
    for (size_t i = 0; i < mr; i++, cp += args->ldc)
        for (size_t v = 0; v < nv; v++) {
            int32x4_t x = c[i * nv + v];
            if (fl & (GEMM_UK_LOAD | GEMM_UK_ACCUM)) x = vaddq_s32(x, vld1q_s32(cp + 4 * v));
            vst1q_s32(cp + 4 * v, x);
        }
}

#endif
