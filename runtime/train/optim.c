// optim.c — Adam/AdamW over flat f32 buffers, gradient-norm clipping, cosine LR schedule.
// Not a trainer (no data, no loss): see optim.h. Updates are elementwise and the norm is
// summed over fixed chunks, so any OpenMP team size gives bit-identical parameters.
#include "optim.h"

#include "cpu.h"
#include "error.h"
#include "prof.h"
#include "rowops.h"

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
    const rowops_kernels *rk = rowops_get(w2s_isa_active());
    size_t chunks = (n + NORM_CHUNK - 1) / NORM_CHUNK;
    double *part = malloc((chunks ? chunks : 1) * sizeof(double));
    double total = 0.0;
    if (!part) {  // no memory for the partials: same chunked order, one thread
        for (size_t c = 0; c < chunks; c++)
            total += rk->sumsq(g + c * NORM_CHUNK, n - c * NORM_CHUNK < NORM_CHUNK ? n - c * NORM_CHUNK : NORM_CHUNK);
        return sqrt(total);
    }
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (size_t c = 0; c < chunks; c++)
        part[c] = rk->sumsq(g + c * NORM_CHUNK, n - c * NORM_CHUNK < NORM_CHUNK ? n - c * NORM_CHUNK : NORM_CHUNK);
    for (size_t c = 0; c < chunks; c++) total += part[c];
    free(part);
    return sqrt(total);
}

// Elementwise, so any split gives the same bits; chunks keep each thread's work contiguous.
#define ADAM_CHUNK ((size_t)16384)

double optim_adam_step(optim_adam *o, float *params, const float *grads, const optim_segment *segs,
                       size_t nseg, float lr) {
    return optim_adam_step_hooked(o, params, grads, segs, nseg, lr, NULL, NULL);
}

static size_t chunk_of(const optim_segment *s) { return s->chunk ? s->chunk : ADAM_CHUNK; }

double optim_adam_step_hooked(optim_adam *o, float *params, const float *grads, const optim_segment *segs,
                              size_t nseg, float lr, optim_written_fn written, void *ctx) {
    const optim_adam_config *c = &o->cfg;
    const rowops_kernels *rk = rowops_get(w2s_isa_active());
    prof_set_phase(PROF_PHASE_UPDATE);
    double prof_t = prof_begin();
    // The norm is a full pass over the gradients: only made when clipping needs it.
    double norm = c->clip_norm > 0 ? optim_grad_norm(grads, o->n) : NAN;
    float gscale = 1.0f;
    if (c->clip_norm > 0 && norm > c->clip_norm) gscale = (float)(c->clip_norm / (norm + 1e-6));
    o->step++;
    rowops_adam_args a = {
        .gscale = gscale, .lr = lr, .beta1 = c->beta1, .beta2 = c->beta2,
        .bc1 = 1.0f - powf(c->beta1, (float)o->step), .bc2 = 1.0f - powf(c->beta2, (float)o->step),
        .eps = c->eps,
    };
    size_t all_chunks = 0;
    for (size_t s = 0; s < nseg; s++) all_chunks += (segs[s].count + chunk_of(&segs[s]) - 1) / chunk_of(&segs[s]);
    // One region for every segment (a model has one per tensor, ~150 for GPT-2), and none when
    // one chunk leaves nothing to share (a probe head): waking idle threads costs more than
    // such an update.
#pragma omp parallel if (all_chunks > 1)
    for (size_t s = 0; s < nseg; s++) {
        rowops_adam_args as = a;
        as.wd = segs[s].decay ? c->weight_decay : 0.0f;
        size_t off = segs[s].offset, n = segs[s].count, cs = chunk_of(&segs[s]), chunks = (n + cs - 1) / cs;
#pragma omp for schedule(static) nowait
        for (size_t ch = 0; ch < chunks; ch++) {
            size_t i = off + ch * cs, len = n - ch * cs < cs ? n - ch * cs : cs;
            rk->adam(params + i, o->m + i, o->v + i, grads + i, len, &as);
            if (written) written(ctx, i, len);
        }
    }
    prof_end(PROF_OPTIMIZER, prof_t);
    return norm;
}

float optim_lr_cosine(size_t step, size_t total, size_t warmup, float lr_max, float lr_min) {
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total || total <= warmup) return lr_min;
    double ratio = (double)(step - warmup) / (double)(total - warmup);
    return lr_min + (float)(0.5 * (1.0 + cos(3.14159265358979323846 * ratio))) * (lr_max - lr_min);
}
