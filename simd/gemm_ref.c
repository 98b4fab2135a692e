// gemm_ref.c — the scalar reference GEMM: three clear loops per type, what every kernel and
// ISA level is tested against. Not fast and not used by gemm(). F32/BF16 accumulate in double
// (BF16 after rounding both operands to bf16, RNE); U8S8 accumulates exactly in int64. B is
// read from the strided view, or from a prepacked B through its documented layout.
#include "gemm_kernel.h"

#include "error.h"

// Operand (i, j) of a view as the product sees it: bf16-rounded for BF16.
static double view_get(gemm_type type, w2s_dtype dt, gemm_view v, size_t i, size_t j) {
    ptrdiff_t off = (ptrdiff_t)i * v.rs + (ptrdiff_t)j * v.cs;
    switch (dt) {
    case W2S_DTYPE_F32: {
        float x = ((const float *)v.p)[off];
        return type == GEMM_BF16 ? w2s_round_bf16(x) : x;
    }
    case W2S_DTYPE_BF16: return w2s_bf16_to_f32(((const w2s_bf16 *)v.p)[off]);
    case W2S_DTYPE_U8: return ((const uint8_t *)v.p)[off];
    default: return ((const int8_t *)v.p)[off];
    }
}

static double b_get(gemm_type type, const gemm_args *g, size_t k, size_t n) {
    if (g->b_packed) return gemm_packed_b_get(g->b_packed, k, n);
    return view_get(type, g->b_dtype, g->b, k, n);
}

// GPT-2's tanh-GELU in double.
static double gelu_d(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

int gemm_ref(gemm_type type, const gemm_args *g) {
    if ((unsigned)type >= GEMM_TYPE_COUNT) return W2S_FAIL("gemm_ref: unknown type %d", (int)type);
    const gemm_epilogue *ep = &g->ep;
    for (size_t i = 0; i < g->M; i++)
        for (size_t j = 0; j < g->N; j++) {
            double v;
            if (type == GEMM_U8S8) {
                int64_t acc = 0, csum = 0;
                for (size_t k = 0; k < g->K; k++) {
                    int64_t bv = (int64_t)b_get(type, g, k, j);
                    acc += (int64_t)view_get(type, W2S_DTYPE_U8, g->a, i, k) * bv;
                    csum += bv;
                }
                if (g->c_dtype == W2S_DTYPE_S32) {
                    int32_t *c = (int32_t *)g->c + i * g->ldc + j;
                    *c = (int32_t)(ep->accumulate ? *c + acc : acc);
                    continue;
                }
                double zero = ep->row_zero ? ep->row_zero[i] : 0;
                double scale = (ep->row_scale ? ep->row_scale[i] : 1.0) *
                               (ep->col_scale ? ep->col_scale[j] : 1.0);
                v = scale * ((double)acc - zero * (double)csum);
            } else {
                v = 0;
                for (size_t k = 0; k < g->K; k++)
                    v += view_get(type, g->a_dtype, g->a, i, k) * b_get(type, g, k, j);
            }
            if (ep->bias) v += ep->bias[j];
            if (ep->gelu) v = gelu_d(v);
            float *c = (float *)g->c + i * g->ldc + j;
            *c = (float)(ep->accumulate ? *c + v : v);
        }
    return 0;
}
