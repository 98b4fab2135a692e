// cmd_label_stream.c — `w2s label --stream`: a low-latency labeling server on stdin/stdout.
// One JSON request per line ({"txt": ...} or {"input_ids": [...]}, any other fields, e.g.
// "id", echoed) → one JSON answer line with soft_label/hard_label, in request order. Not a
// network server. The one thing to know: it blocks only when no complete request is buffered;
// otherwise it takes whatever lines have already arrived (up to --batch) as one micro-batch,
// answers them all and flushes, so a lone request is answered without waiting for company.
#include "cmd_label.h"

#include "dataset.h"
#include "error.h"
#include "trainer.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    json_t *obj;          // the request (answer fields are added to it), or NULL
    char err[512];        // non-empty: the answer is an error line
    size_t line;          // 1-based request line number
    tokenizer_ids ids;
} request;

static void req_error(request *r, const char *fmt, const char *detail) {
    snprintf(r->err, sizeof r->err, fmt, detail);
}

// Parses one line into r (r->err set on a bad request).
static void parse_request(label_ctx *x, request *r, const char *s, size_t len) {
    json_error_t je;
    // Duplicate keys are refused, as in datasets (dataset.c): "which one counts" has no good answer.
    r->obj = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (!r->obj) return req_error(r, "malformed JSON: %s", je.text);
    if (!json_is_object(r->obj)) return req_error(r, "%s", "a request must be a JSON object");
    json_t *ids = json_object_get(r->obj, "input_ids"), *txt = json_object_get(r->obj, "txt");
    json_t *hl = json_object_get(r->obj, "hard_label");
    size_t V = x->cfg.vocab_size, K = x->cfg.n_classes;
    if (hl && (!json_is_integer(hl) || json_integer_value(hl) < 0 || (size_t)json_integer_value(hl) >= K))
        return req_error(r, "%s", "\"hard_label\" must be an integer class of the model's head");
    if (ids) {
        if (!json_is_array(ids) || json_array_size(ids) == 0)
            return req_error(r, "%s", "\"input_ids\" must be a non-empty array of token ids");
        size_t i;
        json_t *e;
        json_array_foreach(ids, i, e) {
            if (!json_is_integer(e) || json_integer_value(e) < 0 || (json_int_t)V <= json_integer_value(e))
                return req_error(r, "\"input_ids\" holds a value that is not a token id of this model%s", "");
            int32_t v = (int32_t)json_integer_value(e);
            if (r->ids.n == r->ids.cap) {
                size_t cap = r->ids.cap ? 2 * r->ids.cap : 64;
                int32_t *p = realloc(r->ids.ids, cap * sizeof(int32_t));
                if (!p) return req_error(r, "%s", "out of memory");
                r->ids.ids = p;
                r->ids.cap = cap;
            }
            r->ids.ids[r->ids.n++] = v;
        }
    } else if (txt) {
        if (!json_is_string(txt) || json_string_length(txt) == 0)
            return req_error(r, "%s", "\"txt\" must be a non-empty string");
        if (!x->tok) return req_error(r, "%s", "\"txt\" needs a tokenizer (--tokenizer DIR), or send \"input_ids\"");
        if (tokenizer_encode(x->tok, json_string_value(txt), json_string_length(txt), &r->ids))
            return req_error(r, "tokenizing: %s", w2s_error_message());
        if (r->ids.n == 0) return req_error(r, "%s", "\"txt\" has no tokens");
    } else {
        return req_error(r, "%s", "the request has neither \"txt\" nor \"input_ids\"");
    }
    if (r->ids.n > x->max_ctx) {
        char d[64];
        snprintf(d, sizeof d, "%zu tokens > %zu", r->ids.n, x->max_ctx);
        return req_error(r, "example too long (%s; see --max-ctx)", d);
    }
}

static void answer(request *r, const float *p, int32_t hard, size_t K) {
    json_t *out;
    if (r->err[0]) {
        // jansson quotes the offending input in its messages, which may be invalid UTF-8 (and
        // json_string would then refuse the whole message): keep printable ASCII only.
        for (char *c = r->err; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) *c = '?';
        out = json_object();
        json_object_set_new(out, "error", json_string(r->err));
        json_object_set_new(out, "line", json_integer((json_int_t)r->line));
        json_t *id = r->obj && json_is_object(r->obj) ? json_object_get(r->obj, "id") : NULL;
        if (id) json_object_set(out, "id", id);
    } else {
        out = json_incref(r->obj);
        json_t *hl = json_object_get(out, "hard_label");
        if (hl && !json_object_get(out, "gt_label")) json_object_set(out, "gt_label", hl);
        json_t *soft = json_array();
        for (size_t k = 0; k < K; k++) json_array_append_new(soft, json_real(p[k]));
        json_object_set_new(out, "soft_label", soft);
        json_object_set_new(out, "hard_label", json_integer(hard));
    }
    char *s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(out);
}

// Complete lines ('\n'-terminated) in s[0..n), counting at most max.
static size_t complete_lines(const char *s, size_t n, size_t max) {
    size_t k = 0;
    for (const char *e = s + n; k < max && (s = memchr(s, '\n', (size_t)(e - s))) != NULL; s++) k++;
    return k;
}

static void req_clear(request *r) {
    json_decref(r->obj);
    tokenizer_ids_free(&r->ids);
    memset(r, 0, sizeof *r);
}

int label_stream(label_ctx *x) {
    if (label_load_models(x, x->max_ctx)) return -1;
    const size_t B = x->o.batch, K = x->cfg.n_classes;
    request *req = calloc(B, sizeof *req);
    const int32_t **seqs = malloc(B * sizeof *seqs);
    size_t *lens = malloc(B * sizeof *lens), *which = malloc(B * sizeof *which);
    float *z = malloc(B * K * sizeof *z);
    int32_t *hard = malloc(B * sizeof *hard);
    size_t cap = 1 << 16, len = 0, pos = 0, line = 0;
    char *buf = malloc(cap);
    int rc = (!req || !seqs || !lens || !which || !z || !hard || !buf) ? W2S_FAIL("out of memory") : 0;
    bool eof = false;
    while (!rc) {
        // Read only while fewer than B requests are buffered: a client writing faster than the
        // model labels then waits on the pipe (backpressure) instead of growing this buffer.
        size_t have = complete_lines(buf + pos, len - pos, B);
        if (!eof && have < B) {
            struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
            int pr = poll(&pfd, 1, have ? 0 : -1);
            if (pr < 0 && errno != EINTR) {
                rc = W2S_FAIL("poll on stdin: %s", strerror(errno));
                break;
            }
            if (pr > 0) {
                if (pos > 0) {  // compact: drop answered lines before growing
                    memmove(buf, buf + pos, len - pos);
                    len -= pos;
                    pos = 0;
                }
                if (cap - len < 4096) {
                    char *nb = cap > DATASET_MAX_LINE_DEFAULT ? NULL : realloc(buf, 2 * cap);
                    if (!nb) {
                        rc = W2S_FAIL("stdin: a request line longer than %zu bytes", (size_t)DATASET_MAX_LINE_DEFAULT);
                        break;
                    }
                    buf = nb;
                    cap *= 2;
                }
                ssize_t r = read(STDIN_FILENO, buf + len, cap - len);
                if (r == 0) eof = true;
                else if (r > 0) len += (size_t)r;
                else if (errno != EINTR && errno != EAGAIN) {
                    rc = W2S_FAIL("reading stdin: %s", strerror(errno));
                    break;
                }
            }
        }
        // Take the complete lines already here (the last one at EOF even without '\n').
        size_t nl = 0, nv = 0;
        while (nl < B && pos < len) {
            char *nlp = memchr(buf + pos, '\n', len - pos);
            if (!nlp && !eof) break;
            size_t end = nlp ? (size_t)(nlp - buf) : len, ll = end - pos;
            const char *s = buf + pos;
            pos = nlp ? end + 1 : len;
            line++;
            if (ll && s[ll - 1] == '\r') ll--;
            size_t k = 0;
            while (k < ll && (s[k] == ' ' || s[k] == '\t')) k++;
            if (k == ll) continue;  // blank lines are not requests
            request *r = &req[nl++];
            r->line = line;
            parse_request(x, r, s, ll);
            if (!r->err[0]) {
                seqs[nv] = r->ids.ids;
                lens[nv] = r->ids.n;
                which[nv++] = nl - 1;
            }
        }
        if (nl == 0) {
            if (eof) break;
            continue;
        }
        if (nv && labeler_logits_seqs(&x->lm, seqs, lens, nv, z)) {
            // A model failure (NaN activations) is reported per request; the server lives on.
            for (size_t i = 0; i < nv; i++)
                req_error(&req[which[i]], "labeling failed: %s", w2s_error_message());
            nv = 0;
        }
        trainer_soft_labels(z, nv, K, z, hard);
        for (size_t i = 0, v = 0; i < nl; i++) {
            bool ok = v < nv && which[v] == i;
            answer(&req[i], ok ? z + v * K : NULL, ok ? hard[v] : 0, K);
            v += ok;
            req_clear(&req[i]);
        }
        fflush(stdout);
    }
    for (size_t i = 0; req && i < B; i++) req_clear(&req[i]);
    free(req);
    free(seqs);
    free(lens);
    free(which);
    free(z);
    free(hard);
    free(buf);
    return rc;
}
