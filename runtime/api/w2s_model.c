// w2s_model.c — the public API's models (w2s.h): open a classifier and its tokenizer,
// tokenize, and label texts or token ids into the caller's probability array.
// Not a second labeler: the model is label_model.h's (what `w2s label` opens) and the batching
// is labeler.h's, so the numbers are the command's. The one thing to know: the labeling model
// is (re)loaded lazily, for the precision asked and the longest input seen so far, because
// the int8 graph is sized for a token budget.
#include "w2s_internal.h"

#include "dataset.h"
#include "error.h"
#include "label_model.h"
#include "labeler.h"
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

struct w2s_model {
    w2s_context *ctx;
    label_ctx x;
    bool loaded;     // x.lm holds a model at x.o.precision ...
    size_t max_seq;  // ... for sequences of at most this many tokens
    char *path;      // x.o.model points here
};

static const label_precision precisions[] = {LABEL_INT8, LABEL_BF16, LABEL_FP32};

w2s_status w2s_model_open(w2s_context *ctx, const char *path, const char *tokenizer_dir, w2s_model **model,
                          char *err, size_t err_cap) {
    if (!ctx || !path || !model)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_model_open: ctx, path and model must not be NULL");
    *model = NULL;
    api_begin(ctx);
    w2s_model *m = calloc(1, sizeof *m);
    char *p = strdup(path), *td = tokenizer_dir ? strdup(tokenizer_dir) : NULL;
    if (!m || !p || (tokenizer_dir && !td)) {
        free(m);
        free(p);
        free(td);
        return api_fail(W2S_ERR_RUNTIME, err, err_cap, "w2s_model_open: out of memory");
    }
    label_options o = {.model = p, .tokenizer = td, .batch = 8, .precision = LABEL_INT8, .quiet = true};
    int rc = label_open(&m->x, &o);
    free(td);  // label_open has read the tokenizer; only the model path is kept
    m->x.o.tokenizer = NULL;
    m->ctx = ctx;
    m->path = p;
    if (rc) {
        w2s_model_close(m);
        return api_end(rc, W2S_ERR_RUNTIME, err, err_cap);
    }
    *model = m;
    return api_end(0, W2S_OK, err, err_cap);
}

void w2s_model_close(w2s_model *model) {
    if (!model) return;
    label_close(&model->x);
    free(model->path);
    free(model);
}

w2s_status w2s_model_shape(const w2s_model *model, size_t *n_classes, size_t *n_positions, size_t *vocab_size,
                           char *err, size_t err_cap) {
    if (!model) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_model_shape: model is NULL");
    if (n_classes) *n_classes = model->x.cfg.n_classes;
    if (n_positions) *n_positions = model->x.max_ctx;
    if (vocab_size) *vocab_size = model->x.cfg.vocab_size;
    return api_end(0, W2S_OK, err, err_cap);
}

w2s_status w2s_model_set_batch(w2s_model *model, size_t batch, char *err, size_t err_cap) {
    if (!model) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_model_set_batch: model is NULL");
    if (batch < 1 || batch > 4096) return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "batch %zu: expected 1 to 4096", batch);
    if (batch != model->x.o.batch) {
        label_unload_models(&model->x);
        model->loaded = false;
    }
    model->x.o.batch = batch;
    return api_end(0, W2S_OK, err, err_cap);
}

w2s_status w2s_model_tokenize(w2s_model *model, const char *text, size_t len, int32_t *ids, size_t cap,
                              size_t *n_ids, char *err, size_t err_cap) {
    if (!model || (!text && len) || !n_ids)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_model_tokenize: model, text and n_ids must not be NULL");
    if (!model->x.tok)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap,
                        "%s: no tokenizer (vocab.json + merges.txt) beside the model; open it with a tokenizer_dir",
                        model->path);
    api_begin(model->ctx);
    tokenizer_ids v = {0};
    int rc = tokenizer_encode(model->x.tok, text ? text : "", len, &v);
    w2s_status st = api_end(rc, W2S_ERR_RUNTIME, err, err_cap);
    if (st == W2S_OK) {
        *n_ids = v.n;
        if (v.n > cap || (v.n && !ids))
            st = api_fail(W2S_ERR_SPACE, err, err_cap, "ids buffer of %zu, %zu needed", cap, v.n);
        else if (v.n)
            memcpy(ids, v.ids, v.n * sizeof *ids);
    }
    tokenizer_ids_free(&v);
    return st;
}

// ---- labeling

// The labeling model at precision p for sequences of up to max_len tokens, loaded if needed.
static int ensure_loaded(w2s_model *m, label_precision p, size_t max_len) {
    if (m->loaded && m->x.o.precision == p && m->max_seq >= max_len) return 0;
    label_unload_models(&m->x);
    m->loaded = false;
    m->x.o.precision = p;
    if (label_load_models(&m->x, max_len)) return w2s_error_wrap("%s", m->path);
    m->loaded = true;
    m->max_seq = max_len;
    return 0;
}

w2s_status w2s_model_predict_ids(w2s_model *model, const int32_t *ids, const size_t *offsets, size_t n,
                                 w2s_precision precision, float *probs, char *err, size_t err_cap) {
    if (!model || !offsets || (n && (!ids || !probs)))
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap,
                        "w2s_model_predict_ids: model, ids, offsets and probs must not be NULL");
    if ((unsigned)precision > W2S_PRECISION_FP32)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "precision %d: expected int8 (0), bf16 (1) or fp32 (2)",
                        (int)precision);
    if (n == 0) return api_end(0, W2S_OK, err, err_cap);
    const size_t V = model->x.cfg.vocab_size, T = model->x.max_ctx, K = model->x.cfg.n_classes;
    size_t max_len = 1;
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i] || offsets[i + 1] - offsets[i] == 0 || offsets[i + 1] - offsets[i] > T)
            return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "example %zu has %zd tokens: expected 1 to %zu", i,
                            (ptrdiff_t)(offsets[i + 1] - offsets[i]), T);
        for (size_t j = offsets[i]; j < offsets[i + 1]; j++)
            if (ids[j] < 0 || (size_t)ids[j] >= V)
                return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "example %zu: token id %d outside the vocabulary [0, %zu)",
                                i, (int)ids[j], V);
        size_t len = offsets[i + 1] - offsets[i];
        max_len = len > max_len ? len : max_len;
    }
    api_begin(model->ctx);
    size_t *line = malloc(n * sizeof *line);
    if (!line) return api_fail(W2S_ERR_RUNTIME, err, err_cap, "out of memory");
    for (size_t i = 0; i < n; i++) line[i] = i + 1;
    // A read-only view of the caller's arrays as a dataset: the labeler reads tokens,
    // offsets, the class count and (for its messages) the path and line numbers only.
    dataset view = {.n = n, .n_classes = K, .tokens = (int32_t *)ids, .tok_off = (size_t *)offsets,
                    .line = line, .path = "(input)"};
    int rc = ensure_loaded(model, precisions[precision], max_len);
    if (!rc) rc = labeler_logits(&model->x.lm, &view, NULL, n, probs, NULL);
    if (!rc) trainer_soft_labels(probs, n, K, probs, NULL);
    free(line);
    return api_end(rc, W2S_ERR_RUNTIME, err, err_cap);
}

w2s_status w2s_model_predict_texts(w2s_model *model, const char *const *texts, size_t n, w2s_precision precision,
                                   float *probs, char *err, size_t err_cap) {
    if (!model || (n && (!texts || !probs)))
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap, "w2s_model_predict_texts: model, texts and probs must not be NULL");
    if (n && !model->x.tok)
        return api_fail(W2S_ERR_ARGUMENT, err, err_cap,
                        "%s: no tokenizer (vocab.json + merges.txt) beside the model; open it with a tokenizer_dir",
                        model->path);
    api_begin(model->ctx);
    tokenizer_ids v = {0};
    size_t *off = malloc((n + 1) * sizeof *off);
    int rc = off ? 0 : W2S_FAIL("out of memory");
    w2s_status fail = W2S_ERR_RUNTIME;
    if (!rc) off[0] = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!texts[i] || !texts[i][0]) {
            rc = W2S_FAIL("text %zu is %s: every example needs at least one token", i, texts[i] ? "empty" : "NULL");
            fail = W2S_ERR_ARGUMENT;
            break;
        }
        rc = tokenizer_encode(model->x.tok, texts[i], strlen(texts[i]), &v);
        off[i + 1] = v.n;
    }
    w2s_status st = rc ? api_end(rc, fail, err, err_cap)
                       : w2s_model_predict_ids(model, v.ids, off, n, precision, probs, err, err_cap);
    free(off);
    tokenizer_ids_free(&v);
    return st;
}
