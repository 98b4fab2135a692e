// gpt2_attention.c — causal multi-head self-attention of one layer, forward and backward,
// per (sequence, head): three products plus softmax rows.
// Not fused (no flash attention): T ≤ 1024 and the (T, T) probabilities are kept for the
// backward, as llm.c does. The one thing to know: each (b, h) runs single-threaded inside the
// team's loop over (b, h) (gemm nested in a parallel region uses one thread), only over the
// sequence's real length n, so pads cost nothing and never touch real positions.
// Short sequences (n <= ATTN_SHORT_N, the demo's 50) use the f32 register-tile kernels of
// attn.h in both precisions: there a GEMM call per product costs far more in packing and
// dispatch than the arithmetic, and f32 is the more exact. Longer ones use GEMMs in the model's
// precision (bf16 operands in the bf16 path, as PyTorch's autocast does for bmm); softmax and
// its backward stay f32 (DESIGN.md §3).
#include "gpt2_internal.h"

#include "attn.h"
#include "error.h"
#include "prof.h"

#include <math.h>
#include <string.h>

// C[M,N] (ldc) = A · B on one thread (called inside the (b, h) loop).
static int mm(const gpt2_model *m, float *c, size_t ldc, gemm_view a, gemm_view b, size_t M, size_t N,
              size_t K) {
    gemm_args g = {
        .M = M, .N = N, .K = K,
        .a_dtype = W2S_DTYPE_F32, .a = a,
        .b_dtype = W2S_DTYPE_F32, .b = b,
        .c_dtype = W2S_DTYPE_F32, .c = c, .ldc = ldc,
    };
    return gemm(m->opt.precision == GPT2_BF16 ? GEMM_BF16 : GEMM_F32, m->isa, &g);
}

// Longest sequence for the attn.h kernels (see the header comment).
#define ATTN_SHORT_N 64

static bool short_n(size_t n) { return n <= ATTN_SHORT_N; }

static int report(int failed, const char *what) {
    return failed ? W2S_FAIL("gpt2 attention %s: a per-head GEMM failed (out of memory?)", what) : 0;
}

int gpt2_attention_forward(const gpt2_model *m, float *out, float *att, const float *qkv, size_t B,
                           size_t T) {
    const rowops_kernels *rk = m->rk;
    const attn_kernels *ak = attn_get(m->isa);
    size_t C = m->cfg.n_embd, NH = m->cfg.n_head, hs = C / NH, C3 = 3 * C;
    ptrdiff_t ld3 = (ptrdiff_t)C3;
    float scale = 1.0f / sqrtf((float)hs);
    int failed = 0;
    double pt = prof_begin();  // profiler region; the per-head GEMMs inside are recorded as nested
#pragma omp parallel for collapse(2) schedule(static) reduction(| : failed)
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            size_t n = (size_t)m->lengths[b];
            const float *q = qkv + b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            float *p = att + (b * NH + h) * T * T, *o = out + b * T * C + h * hs;
            for (size_t t = n; t < T; t++) memset(o + t * C, 0, hs * sizeof(float));  // pad queries
            // S = Q Kᵀ (n, n), then causal softmax rows; entries j > t are zeroed for P·V.
            if (short_n(n))
                ak->qkt(p, T, q, C3, k, C3, n, hs);
            else
                failed |= mm(m, p, T, (gemm_view){q, ld3, 1}, (gemm_view){k, 1, ld3}, n, n, hs);
            for (size_t t = 0; t < n; t++) {
                rk->softmax_fwd(p + t * T, p + t * T, t + 1, scale);
                memset(p + t * T + t + 1, 0, (n - t - 1) * sizeof(float));
            }
            if (short_n(n))
                ak->pv(o, C, p, T, v, C3, n, hs);
            else
                failed |= mm(m, o, C, (gemm_view){p, (ptrdiff_t)T, 1}, (gemm_view){v, ld3, 1}, n, hs, n);
        }
    }
    prof_end(PROF_ATTENTION, pt);
    return report(failed, "forward");
}

int gpt2_attention_backward(gpt2_model *m, float *dqkv, const float *datty, const float *qkv,
                            const float *att, size_t B, size_t T) {
    const rowops_kernels *rk = m->rk;
    const attn_kernels *ak = attn_get(m->isa);
    size_t C = m->cfg.n_embd, NH = m->cfg.n_head, hs = C / NH, C3 = 3 * C;
    ptrdiff_t ld3 = (ptrdiff_t)C3, ldc = (ptrdiff_t)C, ldt = (ptrdiff_t)T;
    float scale = 1.0f / sqrtf((float)hs);
    float *datt = m->acts.datt;
    int failed = 0;
    double pt = prof_begin();  // profiler region; the per-head GEMMs inside are recorded as nested
    // Each (b, h) owns its slices of dqkv, so the team needs no synchronization. Pad rows of
    // dqkv are zeroed here; real rows are overwritten by the GEMMs.
#pragma omp parallel for collapse(2) schedule(static) reduction(| : failed)
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            size_t n = (size_t)m->lengths[b];
            const float *q = qkv + b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            const float *p = att + (b * NH + h) * T * T, *dout = datty + b * T * C + h * hs;
            float *dq = dqkv + b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
            float *ds = datt + (b * NH + h) * T * T;
            for (size_t t = n; t < T; t++) {
                memset(dq + t * C3, 0, hs * sizeof(float));
                memset(dk + t * C3, 0, hs * sizeof(float));
                memset(dv + t * C3, 0, hs * sizeof(float));
            }
            // dP = dO Vᵀ; dV = Pᵀ dO; dS = softmax'(dP) (rows, j <= t; zero above); dQ = dS K;
            // dK = dSᵀ Q (the 1/sqrt(hs) is inside softmax_bwd's scale).
            if (short_n(n)) {  // the kernels never read above the diagonal: no zeroing
                ak->qkt(ds, T, dout, C, v, C3, n, hs);
                ak->ptv(dv, C3, p, T, dout, C, n, hs);
                for (size_t t = 0; t < n; t++) rk->softmax_bwd(ds + t * T, p + t * T, ds + t * T, t + 1, scale);
                ak->pv(dq, C3, ds, T, k, C3, n, hs);
                ak->ptv(dk, C3, ds, T, q, C3, n, hs);
                continue;
            }
            failed |= mm(m, ds, T, (gemm_view){dout, ldc, 1}, (gemm_view){v, 1, ld3}, n, n, hs);
            failed |= mm(m, dv, C3, (gemm_view){p, 1, ldt}, (gemm_view){dout, ldc, 1}, n, hs, n);
            for (size_t t = 0; t < n; t++) {
                rk->softmax_bwd(ds + t * T, p + t * T, ds + t * T, t + 1, scale);
                memset(ds + t * T + t + 1, 0, (n - t - 1) * sizeof(float));
            }
            failed |= mm(m, dq, C3, (gemm_view){ds, ldt, 1}, (gemm_view){k, ld3, 1}, n, hs, n);
            failed |= mm(m, dk, C3, (gemm_view){ds, 1, ldt}, (gemm_view){q, ld3, 1}, n, hs, n);
        }
    }
    prof_end(PROF_ATTENTION, pt);
    return report(failed, "backward");
}
