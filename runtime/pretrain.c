// pretrain.c — the pretraining loop and its evaluation (pretrain.h).
#include "pretrain.h"

#include "error.h"
#include "optim.h"
#include "progress.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

// Weight decay on 2-D tensors (matrices and embeddings), not biases or LayerNorm (GPT-2 practice).
static size_t decay_segments(const gpt2_model *m, optim_segment *segs) {
    size_t n = 0;
    for (int i = 0; i < GPT2_NUM_TENSORS; i++)
        if (m->tensors[i].numel)
            segs[n++] = (optim_segment){m->tensors[i].offset, m->tensors[i].numel, m->tensors[i].ndim == 2};
    return n;
}

int pretrain_run(gpt2_model *m, const pretrain_config *c, const int32_t *tokens, const int32_t *targets,
                 size_t n, size_t T, float *final_loss) {
    const size_t B = c->batch;
    if (B == 0 || B > m->opt.max_batch || B > n || T > m->opt.max_seq)
        return W2S_FAIL("pretrain: batch %zu of %zu sequences of %zu tokens does not fit the model (max %zu x %zu)",
                        B, n, T, m->opt.max_batch, m->opt.max_seq);
    optim_adam_config ac = {.beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                            .weight_decay = c->weight_decay, .clip_norm = c->clip_norm};
    optim_adam *adam = optim_adam_create(&ac, m->num_params);
    size_t *order = malloc(n * sizeof(size_t));
    int32_t *bt = malloc(B * T * sizeof(int32_t)), *by = malloc(B * T * sizeof(int32_t));
    int32_t *len = malloc(B * sizeof(int32_t));
    if (!adam || !order || !bt || !by || !len) {
        optim_adam_destroy(adam);
        free(order); free(bt); free(by); free(len);
        return W2S_FAIL("pretrain: out of memory");
    }
    optim_segment segs[GPT2_NUM_TENSORS];
    size_t nseg = decay_segments(m, segs);
    for (size_t b = 0; b < B; b++) len[b] = (int32_t)T;
    for (size_t i = 0; i < n; i++) order[i] = i;
    rng batch_rng;
    rng_seed(&batch_rng, c->seed);

    progress pr;
    progress_start(&pr, c->label ? c->label : "pretrain", c->steps, "steps", c->quiet);
    size_t cursor = n;  // forces a shuffle before the first batch
    double tail_loss = 0;
    size_t tail_n = 0, tail_from = c->steps - c->steps / 10;
    int rc = 0;
    for (size_t step = 0; step < c->steps; step++) {
        for (size_t b = 0; b < B; b++) {
            if (cursor == n) {  // a new pass: reshuffle, then draw without replacement
                rng_shuffle_indices(&batch_rng, order, n);
                cursor = 0;
            }
            size_t i = order[cursor++];
            memcpy(bt + b * T, tokens + i * T, T * sizeof(int32_t));
            memcpy(by + b * T, targets + i * T, T * sizeof(int32_t));
        }
        if ((rc = gpt2_forward(m, bt, len, B, T, by)) != 0) break;
        gpt2_zero_grad(m);
        if ((rc = gpt2_backward(m, NULL, 1.0f)) != 0) break;
        float lr = optim_lr_cosine(step, c->steps, c->warmup, c->lr, c->lr * c->lr_floor_frac);
        optim_adam_step(adam, m->params_memory, m->grads_memory, segs, nseg, lr);
        if (step >= tail_from) {
            tail_loss += m->lm_loss;
            tail_n++;
        }
        progress_update(&pr, step + 1, "loss %.3f", m->lm_loss);
    }
    progress_finish(&pr);
    if (rc != 0) w2s_error_wrap("pretraining %s", c->label ? c->label : "");
    else if (final_loss) *final_loss = (float)(tail_loss / (double)(tail_n ? tail_n : 1));
    optim_adam_destroy(adam);
    free(order); free(bt); free(by); free(len);
    return rc;
}

int pretrain_evaluate(gpt2_model *m, const int32_t *tokens, const int32_t *targets, size_t n, size_t T,
                      size_t probe_pos, double *lm_loss, double *probe_acc, float *features) {
    const size_t B = m->opt.max_batch, VO = m->lm_vocab, C = m->cfg.n_embd;
    int32_t *len = malloc(B * sizeof(int32_t));
    if (!len) return W2S_FAIL("out of memory");
    for (size_t b = 0; b < B; b++) len[b] = (int32_t)T;
    double loss_sum = 0;
    size_t correct = 0;
    for (size_t s0 = 0; s0 < n; s0 += B) {
        size_t nb = n - s0 < B ? n - s0 : B;
        if (gpt2_forward(m, tokens + s0 * T, len, nb, T, targets + s0 * T) != 0) {
            free(len);
            return -1;
        }
        loss_sum += (double)m->lm_loss * (double)nb;
        for (size_t b = 0; b < nb; b++) {
            const float *p = m->acts.lm_logits + (b * T + probe_pos) * VO;
            size_t best = 0;
            for (size_t v = 1; v < VO; v++) best = p[v] > p[best] ? v : best;
            correct += (int32_t)best == targets[(s0 + b) * T + probe_pos];
            if (features)
                memcpy(features + (s0 + b) * C, m->acts.lnf + (b * T + probe_pos) * C, C * sizeof(float));
        }
    }
    free(len);
    *lm_loss = loss_sum / (double)n;
    *probe_acc = (double)correct / (double)n;
    return 0;
}
