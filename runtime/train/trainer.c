// trainer.c — classification fine-tuning with whole-batch losses, prediction, evaluation and
// resumable checkpoints (trainer.h). Checkpoints are safetensors files: the parameter buffer,
// Adam's two moments (raw F32, so a resume is bit-exact) and the step and run key in metadata.
// Under MPI (world.h) each rank forwards and backpropagates its contiguous share of every
// batch; the logits are all-gathered so every rank computes the whole-batch loss, the
// gradients are summed in rank order, and only rank 0 reads and writes checkpoints.
#include "trainer.h"

#include "error.h"
#include "metrics.h"
#include "optim.h"
#include "progress.h"
#include "reducer.h"
#include "train_ckpt.h"
#include "world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trainer_config_default(trainer_config *c) {
    memset(c, 0, sizeof *c);
    c->epochs = 2;
    c->batch = 32;
    c->lr = 5e-5f;
    loss_config_default(&c->loss, LOSS_XENT);
    c->ckpt_every_s = 600;
}

float trainer_default_lr(const gpt2_config *cfg) { return cfg->n_embd <= 1024 ? 5e-5f : 1e-5f; }

size_t trainer_auto_minibatch(const gpt2_config *cfg, gpt2_precision precision, size_t T, size_t batch,
                              size_t budget) {
    size_t mb = budget / gpt2_act_bytes(cfg, precision, 0, 1, T);
    return mb < 1 ? 1 : mb > batch ? batch : mb;
}

size_t trainer_total_steps(size_t n, size_t epochs, size_t batch) {
    if (batch > n) batch = n;
    size_t s = batch ? n * epochs / batch : 0;
    return s ? s : 1;
}

// ---- batches

typedef struct {
    int32_t *tokens;   // (max_batch, max_seq)
    int32_t *lengths;  // (max_batch)
} batch_buf;

static int batch_alloc(batch_buf *b, const gpt2_model *m) {
    b->tokens = calloc(m->opt.max_batch * m->opt.max_seq, sizeof(int32_t));
    b->lengths = calloc(m->opt.max_batch, sizeof(int32_t));
    if (!b->tokens || !b->lengths) return W2S_FAIL("trainer: out of memory for a batch");
    return 0;
}

static void batch_free(batch_buf *b) {
    free(b->tokens);
    free(b->lengths);
}

static size_t example_of(const trainer_data *d, size_t i) { return d->idx ? d->idx[i] : i; }

// Packs examples pos[0..nb) (positions into d, taken modulo d->n) right-padded into b and runs
// the forward; *T gets the padded length (the longest example).
static int forward_examples(gpt2_model *m, const trainer_data *d, size_t first, size_t nb, batch_buf *b) {
    size_t T = 1;
    for (size_t j = 0; j < nb; j++) {
        size_t len;
        dataset_tokens(d->ds, example_of(d, (first + j) % d->n), &len);
        if (len > T) T = len;
    }
    if (T > m->opt.max_seq) return W2S_FAIL("trainer: an example of %zu tokens exceeds the model's %zu", T, m->opt.max_seq);
    for (size_t j = 0; j < nb; j++) {
        size_t e = example_of(d, (first + j) % d->n), len;
        const int32_t *ids = dataset_tokens(d->ds, e, &len);
        if (len == 0)
            return W2S_FAIL("%s:%zu: example has no tokens (empty text?)", d->ds->path, d->ds->line[e]);
        memcpy(b->tokens + j * T, ids, len * sizeof(int32_t));
        memset(b->tokens + j * T + len, 0, (T - len) * sizeof(int32_t));  // pad ids are never read
        b->lengths[j] = (int32_t)len;
    }
    return gpt2_forward(m, b->tokens, b->lengths, nb, T, NULL);
}

static const float *target_of(const trainer_data *d, size_t pos) {
    size_t K = d->ds->n_classes;
    return d->targets ? d->targets + pos * K : dataset_target(d->ds, example_of(d, pos));
}

// ---- checkpoints

// The learning curve rides in the checkpoint as text: "step accuracy loss;" per point, hex
// floats, so a resumed curve is bit-exact.
static const train_ckpt_kind trainer_ckpt = {.prefix = "w2s_trainer", .extra = "curve", .what = "training"};

static void curve_format(const trainer_stats *st, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < st->n_curve && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%zu %a %a;", st->curve[i].step, st->curve[i].accuracy,
                                st->curve[i].loss);
}

// train_ckpt_extra_fn: a curve that does not parse ends where it stops (it is a report, not state).
static int curve_parse(void *arg, const char *s) {
    trainer_stats *st = arg;
    st->n_curve = 0;
    while (s && *s && st->n_curve < TRAINER_MAX_CURVE) {
        trainer_curve_point p;
        int used = 0;
        if (sscanf(s, "%zu %la %la;%n", &p.step, &p.accuracy, &p.loss, &used) != 3 || used == 0) break;
        st->curve[st->n_curve++] = p;
        s += used;
    }
    return 0;
}

static int ckpt_save(const char *path, const gpt2_model *m, const optim_adam *o, uint64_t key, size_t step,
                     size_t total, const trainer_stats *st) {
    char *curve = NULL;
    if (st->n_curve && (curve = malloc(st->n_curve * 96 + 1)) == NULL) return W2S_FAIL("trainer: out of memory");
    if (curve) curve_format(st, curve, st->n_curve * 96 + 1);
    int rc = train_ckpt_save(&trainer_ckpt, path, m, o, key, step, total, curve);
    free(curve);
    return rc;
}

// ---- training

void trainer_segments_init(trainer_segments *s, const gpt2_model *m, bool head_only) {
    s->n = 0;
    s->body = !head_only;
    for (size_t i = 0; i < GPT2_NUM_TENSORS; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        if (!t->numel || (head_only && strcmp(t->name, "score.weight"))) continue;
        s->segs[s->n++] = (optim_segment){t->offset, t->numel, t->ndim == 2, gpt2_optim_chunk(m, i)};
    }
}

// Bucket of layer l's gradients (the last layer's come first in the backward), or of the rest.
static size_t grad_bucket(const gpt2_model *m, int layer) {
    return layer >= 0 ? m->cfg.n_layer - 1 - (size_t)layer : m->cfg.n_layer;
}

static int grad_ready(void *arg, int layer) {
    trainer_grad_sync *g = arg;
    return dist_reducer_start(g->red, grad_bucket(g->m, layer));
}

int trainer_grad_sync_init(trainer_grad_sync *g, gpt2_model *m, const trainer_segments *segs) {
    *g = (trainer_grad_sync){.m = m, .segs = segs};
    bool overlap;
    if (dist_allreduce_mode(&overlap)) return -1;
    // The head alone (linear probe) is one small tensor: nothing to overlap it with.
    if (dist_size() == 1 || !overlap || !segs->body) return 0;
    const size_t L = m->cfg.n_layer;
    if (!(g->red = dist_reducer_create(m->grads_memory, L + 1))) return -1;
    int rc = 0;
    for (size_t i = 0; i < GPT2_NUM_TENSORS && !rc; i++) {
        const gpt2_tensor_info *t = &m->tensors[i];
        if (!t->numel) continue;
        if (!t->per_layer) {
            rc = dist_reducer_add(g->red, grad_bucket(m, -1), t->offset, t->numel);
            continue;
        }
        const size_t per = t->numel / L;  // (L, ...): layer l's slice is contiguous
        for (size_t l = 0; l < L && !rc; l++) rc = dist_reducer_add(g->red, grad_bucket(m, (int)l), t->offset + l * per, per);
    }
    return rc;
}

void trainer_grad_sync_arm(trainer_grad_sync *g) {
    if (!g->red) return;
    g->m->grad_ready = grad_ready;
    g->m->grad_ready_arg = g;
}

int trainer_grad_sync_finish(trainer_grad_sync *g) {
    g->m->grad_ready = NULL;
    g->m->grad_ready_arg = NULL;
    if (g->red) return dist_reducer_finish(g->red);
    int rc = 0;
    for (size_t i = 0; i < g->segs->n && !rc && dist_size() > 1; i++)
        rc = dist_allreduce_sum_f32(g->m->grads_memory + g->segs->segs[i].offset, g->segs->segs[i].count);
    return rc;
}

void trainer_grad_sync_free(trainer_grad_sync *g) {
    dist_reducer_destroy(g->red);
    g->red = NULL;
}

void trainer_adam_step(gpt2_model *m, optim_adam *o, const trainer_segments *s, float lr) {
    if (!s->body) {  // the head is not packed: the body's packs stay current
        optim_adam_step(o, m->params_memory, m->grads_memory, s->segs, s->n, lr);
        return;
    }
    gpt2_params_changed(m);
    optim_adam_step_hooked(o, m->params_memory, m->grads_memory, s->segs, s->n, lr, gpt2_params_written, m);
    gpt2_params_repacked(m);
}

int trainer_train(gpt2_model *m, const trainer_config *c, const trainer_data *d, trainer_stats *st) {
    const size_t K = d->ds->n_classes, MB = m->opt.max_batch;
    if (d->n == 0) return W2S_FAIL("trainer: no examples to train on");
    if (m->cfg.n_classes != K || K < 2)
        return W2S_FAIL("trainer: the model has %zu classes, the data %zu", m->cfg.n_classes, K);
    for (size_t i = 0; i < d->n; i++)
        if (!target_of(d, i))
            return W2S_FAIL("%s:%zu: example has no label to train on", d->ds->path, d->ds->line[example_of(d, i)]);
    const size_t B = c->batch < d->n ? c->batch : d->n, total = trainer_total_steps(d->n, c->epochs, c->batch);
    if (B == 0) return W2S_FAIL("trainer: batch size 0");
    if (c->eval_every && (total + c->eval_every - 1) / c->eval_every > TRAINER_MAX_CURVE)
        return W2S_FAIL("trainer: evaluating every %zu of %zu steps gives more than %d curve points (raise the "
                        "evaluation interval)", c->eval_every, total, TRAINER_MAX_CURVE);
    if (c->eval_every && !c->eval_data) return W2S_FAIL("trainer: a learning curve needs evaluation data");
    double t0 = progress_now();
    optim_adam_config ac = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = c->weight_decay,
                            .clip_norm = 0};
    optim_adam *adam = optim_adam_create(&ac, m->num_params);
    float *z = malloc(B * K * sizeof(float)), *y = malloc(B * K * sizeof(float));
    float *dz = malloc(B * K * sizeof(float)), *work = malloc(loss_work_floats(B, K) * sizeof(float));
    batch_buf bb = {0};
    int rc = (!adam || !z || !y || !dz || !work) ? W2S_FAIL("trainer: out of memory") : batch_alloc(&bb, m);
    bool saved_probe = m->linear_probe;
    m->linear_probe = c->linear_probe;
    trainer_segments segs;
    trainer_segments_init(&segs, m, c->linear_probe);
    size_t step = 0;
    trainer_stats stats_local, *sx = st ? st : &stats_local;
    memset(sx, 0, sizeof *sx);
    if (!rc && c->ckpt_path) rc = train_ckpt_load_shared(&trainer_ckpt, c->ckpt_path, m, adam, c->ckpt_key, total, &step,
                                                           curve_parse, sx, NULL, 0);
    // This rank's share [lo, hi) of every batch; its logits land at z + lo·K.
    size_t lo, hi, *zcounts = malloc((size_t)dist_size() * sizeof(size_t));
    dist_shard(B, dist_rank(), dist_size(), &lo, &hi);
    if (!zcounts && !rc) rc = W2S_FAIL("trainer: out of memory");
    for (int r = 0; zcounts && r < dist_size(); r++) {
        size_t a, b;
        dist_shard(B, r, dist_size(), &a, &b);
        zcounts[r] = (b - a) * K;
    }
    sx->steps = total;
    sx->resumed_step = step;
    // Between optimizer steps only this loop's forwards and backwards read the weights: their
    // bf16 packs are made inside the optimizer step (trainer_adam_step), however many
    // minibatches the batch takes.
    gpt2_pack_cache(m, true);
    trainer_grad_sync gsync = {0};
    if (!(rc = dist_agree(rc))) rc = trainer_grad_sync_init(&gsync, m, &segs);
    progress pr;
    progress_start(&pr, c->label ? c->label : "train", total, "steps", c->quiet || !dist_is_root());
    double last_ckpt = progress_now(), loss = NAN;
    // Every rank takes the same branch at each dist_agree, so one failing rank stops all.
    for (; step < total && !(rc = dist_agree(rc)); step++) {
        const size_t first = step * B;  // position in the chained epochs; wraps modulo n
        const size_t nl = hi - lo, nmb = (nl + MB - 1) / MB;
        if (c->targets_ready && c->targets_ready(c->targets_ready_arg, first % d->n, B) != 0) rc = -1;
        for (size_t j = 0; j < B && !rc; j++) memcpy(y + j * K, target_of(d, (first + j) % d->n), K * sizeof(float));
        for (size_t mb = 0; mb < nmb && !rc; mb++) {
            size_t o = lo + mb * MB, nb = hi - o < MB ? hi - o : MB;
            rc = forward_examples(m, d, first + o, nb, &bb);
            if (!rc) memcpy(z + o * K, m->acts.cls_logits, nb * K * sizeof(float));
        }
        if ((rc = dist_agree(rc)) || (rc = dist_allgather_f32(z + lo * K, z, zcounts))) break;
        float lossf = 0;
        rc = loss_compute(&c->loss, z, y, B, K, (float)step / (float)total, work, &lossf, dz);
        if (!rc) gpt2_zero_grad(m);
        // Backward from the last minibatch down (its activations are still live) to minibatch
        // 1; minibatch 0's backward makes the gradients final, and with overlap their sum
        // over the ranks starts inside it, layer by layer (trainer_grad_sync).
        for (size_t mb = nmb; mb-- > 1 && !rc;) {
            size_t o = lo + mb * MB, nb = hi - o < MB ? hi - o : MB;
            if (mb != nmb - 1) rc = forward_examples(m, d, first + o, nb, &bb);
            if (!rc) rc = gpt2_backward(m, dz + o * K, 0.0f);
        }
        if (!rc && nmb > 1) rc = forward_examples(m, d, first + lo, MB, &bb);
        if ((rc = dist_agree(rc))) break;
        trainer_grad_sync_arm(&gsync);
        if (nmb) rc = gpt2_backward(m, dz + lo * K, 0.0f);
        int rs = trainer_grad_sync_finish(&gsync);  // every rank, so the collectives match
        if ((rc = dist_agree(rc ? rc : rs))) break;
        float lr = optim_lr_cosine(step, total, 0, c->lr, 0.0f);
        trainer_adam_step(m, adam, &segs, lr);
        loss = lossf;
        if (c->eval_every && ((step + 1) % c->eval_every == 0 || step + 1 == total)) {
            // Forwards only, between optimizer steps: the packs stay current and the next
            // step's forwards start afresh, so the trained weights are the same with or without.
            trainer_eval_result ev;
            rc = trainer_evaluate(m, c->eval_data, NULL, &ev);
            if (rc) break;
            sx->curve[sx->n_curve++] = (trainer_curve_point){step + 1, ev.accuracy, ev.loss};
        }
        progress_update(&pr, step + 1, "loss %.4f", lossf);
        double now = progress_now();
        bool due = (c->ckpt_every && (step + 1) % c->ckpt_every == 0) ||
                   (c->ckpt_every_s > 0 && now - last_ckpt >= c->ckpt_every_s);
        if (c->ckpt_path && due && step + 1 < total && dist_is_root()) {
            rc = ckpt_save(c->ckpt_path, m, adam, c->ckpt_key, step + 1, total, sx);
            last_ckpt = now;
        }
    }
    progress_finish(&pr);
    trainer_grad_sync_free(&gsync);
    gpt2_pack_cache(m, false);
    m->linear_probe = saved_probe;
    sx->final_loss = loss;
    sx->seconds = progress_now() - t0;
    if (rc) w2s_error_wrap("training %s", c->label ? c->label : "");
    optim_adam_destroy(adam);
    free(z); free(y); free(dz); free(work); free(zcounts);
    batch_free(&bb);
    return rc;
}

// ---- prediction and evaluation

int trainer_predict(gpt2_model *m, const trainer_data *d, float *logits) {
    const size_t K = m->cfg.n_classes, MB = m->opt.max_batch;
    const int p = dist_size();
    size_t lo, hi;  // this rank's share; an example's logits do not depend on its batch-mates
    dist_shard(d->n, dist_rank(), p, &lo, &hi);
    batch_buf bb = {0};
    int rc = batch_alloc(&bb, m);
    for (size_t o = lo; o < hi && !rc; o += MB) {
        size_t nb = hi - o < MB ? hi - o : MB;
        rc = forward_examples(m, d, o, nb, &bb);
        if (!rc) memcpy(logits + o * K, m->acts.cls_logits, nb * K * sizeof(float));
    }
    batch_free(&bb);
    if (p == 1 || (rc = dist_agree(rc))) return rc;
    size_t *counts = malloc((size_t)p * sizeof *counts);
    if (!counts) return W2S_FAIL("trainer: out of memory");
    for (int r = 0; r < p; r++) {
        size_t a, b;
        dist_shard(d->n, r, p, &a, &b);
        counts[r] = (b - a) * K;
    }
    rc = dist_allgather_f32(logits + lo * K, logits, counts);
    free(counts);
    return rc;
}

// Mean −log softmax(z)[label] over the labeled rows (label >= 0); NAN when there are none.
static double mean_xent(const float *z, const int32_t *lab, size_t n, size_t K) {
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        if (lab[i] < 0 || (size_t)lab[i] >= K) continue;
        const float *row = z + i * K;
        double mx = row[0], se = 0;
        for (size_t k = 1; k < K; k++) mx = row[k] > mx ? row[k] : mx;
        for (size_t k = 0; k < K; k++) se += exp((double)row[k] - mx);
        sum += mx + log(se) - (double)row[lab[i]];
        cnt++;
    }
    return cnt ? sum / (double)cnt : NAN;
}

int trainer_evaluate(gpt2_model *m, const trainer_data *d, float *logits, trainer_eval_result *r) {
    const size_t K = m->cfg.n_classes;
    double t0 = progress_now();
    float *z = logits ? logits : malloc(d->n * K * sizeof(float));
    int32_t *lab = malloc(d->n * sizeof(int32_t));
    int rc = (!z || !lab) ? W2S_FAIL("trainer: out of memory") : trainer_predict(m, d, z);
    if (!rc) {
        for (size_t i = 0; i < d->n; i++) lab[i] = d->ds->hard_label[example_of(d, i)];
        r->n = d->n;
        r->accuracy = metrics_accuracy(z, lab, d->n, K);
        r->loss = mean_xent(z, lab, d->n, K);
        r->auroc = NAN;
        r->auroc_reason = "AUROC is defined for binary tasks only";
        if (K == 2) r->auroc = metrics_auroc_logits(z, lab, d->n, &r->auroc_reason);
        r->seconds = progress_now() - t0;
    }
    if (z != logits) free(z);
    free(lab);
    return rc;
}

void trainer_soft_labels(const float *logits, size_t n, size_t K, float *probs, int32_t *hard) {
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * K;
        float *p = probs + i * K;
        if (hard) hard[i] = (int32_t)metrics_argmax(z, K);
        float mx = z[0];
        for (size_t k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
        double sum = 0;
        for (size_t k = 0; k < K; k++) {
            p[k] = expf(z[k] - mx);
            sum += p[k];
        }
        for (size_t k = 0; k < K; k++) p[k] = (float)(p[k] / sum);
    }
}
