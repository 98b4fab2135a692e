// profile_onednn.h — `w2s profile --compare-onednn`: times oneDNN's matmul (C API) and w2s
// gemm() on every GEMM shape a profile recorded, in the same process, interleaved.
// Not a correctness check (tests/simd do that). The one thing to know: oneDNN gets its best
// case — B reordered to format_tag::any once outside the timing, bf16 operands converted
// beforehand — while w2s is timed as the model calls it (B prepacked outside the call where
// the model prepacks, else packed inside it), so for products whose B changes every call
// (weight gradients Xᵀ·dY) the ratio includes packing that oneDNN is spared.
#ifndef W2S_RUNTIME_PROFILE_ONEDNN_H
#define W2S_RUNTIME_PROFILE_ONEDNN_H

#include "profiler.h"

// Fills cmp_w2s_s / cmp_onednn_s (median seconds per call) of every f32 / bf16 row of d
// (u8s8 rows are left at 0). Uses omp_get_max_threads() threads for both.
// Returns 0, or -1 with the error set (a oneDNN call failed, out of memory).
int profile_compare_onednn(profile_data *d);

#endif
