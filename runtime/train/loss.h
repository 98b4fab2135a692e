// loss.h — the three W2S training losses on classifier logits, with their gradients.
// Exactly docs/PROTOCOL.md (after openai/weak-to-strong weak_to_strong/loss.py, with the logconf
// warm-up ramp fixed). Not batched over minibatches: logconf's threshold is a statistic of
// the WHOLE batch, so the trainer must pass all B rows of an optimizer step at once.
//
// Shapes: z (B, K) logits, y (B, K) target probabilities (rows sum to ~1), dz (B, K) output
// gradient of the MEAN loss over the batch w.r.t. z (NULL: loss only). Derived targets
// (logconf's ŷ, product's p^β·y^α) are constants: no gradient flows through them.
// All arithmetic fp32 except the batch sums (double). Thread-safe; no allocation.
// Each returns 0, or -1 with w2s_error set (B or K zero, a non-finite logit or loss).
#ifndef W2S_RUNTIME_LOSS_H
#define W2S_RUNTIME_LOSS_H

#include <stddef.h>

typedef enum { LOSS_XENT, LOSS_LOGCONF, LOSS_PRODUCT } loss_kind;

typedef struct {
    loss_kind kind;
    float aux_coef;     // logconf: final weight α of the model's own predictions (0.5)
    float warmup_frac;  // logconf: α ramps linearly from 0 to aux_coef over this fraction (0.1)
    float alpha;        // product: exponent of the weak labels y (1)
    float beta;         // product: exponent of the model's probabilities p (1)
} loss_config;

// The reference defaults for `kind`.
void loss_config_default(loss_config *c, loss_kind kind);
// "xent" | "logconf" | "product" ↔ kind. parse returns -1 (with a message) on other names.
int loss_kind_parse(const char *name, loss_kind *kind);
const char *loss_kind_name(loss_kind kind);

// Scratch floats loss_compute needs for a (B, K) batch (logconf sorts B probabilities).
size_t loss_work_floats(size_t B, size_t K);

// Dispatches on c->kind. step_frac = step / total_steps in [0, 1] (used by logconf).
// work: (loss_work_floats(B, K)) caller-owned scratch.
int loss_compute(const loss_config *c, const float *z, const float *y, size_t B, size_t K,
                 float step_frac, float *work, float *loss, float *dz);

// mean_b −Σ_k y[b,k]·log_softmax(z[b])_k.  dz = (softmax(z)·Σ_k y − y) / B.
int loss_xent(const float *z, const float *y, size_t B, size_t K, float *loss, float *dz);

// α = aux_coef·min(1, step_frac / warmup_frac) (warmup_frac 0: α = aux_coef); p = softmax(z).
// K == 2: t = quantile(p[:,0], q = mean_b y[b,1]) with linear interpolation (torch.quantile's
//   default, mirrored in fp32 including torch's lerp), ŷ_b = (1,0) if p[b,0] ≥ t else (0,1).
// K > 2: ŷ_b = one-hot(argmax_k p[b,k]), ties → the lowest index.
// loss = xent(z, (1−α)·y + α·ŷ). work: (B) scratch floats.
int loss_logconf(const float *z, const float *y, size_t B, size_t K, float step_frac,
                 float aux_coef, float warmup_frac, float *work, float *loss, float *dz);

// loss_logconf for K == 2 with the threshold t on p[:, 0] given instead of the batch quantile:
// a quantile over a running buffer of predictions (probe.h), or 0.5 for argmax hardening.
int loss_logconf_threshold(const float *z, const float *y, size_t B, float step_frac, float aux_coef,
                           float warmup_frac, float t, float *loss, float *dz);
// softmax(z)[0] of one K == 2 logit row, exactly as logconf computes it.
float loss_p0(const float *z);

// target_b ∝ p_b^β · y_b^α, renormalized per row (computed in the log domain, so it does not
// underflow where p does); loss = xent(z, target). A row whose y is all zero has no product
// to renormalize: its target falls back to y itself (contributing 0 loss and 0 gradient),
// where the reference would produce NaN.
int loss_product(const float *z, const float *y, size_t B, size_t K, float alpha, float beta,
                 float *loss, float *dz);

// logconf's threshold, exposed for tests: quantile of v[0..n) at q ∈ [0,1], linear
// interpolation, torch.quantile's fp32 arithmetic. work: (n) scratch (sorted copy of v).
float loss_quantile_linear(const float *v, size_t n, float q, float *work);

#endif
