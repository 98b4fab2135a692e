// loss.c — xent, logconf and product losses with analytic gradients (see loss.h).
// Every loss is a cross-entropy against some target row t: loss_b = −Σ_k t_k·log p_k and
// ∂loss_b/∂z_k = p_k·Σ_j t_j − t_k (t held constant), so one row kernel serves all three.
// Reference: openai/weak-to-strong weak_to_strong/loss.py; differences are noted inline.
#include "loss.h"

#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- configuration

void loss_config_default(loss_config *c, loss_kind kind) {
    c->kind = kind;
    c->aux_coef = 0.5f;
    c->warmup_frac = 0.1f;
    c->alpha = 1.0f;
    c->beta = 1.0f;
}

static const char *const kind_names[] = {"xent", "logconf", "product"};

int loss_kind_parse(const char *name, loss_kind *kind) {
    for (int k = 0; k < 3; k++)
        if (!strcmp(name, kind_names[k])) {
            *kind = (loss_kind)k;
            return 0;
        }
    return W2S_FAIL("unknown loss '%s' (expected xent, logconf or product)", name);
}

const char *loss_kind_name(loss_kind kind) {
    return (unsigned)kind < 3 ? kind_names[kind] : "unknown";
}

size_t loss_work_floats(size_t B, size_t K) { return B; }

// ---- shared pieces

static int check_batch(const float *z, size_t B, size_t K) {
    if (B == 0 || K == 0) return W2S_FAIL("loss on an empty batch (B = %zu, K = %zu)", B, K);
    for (size_t i = 0; i < B * K; i++)
        if (!isfinite(z[i]))
            return W2S_FAIL("logit [%zu, %zu] is %g: the model diverged (lower the learning rate)",
                            i / K, i % K, (double)z[i]);
    return 0;
}

// Row softmax statistics: max m and log Σ exp(z − m), so log p_k = (z_k − m) − lse.
static void row_lse(const float *z, size_t K, float *m, float *lse) {
    float mx = z[0];
    for (size_t k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
    float s = 0.0f;
    for (size_t k = 0; k < K; k++) s += expf(z[k] - mx);
    *m = mx;
    *lse = logf(s);
}

// Cross-entropy of one row against t_k = (1 − a)·y_k + a·[k == cls] (a = 0: plain y).
// Writes the row gradient (scaled by inv_b) when dz is not NULL; returns the row loss.
static float xent_row(const float *z, const float *y, size_t K, float a, size_t cls, float inv_b,
                      float *dz) {
    float m, lse;
    row_lse(z, K, &m, &lse);
    float loss = 0.0f, tsum = 0.0f;
    for (size_t k = 0; k < K; k++) {
        float t = (1.0f - a) * y[k] + (k == cls ? a : 0.0f);
        loss -= t * ((z[k] - m) - lse);
        tsum += t;
    }
    if (dz)
        for (size_t k = 0; k < K; k++) {
            float t = (1.0f - a) * y[k] + (k == cls ? a : 0.0f);
            float p = expf((z[k] - m) - lse);
            dz[k] = (p * tsum - t) * inv_b;
        }
    return loss;
}

static int finish(double sum, size_t B, float *loss) {
    *loss = (float)(sum / (double)B);
    if (!isfinite(*loss))
        return W2S_FAIL("loss is %g: targets must be finite probabilities", (double)*loss);
    return 0;
}

// ---- xent

int loss_xent(const float *z, const float *y, size_t B, size_t K, float *loss, float *dz) {
    if (check_batch(z, B, K)) return -1;
    float inv_b = 1.0f / (float)B;
    double sum = 0.0;
    for (size_t b = 0; b < B; b++)
        sum += xent_row(z + b * K, y + b * K, K, 0.0f, K, inv_b, dz ? dz + b * K : NULL);
    return finish(sum, B, loss);
}

// ---- logconf

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

// torch's scalar lerp (aten/src/ATen/native/Lerp.h): two forms, picked by |w| < 0.5, so the
// result is exact at both ends; mirrored to give torch.quantile's threshold bit for bit.
static float lerp_torch(float a, float b, float w) {
    return fabsf(w) < 0.5f ? a + w * (b - a) : b - (b - a) * (1.0f - w);
}

// Sorts v[0..n) in place and returns its q-quantile with torch.quantile's arithmetic:
// rank = q·(n−1) in fp32, below = trunc(rank), above = ceil(rank), w = rank − below.
static float quantile_sort_inplace(float *v, size_t n, float q) {
    qsort(v, n, sizeof *v, cmp_float);
    float rank = q * (float)(n - 1);
    size_t below = (size_t)rank;
    size_t above = (size_t)ceilf(rank);
    if (above > n - 1) above = n - 1;
    float w = rank - (float)below;
    return lerp_torch(v[below], v[above], w);
}

float loss_quantile_linear(const float *v, size_t n, float q, float *work) {
    memcpy(work, v, n * sizeof *work);
    return quantile_sort_inplace(work, n, q);
}

// α = aux_coef·min(1, step_frac / warmup_frac): a linear ramp (docs/PROTOCOL.md). The reference
// uses step_frac·aux_coef during warm-up and then jumps to aux_coef (0.05 → 0.5 with the
// defaults); its PR #33 makes it this ramp.
static float logconf_alpha(float step_frac, float aux_coef, float warmup_frac) {
    float ramp = warmup_frac > 0.0f ? step_frac / warmup_frac : 1.0f;
    return aux_coef * (ramp < 1.0f ? ramp : 1.0f);
}

// logconf with α and, for K == 2, the threshold t on p[:, 0] given.
static int logconf_with(const float *z, const float *y, size_t B, size_t K, float a, float t, float *loss,
                        float *dz) {
    float inv_b = 1.0f / (float)B;
    double sum = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *zb = z + b * K;
        float m, lse;
        row_lse(zb, K, &m, &lse);
        size_t cls = 0;
        if (K == 2) {
            cls = expf((zb[0] - m) - lse) >= t ? 0 : 1;
        } else {
            float best = expf((zb[0] - m) - lse);
            for (size_t k = 1; k < K; k++) {
                float p = expf((zb[k] - m) - lse);
                if (p > best) {
                    best = p;
                    cls = k;
                }
            }
        }
        sum += xent_row(zb, y + b * K, K, a, cls, inv_b, dz ? dz + b * K : NULL);
    }
    return finish(sum, B, loss);
}

float loss_p0(const float *z) {
    float m, lse;
    row_lse(z, 2, &m, &lse);
    return expf((z[0] - m) - lse);
}

int loss_logconf(const float *z, const float *y, size_t B, size_t K, float step_frac,
                 float aux_coef, float warmup_frac, float *work, float *loss, float *dz) {
    if (check_batch(z, B, K)) return -1;
    if (K < 2) return W2S_FAIL("logconf needs at least 2 classes (K = %zu)", K);
    float t = 0.0f;  // K == 2: threshold on p[:, 0]
    if (K == 2) {
        double ysum = 0.0;
        for (size_t b = 0; b < B; b++) {
            work[b] = loss_p0(z + b * K);
            ysum += y[b * K + 1];
        }
        // q = fraction of the batch the weak labels put in class 1; the threshold puts that
        // fraction of the batch's p[:,0] below it, i.e. predicted class 1.
        float q = (float)(ysum / (double)B);
        q = q < 0.0f ? 0.0f : q > 1.0f ? 1.0f : q;
        t = quantile_sort_inplace(work, B, q);  // p[b, 0] is recomputed below, identically
    }
    return logconf_with(z, y, B, K, logconf_alpha(step_frac, aux_coef, warmup_frac), t, loss, dz);
}

int loss_logconf_threshold(const float *z, const float *y, size_t B, float step_frac, float aux_coef,
                           float warmup_frac, float t, float *loss, float *dz) {
    if (check_batch(z, B, 2)) return -1;
    return logconf_with(z, y, B, 2, logconf_alpha(step_frac, aux_coef, warmup_frac), t, loss, dz);
}

// ---- product

// log of row b's unnormalized product target for class k, or −INFINITY where y_k = 0 (the
// product is 0 there; α = 0 makes y^α = 1 even at 0, like torch.pow(0, 0)).
static float product_log_term(float lsm, float y, float alpha, float beta) {
    if (alpha == 0.0f) return beta * lsm;
    if (y == 0.0f) return -INFINITY;
    return beta * lsm + alpha * logf(y);
}

int loss_product(const float *z, const float *y, size_t B, size_t K, float alpha, float beta,
                 float *loss, float *dz) {
    if (check_batch(z, B, K)) return -1;
    float inv_b = 1.0f / (float)B;
    double sum = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *zb = z + b * K, *yb = y + b * K;
        float *db = dz ? dz + b * K : NULL;
        float m, lse;
        row_lse(zb, K, &m, &lse);
        // Normalize p^β·y^α in the log domain (max-subtracted), not as a product of
        // probabilities: the reference's product underflows to 0/0 when p does.
        float emax = -INFINITY;
        for (size_t k = 0; k < K; k++) {
            float e = product_log_term((zb[k] - m) - lse, yb[k], alpha, beta);
            emax = e > emax ? e : emax;
        }
        if (emax == -INFINITY) {  // y all zero: no product to renormalize; fall back to y
            sum += xent_row(zb, yb, K, 0.0f, K, inv_b, db);
            continue;
        }
        float s = 0.0f;
        for (size_t k = 0; k < K; k++)
            s += expf(product_log_term((zb[k] - m) - lse, yb[k], alpha, beta) - emax);
        float row = 0.0f;
        for (size_t k = 0; k < K; k++) {
            float lsm = (zb[k] - m) - lse;
            float t = expf(product_log_term(lsm, yb[k], alpha, beta) - emax) / s;
            row -= t * lsm;
            if (db) db[k] = (expf(lsm) - t) * inv_b;  // Σ t = 1 up to rounding
        }
        sum += row;
    }
    return finish(sum, B, loss);
}

// ---- dispatch

int loss_compute(const loss_config *c, const float *z, const float *y, size_t B, size_t K,
                 float step_frac, float *work, float *loss, float *dz) {
    switch (c->kind) {
    case LOSS_XENT: return loss_xent(z, y, B, K, loss, dz);
    case LOSS_LOGCONF:
        return loss_logconf(z, y, B, K, step_frac, c->aux_coef, c->warmup_frac, work, loss, dz);
    case LOSS_PRODUCT: return loss_product(z, y, B, K, c->alpha, c->beta, loss, dz);
    }
    return W2S_FAIL("unknown loss kind %d", (int)c->kind);
}
