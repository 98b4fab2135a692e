// probe.c — linear probe training on frozen features (probe.h).
#include "probe.h"

#include "error.h"
#include "metrics.h"
#include "optim.h"
#include "prof.h"
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
    c->threshold = PROBE_THRESHOLD_BATCH;
    c->threshold_buffer = 1024;
    loss_config_default(&c->loss, loss);
    if (loss == LOSS_LOGCONF) {
        // docs/DEMO.md: α = 0.75·min(1, s/0.2) for the probes (stronger than the fine-tuning 0.5/0.1).
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

void probe_fit_standardizer(probe_head *h, const float *x, size_t n) {
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

struct probe_trainer {
    probe_head *h;
    probe_config c;
    optim_adam *adam;
    size_t n, step, total;      // examples per epoch, steps done, steps in all epochs
    size_t *order;              // (n) visiting order, reshuffled per epoch
    rng order_rng;
    float *mem;                 // one allocation for everything below
    float *grad;                // (K*D + K): dW then db
    float *xb;                  // (Bm, D) standardized batch
    float *zb, *yb, *dz;        // (Bm, K) logits, targets, d(loss)/d(logits)
    float *work;                // loss scratch
    float *ring_p, *ring_y;     // (threshold_buffer) running threshold: p[:,0] and y[:,1] seen last
    float *ring_sorted;         // (threshold_buffer) scratch
    size_t ring_n, ring_pos;    // entries filled, next slot
};

probe_trainer *probe_trainer_create(probe_head *h, const probe_config *c, size_t n) {
    const size_t D = h->d, K = h->k, Bm = c->batch, np = K * D + K;
    if (n == 0 || Bm == 0 || c->epochs == 0) {
        W2S_FAIL("probe: nothing to train (n=%zu, batch=%zu, epochs=%zu)", n, Bm, c->epochs);
        return NULL;
    }
    probe_trainer *t = calloc(1, sizeof *t);
    size_t work_n = loss_work_floats(Bm, K);
    optim_adam_config ac = {.beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps, .weight_decay = c->weight_decay};
    if (t) {
        t->mem = calloc(np + Bm * D + 3 * Bm * K + work_n, sizeof(float));
        t->order = malloc(n * sizeof(size_t));
        t->adam = optim_adam_create(&ac, np);
        if (c->threshold == PROBE_THRESHOLD_RUNNING && c->threshold_buffer > 0)
            t->ring_p = malloc(3 * c->threshold_buffer * sizeof(float));
    }
    if (t && c->threshold == PROBE_THRESHOLD_RUNNING && c->threshold_buffer == 0) {
        probe_trainer_destroy(t);
        W2S_FAIL("probe: a running threshold needs a buffer of at least 1 prediction");
        return NULL;
    }
    if (!t || !t->mem || !t->order || !t->adam || (c->threshold == PROBE_THRESHOLD_RUNNING && !t->ring_p)) {
        probe_trainer_destroy(t);
        W2S_FAIL("probe: out of memory");
        return NULL;
    }
    t->h = h;
    t->c = *c;
    t->n = n;
    t->total = (n + Bm - 1) / Bm * c->epochs;
    t->grad = t->mem;
    t->xb = t->grad + np;
    t->zb = t->xb + Bm * D;
    t->yb = t->zb + Bm * K;
    t->dz = t->yb + Bm * K;
    t->work = t->dz + Bm * K;
    if (t->ring_p) {
        t->ring_y = t->ring_p + c->threshold_buffer;
        t->ring_sorted = t->ring_y + c->threshold_buffer;
    }
    for (size_t i = 0; i < n; i++) t->order[i] = i;
    rng_seed(&t->order_rng, c->seed);
    memset(h->w, 0, np * sizeof(float));  // zero-initialized head (docs/DEMO.md)
    return t;
}

void probe_trainer_destroy(probe_trainer *t) {
    if (!t) return;
    optim_adam_destroy(t->adam);
    free(t->order);
    free(t->mem);
    free(t->ring_p);
    free(t);
}

// The running threshold: the batch's p[:,0] and y[:,1] enter the ring, and the threshold is the
// quantile of the ring's p[:,0] at the ring's mean y[:,1] (the batch rule over more rows).
static float running_threshold(probe_trainer *t, size_t B) {
    const size_t cap = t->c.threshold_buffer;
    for (size_t r = 0; r < B; r++) {
        t->ring_p[t->ring_pos] = loss_p0(t->zb + r * 2);
        t->ring_y[t->ring_pos] = t->yb[r * 2 + 1];
        t->ring_pos = (t->ring_pos + 1) % cap;
        if (t->ring_n < cap) t->ring_n++;
    }
    double ysum = 0.0;
    for (size_t i = 0; i < t->ring_n; i++) ysum += t->ring_y[i];
    float q = (float)(ysum / (double)t->ring_n);
    q = q < 0.0f ? 0.0f : q > 1.0f ? 1.0f : q;
    return loss_quantile_linear(t->ring_p, t->ring_n, q, t->ring_sorted);
}

// The step's loss on zb/yb (B rows) into dz, with the configured logconf threshold rule.
static int loss_step(probe_trainer *t, size_t B, float step_frac, float *loss) {
    const loss_config *lc = &t->c.loss;
    if (lc->kind != LOSS_LOGCONF || t->h->k != 2 || t->c.threshold == PROBE_THRESHOLD_BATCH)
        return loss_compute(lc, t->zb, t->yb, B, t->h->k, step_frac, t->work, loss, t->dz);
    float thr = t->c.threshold == PROBE_THRESHOLD_ARGMAX ? 0.5f : running_threshold(t, B);
    return loss_logconf_threshold(t->zb, t->yb, B, step_frac, lc->aux_coef, lc->warmup_frac, thr, loss, t->dz);
}

int probe_trainer_step(probe_trainer *t, const float *x, const float *y, const size_t *idx, size_t B) {
    probe_head *h = t->h;
    const size_t D = h->d, K = h->k, np = K * D + K;
    if (B == 0 || B > t->c.batch) return W2S_FAIL("probe: batch of %zu rows (1..%zu)", B, t->c.batch);
    prof_set_phase(PROF_PHASE_BACKWARD);  // the head's forward, loss and gradient; Adam times itself
    double prof_t = prof_begin();
    for (size_t r = 0; r < B; r++) {
        standardize(h, x + idx[r] * D, 1, t->xb + r * D);
        memcpy(t->yb + r * K, y + idx[r] * K, K * sizeof(float));
    }
    head_logits(h, t->xb, B, t->zb);
    float loss;
    float step_frac = (float)t->step / (float)t->total;
    if (loss_step(t, B, step_frac, &loss) != 0) {
        prof_end(PROF_HEAD, prof_t);
        return w2s_error_wrap("probe training failed at step %zu", t->step);
    }
    memset(t->grad, 0, np * sizeof(float));
    for (size_t r = 0; r < B; r++)
        for (size_t k = 0; k < K; k++) {
            float g = t->dz[r * K + k];
            for (size_t j = 0; j < D; j++) t->grad[k * D + j] += g * t->xb[r * D + j];
            t->grad[K * D + k] += g;
        }
    prof_end(PROF_HEAD, prof_t);
    // Decoupled weight decay on the weight matrix only, not the biases (the tail).
    const optim_segment segs[2] = {{.offset = 0, .count = K * D, .decay = true}, {.offset = K * D, .count = K}};
    optim_adam_step(t->adam, h->w, t->grad, segs, 2, optim_lr_cosine(t->step, t->total, 0, t->c.lr, 0.0f));
    t->step++;
    return 0;
}

int probe_trainer_epochs(probe_trainer *t, const float *x, const float *y, size_t first_epoch) {
    const size_t n = t->n, Bm = t->c.batch;
    for (size_t ep = first_epoch; ep < t->c.epochs; ep++) {
        if (ep > 0 || !t->c.first_epoch_in_order) rng_shuffle_indices(&t->order_rng, t->order, n);
        for (size_t s0 = 0; s0 < n; s0 += Bm)
            if (probe_trainer_step(t, x, y, t->order + s0, n - s0 < Bm ? n - s0 : Bm) != 0) return -1;
    }
    return 0;
}

int probe_train(probe_head *h, const probe_config *c, const float *x, const float *y, size_t n) {
    if (n == 0) return W2S_FAIL("probe: no training examples");
    probe_fit_standardizer(h, x, n);
    probe_trainer *t = probe_trainer_create(h, c, n);
    if (!t) return -1;
    int rc = probe_trainer_epochs(t, x, y, 0);
    probe_trainer_destroy(t);
    return rc;
}

int probe_predict(const probe_head *h, const float *x, size_t n, float *probs) {
    const size_t K = h->k;
    float *xs = malloc(h->d * sizeof(float));
    if (!xs) return W2S_FAIL("probe: out of memory");
    prof_set_phase(PROF_PHASE_FORWARD);
    double prof_t = prof_begin();
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
    prof_end(PROF_HEAD, prof_t);
    free(xs);
    return 0;
}

int probe_accuracy(const probe_head *h, const float *x, const int32_t *labels, size_t n, double *acc) {
    float *p = malloc(n * h->k * sizeof(float));
    if (!p) return W2S_FAIL("probe: out of memory");
    int rc = probe_predict(h, x, n, p);
    if (rc == 0) *acc = metrics_accuracy(p, labels, n, h->k);
    free(p);
    return rc;
}
