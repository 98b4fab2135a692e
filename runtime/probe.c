// probe.c — linear probe training on frozen features (probe.h).
#include "probe.h"

#include "error.h"
#include "optim.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void probe_config_default(probe_config *c, loss_kind loss) {
    memset(c, 0, sizeof *c);
    c->epochs = 20;
    c->batch = 64;
    c->lr = 1e-2f;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->weight_decay = 0.0f;
    loss_config_default(&c->loss, loss);
    if (loss == LOSS_LOGCONF) {
        // DEMO.md: α = 0.75·min(1, s/0.2) for the probes (stronger than the fine-tuning 0.5/0.1).
        c->loss.aux_coef = 0.75f;
        c->loss.warmup_frac = 0.2f;
    }
}

int probe_head_init(probe_head *h, size_t d, size_t k) {
    memset(h, 0, sizeof *h);
    h->d = d;
    h->k = k;
    h->w = calloc(k * d + k, sizeof(float));
    h->b = h->w ? h->w + k * d : NULL;
    h->mean = calloc(d, sizeof(float));
    h->inv_std = calloc(d, sizeof(float));
    if (!h->w || !h->b || !h->mean || !h->inv_std) {
        probe_head_free(h);
        return W2S_FAIL("out of memory for a %zu x %zu probe", k, d);
    }
    return 0;
}

void probe_head_free(probe_head *h) {
    free(h->w);
    free(h->mean);
    free(h->inv_std);
    memset(h, 0, sizeof *h);
}

static void fit_standardizer(probe_head *h, const float *x, size_t n) {
    const size_t D = h->d;
    for (size_t j = 0; j < D; j++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++) s += x[i * D + j];
        double mu = s / (double)n;
        for (size_t i = 0; i < n; i++) {
            double dv = x[i * D + j] - mu;
            s2 += dv * dv;
        }
        double std = n > 1 ? sqrt(s2 / (double)(n - 1)) : 0.0;  // unbiased, as torch.std
        h->mean[j] = (float)mu;
        h->inv_std[j] = (float)(1.0 / (std + 1e-5));
    }
}

// xs (N, D) ← standardize(x)
static void standardize(const probe_head *h, const float *x, size_t n, float *xs) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < h->d; j++) xs[i * h->d + j] = (x[i * h->d + j] - h->mean[j]) * h->inv_std[j];
}

// z (N, K) = xs (N, D) · Wᵀ + b
static void head_logits(const probe_head *h, const float *xs, size_t n, float *z) {
    const size_t D = h->d, K = h->k;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < K; c++) {
            float acc = h->b[c];
            for (size_t j = 0; j < D; j++) acc += h->w[c * D + j] * xs[i * D + j];
            z[i * K + c] = acc;
        }
}

int probe_train(probe_head *h, const probe_config *c, const float *x, const float *y, size_t n) {
    const size_t D = h->d, K = h->k, Bm = c->batch;
    if (n == 0 || Bm == 0 || c->epochs == 0) return W2S_FAIL("probe: nothing to train (n=%zu)", n);
    fit_standardizer(h, x, n);
    memset(h->w, 0, (K * D + K) * sizeof(float));  // zero-initialized head (DEMO.md)

    // One allocation for every buffer of the loop: gradients and the batch.
    const size_t np = K * D + K;
    size_t work_n = loss_work_floats(Bm, K);
    size_t floats = np + Bm * D + 3 * Bm * K + work_n;
    float *mem = calloc(floats, sizeof(float));
    size_t *order = malloc(n * sizeof(size_t));
    optim_adam_config ac = {.beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                            .weight_decay = c->weight_decay};
    optim_adam *adam = optim_adam_create(&ac, np);
    if (!mem || !order || !adam) {
        free(mem);
        free(order);
        optim_adam_destroy(adam);
        return W2S_FAIL("probe: out of memory");
    }
    // Decoupled weight decay on the weight matrix only, not the biases (the tail).
    const optim_segment segs[2] = {{0, K * D, true}, {K * D, K, false}};
    float *grad = mem;                 // (K*D + K): dW then db
    float *xb = grad + np;             // (Bm, D) standardized batch
    float *zb = xb + Bm * D;           // (Bm, K) logits
    float *yb = zb + Bm * K;           // (Bm, K) targets
    float *dz = yb + Bm * K;           // (Bm, K)
    float *work = dz + Bm * K;         // loss scratch

    for (size_t i = 0; i < n; i++) order[i] = i;
    rng order_rng;
    rng_seed(&order_rng, c->seed);
    const size_t steps_per_epoch = (n + Bm - 1) / Bm;
    const size_t total = steps_per_epoch * c->epochs;
    size_t step = 0;
    int rc = 0;
    for (size_t ep = 0; ep < c->epochs && rc == 0; ep++) {
        rng_shuffle_indices(&order_rng, order, n);
        for (size_t s0 = 0; s0 < n; s0 += Bm, step++) {
            size_t B = n - s0 < Bm ? n - s0 : Bm;
            for (size_t r = 0; r < B; r++) {
                size_t i = order[s0 + r];
                standardize(h, x + i * D, 1, xb + r * D);
                memcpy(yb + r * K, y + i * K, K * sizeof(float));
            }
            head_logits(h, xb, B, zb);
            float loss;
            rc = loss_compute(&c->loss, zb, yb, B, K, (float)step / (float)total, work, &loss, dz);
            if (rc != 0) break;
            memset(grad, 0, np * sizeof(float));
            for (size_t r = 0; r < B; r++)
                for (size_t k = 0; k < K; k++) {
                    float g = dz[r * K + k];
                    for (size_t j = 0; j < D; j++) grad[k * D + j] += g * xb[r * D + j];
                    grad[K * D + k] += g;
                }
            optim_adam_step(adam, h->w, grad, segs, 2, optim_lr_cosine(step, total, 0, c->lr, 0.0f));
        }
    }
    if (rc != 0) w2s_error_wrap("probe training failed at step %zu", step);
    optim_adam_destroy(adam);
    free(mem);
    free(order);
    return rc;
}

int probe_predict(const probe_head *h, const float *x, size_t n, float *probs) {
    const size_t K = h->k;
    float *xs = malloc(h->d * sizeof(float));
    if (!xs) return W2S_FAIL("probe: out of memory");
    for (size_t i = 0; i < n; i++) {
        standardize(h, x + i * h->d, 1, xs);
        head_logits(h, xs, 1, probs + i * K);
    }
    for (size_t i = 0; i < n; i++) {
        float *z = probs + i * K, mx = z[0], s = 0;
        for (size_t c = 1; c < K; c++) mx = z[c] > mx ? z[c] : mx;
        for (size_t c = 0; c < K; c++) s += (z[c] = expf(z[c] - mx));
        for (size_t c = 0; c < K; c++) z[c] /= s;
    }
    free(xs);
    return 0;
}
