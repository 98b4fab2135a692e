// labeler.c — length-bucketed batch labeling (labeler.h).
// Not parallel across batches: each batch's forward uses the caller's whole OpenMP team.
// The one thing to know: the order is sorted by (length, position), so batches are fixed by
// the data alone and a rerun gives the same batches (and, batch independence aside, the same
// bits).
#include "labeler.h"

#include "error.h"
#include "world.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t len, pos;
} len_pos;

static int cmp_len_pos(const void *a, const void *b) {
    const len_pos *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static size_t batch_cap(const labeler_model *lm) {
    return lm->q ? gpt2_int8_max_batch(lm->q) : lm->m->opt.max_batch;
}

static size_t seq_cap(const labeler_model *lm) {
    return lm->q ? gpt2_int8_max_seq(lm->q) : lm->m->opt.max_seq;
}

static size_t n_classes(const labeler_model *lm) {
    return lm->q ? gpt2_int8_config(lm->q)->n_classes : lm->m->cfg.n_classes;
}

// fp32/bf16: right-padded (B, T) batch through gpt2_forward.
static int forward_padded(gpt2_model *m, const int32_t *const *seqs, const size_t *lens, size_t n,
                          float *logits) {
    size_t T = 1, K = m->cfg.n_classes;
    for (size_t i = 0; i < n; i++) T = lens[i] > T ? lens[i] : T;
    int32_t *tok = calloc(n * T, sizeof(int32_t)), *len = malloc(n * sizeof(int32_t));
    int rc = (!tok || !len) ? W2S_FAIL("labeler: out of memory") : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        memcpy(tok + i * T, seqs[i], lens[i] * sizeof(int32_t));
        len[i] = (int32_t)lens[i];
    }
    if (!rc) rc = gpt2_forward(m, tok, len, n, T, NULL);
    if (!rc) memcpy(logits, m->acts.cls_logits, n * K * sizeof(float));
    free(tok);
    free(len);
    return rc;
}

int labeler_logits_seqs(const labeler_model *lm, const int32_t *const *seqs, const size_t *lens,
                        size_t n, float *logits) {
    if ((lm->q != NULL) == (lm->m != NULL)) return W2S_FAIL("labeler: give exactly one model");
    if (lm->q) return gpt2_int8_forward(lm->q, seqs, lens, n, logits);
    return forward_padded(lm->m, seqs, lens, n, logits);
}

int labeler_logits(const labeler_model *lm, const dataset *ds, const size_t *idx, size_t n,
                   float *logits, progress *prog) {
    if ((lm->q != NULL) == (lm->m != NULL)) return W2S_FAIL("labeler: give exactly one model");
    if (n == 0) return 0;
    size_t K = n_classes(lm), B = batch_cap(lm), T = seq_cap(lm);
    size_t budget = lm->q ? gpt2_int8_max_tokens(lm->q) : B * T;
    if (ds->n_classes != K)
        return W2S_FAIL("labeler: %s has %zu classes, the model's head %zu", ds->path, ds->n_classes, K);
    len_pos *order = malloc(n * sizeof *order);
    const int32_t **seqs = malloc(B * sizeof *seqs);
    size_t *lens = malloc(B * sizeof *lens);
    float *z = malloc(B * K * sizeof *z);
    int rc = (!order || !seqs || !lens || !z) ? W2S_FAIL("labeler: out of memory") : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t e = idx ? idx[i] : i, len;
        dataset_tokens(ds, e, &len);
        if (len > T)
            rc = W2S_FAIL("%s:%zu: example has %zu tokens, more than the labeler's %zu", ds->path, ds->line[e],
                          len, T);
        order[i] = (len_pos){len, i};
    }
    if (!rc) qsort(order, n, sizeof *order, cmp_len_pos);
    size_t done = 0;
    while (done < n && !rc) {
        size_t nb = 0, tokens = 0;
        while (done + nb < n && nb < B && tokens + order[done + nb].len <= budget) {
            size_t pos = order[done + nb].pos, e = idx ? idx[pos] : pos;
            seqs[nb] = dataset_tokens(ds, e, &lens[nb]);
            tokens += lens[nb++];
        }
        rc = labeler_logits_seqs(lm, seqs, lens, nb, z);
        for (size_t b = 0; b < nb && !rc; b++)
            memcpy(logits + order[done + b].pos * K, z + b * K, K * sizeof(float));
        done += nb;
        if (!rc && prog) progress_update(prog, done, NULL);
    }
    free(order);
    free(seqs);
    free(lens);
    free(z);
    return rc;
}

gpt2_int8 *labeler_int8_create(const gpt2_model *m, size_t batch, size_t max_seq) {
    return gpt2_int8_create(m, batch, max_seq, batch * max_seq);
}

int labeler_logits_sharded(const labeler_model *lm, const dataset *ds, const size_t *idx, size_t n, size_t K,
                           float *logits, progress *prog, bool to_all) {
    const int p = dist_size();
    size_t lo, hi;
    dist_shard(n, dist_rank(), p, &lo, &hi);
    if (!idx && p > 1) return W2S_FAIL("labeler: labeling across ranks needs an index list");
    int rc = hi > lo ? labeler_logits(lm, ds, idx ? idx + lo : NULL, hi - lo, logits + lo * K, prog) : 0;
    if (p == 1) return rc;
    if ((rc = dist_agree(rc))) return rc;
    size_t *counts = malloc((size_t)p * sizeof *counts);
    if (!counts) return W2S_FAIL("labeler: out of memory");
    for (int r = 0; r < p; r++) {
        size_t a, b;
        dist_shard(n, r, p, &a, &b);
        counts[r] = (b - a) * K * (to_all ? 1 : sizeof(float));
    }
    // Every rank's rows are already at their place in logits: the gathers fill the others'.
    rc = to_all ? dist_allgather_f32(logits + lo * K, logits, counts) : dist_gather_bytes(logits + lo * K, logits, counts);
    free(counts);
    return rc;
}
