// protocol_pipeline.c — the pipelined and sequential label→student transfers (protocol_pipeline.h).
// The label stage splits each slot into forwards that fit the labeler's capacity (batch and
// token budget); the train stage copies each slot's labels into the kept array and checks that
// the slot holds the examples it expects, so an order mismatch fails instead of training on
// the wrong targets. An interleaved plan has no ring and no teams: the trainer's ready hook
// labels each batch on the caller's threads just before the step that reads it.
#include "protocol_pipeline.h"

#include "error.h"
#include "progress.h"
#include "stages.h"
#include "trainer.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define TRANSFER_DEFAULT_SLOTS 3

typedef struct {
    const transfer_config *cfg;
    size_t K, max_t;
    double t0, label_t0;    // the transfer's and the label stage's start
    // label stage
    const int32_t **seqs;   // (batch) token ids of the batch being labeled
    size_t *lens;           // (batch)
    float *z;               // (batch, K) its logits
    double label_busy_s, first_batch_s;
    size_t label_batches;
    // train stage
    size_t received;        // positions 0..received-1 have their labels in cfg->soft
    double wait_s, first_step_s, train_s;
    bool first_seen;
    pipeline *ring;         // set by the train body for the ready hook; NULL when interleaved
} transfer_run;

static size_t cap_batch(const labeler_model *lm) { return lm->q ? gpt2_int8_max_batch(lm->q) : lm->m->opt.max_batch; }

static size_t cap_tokens(const labeler_model *lm) {
    return lm->q ? gpt2_int8_max_tokens(lm->q) : lm->m->opt.max_batch * lm->m->opt.max_seq;
}

static size_t n_classes(const labeler_model *lm) {
    return lm->q ? gpt2_int8_config(lm->q)->n_classes : lm->m->cfg.n_classes;
}

placement_request transfer_placement_request(size_t weak_params, size_t strong_params, int label_cores,
                                             int train_cores) {
    return (placement_request){.label_cost = placement_cost_label((double)weak_params, 1.0),
                               .train_cost = placement_cost_train((double)strong_params, 1.0),
                               .label_cores = label_cores, .train_cores = train_cores};
}

double transfer_plan_gain(const placement *plan, const placement_request *req) {
    double nl = plan->stage[PLACEMENT_LABEL].n_cores, nt = plan->stage[PLACEMENT_TRAIN].n_cores;
    double L = req->label_cost, T = req->train_cost;
    if (plan->sequential || plan->interleaved || nl <= 0 || nt <= 0 || !(L > 0) || !(T > 0)) return 0;
    double pipe = L / nl > T / nt ? L / nl : T / nt;
    return (L + T) / (nl + nt) / pipe;
}

int transfer_plan(const topology *t, const placement_request *req, placement *out, double *gain) {
    if (gain) *gain = 0;
    if (placement_plan(t, req, out) != 0) return -1;
    double g = transfer_plan_gain(out, req);
    if (gain) *gain = g;
    bool chosen = req->label_cores || req->train_cores || req->label_cpuset || req->train_cpuset;
    if (req->sequential || req->interleaved || chosen || (!out->sequential && g >= TRANSFER_MIN_GAIN)) return 0;
    placement_free(out);
    placement_request turns = *req;
    turns.interleaved = true;
    return placement_plan(t, &turns, out);
}

// ---- label stage

// Labels positions [first, first + nb) of idx, whose token ids are in r->seqs/lens: forwards
// of consecutive examples within the labeler's batch and token capacity, then the soft labels
// (nb, K) into `labels` and the argmax into hard[first..].
static int label_batch(transfer_run *r, size_t first, size_t nb, float *labels) {
    const transfer_config *c = r->cfg;
    const size_t K = r->K, capb = cap_batch(c->lm), capt = cap_tokens(c->lm);
    double t = progress_now();
    int rc = 0;
    for (size_t o = 0; o < nb && !rc;) {
        size_t m = 0, tok = 0;
        while (o + m < nb && m < capb && tok + r->lens[o + m] <= capt) tok += r->lens[o + m++];
        rc = labeler_logits_seqs(c->lm, r->seqs + o, r->lens + o, m, r->z + o * K);
        o += m;
    }
    if (!rc) {
        trainer_soft_labels(r->z, nb, K, labels, c->hard + first);
        if (r->label_batches++ == 0) r->first_batch_s = progress_now() - t;
    }
    r->label_busy_s += progress_now() - t;
    return rc;
}

static int label_body(pipeline *p, void *arg) {
    transfer_run *r = arg;
    const transfer_config *c = r->cfg;
    const size_t B = c->batch;
    const int32_t **seqs = r->seqs;
    size_t *lens = r->lens;
    int rc = 0;
    r->label_t0 = progress_now(); // read by the trainer only after a slot this thread committed
    for (size_t first = 0; first < c->n && !rc; first += B) {
        const size_t nb = c->n - first < B ? c->n - first : B;
        pipeline_slot *s;
        if (pipeline_acquire_write(p, &s) != 0) {
            rc = -1;
            break;
        }
        for (size_t j = 0; j < nb; j++) {
            size_t e = c->idx[first + j], len;
            const int32_t *ids = dataset_tokens(c->ds, e, &len);
            if (len > r->max_t || len == 0) {
                rc = W2S_FAIL("%s:%zu: example has %zu tokens, the ring holds 1..%zu", c->ds->path, c->ds->line[e],
                              len, r->max_t);
                break;
            }
            memcpy(s->tokens + j * r->max_t, ids, len * sizeof(int32_t));
            s->lengths[j] = (int32_t)len;
            s->indices[j] = (int64_t)e;
            seqs[j] = s->tokens + j * r->max_t;
            lens[j] = len;
        }
        if (!rc) rc = label_batch(r, first, nb, s->labels); // ring rows: stride max_k = K
        if (!rc) {
            s->batch = nb;
            rc = pipeline_commit_write(p, s);
        }
    }
    return rc;
}

// ---- train stage

// Takes the next slot into cfg->soft. 1 taken, 0 end of stream, -1 failed.
static int take_slot(transfer_run *r) {
    const transfer_config *c = r->cfg;
    pipeline_slot *s;
    int got = pipeline_acquire_read(r->ring, &s);
    if (got <= 0) return got;
    int rc = 0;
    if (r->received + s->batch > c->n)
        rc = W2S_FAIL("label stream holds more than the %zu examples", c->n);
    for (size_t j = 0; j < s->batch && !rc; j++)
        if (s->indices[j] != (int64_t)c->idx[r->received + j])
            rc = W2S_FAIL("label stream out of order: position %zu holds example %lld, expected %zu", r->received + j,
                          (long long)s->indices[j], c->idx[r->received + j]);
    if (!rc) {
        memcpy(c->soft + r->received * r->K, s->labels, s->batch * r->K * sizeof(float));
        r->received += s->batch;
    }
    if (pipeline_release_read(r->ring, s) != 0 && !rc) rc = -1;
    return rc ? -1 : 1;
}

// Interleaved: labels the next batch of positions on the caller's threads, straight into
// cfg->soft. 1 labeled, 0 all were, -1 failed.
static int label_next(transfer_run *r) {
    const transfer_config *c = r->cfg;
    const size_t first = r->received, nb = c->n - first < c->batch ? c->n - first : c->batch;
    if (nb == 0) return 0;
    if (r->label_batches == 0) r->label_t0 = progress_now(); // after the trainer's own set-up
    for (size_t j = 0; j < nb; j++) r->seqs[j] = dataset_tokens(c->ds, c->idx[first + j], &r->lens[j]);
    if (label_batch(r, first, nb, c->soft + first * r->K) != 0) return -1;
    r->received += nb;
    return 1;
}

// The next batch of labels into cfg->soft, from the ring or (interleaved) labeled here.
static int next_labels(transfer_run *r) { return r->ring ? take_slot(r) : label_next(r); }

static int ready_hook(void *feed, size_t first, size_t count) {
    transfer_run *r = feed;
    const size_t n = r->cfg->n, need = first + count >= n ? n : first + count;
    double t = progress_now();
    int rc = 0;
    while (r->received < need && !rc) {
        int got = next_labels(r);
        if (got == 0) rc = W2S_FAIL("label stream ended at %zu of %zu examples", r->received, n);
        else if (got < 0) rc = -1;
    }
    double now = progress_now();
    r->wait_s += now - t;
    if (!r->first_seen) {
        r->first_seen = true;
        r->first_step_s = now - r->label_t0;
    }
    return rc;
}

static int train_body(pipeline *p, void *arg) {
    transfer_run *r = arg;
    r->ring = p;
    double t = progress_now();
    int rc = r->cfg->train(r->cfg->train_arg, ready_hook, r);
    r->train_s = progress_now() - t;
    // Labels the student's steps did not need (the tail of a partial last batch, or the
    // student was resumed past them) are still kept for the other students and the files.
    for (int got = 1; !rc && got == 1;) {
        got = next_labels(r);
        if (got < 0) rc = -1;
    }
    return rc;
}

static int transfer_check(const transfer_config *c, transfer_run *r) {
    if (!c->lm || !c->ds || !c->idx || !c->n || !c->batch || !c->soft || !c->hard || !c->train)
        return W2S_FAIL("transfer: incomplete configuration");
    r->cfg = c;
    r->K = n_classes(c->lm);
    if (r->K != c->ds->n_classes)
        return W2S_FAIL("transfer: the labeler has %zu classes, %s %zu", r->K, c->ds->path, c->ds->n_classes);
    r->max_t = 1;
    for (size_t i = 0; i < c->n; i++) {
        size_t len;
        dataset_tokens(c->ds, c->idx[i], &len);
        r->max_t = len > r->max_t ? len : r->max_t;
    }
    return 0;
}

static void finish_stats(const transfer_run *r, double wall, transfer_stats *st) {
    if (!st) return;
    st->wall_s = wall;
    st->label_busy_s = r->label_busy_s;
    st->train_wait_s = r->wait_s;
    st->train_busy_s = r->train_s - r->wait_s;
    st->startup_s = r->label_t0 > 0 ? r->label_t0 - r->t0 : 0;
    st->first_step_s = r->first_step_s;
    st->first_label_batch_s = r->first_batch_s;
    st->overlap_s = st->label_busy_s + st->train_busy_s - wall;
    st->label_batches = r->label_batches;
}

int transfer_run_pipelined(const transfer_config *c, transfer_stats *st) {
    transfer_run r = {0};
    if (transfer_check(c, &r) != 0) return -1;
    if (c->batch > c->n) return W2S_FAIL("transfer: batch %zu exceeds the %zu examples", c->batch, c->n);
    r.seqs = malloc(c->batch * sizeof *r.seqs);
    r.lens = malloc(c->batch * sizeof *r.lens);
    r.z = malloc(c->batch * r.K * sizeof *r.z);
    int rc = r.seqs && r.lens && r.z ? 0 : W2S_FAIL("transfer: out of memory for a batch of %zu", c->batch);
    r.t0 = progress_now();
    if (!rc && c->plan->interleaved) {
        rc = train_body(NULL, &r);
    } else if (!rc) {
        stages_config sc = {.topo = c->topo, .plan = c->plan, .bind = c->bind,
                            .slots = c->slots ? c->slots : TRANSFER_DEFAULT_SLOTS, .max_b = c->batch,
                            .max_t = r.max_t, .max_k = r.K, .label = label_body, .train = train_body,
                            .label_arg = &r, .train_arg = &r};
        rc = stages_run(&sc, NULL);
    }
    finish_stats(&r, progress_now() - r.t0, st);
    if (st) {
        // Interleaved, both stages run on the caller's OpenMP threads.
        st->label_threads = c->plan->interleaved ? omp_get_max_threads() : c->plan->stage[PLACEMENT_LABEL].n_threads;
        st->train_threads = c->plan->interleaved ? omp_get_max_threads() : c->plan->stage[PLACEMENT_TRAIN].n_threads;
    }
    free(r.seqs);
    free(r.lens);
    free(r.z);
    if (!rc && r.received != c->n) rc = W2S_FAIL("transfer: %zu of %zu labels arrived", r.received, c->n);
    return rc;
}

int transfer_run_sequential(const transfer_config *c, transfer_stats *st) {
    transfer_run r = {0};
    if (transfer_check(c, &r) != 0) return -1;
    r.t0 = r.label_t0 = progress_now();
    int rc = labeler_logits(c->lm, c->ds, c->idx, c->n, c->soft, NULL);
    if (!rc) trainer_soft_labels(c->soft, c->n, r.K, c->soft, c->hard);
    r.label_busy_s = progress_now() - r.t0;
    r.label_batches = (c->n + cap_batch(c->lm) - 1) / cap_batch(c->lm);
    double t = progress_now();
    r.first_step_s = t - r.t0;  // the student's first step starts once everything is labeled
    if (!rc) rc = c->train(c->train_arg, NULL, NULL);
    r.train_s = progress_now() - t;
    finish_stats(&r, progress_now() - r.t0, st);
    if (st) st->label_threads = st->train_threads = omp_get_max_threads();
    return rc;
}
