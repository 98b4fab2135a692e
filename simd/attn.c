// attn.c — dispatch of the causal-attention products (attn.h): the best table at or below an
// ISA level. Apart from the variants, so the reference knows no variant and a variant may fall
// back to the reference without a cycle.
#include "attn.h"

const attn_kernels *attn_get(w2s_isa isa) {
#if defined(__x86_64__)
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX512)) return attn_avx512();
#endif
    (void)isa;
    return attn_ref();
}
