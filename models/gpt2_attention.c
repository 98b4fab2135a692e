// gpt2_attention.c — causal multi-head self-attention of one layer, forward and backward,
// per (sequence, head): three products plus softmax rows.
// Not fused (no flash attention): T ≤ 1024 and the (T, T) probabilities are kept for the
// backward, as llm.c does. The one thing to know: each (b, h) runs single-threaded inside the
// team's loop over (b, h), only over the sequence's real length n, so pads cost nothing and
// never touch real positions.
// The products run on the f32 register-tile kernels of attn.h in both precisions: they compute
// only the causal triangle, so they beat bf16 GEMMs over the full square at every GPT-2 length
// (GPT-2 small training step, bf16, attention forward + backward: 112 → 69 ms at T = 128,
// 637 → 416 ms at T = 512, 1347 → 842 ms at T = 1024), and f32 is the more exact. Softmax and
// its backward stay f32 (docs/PROTOCOL.md, "Numerics").
#include "gpt2_internal.h"

#include "attn.h"
#include "prof.h"

#include <math.h>
#include <string.h>

void gpt2_attention_forward(const gpt2_model *m, float *out, float *att, const float *qkv, size_t B,
                            size_t T) {
    const rowops_kernels *rk = m->rk;
    const attn_kernels *ak = attn_get(m->isa);
    size_t C = m->cfg.n_embd, NH = m->cfg.n_head, hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    double pt = prof_begin();
#pragma omp parallel for collapse(2) schedule(static)
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            size_t n = (size_t)m->lengths[b];
            const float *q = qkv + b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            float *p = att + (b * NH + h) * T * T, *o = out + b * T * C + h * hs;
            for (size_t t = n; t < T; t++) memset(o + t * C, 0, hs * sizeof(float));  // pad queries
            // S = Q Kᵀ (n, n) lower triangle, causal softmax rows, O = P V. Entries j > t of P
            // are never read, but are zeroed so that the saved probabilities are the true ones.
            ak->qkt(p, T, q, C3, k, C3, n, hs);
            for (size_t t = 0; t < n; t++) {
                rk->softmax_fwd(p + t * T, p + t * T, t + 1, scale);
                memset(p + t * T + t + 1, 0, (n - t - 1) * sizeof(float));
            }
            ak->pv(o, C, p, T, v, C3, n, hs);
        }
    }
    prof_end(PROF_ATTENTION, pt);
}

void gpt2_attention_backward(gpt2_model *m, float *dqkv, const float *datty, const float *qkv,
                             const float *att, size_t B, size_t T) {
    const rowops_kernels *rk = m->rk;
    const attn_kernels *ak = attn_get(m->isa);
    size_t C = m->cfg.n_embd, NH = m->cfg.n_head, hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float *datt = m->acts.datt;
    double pt = prof_begin();
    // Each (b, h) owns its slices of dqkv, so the team needs no synchronization. Pad rows of
    // dqkv are zeroed here; real rows are overwritten by the kernels.
#pragma omp parallel for collapse(2) schedule(static)
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
            // dP = dO Vᵀ; dV = Pᵀ dO; dS = softmax'(dP) (rows, j <= t); dQ = dS K; dK = dSᵀ Q (the
            // 1/sqrt(hs) is inside softmax_bwd's scale). The kernels never read above the
            // diagonal, so dS needs no zeroing there.
            ak->qkt(ds, T, dout, C, v, C3, n, hs);
            ak->ptv(dv, C3, p, T, dout, C, n, hs);
            for (size_t t = 0; t < n; t++) rk->softmax_bwd(ds + t * T, p + t * T, ds + t * T, t + 1, scale);
            ak->pv(dq, C3, ds, T, k, C3, n, hs);
            ak->ptv(dk, C3, ds, T, q, C3, n, hs);
        }
    }
    prof_end(PROF_ATTENTION, pt);
}
