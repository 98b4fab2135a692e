// serve.c — libmicrohttpd front end + token-bounded dynamic batcher (serve.h).
// Not parallel across batches: one forward at a time on the caller's OpenMP team; handler
// threads (one per connection, libmicrohttpd's thread-per-connection mode) only parse, queue
// and wait. The one thing to know: the queue is bounded by admitted requests (max_concurrent),
// so memory is bounded too; past it a request is answered 503 with Retry-After at once.
#include "serve.h"

#include "error.h"
#include "progress.h"
#include "serve_metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// One admitted /predict or /label request while it waits for its inputs to be labeled.
typedef struct job {
    serve_request *req;
    float *logits;     // (req->n, K)
    size_t next;       // first input not yet taken into a batch
    size_t left;       // inputs not yet labeled
    bool failed;
    struct job *link;  // queue order (FIFO)
} job;

typedef struct {
    const serve_options *o;
    const serve_spec *s;
    const labeler_model *lm;
    serve_metrics metrics;
    pthread_mutex_t lock;
    pthread_cond_t work, done;  // work: the batcher waits for inputs; done: handlers wait for labels
    job *head, *tail;
    size_t queued;              // inputs in the queue not yet taken
    size_t admitted;            // requests between admission and answer
    bool stopping;
} server;

// Per-connection request state (libmicrohttpd's con_cls).
typedef struct {
    char *body;
    size_t len, cap;
    bool too_big, admitted;
    double t0;
} conn;

// ---- batcher

typedef struct {
    job *j;
    size_t i, len;
} slot;

static int cmp_slot(const void *a, const void *b) {
    const slot *x = a, *y = b;
    return x->len < y->len ? -1 : x->len > y->len;
}

// Takes queued inputs in arrival order while they fit max_batch inputs and max_batch_tokens
// tokens (an input never fits only partly). Called with the lock held.
static size_t take_batch(server *sv, slot *sl) {
    size_t n = 0, tokens = 0;
    while (sv->head && n < sv->o->max_batch) {
        job *j = sv->head;
        size_t len = j->req->ids[j->next].n;
        if (n > 0 && tokens + len > sv->o->max_batch_tokens) break;
        sl[n++] = (slot){j, j->next, len};
        tokens += len;
        sv->queued--;
        if (++j->next == j->req->n) {
            sv->head = j->link;
            if (!sv->head) sv->tail = NULL;
        }
    }
    return n;
}

static void batcher(server *sv) {
    const size_t B = sv->o->max_batch, K = sv->s->n_classes;
    slot *sl = malloc(B * sizeof *sl);
    const int32_t **seqs = malloc(B * sizeof *seqs);
    size_t *lens = malloc(B * sizeof *lens);
    float *z = malloc(B * K * sizeof *z);
    pthread_mutex_lock(&sv->lock);
    for (;;) {
        while (!sv->head && !(sv->stopping && sv->admitted == 0)) pthread_cond_wait(&sv->work, &sv->lock);
        if (!sv->head) break;  // stopping and drained
        size_t n = (sl && seqs && lens && z) ? take_batch(sv, sl) : 0;
        serve_metrics_queue(&sv->metrics, sv->queued);
        pthread_mutex_unlock(&sv->lock);
        // Sorted by length so a padded (fp32/bf16) batch wastes least; the int8 graph packs
        // without padding. Either way no answer depends on the order (batch independence).
        qsort(sl, n, sizeof *sl, cmp_slot);
        size_t tokens = 0;
        for (size_t b = 0; b < n; b++) {
            seqs[b] = sl[b].j->req->ids[sl[b].i].ids;
            lens[b] = sl[b].len;
            tokens += lens[b];
        }
        int rc = n ? labeler_logits_seqs(sv->lm, seqs, lens, n, z) : -1;
        if (rc) fprintf(stderr, "w2s serve: labeling a batch of %zu failed: %s\n", n, w2s_error_message());
        else serve_metrics_batch(&sv->metrics, n, tokens);
        pthread_mutex_lock(&sv->lock);
        if (n == 0) {  // out of memory at start: fail everything queued rather than spin
            for (job *j = sv->head; j; j = j->link) j->failed = true, j->left = 0;
            sv->head = sv->tail = NULL;
            sv->queued = 0;
        }
        for (size_t b = 0; b < n; b++) {
            job *j = sl[b].j;
            if (rc) j->failed = true;
            else memcpy(j->logits + sl[b].i * K, z + b * K, K * sizeof(float));
            j->left--;
        }
        pthread_cond_broadcast(&sv->done);
    }
    pthread_mutex_unlock(&sv->lock);
    free(sl);
    free(seqs);
    free(lens);
    free(z);
}

// Queues r's inputs and waits for their logits (n, K). Returns 0, or -1 if labeling failed.
static int label_wait(server *sv, serve_request *r, float *logits) {
    job j = {.req = r, .logits = logits, .left = r->n};
    pthread_mutex_lock(&sv->lock);
    if (sv->tail) sv->tail->link = &j;
    else sv->head = &j;
    sv->tail = &j;
    sv->queued += r->n;
    serve_metrics_queue(&sv->metrics, sv->queued);
    pthread_cond_signal(&sv->work);
    while (j.left > 0) pthread_cond_wait(&sv->done, &sv->lock);
    pthread_mutex_unlock(&sv->lock);
    return j.failed ? -1 : 0;
}

// ---- HTTP

static enum MHD_Result reply(server *sv, struct MHD_Connection *c, conn *cs, int status, const char *type,
                             char *body) {
    if (!body) {
        status = 500;
        body = serve_error_body(500, "out of memory building the answer");
        type = "application/json";
    }
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == 503) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (status == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    serve_metrics_request(&sv->metrics, status, progress_now() - cs->t0);
    return ok;
}

static enum MHD_Result reply_error(server *sv, struct MHD_Connection *c, conn *cs, int status, const char *msg) {
    return reply(sv, c, cs, status, "application/json", serve_error_body(status, msg));
}

static bool authorized(const server *sv, struct MHD_Connection *c) {
    if (!sv->o->api_key) return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncmp(h, "Bearer ", 7) != 0) return false;
    // Compare every byte whatever the first difference, so timing does not reveal a prefix.
    const char *k = sv->o->api_key, *g = h + 7;
    size_t kl = strlen(k), gl = strlen(g);
    unsigned char d = kl != gl;
    for (size_t i = 0; i < kl; i++) d |= (unsigned char)(k[i] ^ (i < gl ? g[i] : 0));
    return d == 0;
}

static enum MHD_Result labeling(server *sv, struct MHD_Connection *c, conn *cs, serve_kind kind) {
    if (cs->too_big) {
        char m[128];
        snprintf(m, sizeof m, "the body is larger than the limit of %zu bytes (--max-body)", sv->o->max_body);
        return reply_error(sv, c, cs, 413, m);
    }
    serve_request r;
    int status = serve_parse(sv->s, kind, cs->body ? cs->body : "", cs->len, &r);
    char *out = NULL;
    if (status == 200) {
        float *z = malloc(r.n * sv->s->n_classes * sizeof *z);
        if (!z || label_wait(sv, &r, z)) {
            serve_request_free(&r);
            free(z);
            return reply_error(sv, c, cs, 500, "labeling failed (see the server's log)");
        }
        out = serve_answer(sv->s, &r, z);
        free(z);
    } else {
        out = serve_error_body(status, r.err);
    }
    serve_request_free(&r);
    return reply(sv, c, cs, status, "application/json", out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    server *sv = cls;
    conn *cs = *con_cls;
    bool post = strcmp(method, "POST") == 0, label = strcmp(url, "/label") == 0;
    bool work = post && (label || strcmp(url, "/predict") == 0);
    if (!cs) {  // first call: headers only
        if (!(cs = calloc(1, sizeof *cs))) return MHD_NO;
        cs->t0 = progress_now();
        *con_cls = cs;
        if (work) {
            pthread_mutex_lock(&sv->lock);
            cs->admitted = !sv->stopping && sv->admitted < sv->o->max_concurrent;
            sv->admitted += cs->admitted;
            serve_metrics_in_flight(&sv->metrics, sv->admitted);
            pthread_mutex_unlock(&sv->lock);
        }
        return MHD_YES;
    }
    if (*upload_size) {  // a body chunk: keep it while under the limit, count it otherwise
        if (!cs->too_big && cs->len + *upload_size > sv->o->max_body) {
            cs->too_big = true;
            free(cs->body);
            cs->body = NULL;
        } else if (!cs->too_big) {
            if (cs->len + *upload_size + 1 > cs->cap) {
                size_t cap = 2 * (cs->len + *upload_size) + 1;
                char *b = realloc(cs->body, cap);
                if (!b) return MHD_NO;
                cs->body = b;
                cs->cap = cap;
            }
            memcpy(cs->body + cs->len, upload, *upload_size);
            cs->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    bool get = strcmp(method, "GET") == 0;
    if (get && strcmp(url, "/health") == 0) return reply(sv, c, cs, 200, "application/json", strdup("{}"));
    if (!authorized(sv, c)) return reply_error(sv, c, cs, 401, "missing or wrong bearer token (Authorization: Bearer KEY)");
    if (get && strcmp(url, "/info") == 0) return reply(sv, c, cs, 200, "application/json", strdup(sv->o->info_json));
    if (get && strcmp(url, "/metrics") == 0)
        return reply(sv, c, cs, 200, "text/plain; version=0.0.4", serve_metrics_render(&sv->metrics));
    if (work) {
        if (!cs->admitted) return reply_error(sv, c, cs, 503, "too many requests in flight (--max-concurrent); retry");
        return labeling(sv, c, cs, label ? SERVE_LABEL : SERVE_PREDICT);
    }
    bool known = !strcmp(url, "/health") || !strcmp(url, "/info") || !strcmp(url, "/metrics") ||
                 !strcmp(url, "/predict") || !strcmp(url, "/label");
    return reply_error(sv, c, cs, known ? 405 : 404,
                       known ? "wrong method (GET /health, /info, /metrics; POST /predict, /label)"
                             : "no such endpoint (GET /health, /info, /metrics; POST /predict, /label)");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)c;
    (void)t;
    server *sv = cls;
    conn *cs = *con_cls;
    if (!cs) return;
    if (cs->admitted) {
        pthread_mutex_lock(&sv->lock);
        sv->admitted--;
        serve_metrics_in_flight(&sv->metrics, sv->admitted);
        pthread_cond_signal(&sv->work);  // the batcher may be waiting to finish a drain
        pthread_mutex_unlock(&sv->lock);
    }
    free(cs->body);
    free(cs);
    *con_cls = NULL;
}

// ---- warm-up: the largest batch the limits allow, once, before listening

// As TEI does at start: one batch as large as any mix of requests can make it (max_batch
// inputs of max_ctx tokens, within max_batch_tokens). The activation pages it touches are
// resident from then on, so RSS under load stays what it is after start-up, the first
// requests pay no page faults, and a model too large for the limits fails here, not under load.
static int warm_up(const serve_options *o, const serve_spec *s, const labeler_model *lm) {
    size_t n = o->max_batch_tokens / s->max_ctx;
    if (n > o->max_batch) n = o->max_batch;
    int32_t *ids = calloc(s->max_ctx, sizeof *ids);  // token 0: in every vocabulary
    const int32_t **seqs = malloc(n * sizeof *seqs);
    size_t *lens = malloc(n * sizeof *lens);
    float *z = malloc(n * s->n_classes * sizeof *z);
    int rc = ids && seqs && lens && z ? 0 : W2S_FAIL("serve: out of memory for the warm-up batch");
    for (size_t b = 0; b < n && !rc; b++) seqs[b] = ids, lens[b] = s->max_ctx;
    if (!rc && labeler_logits_seqs(lm, seqs, lens, n, z) != 0)
        rc = W2S_FAIL("serve: the warm-up batch (%zu inputs of %zu tokens) failed: %s", n, s->max_ctx,
                      w2s_error_message());
    free(ids);
    free(seqs);
    free(lens);
    free(z);
    return rc;
}

// ---- signals: a thread waits for SIGTERM/SIGINT and starts the drain

static void *signal_thread(void *arg) {
    server *sv = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    pthread_mutex_lock(&sv->lock);
    sv->stopping = true;
    pthread_cond_broadcast(&sv->work);
    pthread_mutex_unlock(&sv->lock);
    return NULL;
}

int serve_run(const serve_options *o, const serve_spec *s, const labeler_model *lm) {
    if (o->max_batch_tokens < s->max_ctx)
        return W2S_FAIL("--max-batch-tokens %zu is below the longest input (%zu tokens): an input could never "
                        "be batched", o->max_batch_tokens, s->max_ctx);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (inet_pton(AF_INET, o->host, &addr.sin_addr) != 1)
        return W2S_FAIL("--host %s is not an IPv4 address (e.g. 127.0.0.1)", o->host);
    if (warm_up(o, s, lm) != 0) return -1;
    // Blocked here, so every thread started below inherits the mask and only signal_thread
    // sees SIGTERM/SIGINT; SIGPIPE (a client gone mid-answer) must not kill the server.
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    server sv = {.o = o, .s = s, .lm = lm};
    serve_metrics_init(&sv.metrics);
    pthread_mutex_init(&sv.lock, NULL);
    pthread_cond_init(&sv.work, NULL);
    pthread_cond_init(&sv.done, NULL);
    // Connections beyond max_concurrent are still accepted (to answer 503 quickly), up to a
    // fixed multiple; each has its own small-stack thread and libmicrohttpd's memory limit.
    unsigned limit = (unsigned)(o->max_concurrent * 4 + 64);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_THREAD_STACK_SIZE, (size_t)1 << 20,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv, MHD_OPTION_END);
    int rc = 0;
    pthread_t st;
    bool st_ok = false;
    if (!d) rc = W2S_FAIL("cannot listen on %s:%u (port in use, or not an address of this machine?)", o->host, o->port);
    else if (pthread_create(&st, NULL, signal_thread, &sv) != 0) rc = W2S_FAIL("cannot start the signal thread");
    else st_ok = true;
    if (!rc) {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        printf("w2s serve: listening on http://%s:%u\n", o->host, di ? (unsigned)di->port : o->port);
        fflush(stdout);
        batcher(&sv);  // returns after SIGTERM once every admitted request is answered
        // Stop accepting, then give the last answers a moment to leave before closing sockets.
        MHD_quiesce_daemon(d);
        for (int i = 0; i < 200; i++) {
            const union MHD_DaemonInfo *ci = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            if (!ci || ci->num_connections == 0) break;
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        fprintf(stderr, "w2s serve: stopped after draining in-flight requests\n");
    }
    if (d) MHD_stop_daemon(d);
    if (st_ok) {
        pthread_kill(st, SIGTERM);  // no-op if it already returned; else wakes its sigwait
        pthread_join(st, NULL);
    }
    pthread_cond_destroy(&sv.work);
    pthread_cond_destroy(&sv.done);
    pthread_mutex_destroy(&sv.lock);
    serve_metrics_free(&sv.metrics);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
