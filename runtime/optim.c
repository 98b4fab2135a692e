// optim.c — Adam/AdamW over flat f32 buffers, gradient-norm clipping, cosine LR schedule.
// Not a trainer (no data, no loss): see optim.h. Updates are elementwise and the norm is
// summed over fixed chunks, so any OpenMP team size gives bit-identical parameters.
#include "optim.h"

#include "error.h"

#include <math.h>
#include <stdlib.h>

// Fixed partition of the gradient-norm reduction (independent of the thread count).
#define NORM_CHUNK ((size_t)65536)

optim_adam *optim_adam_create(const optim_adam_config *cfg, size_t n) {
    if (!(cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1 && cfg->eps > 0 &&
          cfg->weight_decay >= 0 && cfg->clip_norm >= 0)) {
        W2S_FAIL("optim_adam_create: need 0 <= beta < 1, eps > 0, weight_decay >= 0, clip_norm >= 0 "
                 "(got betas %g %g, eps %g, wd %g, clip %g)", (double)cfg->beta1, (double)cfg->beta2,
                 (double)cfg->eps, (double)cfg->weight_decay, (double)cfg->clip_norm);
        return NULL;
    }
    optim_adam *o = calloc(1, sizeof *o);
    if (o) {
        o->m = calloc(n ? n : 1, sizeof(float));
        o->v = calloc(n ? n : 1, sizeof(float));
    }
    if (!o || !o->m || !o->v) {
        optim_adam_destroy(o);
        W2S_FAIL("optim_adam_create: out of memory for %zu parameters of Adam state", n);
        return NULL;
    }
    o->cfg = *cfg;
    o->n = n;
    return o;
}

void optim_adam_destroy(optim_adam *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o);
}

double optim_grad_norm(const float *g, size_t n) {
    size_t chunks = (n + NORM_CHUNK - 1) / NORM_CHUNK;
    double *part = malloc((chunks ? chunks : 1) * sizeof(double));
    double total = 0.0;
    if (!part) {  // no memory for the partials: same chunked order, one thread
        for (size_t c = 0; c < chunks; c++) {
            double s = 0.0;
            for (size_t i = c * NORM_CHUNK; i < n && i < (c + 1) * NORM_CHUNK; i++) s += (double)g[i] * g[i];
            total += s;
        }
        return sqrt(total);
    }
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < chunks; c++) {
        double s = 0.0;
        size_t end = (c + 1) * NORM_CHUNK < n ? (c + 1) * NORM_CHUNK : n;
        for (size_t i = c * NORM_CHUNK; i < end; i++) s += (double)g[i] * g[i];
        part[c] = s;
    }
    for (size_t c = 0; c < chunks; c++) total += part[c];
    free(part);
    return sqrt(total);
}

double optim_adam_step(optim_adam *o, float *params, const float *grads, const optim_segment *segs,
                       size_t nseg, float lr) {
    const optim_adam_config *c = &o->cfg;
    double norm = optim_grad_norm(grads, o->n);
    float gscale = 1.0f;
    if (c->clip_norm > 0 && norm > c->clip_norm) gscale = (float)(c->clip_norm / (norm + 1e-6));
    o->step++;
    float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    float bc1 = 1.0f - powf(b1, (float)o->step), bc2 = 1.0f - powf(b2, (float)o->step);
    for (size_t s = 0; s < nseg; s++) {
        float wd = segs[s].decay ? c->weight_decay : 0.0f;
        float *p = params + segs[s].offset, *m = o->m + segs[s].offset, *v = o->v + segs[s].offset;
        const float *g = grads + segs[s].offset;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < segs[s].count; i++) {
            float gi = g[i] * gscale;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            float mhat = m[i] / bc1, vhat = v[i] / bc2;
            p[i] -= lr * (wd * p[i] + mhat / (sqrtf(vhat) + eps));
        }
    }
    return norm;
}

float optim_lr_cosine(size_t step, size_t total, size_t warmup, float lr_max, float lr_min) {
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total || total <= warmup) return lr_min;
    double ratio = (double)(step - warmup) / (double)(total - warmup);
    return lr_min + (float)(0.5 * (1.0 + cos(3.14159265358979323846 * ratio))) * (lr_max - lr_min);
}
