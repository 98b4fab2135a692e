// attn_infer.c — dispatch of the fused inference attention (attn_infer.h), apart from the
// reference and the variants so that neither needs to know the other's file.
#include "attn_infer.h"

static const attn_infer_kernels ref_table = {attn_infer_ref};
#if defined(__x86_64__)
static const attn_infer_kernels avx512_table = {attn_infer_avx512};
#endif

const attn_infer_kernels *attn_infer_get(w2s_isa isa) {
#if defined(__x86_64__)
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX512)) return &avx512_table;
#endif
    (void)isa;
    return &ref_table;
}
