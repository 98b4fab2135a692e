// gpt2_internal.h — helpers shared by gpt2.c, gpt2_forward.c and gpt2_backward.c only.
// Not part of the model's API. The one thing to know: every matmul of the model goes through
// gpt2_matmul, which picks GEMM_F32 or GEMM_BF16 from the model's precision.
#ifndef W2S_MODELS_GPT2_INTERNAL_H
#define W2S_MODELS_GPT2_INTERNAL_H

#include "gpt2.h"

// Points the activation tensors at the compact layout of a (B, T) batch (same buffer).
void gpt2_layout_acts(gpt2_model *m, size_t B, size_t T);

// C[M,N] (=, or += with accumulate) A[M,K] · B[K,N] (+ bias[N]), A and B strided f32 views,
// C row-major with leading dimension ldc. Returns 0 or -1 (gemm's message, wrapped).
int gpt2_matmul(const gpt2_model *m, float *c, size_t ldc, gemm_view a, gemm_view b, size_t M,
                size_t N, size_t K, const float *bias, bool accumulate);

#endif
