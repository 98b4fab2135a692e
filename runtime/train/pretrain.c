// pretrain.c — the pretraining loop and its evaluation (pretrain.h).
// The one thing to know: each batch is cut into fixed pieces (at least PRETRAIN_WORKERS, each
// within a minibatch), run forward and backward by PRETRAIN_WORKERS models — m and replicas
// sharing its parameters — one thread each, and their gradients are summed in a fixed order.
// A step thus synchronizes the team a few times instead of at every operation (≈130
// fork/joins of tiny regions per step, which cost far more than the work on a shared 2-core
// machine), and the bits do not depend on the thread count: with one thread the workers
// simply run one after the other. Under MPI each rank does this on its share of the batch,
// then the ranks' gradients are summed in rank order (dist_allreduce_sum_f32).
#include "pretrain.h"

#include "error.h"
#include "optim.h"
#include "progress.h"
#include "rng.h"
#include "train_ckpt.h"
#include "world.h"

#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Models working on a step's batch at once; fixed (not the thread count) so that the bits do
// not depend on the thread count.
#define PRETRAIN_WORKERS 2
// Gradient sum chunk (floats): whole cache lines, a few per thread.
#define PRETRAIN_SUM_CHUNK ((size_t)16384)

// Weight decay on 2-D tensors (matrices and embeddings), not biases or LayerNorm (GPT-2 practice).
static size_t decay_segments(const gpt2_model *m, optim_segment *segs) {
    size_t n = 0;
    for (int i = 0; i < GPT2_NUM_TENSORS; i++)
        if (m->tensors[i].numel)
            segs[n++] = (optim_segment){.offset = m->tensors[i].offset, .count = m->tensors[i].numel,
                                        .decay = m->tensors[i].ndim == 2};
    return n;
}

// A step's batch of B sequences is cut into `pieces` pieces (piece p: sequences
// [piece_lo(p), piece_lo(p + 1)), each within a minibatch), dealt round-robin to `workers`
// models (m and its replicas): worker w runs pieces w, w + workers, ... in that order.
typedef struct {
    size_t B, T, pieces, workers;
    size_t n_targets;          // of the whole batch
    const int32_t *bt, *by;    // (B, T) the batch's tokens and targets
    const int32_t *len;        // (B) all T
} pretrain_batch;

static size_t piece_lo(const pretrain_batch *pb, size_t p) { return p * pb->B / pb->pieces; }

// Forward and backward of worker w's pieces on its model, gradients accumulated, each piece's
// LM loss weighted by its share of the batch's targets (so the workers' gradients sum to
// those of the batch mean); *loss_sum gets Σ piece loss × piece targets. Runs on one thread.
static int worker_step(gpt2_model *r, const pretrain_batch *pb, size_t w, double *loss_sum) {
    gpt2_zero_grad(r);
    *loss_sum = 0;
    for (size_t p = w; p < pb->pieces; p += pb->workers) {
        size_t b0 = piece_lo(pb, p), nb = piece_lo(pb, p + 1) - b0;
        if (gpt2_forward(r, pb->bt + b0 * pb->T, pb->len, nb, pb->T, pb->by + b0 * pb->T)) return -1;
        *loss_sum += (double)r->lm_loss * (double)r->n_targets;
        float share = pb->n_targets ? (float)r->n_targets / (float)pb->n_targets : 0.0f;
        if (gpt2_backward(r, NULL, share)) return -1;
    }
    return 0;
}

// rep[0]->grads += Σ_w rep[w]->grads, in worker order; a worksharing loop of the team,
// entered once every worker's backward is done.
static void sum_grads(gpt2_model *const *rep, size_t workers) {
#pragma omp barrier
    size_t n = rep[0]->num_params, chunks = (n + PRETRAIN_SUM_CHUNK - 1) / PRETRAIN_SUM_CHUNK;
#pragma omp for schedule(static)
    for (size_t ch = 0; ch < chunks; ch++) {
        size_t i0 = ch * PRETRAIN_SUM_CHUNK, i1 = i0 + PRETRAIN_SUM_CHUNK < n ? i0 + PRETRAIN_SUM_CHUNK : n;
        float *g = rep[0]->grads_memory;
        for (size_t w = 1; w < workers; w++) {
            const float *h = rep[w]->grads_memory;
            for (size_t i = i0; i < i1; i++) g[i] += h[i];
        }
    }
}

// One step's gradients into rep[0]->grads: the workers on a team of up to `workers` threads,
// then the sum. Returns 0 (*loss_sum = the batch's summed LM loss over its targets), or -1
// with the first failing worker's message.
static int batch_step(gpt2_model *const *rep, const pretrain_batch *pb, double *loss_sum) {
    int failed = 0;
    char msg[512] = "";  // the first failure's message (error messages are per thread)
    double sums[PRETRAIN_WORKERS] = {0};
    int team = omp_get_max_threads() < (int)pb->workers ? omp_get_max_threads() : (int)pb->workers;
#pragma omp parallel num_threads(team) reduction(| : failed)
    {
        // nthreads-var is per thread: the operations inside a worker run on one thread.
        omp_set_num_threads(1);
        for (size_t w = (size_t)omp_get_thread_num(); w < pb->workers && !failed; w += (size_t)omp_get_num_threads())
            if (worker_step(rep[w], pb, w, &sums[w])) {
                failed = 1;
#pragma omp critical(pretrain_msg)
                if (!msg[0]) snprintf(msg, sizeof msg, "%s", w2s_error_message());
            }
        // Every thread reaches the worksharing loop's barriers; after a failure the sum is
        // meaningless, and the caller never uses it.
        sum_grads(rep, pb->workers);
    }
    if (failed) return W2S_FAIL("%s", msg);
    *loss_sum = 0;
    for (size_t w = 0; w < pb->workers; w++) *loss_sum += sums[w];
    return 0;
}

// ---- checkpoints (train_ckpt.h): the step and the tail-loss sums beside params and AdamW
// state; the batch order is replayed from the seed, not stored.

static const train_ckpt_kind pretrain_ckpt = {.prefix = "w2s_pretrain", .extra = "tail", .what = "pretraining"};

typedef struct {
    size_t step;
    double tail_loss;      // Σ loss over the targets of the tail steps done so far
    size_t tail_targets;
} pretrain_progress;

static int ckpt_save(const char *path, const gpt2_model *m, const optim_adam *o, uint64_t key, size_t total,
                     const pretrain_progress *pp) {
    char tail[64];  // "loss_sum targets": hex double (exact), count
    snprintf(tail, sizeof tail, "%a %zu", pp->tail_loss, pp->tail_targets);
    return train_ckpt_save(&pretrain_ckpt, path, m, o, key, pp->step, total, tail);
}

// train_ckpt_extra_fn: the tail sums are state (the reported loss depends on them): required.
static int tail_parse(void *arg, const char *s) {
    pretrain_progress *pp = arg;
    return s && sscanf(s, "%la %zu", &pp->tail_loss, &pp->tail_targets) == 2 ? 0
                                                                              : W2S_FAIL("expected 'loss_sum targets'");
}

static int ckpt_load_shared(const char *path, gpt2_model *m, optim_adam *o, uint64_t key, size_t total,
                            pretrain_progress *pp) {
    return train_ckpt_load_shared(&pretrain_ckpt, path, m, o, key, total, &pp->step, tail_parse, pp, pp, sizeof *pp);
}

// ---- the loop

// The next batch of B sequences from the pool, drawn without replacement and reshuffled at
// each new pass: into bt/by (B, T) when they are not NULL (a resume replays the draws of the
// steps already done without copying). Returns the batch's target count (0 when not copied).
static size_t draw_batch(rng *r, size_t *order, size_t n, size_t *cursor, size_t B, size_t T,
                         const int32_t *tokens, const int32_t *targets, int32_t *bt, int32_t *by) {
    size_t n_targets = 0;
    for (size_t b = 0; b < B; b++) {
        if (*cursor == n) {
            rng_shuffle_indices(r, order, n);
            *cursor = 0;
        }
        size_t i = order[(*cursor)++];
        if (!bt) continue;
        memcpy(bt + b * T, tokens + i * T, T * sizeof(int32_t));
        memcpy(by + b * T, targets + i * T, T * sizeof(int32_t));
        for (size_t t = 0; t < T; t++) n_targets += by[b * T + t] >= 0;
    }
    return n_targets;
}

int pretrain_run(gpt2_model *m, const pretrain_config *c, const int32_t *tokens, const int32_t *targets,
                 size_t n, size_t T, pretrain_stats *st) {
    const size_t B = c->batch, mb = c->minibatch ? c->minibatch : B;
    if (B == 0 || B > n || mb > B || mb > m->opt.max_batch || T > m->opt.max_seq)
        return W2S_FAIL("pretrain: batch %zu (minibatch %zu) of %zu sequences of %zu tokens does not fit the "
                        "model (max %zu x %zu)", B, mb, n, T, m->opt.max_batch, m->opt.max_seq);
    // This rank's share [lo, hi) of every batch (all of it alone); every rank draws the whole
    // batch, so the batch order and its target count (the loss's denominator) are global.
    size_t lo, hi;
    dist_shard(B, dist_rank(), dist_size(), &lo, &hi);
    const size_t nl = hi - lo;
    pretrain_batch pb = {.B = nl, .T = T, .pieces = (nl + mb - 1) / mb};
    if (pb.pieces < PRETRAIN_WORKERS) pb.pieces = nl < PRETRAIN_WORKERS ? nl : PRETRAIN_WORKERS;
    pb.workers = pb.pieces < PRETRAIN_WORKERS ? pb.pieces : PRETRAIN_WORKERS;
    optim_adam_config ac = {.beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                            .weight_decay = c->weight_decay, .clip_norm = c->clip_norm};
    optim_adam *adam = optim_adam_create(&ac, m->num_params);
    size_t *order = malloc(n * sizeof(size_t));
    int32_t *bt = malloc(B * T * sizeof(int32_t)), *by = malloc(B * T * sizeof(int32_t));
    int32_t *len = malloc(B * sizeof(int32_t));
    gpt2_model *rep[PRETRAIN_WORKERS] = {m};
    int rc = 0;
    for (size_t w = 1; w < pb.workers && !rc; w++)
        if (!(rep[w] = gpt2_create_replica(m, (nl + pb.pieces - 1) / pb.pieces))) rc = -1;
    if (rc || !adam || !order || !bt || !by || !len) {
        if (!rc) W2S_FAIL("pretrain: out of memory");
        w2s_error_wrap("pretrain");
        rc = -1;
        goto done;
    }
    pb.bt = bt + lo * T;
    pb.by = by + lo * T;
    pb.len = len;
    optim_segment segs[GPT2_NUM_TENSORS];
    size_t nseg = decay_segments(m, segs);
    for (size_t b = 0; b < B; b++) len[b] = (int32_t)T;
    for (size_t i = 0; i < n; i++) order[i] = i;
    rng batch_rng;
    rng_seed(&batch_rng, c->seed);
    size_t cursor = n;  // forces a shuffle before the first batch
    pretrain_progress pp = {0};  // tail: Σ loss over the targets of the last 10% of steps (at least one)
    const size_t tail_from = c->steps - (c->steps / 10 ? c->steps / 10 : 1);
    if (c->ckpt_path && ckpt_load_shared(c->ckpt_path, m, adam, c->ckpt_key, c->steps, &pp) != 0) {
        w2s_error_wrap("pretraining %s", c->label ? c->label : "");
        rc = -1;
        goto done;
    }
    for (size_t s = 0; s < pp.step; s++) draw_batch(&batch_rng, order, n, &cursor, B, T, NULL, NULL, NULL, NULL);
    if (st) st->resumed_step = pp.step;

    progress pr;
    progress_start(&pr, c->label ? c->label : "pretrain", c->steps, "steps", c->quiet || !dist_is_root());
    if (pp.step) progress_update(&pr, pp.step, "resumed");
    double last_ckpt = progress_now();
    // Every rank takes the same branch at each dist_agree, so one failing rank stops all.
    for (; pp.step < c->steps && !(rc = dist_agree(rc)); pp.step++) {
        pb.n_targets = draw_batch(&batch_rng, order, n, &cursor, B, T, tokens, targets, bt, by);
        double loss_sum = 0;
        if (nl == 0)  // more ranks than sequences in a batch: this one adds nothing
            gpt2_zero_grad(m);
        else
            rc = batch_step(rep, &pb, &loss_sum);
        if ((rc = dist_agree(rc)) != 0) break;
        if ((rc = dist_allreduce_sum_f32(m->grads_memory, m->num_params)) != 0) break;
        if ((rc = dist_allreduce_sum_f64(&loss_sum, 1)) != 0) break;
        float lr = optim_lr_cosine(pp.step, c->steps, c->warmup, c->lr, c->lr * c->lr_floor_frac);
        optim_adam_step(adam, m->params_memory, m->grads_memory, segs, nseg, lr);
        if (pp.step >= tail_from) {
            pp.tail_loss += loss_sum;
            pp.tail_targets += pb.n_targets;
        }
        progress_update(&pr, pp.step + 1, "loss %.3f", pb.n_targets ? loss_sum / (double)pb.n_targets : 0.0);
        double now = progress_now();
        bool due = (c->ckpt_every && (pp.step + 1) % c->ckpt_every == 0) ||
                   (c->ckpt_every_s > 0 && now - last_ckpt >= c->ckpt_every_s);
        if (c->ckpt_path && due && pp.step + 1 < c->steps && dist_is_root()) {
            pretrain_progress next = pp;
            next.step++;
            rc = ckpt_save(c->ckpt_path, m, adam, c->ckpt_key, c->steps, &next);
            last_ckpt = now;
        }
    }
    progress_finish(&pr);
    if (rc != 0) w2s_error_wrap("pretraining %s", c->label ? c->label : "");
    else if (st) st->final_loss = (float)(pp.tail_loss / (double)(pp.tail_targets ? pp.tail_targets : 1));
done:
    for (size_t w = 1; w < pb.workers; w++) gpt2_destroy(rep[w]);
    optim_adam_destroy(adam);
    free(order); free(bt); free(by); free(len);
    return rc;
}

// Batch k of an evaluation (sequences [k·B, k·B + nb)) on one worker: forward, then its loss
// sum, correct captions and features. Runs on one thread.
static int eval_batch(gpt2_model *r, const int32_t *tokens, const int32_t *targets, const int32_t *len, size_t n,
                      size_t T, size_t probe_pos, size_t k, double *loss_sum, size_t *correct, float *features) {
    const size_t B = r->opt.max_batch, VO = r->lm_vocab, C = r->cfg.n_embd, s0 = k * B;
    size_t nb = n - s0 < B ? n - s0 : B;
    if (gpt2_forward(r, tokens + s0 * T, len, nb, T, targets ? targets + s0 * T : NULL) != 0) return -1;
    *loss_sum = targets ? (double)r->lm_loss * (double)nb : 0.0;
    *correct = 0;
    for (size_t b = 0; b < nb; b++) {
        if (targets) {
            const float *p = r->acts.lm_logits + (b * T + probe_pos) * VO;
            size_t best = 0;
            for (size_t v = 1; v < VO; v++) best = p[v] > p[best] ? v : best;
            *correct += (int32_t)best == targets[(s0 + b) * T + probe_pos];
        }
        if (features)
            memcpy(features + (s0 + b) * C, r->acts.lnf + (b * T + probe_pos) * C, C * sizeof(float));
    }
    return 0;
}

// As pretrain_run, batches go to PRETRAIN_WORKERS models (m and a replica), one thread each:
// worker w takes batches w, w + workers, ...; the sums then run in batch order, so the result
// does not depend on the thread count.
int pretrain_evaluate(gpt2_model *m, const int32_t *tokens, const int32_t *targets, size_t n, size_t T,
                      size_t probe_pos, double *lm_loss, double *probe_acc, float *features) {
    const size_t B = m->opt.max_batch, nbatch = (n + B - 1) / B;
    size_t workers = nbatch < PRETRAIN_WORKERS ? nbatch : PRETRAIN_WORKERS;
    int32_t *len = malloc(B * sizeof(int32_t));
    double *loss = malloc((nbatch ? nbatch : 1) * sizeof(double));
    size_t *correct = malloc((nbatch ? nbatch : 1) * sizeof(size_t));
    gpt2_model *rep[PRETRAIN_WORKERS] = {m};
    int failed = !len || !loss || !correct ? W2S_FAIL("pretrain_evaluate: out of memory") : 0;
    for (size_t w = 1; w < workers && !failed; w++)
        if (!(rep[w] = gpt2_create_replica(m, B))) failed = -1;
    if (failed) {
        for (size_t w = 1; w < workers; w++) gpt2_destroy(rep[w]);
        free(len); free(loss); free(correct);
        return -1;
    }
    for (size_t b = 0; b < B; b++) len[b] = (int32_t)T;
    char msg[512] = "";  // the first failure's message (error messages are per thread)
    int team = omp_get_max_threads() < (int)workers ? omp_get_max_threads() : (int)workers;
#pragma omp parallel num_threads(team) reduction(| : failed)
    {
        omp_set_num_threads(1);
        size_t nt = (size_t)omp_get_num_threads();
        for (size_t w = (size_t)omp_get_thread_num(); w < workers; w += nt)
            for (size_t k = w; k < nbatch && !failed; k += workers)
                if (eval_batch(rep[w], tokens, targets, len, n, T, probe_pos, k, &loss[k], &correct[k], features)) {
                    failed = 1;
#pragma omp critical(pretrain_msg)
                    if (!msg[0]) snprintf(msg, sizeof msg, "%s", w2s_error_message());
                }
    }
    double loss_sum = 0;
    size_t right = 0;
    for (size_t k = 0; k < nbatch && !failed; k++) {
        loss_sum += loss[k];
        right += correct[k];
    }
    for (size_t w = 1; w < workers; w++) gpt2_destroy(rep[w]);
    free(len); free(loss); free(correct);
    if (failed) return W2S_FAIL("%s", msg);
    if (targets) {
        *lm_loss = loss_sum / (double)n;
        *probe_acc = (double)right / (double)n;
    }
    return 0;
}
