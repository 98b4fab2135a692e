// gemm_pack.c — layout-generic packing of A/B micro-panels (any MR, NR, kgroup) and the
// scalar tile store shared by every kernel's edge path. Portable C, no intrinsics: ISA
// kernels may register faster packers, but these define the layout (gemm_kernel.h).
// BF16 operands given as f32 are rounded to bf16 (RNE) here, once, while packing.
#include "gemm_kernel.h"
#include "rowops.h"

#include <string.h>

// ---- packing

static inline float view_f32(gemm_view v, size_t i, size_t j) {
    return ((const float *)v.p)[(ptrdiff_t)i * v.rs + (ptrdiff_t)j * v.cs];
}

// Element (i, j) of `v` converted to the packed element type of `type`, written to dst[0].
static inline void pack_elem(gemm_type type, w2s_dtype dt, gemm_view v, size_t i, size_t j,
                             void *dst, size_t idx) {
    ptrdiff_t off = (ptrdiff_t)i * v.rs + (ptrdiff_t)j * v.cs;
    switch (type) {
    case GEMM_F32:
        ((float *)dst)[idx] = ((const float *)v.p)[off];
        break;
    case GEMM_BF16:
        ((w2s_bf16 *)dst)[idx] = dt == W2S_DTYPE_BF16 ? ((const w2s_bf16 *)v.p)[off]
                                                      : w2s_f32_to_bf16(view_f32(v, i, j));
        break;
    default:  // GEMM_U8S8: u8 A or s8 B, one byte either way
        ((uint8_t *)dst)[idx] = ((const uint8_t *)v.p)[off];
        break;
    }
}

static size_t elem_size(gemm_type type) { return type == GEMM_F32 ? 4 : type == GEMM_BF16 ? 2 : 1; }

void gemm_pack_a_generic(const gemm_kernel *k, void *dst, w2s_dtype a_dtype, gemm_view a,
                         size_t m, size_t kc) {
    size_t mr = k->mr, kg = k->kgroup, groups = (kc + kg - 1) / kg;
    memset(dst, 0, groups * mr * kg * elem_size(k->type));
    for (size_t g = 0; g < groups; g++)
        for (size_t i = 0; i < m; i++)
            for (size_t t = 0; t < kg && g * kg + t < kc; t++)
                pack_elem(k->type, a_dtype, a, i, g * kg + t, dst, g * mr * kg + i * kg + t);
}

void gemm_pack_b_generic(const gemm_kernel *k, void *dst, w2s_dtype b_dtype, gemm_view b,
                         size_t kc, size_t n) {
    size_t nr = k->nr, kg = k->kgroup, groups = (kc + kg - 1) / kg;
    memset(dst, 0, groups * nr * kg * elem_size(k->type));
    for (size_t g = 0; g < groups; g++)
        for (size_t t = 0; t < kg && g * kg + t < kc; t++)
            for (size_t j = 0; j < n; j++)
                pack_elem(k->type, b_dtype, b, g * kg + t, j, dst, g * nr * kg + j * kg + t);
}

float gemm_packed_b_get(const gemm_packed_b *pb, size_t k, size_t n) {
    size_t groups = (pb->K + pb->kgroup - 1) / pb->kgroup;
    size_t panel = n / pb->nr, j = n % pb->nr, g = k / pb->kgroup, t = k % pb->kgroup;
    size_t idx = (panel * groups + g) * pb->nr * pb->kgroup + j * pb->kgroup + t;
    switch (pb->type) {
    case GEMM_F32: return ((const float *)pb->data)[idx];
    case GEMM_BF16: return w2s_bf16_to_f32(((const w2s_bf16 *)pb->data)[idx]);
    default: return (float)((const int8_t *)pb->data)[idx];
    }
}

// ---- scalar tile store (edge tiles and the scalar kernels)

void gemm_uk_store_f32(const gemm_uk_args *args, const float *acc, size_t acc_ld) {
    float *c = args->c;
    for (size_t i = 0; i < args->m; i++)
        for (size_t j = 0; j < args->n; j++) {
            float *cp = &c[i * args->ldc + j];
            float v = acc[i * acc_ld + j];
            if (args->flags & GEMM_UK_LOAD) v += *cp;
            if (args->flags & GEMM_UK_LAST) {
                if (args->bias) v += args->bias[j];
                if (args->gelu) v = rowops_gelu(v);
                if (args->flags & GEMM_UK_ACCUM) v += *cp;
            }
            *cp = v;
        }
}

void gemm_uk_store_s32(const gemm_uk_args *args, const int32_t *acc, size_t acc_ld) {
    int32_t *ci = args->c;
    float *cf = args->c;
    bool last = args->flags & GEMM_UK_LAST, raw = args->flags & GEMM_UK_S32;
    for (size_t i = 0; i < args->m; i++)
        for (size_t j = 0; j < args->n; j++) {
            size_t o = i * args->ldc + j;
            int32_t s = acc[i * acc_ld + j];
            if (args->flags & GEMM_UK_LOAD) s += ci[o];
            if (!last) {
                ci[o] = s;
                continue;
            }
            if (raw) {
                ci[o] = (args->flags & GEMM_UK_ACCUM) ? ci[o] + s : s;
                continue;
            }
            int32_t zero = args->row_zero ? args->row_zero[i] : 0;
            int32_t csum = args->col_sum ? args->col_sum[j] : 0;
            float scale = (args->row_scale ? args->row_scale[i] : 1.0f) *
                          (args->col_scale ? args->col_scale[j] : 1.0f);
            float v = scale * (float)(s - zero * csum);
            if (args->bias) v += args->bias[j];
            if (args->gelu) v = rowops_gelu(v);
            if (args->flags & GEMM_UK_ACCUM) v += cf[o];
            cf[o] = v;
        }
}
