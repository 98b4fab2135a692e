// demo_transfer.c — int8 weak labels streamed into the demo's student probes (demo_transfer.h).
#include "demo_transfer.h"

#include "error.h"
#include "progress.h"
#include "stages.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    demo_transfer *t;
    probe_trainer *tr[DEMO_STUDENTS];
    double t0, label_t0, label_busy, train_busy, first_step; // label_t0: the first label batch's start
    size_t label_batches, received;
} transfer_state;

// Labels examples [s0, s0 + nb) of B into labels (nb, K): int8 weak body → features → probe.
static int label_batch(transfer_state *s, size_t s0, size_t nb, float *labels) {
    demo_transfer *t = s->t;
    const int32_t *seqs[64];
    size_t lens[64];
    if (nb > 64) return W2S_FAIL("demo transfer: label batch %zu > 64", nb);
    for (size_t r = 0; r < nb; r++) {
        seqs[r] = t->tokens + t->rows[s0 + r] * t->T;
        lens[r] = t->T;
    }
    double t0 = progress_now();
    if (s->label_batches == 0) s->label_t0 = t0; // read by the trainer only after that batch's slot
    int rc = gpt2_int8_forward(t->weak, seqs, lens, nb, NULL);
    if (rc == 0) rc = probe_predict(t->weak_head, gpt2_int8_features(t->weak), nb, labels);
    s->label_busy += progress_now() - t0;
    s->label_batches++;
    return rc;
}

// One optimizer step of every student on examples idx[0..nb) (whose labels have arrived).
static int students_step(transfer_state *s, const size_t *idx, size_t nb) {
    double t0 = progress_now();
    if (s->received == 0) s->first_step = t0 - s->label_t0;
    for (int k = 0; k < DEMO_STUDENTS; k++)
        if (probe_trainer_step(s->tr[k], s->t->x_strong, s->t->weak_soft, idx, nb) != 0) return -1;
    s->received += nb;
    s->train_busy += progress_now() - t0;
    return 0;
}

static int students_finish(transfer_state *s) {
    double t0 = progress_now();
    for (int k = 0; k < DEMO_STUDENTS; k++)
        if (probe_trainer_epochs(s->tr[k], s->t->x_strong, s->t->weak_soft, 1) != 0) return -1;
    s->train_busy += progress_now() - t0;
    return 0;
}

static int label_body(pipeline *p, void *arg) {
    transfer_state *s = arg;
    const size_t n = s->t->n, B = s->t->student_cfg[0].batch;
    for (size_t s0 = 0; s0 < n; s0 += B) {
        size_t nb = n - s0 < B ? n - s0 : B;
        pipeline_slot *slot;
        if (pipeline_acquire_write(p, &slot) != 0) return -1;
        if (label_batch(s, s0, nb, slot->labels) != 0) return -1;
        for (size_t r = 0; r < nb; r++) slot->indices[r] = (int64_t)(s0 + r);
        slot->batch = nb;
        if (pipeline_commit_write(p, slot) != 0) return -1;
    }
    return 0;
}

static int train_body(pipeline *p, void *arg) {
    transfer_state *s = arg;
    const size_t K = s->t->weak_head->k;
    size_t idx[64];
    for (;;) {
        pipeline_slot *slot;
        int got = pipeline_acquire_read(p, &slot);
        if (got < 0) return -1;
        if (got == 0) break;
        int rc = 0;
        for (size_t r = 0; r < slot->batch; r++) {
            idx[r] = (size_t)slot->indices[r];
            // Labels arrive in order: anything else would break the first epoch's order.
            if (idx[r] != s->received + r) rc = W2S_FAIL("demo transfer: label %zu arrived out of order", idx[r]);
            memcpy(s->t->weak_soft + idx[r] * K, slot->labels + r * K, K * sizeof(float));
        }
        size_t nb = slot->batch;
        if (pipeline_release_read(p, slot) != 0 || rc != 0) return -1;
        if (students_step(s, idx, nb) != 0) return -1;
    }
    if (s->received != s->t->n) return W2S_FAIL("demo transfer: %zu of %zu labels arrived", s->received, s->t->n);
    return students_finish(s);
}

// Interleaved plan: each batch labeled on the caller's threads just before the students' step.
static int run_interleaved(transfer_state *s) {
    demo_transfer *t = s->t;
    const size_t B = t->student_cfg[0].batch;
    size_t idx[64];
    for (size_t s0 = 0; s0 < t->n; s0 += B) {
        size_t nb = t->n - s0 < B ? t->n - s0 : B;
        if (label_batch(s, s0, nb, t->weak_soft + s0 * t->weak_head->k) != 0) return -1;
        for (size_t r = 0; r < nb; r++) idx[r] = s0 + r;
        if (students_step(s, idx, nb) != 0) return -1;
    }
    return students_finish(s);
}

// Labels everything, then trains: the same batches in the same order as the pipeline.
static int run_sequential(transfer_state *s) {
    demo_transfer *t = s->t;
    const size_t B = t->student_cfg[0].batch;
    for (size_t s0 = 0; s0 < t->n; s0 += B)
        if (label_batch(s, s0, t->n - s0 < B ? t->n - s0 : B, t->weak_soft + s0 * t->weak_head->k) != 0) return -1;
    size_t idx[64];
    for (size_t s0 = 0; s0 < t->n; s0 += B) {
        size_t nb = t->n - s0 < B ? t->n - s0 : B;
        for (size_t r = 0; r < nb; r++) idx[r] = s0 + r;
        if (students_step(s, idx, nb) != 0) return -1;
    }
    return students_finish(s);
}

int demo_transfer_run(demo_transfer *t, demo_transfer_stats *st) {
    transfer_state s = {.t = t};
    for (int k = 0; k < DEMO_STUDENTS; k++) {
        if (t->student_cfg[k].batch != t->student_cfg[0].batch || t->student_cfg[k].batch > 64 ||
            !t->student_cfg[k].first_epoch_in_order)
            return W2S_FAIL("demo transfer: students need one batch size <= 64 and their first epoch in order");
        probe_fit_standardizer(t->students[k], t->x_strong, t->n);
    }
    int rc = 0;
    for (int k = 0; k < DEMO_STUDENTS && rc == 0; k++)
        if (!(s.tr[k] = probe_trainer_create(t->students[k], &t->student_cfg[k], t->n))) rc = -1;
    s.t0 = progress_now();
    if (rc == 0 && t->pipelined && t->plan->interleaved) {
        rc = run_interleaved(&s);
    } else if (rc == 0 && t->pipelined) {
        stages_config sc = {.topo = t->topo, .plan = t->plan, .bind = true, .slots = 4,
                            .max_b = t->student_cfg[0].batch, .max_t = 1, .max_k = t->weak_head->k,
                            .label = label_body, .train = train_body, .label_arg = &s, .train_arg = &s};
        rc = stages_run(&sc, NULL);
    } else if (rc == 0) {
        rc = run_sequential(&s);
    }
    if (st) *st = (demo_transfer_stats){.wall_s = progress_now() - s.t0, .label_busy_s = s.label_busy,
                                        .train_busy_s = s.train_busy, .first_step_s = s.first_step,
                                        .label_batches = s.label_batches};
    for (int k = 0; k < DEMO_STUDENTS; k++) probe_trainer_destroy(s.tr[k]);
    return rc;
}
