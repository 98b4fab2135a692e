// gemm_u8s8_pack.c — the U8S8 A packer shared by the x86 U8S8 kernels (gemm_u8s8.h).
// Portable C, no intrinsics: with 4-byte K groups, packing a row-major A is a gather of
// 32-bit words, which the compiler turns into plain loads and stores.
#include "gemm_u8s8.h"

#include <string.h>

void gemm_u8s8_pack_a(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a, size_t m,
                      size_t kc) {
    if (a.cs != 1) {
        gemm_pack_a_generic(k, dst, a_dtype, a, m, kc);
        return;
    }
    size_t mr = k->mr, full = kc / 4, groups = (kc + 3) / 4;
    uint8_t *d = dst;
    const uint8_t *src = a.p;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *row = src + (ptrdiff_t)i * a.rs;
        uint8_t *di = d + i * 4;
        for (size_t g = 0; g < full; g++) memcpy(di + g * mr * 4, row + g * 4, 4);
        if (full < groups) {  // K tail: the last group is zero-padded
            uint8_t tail[4] = {0};
            memcpy(tail, row + full * 4, kc - full * 4);
            memcpy(di + full * mr * 4, tail, 4);
        }
    }
    if (m < mr)
        for (size_t g = 0; g < groups; g++) memset(d + g * mr * 4 + m * 4, 0, (mr - m) * 4);
}
