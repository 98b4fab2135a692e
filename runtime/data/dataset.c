// dataset.c — JSONL loading and validation (see dataset.h for the format and the contract).
// One pass over the file: each line is parsed with jansson, validated, and appended to flat
// growable arrays; targets are built at the end, once the number of classes is known.
#include "dataset.h"

#include "error.h"
#include "fileio.h"
#include "prof.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// An inferred class count above this is certainly a corrupt label, not a real task; it
// also bounds the (n, K) target array.
#define DATASET_MAX_CLASSES 65536

// ---- growable arrays

typedef struct {
    void *p;
    size_t len, cap;  // in elements
} vec;

static int vec_reserve(vec *v, size_t extra, size_t elem) {
    if (v->len + extra <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 256;
    while (cap < v->len + extra) cap *= 2;
    void *p = realloc(v->p, cap * elem);
    if (!p) return W2S_FAIL("out of memory growing a dataset array to %zu elements", cap);
    v->p = p;
    v->cap = cap;
    return 0;
}

static int vec_push(vec *v, const void *x, size_t count, size_t elem) {
    if (vec_reserve(v, count, elem)) return -1;
    memcpy((char *)v->p + v->len * elem, x, count * elem);
    v->len += count;
    return 0;
}

// ---- loader state

typedef struct {
    const dataset_options *opt;
    const char *path;
    size_t line_no;
    size_t max_line;
    dataset_stats stats;
    vec tokens, tok_off, hard, line, raw, raw_off;  // int32, size_t, int32, size_t, char, size_t
    vec soft;                                       // float, soft_len per labeled line
    vec has_soft;                                   // uint8
    size_t soft_len;       // entries per soft_label (0 until the first one is seen)
    size_t soft_len_line;  // line that fixed soft_len
    int32_t max_label;     // largest hard_label seen (-1 if none)
    size_t max_label_line;
    bool line_reported;    // the current line's error already names PATH:LINE (bad_line)
} loader;

// Reports an invalid line. Returns 0 when the line is to be skipped (skip_bad) and -1 when
// loading must stop; either way the caller abandons the line.
static int bad_line(loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_line(loader *L, const char *fmt, ...) {
    char what[W2S_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!L->opt->skip_bad) {
        L->line_reported = true;
        return W2S_FAIL("%s:%zu: %s", L->path, L->line_no, what);
    }
    if (L->stats.n_bad++ == 0)
        w2s_message_format(L->stats.first_bad, sizeof L->stats.first_bad, "%s:%zu: %s", L->path,
                           L->line_no, what);
    return 0;
}

static const char *json_type_name(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON type";
}

// Reads one line (without '\n') into *buf. Returns 1 if a line was read, 0 at EOF, -1 on a
// read error. Lines longer than max are consumed but not stored; *too_long is then set.
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len, size_t max, int *too_long) {
    size_t n = 0;
    int c, any = 0;
    *too_long = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        any = 1;
        if (c == '\n') break;
        if (n >= max) {
            *too_long = 1;
            continue;
        }
        if (n + 1 >= *cap) {
            size_t ncap = *cap ? *cap * 2 : 4096;
            char *p = realloc(*buf, ncap);
            if (!p) return W2S_FAIL("out of memory reading a line of %zu bytes", n);
            *buf = p;
            *cap = ncap;
        }
        (*buf)[n++] = (char)c;
    }
    if (ferror(f)) return W2S_FAIL("read error");
    if (!any) return 0;
    if (n > 0 && (*buf)[n - 1] == '\r') n--;  // CRLF files
    if (*cap == 0) {
        *buf = malloc(1);
        if (!*buf) return W2S_FAIL("out of memory");
        *cap = 1;
    }
    (*buf)[n] = 0;
    *len = n;
    return 1;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') return 0;
    return 1;
}

// Appends the example's token ids to L->tokens (validated, maybe truncated). Returns 1 if
// appended, 0 if the line was rejected or dropped (already counted), -1 to stop.
static int take_tokens(loader *L, json_t *obj) {
    const dataset_options *o = L->opt;
    json_t *ids = json_object_get(obj, "input_ids");
    json_t *txt = json_object_get(obj, "txt");
    int32_t *owned = NULL;  // tokenizer output
    const int32_t *src = NULL;
    size_t n = 0;
    size_t start = L->tokens.len;

    if (ids) {
        if (!json_is_array(ids))
            return bad_line(L, "\"input_ids\" must be an array of integers, got %s",
                            json_type_name(ids));
        n = json_array_size(ids);
        if (n == 0) return bad_line(L, "\"input_ids\" is empty (an example needs a token)");
        if (vec_reserve(&L->tokens, n, sizeof(int32_t))) return -1;
        int32_t *dst = (int32_t *)L->tokens.p + start;
        int64_t hi = o->vocab_size > 0 ? o->vocab_size : (int64_t)INT32_MAX + 1;
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(ids, i);
            if (!json_is_integer(e))
                return bad_line(L, "\"input_ids\"[%zu] must be an integer, got %s", i,
                                json_type_name(e));
            json_int_t v = json_integer_value(e);
            if (v < 0 || v >= hi)
                return bad_line(L, "\"input_ids\"[%zu] = %lld is outside the vocabulary [0, %lld)",
                                i, (long long)v, (long long)hi);
            dst[i] = (int32_t)v;
        }
    } else if (txt) {
        if (!json_is_string(txt))
            return bad_line(L, "\"txt\" must be a string, got %s", json_type_name(txt));
        size_t len = json_string_length(txt);
        if (len == 0) return bad_line(L, "\"txt\" is empty");
        if (!o->tokenize) {
            L->line_reported = true;  // not a line to skip: no line with text can be read
            return W2S_FAIL("%s:%zu: the line has \"txt\" but no tokenizer was found (give --tokenizer DIR "
                            "holding vocab.json + merges.txt, put them beside the model, or pre-tokenize the "
                            "file into \"input_ids\")", L->path, L->line_no);
        }
        if (o->tokenize(o->tokenize_ctx, json_string_value(txt), len, &owned, &n)) {
            free(owned);
            return bad_line(L, "tokenizer failed: %s", w2s_error_message());
        }
        if (n == 0) {
            free(owned);
            return bad_line(L, "\"txt\" produced no tokens");
        }
        if (o->vocab_size > 0)
            for (size_t i = 0; i < n; i++)
                if (owned[i] < 0 || owned[i] >= o->vocab_size) {
                    int32_t v = owned[i];
                    free(owned);
                    return bad_line(L, "tokenizer returned id %d outside the vocabulary [0, %lld)",
                                    (int)v, (long long)o->vocab_size);
                }
        src = owned;
    } else {
        return bad_line(L, "no \"txt\" or \"input_ids\" field");
    }

    if (o->max_ctx && n > o->max_ctx) {
        if (!o->truncate) {
            free(owned);
            L->stats.n_too_long++;
            return 0;
        }
        // Keep the first max_ctx tokens: the head of a document carries the question or
        // title the classifier needs; the pooled state is then the last kept token.
        n = o->max_ctx;
        L->stats.n_truncated++;
    }
    if (src) {
        int rc = vec_push(&L->tokens, src, n, sizeof(int32_t));
        free(owned);
        if (rc) return -1;
    } else {
        L->tokens.len = start + n;
    }
    return 1;
}

// Validates "hard_label"; *label = -1 if absent. Returns 1 if valid, else as bad_line.
static int take_label(loader *L, json_t *obj, int32_t *label) {
    json_t *h = json_object_get(obj, "hard_label");
    *label = -1;
    if (!h) {
        if (L->opt->require_labels)
            return bad_line(L, "missing \"hard_label\" (labels are required)");
        return 1;
    }
    if (!json_is_integer(h))
        return bad_line(L, "\"hard_label\" must be an integer, got %s", json_type_name(h));
    json_int_t v = json_integer_value(h);
    if (v < 0) return bad_line(L, "\"hard_label\" = %lld is negative", (long long)v);
    size_t K = L->opt->n_classes;
    if (K && (unsigned long long)v >= K)
        return bad_line(L, "\"hard_label\" = %lld is out of range for %zu classes", (long long)v,
                        K);
    if (v >= DATASET_MAX_CLASSES)
        return bad_line(L, "\"hard_label\" = %lld is implausibly large (limit %d classes)",
                        (long long)v, DATASET_MAX_CLASSES);
    *label = (int32_t)v;
    return 1;
}

// Validates "soft_label" into the free space at the end of L->soft (L->soft.len is advanced
// by the caller only once the whole line is accepted). *present = 0 if absent.
static int take_soft(loader *L, json_t *obj, int *present) {
    json_t *s = json_object_get(obj, "soft_label");
    *present = 0;
    if (!s) return 1;
    if (!json_is_array(s))
        return bad_line(L, "\"soft_label\" must be an array of probabilities, got %s",
                        json_type_name(s));
    size_t n = json_array_size(s);
    size_t want = L->opt->n_classes ? L->opt->n_classes : L->soft_len;
    if (want && n != want) {
        if (L->opt->n_classes)
            return bad_line(L, "\"soft_label\" has %zu entries, expected %zu (one per class)", n,
                            want);
        return bad_line(L, "\"soft_label\" has %zu entries, but line %zu's has %zu", n,
                        L->soft_len_line, want);
    }
    if (n < 2 || n > DATASET_MAX_CLASSES)
        return bad_line(L, "\"soft_label\" has %zu entries (need 2 to %d)", n, DATASET_MAX_CLASSES);
    if (vec_reserve(&L->soft, n, sizeof(float))) return -1;
    float *row = (float *)L->soft.p + L->soft.len;
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(s, k);
        if (!json_is_number(e))
            return bad_line(L, "\"soft_label\"[%zu] must be a number, got %s", k,
                            json_type_name(e));
        double v = json_number_value(e);
        if (!(v >= 0.0) || v > 1.0 + DATASET_SOFT_SUM_TOL)
            return bad_line(L, "\"soft_label\"[%zu] = %g is not a probability", k, v);
        row[k] = (float)v;
        sum += v;
    }
    if (fabs(sum - 1.0) > DATASET_SOFT_SUM_TOL)
        return bad_line(L, "\"soft_label\" sums to %.6g, not 1 (tolerance %g)", sum,
                        DATASET_SOFT_SUM_TOL);
    if (!L->soft_len) {
        L->soft_len = n;
        L->soft_len_line = L->line_no;
    }
    *present = 1;
    return 1;
}

// Parses and appends one non-blank line. Returns 0 (appended, skipped or dropped) or -1.
static int take_line(loader *L, const char *text, size_t len) {
    // jansson skips NUL bytes inside a buffer, so "[5\0]" would load as [5] while the kept raw
    // line (a C string) ends at the NUL and cannot be written back as a label line.
    if (memchr(text, 0, len))
        return bad_line(L, "the line contains a NUL byte (datasets must be UTF-8 text)");
    json_error_t err;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!obj) {
        if (json_error_code(&err) == json_error_invalid_utf8)
            return bad_line(L, "invalid UTF-8 near byte %d (datasets must be UTF-8 text)",
                            err.position);
        if (strstr(err.text, "\\u0000"))
            return bad_line(L, "a string contains \\u0000 (NUL), which w2s does not accept");
        return bad_line(L, "malformed JSON near byte %d: %s", err.position, err.text);
    }
    int rc;
    size_t tok_start = L->tokens.len;
    if (!json_is_object(obj)) {
        rc = bad_line(L, "expected a JSON object, got %s", json_type_name(obj));
        goto done;
    }
    int32_t label;
    int has_soft;
    if ((rc = take_label(L, obj, &label)) != 1) goto done;
    if ((rc = take_soft(L, obj, &has_soft)) != 1) goto done;
    if ((rc = take_tokens(L, obj)) != 1) goto done;  // last: it may drop the example

    size_t off = tok_start, ln = L->line_no;
    uint8_t hs = (uint8_t)has_soft;
    if (L->tok_off.len == 0 && vec_push(&L->tok_off, &off, 1, sizeof off)) goto fail;
    off = L->tokens.len;
    if (vec_push(&L->tok_off, &off, 1, sizeof off) || vec_push(&L->hard, &label, 1, sizeof label) ||
        vec_push(&L->line, &ln, 1, sizeof ln) || vec_push(&L->has_soft, &hs, 1, 1))
        goto fail;
    if (has_soft) L->soft.len += json_array_size(json_object_get(obj, "soft_label"));
    if (label < 0) L->stats.n_unlabeled++;
    if (label > L->max_label) {
        L->max_label = label;
        L->max_label_line = L->line_no;
    }
    if (L->opt->keep_raw) {
        size_t roff = L->raw.len;
        if (vec_push(&L->raw_off, &roff, 1, sizeof roff) || vec_push(&L->raw, text, len, 1) ||
            vec_push(&L->raw, "", 1, 1))
            goto fail;
    }
    json_decref(obj);
    return 0;
fail:
    json_decref(obj);
    return -1;
done:
    json_decref(obj);
    L->tokens.len = tok_start;  // drop partial ids of a rejected line
    return rc < 0 ? -1 : 0;
}

// Builds ds->target once K is known. Returns 0 or -1.
static int finish(loader *L, dataset *ds) {
    size_t n = L->hard.len;
    size_t K = L->opt->n_classes;
    if (!K) {
        K = 2;
        if ((size_t)(L->max_label + 1) > K) K = (size_t)L->max_label + 1;
        if (L->soft_len > K) K = L->soft_len;
        if (L->soft_len && L->soft_len != K)
            return W2S_FAIL("%s:%zu: \"soft_label\" has %zu entries, but line %zu has hard_label "
                            "%d (so at least %zu classes)",
                            L->path, L->soft_len_line, L->soft_len, L->max_label_line,
                            (int)L->max_label, K);
    }
    ds->n = n;
    ds->n_classes = K;
    ds->target = malloc((n ? n : 1) * K * sizeof(float));
    ds->has_target = malloc(n ? n : 1);
    if (!ds->target || !ds->has_target)
        return W2S_FAIL("out of memory for %zu x %zu dataset targets", n, K);
    const int32_t *hard = L->hard.p;
    const uint8_t *hs = L->has_soft.p;
    const float *soft = L->soft.p;
    for (size_t i = 0; i < n; i++) {
        float *row = ds->target + i * K;
        if (hs[i]) {
            memcpy(row, soft, K * sizeof(float));
            soft += K;
        } else {
            memset(row, 0, K * sizeof(float));
            if (hard[i] >= 0) row[hard[i]] = 1.0f;
        }
        ds->has_target[i] = hs[i] || hard[i] >= 0;
    }
    return 0;
}

static void loader_free(loader *L) {
    free(L->tokens.p);
    free(L->tok_off.p);
    free(L->hard.p);
    free(L->line.p);
    free(L->raw.p);
    free(L->raw_off.p);
    free(L->soft.p);
    free(L->has_soft.p);
}

static int load_dataset(dataset *ds, const char *path, const dataset_options *opts) {
    memset(ds, 0, sizeof *ds);
    if (opts->n_classes == 1)
        return W2S_FAIL("%s: n_classes = 1 (a classifier needs at least 2 classes)", path);
    if (opts->n_classes > DATASET_MAX_CLASSES)
        return W2S_FAIL("%s: n_classes = %zu exceeds the limit of %d", path, opts->n_classes,
                        DATASET_MAX_CLASSES);
    loader L = {.opt = opts, .path = path, .max_label = -1};
    L.max_line = opts->max_line_bytes ? opts->max_line_bytes : DATASET_MAX_LINE_DEFAULT;
    FILE *f = w2s_fopen(path, "rb");
    if (!f) return -1;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int too_long, rc;
    while ((rc = read_line(f, &buf, &cap, &len, L.max_line, &too_long)) == 1) {
        L.line_no++;
        if (too_long) {
            if (bad_line(&L, "line is longer than %zu bytes (raise max_line_bytes if real)",
                         L.max_line))
                goto fail;
            continue;
        }
        char *text = buf;
        if (L.line_no == 1 && len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
            text += 3;  // a UTF-8 byte-order mark, as some Windows tools write: not content
            len -= 3;
        }
        if (is_blank(text, len)) {
            L.stats.n_blank++;
            continue;
        }
        L.line_reported = false;
        if (take_line(&L, text, len)) {
            if (!L.line_reported) w2s_error_wrap("%s:%zu", path, L.line_no); // out of memory: say where
            goto fail;
        }
    }
    if (rc < 0) {
        w2s_error_wrap("%s:%zu", path, L.line_no + 1);
        goto fail;
    }
    L.stats.n_lines = L.line_no;
    if (L.tok_off.len == 0) {  // no example: tok_off still needs its leading 0
        size_t zero = 0;
        if (vec_push(&L.tok_off, &zero, 1, sizeof zero)) goto fail;
    }
    if (finish(&L, ds)) goto fail;
    free(buf);
    fclose(f);
    ds->tokens = L.tokens.p;
    ds->tok_off = L.tok_off.p;
    ds->hard_label = L.hard.p;
    ds->has_soft = L.has_soft.p;
    ds->line = L.line.p;
    ds->raw = L.raw.p;
    ds->raw_off = L.raw_off.p;
    free(L.soft.p);
    ds->stats = L.stats;
    ds->path = strdup(path);
    if (!ds->path) {
        dataset_free(ds);
        return W2S_FAIL("out of memory");
    }
    return 0;
fail:
    free(buf);
    fclose(f);
    loader_free(&L);
    free(ds->target);
    free(ds->has_target);
    memset(ds, 0, sizeof *ds);
    return -1;
}

int dataset_load(dataset *ds, const char *path, const dataset_options *opts) {
    double t = prof_begin();
    int rc = load_dataset(ds, path, opts);
    prof_end(PROF_DATA, t);
    return rc;
}

void dataset_free(dataset *ds) {
    free(ds->tokens);
    free(ds->tok_off);
    free(ds->hard_label);
    free(ds->target);
    free(ds->has_target);
    free(ds->has_soft);
    free(ds->line);
    free(ds->raw);
    free(ds->raw_off);
    free(ds->path);
    memset(ds, 0, sizeof *ds);
}

size_t dataset_class_counts(const dataset *ds, const size_t *idx, size_t n_idx, size_t *counts) {
    memset(counts, 0, ds->n_classes * sizeof *counts);
    size_t n = idx ? n_idx : ds->n;
    for (size_t j = 0; j < n; j++) {
        int32_t h = ds->hard_label[idx ? idx[j] : j];
        if (h >= 0) counts[h]++;
    }
    size_t present = 0;
    for (size_t k = 0; k < ds->n_classes; k++) present += counts[k] > 0;
    return present;
}
