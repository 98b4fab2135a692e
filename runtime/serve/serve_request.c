// serve_request.c — request bodies → token ids, logits → answers (serve_request.h).
// Not thread-aware beyond the tokenizer lock. The one thing to know: /label follows what
// `w2s label` writes for the same line (the input's hard_label moves to gt_label, then
// soft_label with 9 significant digits and the predicted hard_label), so a client can mix both.
#include "serve_request.h"

#include "error.h"
#include "trainer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(serve_request *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(serve_request *r, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    // jansson quotes the offending input in its messages, which may be invalid UTF-8: keep
    // printable ASCII only so the error body is always valid JSON.
    for (char *c = r->err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) *c = '?';
    return r->status = status;
}

static int push_id(tokenizer_ids *v, int32_t id) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        int32_t *p = realloc(v->ids, cap * sizeof(int32_t));
        if (!p) return -1;
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

// One input (a string, or an array of token ids) into r->ids[i]; `what` names it in errors.
static int parse_input(const serve_spec *s, serve_request *r, const json_t *in, size_t i, const char *what) {
    tokenizer_ids *v = &r->ids[i];
    if (json_is_string(in)) {
        if (json_string_length(in) == 0) return fail(r, 422, "%s is an empty string", what);
        if (!s->tok) return fail(r, 422, "%s is text but the server has no tokenizer: send token ids", what);
        if (s->tok_lock) pthread_mutex_lock(s->tok_lock);
        int rc = tokenizer_encode(s->tok, json_string_value(in), json_string_length(in), v);
        if (s->tok_lock) pthread_mutex_unlock(s->tok_lock);
        if (rc) return fail(r, 422, "tokenizing %s: %s", what, w2s_error_message());
        if (v->n == 0) return fail(r, 422, "%s has no tokens", what);
        // The CLI refuses a tokenizer larger than the model's vocabulary; checked again here
        // because a token id past the embedding table would read out of bounds.
        for (size_t j = 0; j < v->n; j++)
            if (v->ids[j] < 0 || (size_t)v->ids[j] >= s->vocab_size)
                return fail(r, 422, "tokenizing %s gave token %d, outside the model's vocabulary [0, %zu)", what,
                            (int)v->ids[j], s->vocab_size);
    } else if (json_is_array(in)) {
        if (json_array_size(in) == 0) return fail(r, 422, "%s is an empty list of token ids", what);
        // Read no further than max_ctx + 1 ids unless truncating: the rest cannot change the answer.
        size_t j;
        json_t *e;
        json_array_foreach(in, j, e) {
            if (!json_is_integer(e)) return fail(r, 400, "%s: token %zu is not an integer", what, j);
            json_int_t t = json_integer_value(e);
            if (t < 0 || (json_int_t)s->vocab_size <= t)
                return fail(r, 422, "%s: token %zu (%lld) is outside the vocabulary [0, %zu)", what, j, (long long)t,
                            s->vocab_size);
            if (v->n < s->max_ctx || !r->truncate)
                if (push_id(v, (int32_t)t)) return fail(r, 500, "out of memory");
        }
    } else {
        return fail(r, 400, "%s must be a string or a list of token ids", what);
    }
    if (v->n > s->max_ctx) {
        if (!r->truncate)
            return fail(r, 413, "%s has %zu tokens, more than the limit of %zu (max_input_length; send "
                                "\"truncate\": true to cut it)", what, v->n, s->max_ctx);
        v->n = s->max_ctx;  // keep the first max_ctx tokens, as TEI's right truncation does
    }
    return 200;
}

static int get_bool(serve_request *r, const json_t *obj, const char *key, bool *dst) {
    const json_t *b = json_object_get(obj, key);
    if (!b || json_is_null(b)) return 200;
    if (!json_is_boolean(b)) return fail(r, 400, "\"%s\" must be true or false", key);
    *dst = json_is_true(b);
    return 200;
}

static int parse_predict(const serve_spec *s, serve_request *r, const json_t *obj) {
    const json_t *in = json_object_get(obj, "inputs");
    if (!in) return fail(r, 400, "the request has no \"inputs\"");
    if (get_bool(r, obj, "raw_scores", &r->raw_scores) != 200) return r->status;
    if (get_bool(r, obj, "truncate", &r->truncate) != 200) return r->status;
    // A list of strings or of id lists is a batch; a string or a list of integers is one input.
    r->list_form = json_is_array(in) && json_array_size(in) > 0 && !json_is_integer(json_array_get(in, 0));
    r->n = r->list_form ? json_array_size(in) : 1;
    if (r->n > s->max_inputs)
        return fail(r, 413, "%zu inputs, more than the limit of %zu per request (max_client_batch_size)", r->n,
                    s->max_inputs);
    if (!(r->ids = calloc(r->n, sizeof *r->ids))) return fail(r, 500, "out of memory");
    for (size_t i = 0; i < r->n; i++) {
        char what[48];
        snprintf(what, sizeof what, r->list_form ? "input %zu" : "the input", i);
        if (parse_input(s, r, r->list_form ? json_array_get(in, i) : in, i, what) != 200) return r->status;
    }
    return 200;
}

static int parse_label(const serve_spec *s, serve_request *r, json_t *obj) {
    const json_t *ids = json_object_get(obj, "input_ids"), *txt = json_object_get(obj, "txt");
    const json_t *hl = json_object_get(obj, "hard_label");
    if (get_bool(r, obj, "truncate", &r->truncate) != 200) return r->status;
    if (hl && (!json_is_integer(hl) || json_integer_value(hl) < 0 || (size_t)json_integer_value(hl) >= s->n_classes))
        return fail(r, 422, "\"hard_label\" must be an integer class of the model's head [0, %zu)", s->n_classes);
    if (!ids && !txt) return fail(r, 400, "the record has neither \"txt\" nor \"input_ids\"");
    if (ids && !json_is_array(ids)) return fail(r, 400, "\"input_ids\" must be a list of token ids");
    if (!ids && !json_is_string(txt)) return fail(r, 400, "\"txt\" must be a string");
    r->n = 1;
    r->record = json_incref(obj);
    if (!(r->ids = calloc(1, sizeof *r->ids))) return fail(r, 500, "out of memory");
    return parse_input(s, r, ids ? ids : txt, 0, ids ? "\"input_ids\"" : "\"txt\"");
}

int serve_parse(const serve_spec *s, serve_kind kind, const char *body, size_t len, serve_request *r) {
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->status = 200;
    json_error_t je;
    // Duplicate keys are refused, as in datasets: "which one counts" has no good answer.
    json_t *obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj) return fail(r, 400, "malformed JSON at byte %d: %s", je.position, je.text);
    if (!json_is_object(obj)) fail(r, 400, "the body must be a JSON object");
    else if (kind == SERVE_PREDICT) parse_predict(s, r, obj);
    else parse_label(s, r, obj);
    json_decref(obj);
    return r->status;
}

// ---- answers

static json_t *predict_one(const serve_spec *s, const float *z, bool raw) {
    size_t K = s->n_classes, order[64];
    float p[64];
    if (K > 64) return NULL;
    if (raw) memcpy(p, z, K * sizeof(float));
    else trainer_soft_labels(z, 1, K, p, NULL);
    for (size_t k = 0; k < K; k++) order[k] = k;
    for (size_t a = 1; a < K; a++)  // insertion sort by score, descending; ties keep class order
        for (size_t b = a; b > 0 && p[order[b]] > p[order[b - 1]]; b--) {
            size_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    json_t *arr = json_array();
    for (size_t k = 0; k < K && arr; k++) {
        char name[32];
        const char *label = s->labels ? s->labels[order[k]] : (snprintf(name, sizeof name, "LABEL_%zu", order[k]), name);
        json_t *o = json_pack("{s:s, s:f}", "label", label, "score", (double)p[order[k]]);
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

// The record as `w2s label` writes it (dataset_write.c): fields kept in order, the input's
// hard_label as gt_label, then soft_label and hard_label.
static char *label_answer(const serve_spec *s, const serve_request *r, const float *z) {
    size_t K = s->n_classes;
    float p[64];
    int32_t hard;
    if (K > 64) return NULL;
    trainer_soft_labels(z, 1, K, p, &hard);
    for (size_t k = 0; k < K; k++)
        if (!isfinite(p[k])) return NULL;
    json_t *obj = json_deep_copy(r->record);
    if (!obj) return NULL;
    json_t *gt = json_object_get(obj, "hard_label");
    if (gt && !json_object_get(obj, "gt_label")) json_object_set(obj, "gt_label", gt);
    json_object_del(obj, "soft_label");
    json_object_del(obj, "hard_label");
    json_object_del(obj, "truncate");
    char *head = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n_fields = json_object_size(obj);
    json_decref(obj);
    if (!head) return NULL;
    size_t hl = strlen(head), cap = hl + 64 + 24 * K;
    char *out = malloc(cap);
    if (out) {
        head[hl - 1] = 0;  // drop the closing brace; the label fields follow
        size_t at = (size_t)snprintf(out, cap, "%s%s\"soft_label\":[", head, n_fields ? "," : "");
        for (size_t k = 0; k < K; k++) at += (size_t)snprintf(out + at, cap - at, k ? ",%.9g" : "%.9g", (double)p[k]);
        snprintf(out + at, cap - at, "],\"hard_label\":%d}", (int)hard);
    }
    free(head);
    return out;
}

char *serve_answer(const serve_spec *s, const serve_request *r, const float *logits) {
    if (r->status != 200) return serve_error_body(r->status, r->err);
    if (r->kind == SERVE_LABEL) return label_answer(s, r, logits);
    json_t *out = r->list_form ? json_array() : NULL;
    for (size_t i = 0; i < r->n; i++) {
        json_t *one = predict_one(s, logits + i * s->n_classes, r->raw_scores);
        if (!one) {
            json_decref(out);
            return NULL;
        }
        if (!r->list_form) out = one;
        else json_array_append_new(out, one);
    }
    char *txt = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(out);
    return txt;
}

char *serve_error_body(int status, const char *msg) {
    // error_type as TEI names them: Validation (4xx from the input), Overloaded (503), Tokenizer...
    const char *type = status == 503 ? "Overloaded" : status == 401 ? "Unauthorized" : status >= 500 ? "Backend"
                                                                                                     : "Validation";
    json_t *o = json_pack("{s:s, s:s}", "error", msg, "error_type", type);
    char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return txt;
}

void serve_request_free(serve_request *r) {
    for (size_t i = 0; r->ids && i < r->n; i++) tokenizer_ids_free(&r->ids[i]);
    free(r->ids);
    json_decref(r->record);
    memset(r, 0, sizeof *r);
}
