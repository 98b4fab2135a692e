// colsum.c — dispatch of the column sums (colsum.h): the table of the best variant at or
// below an ISA level, apart from the reference and the variants.
#include "colsum.h"

static const colsum_kernels ref_table = {colsum_ref, colsum_bf16_ref};
#if defined(__x86_64__)
static const colsum_kernels avx512_table = {colsum_avx512, colsum_bf16_avx512};
#endif

const colsum_kernels *colsum_get(w2s_isa isa) {
#if defined(__x86_64__)
    if (w2s_isa_x86_at_least(isa, W2S_ISA_AVX512)) return &avx512_table;
#endif
    (void)isa;
    return &ref_table;
}
