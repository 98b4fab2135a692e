// pipeline.c — the bounded label→train ring (see pipeline.h).
// Positions only grow: the producer owns slot (committed % slots) while it holds one, the
// consumer owns slot (released % slots). committed - released <= slots is the invariant that
// keeps them apart; both counters change under the mutex only.
#include "pipeline.h"

#include "bind.h"
#include "error.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t not_full;  // signalled on release, close, fail
    pthread_cond_t not_empty; // signalled on commit, close, fail
    pipeline_config cfg;
    pipeline_slot *slots;     // (slots)
    bind_buffer mem;          // all slot arrays, carved by slot_layout
    uint64_t committed, released;
    bool writer_holds, reader_holds, closed, failed;
    char message[W2S_ERROR_MAX];
    struct timespec created;
    double producer_blocked_s, consumer_blocked_s, first_commit_s;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// ---- creation

enum { PIPELINE_ALIGN = 64 }; // cache line: no false sharing between arrays of adjacent slots

static size_t align_up(size_t n) { return (n + PIPELINE_ALIGN - 1) / PIPELINE_ALIGN * PIPELINE_ALIGN; }

// a*b*c with overflow detection (0 on overflow: callers reject 0-sized requests anyway).
static size_t mul3(size_t a, size_t b, size_t c) {
    size_t ab, abc;
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return 0;
    return abc;
}

pipeline *pipeline_create(const pipeline_config *cfg) {
    if (!cfg->slots || !cfg->max_b || !cfg->max_t || !cfg->max_k) {
        W2S_FAIL("pipeline needs slots, max_b, max_t, max_k >= 1 (got %zu, %zu, %zu, %zu)", cfg->slots, cfg->max_b,
                 cfg->max_t, cfg->max_k);
        return NULL;
    }
    size_t tok = mul3(cfg->max_b, cfg->max_t, sizeof(int32_t));
    size_t lab = mul3(cfg->max_b, cfg->max_k, sizeof(float));
    size_t per_slot = tok && lab ? align_up(tok) + align_up(cfg->max_b * sizeof(int32_t)) + align_up(lab) +
                                       align_up(cfg->max_b * sizeof(int64_t))
                                 : 0;
    size_t total = per_slot ? mul3(per_slot, cfg->slots, 1) : 0;
    if (!total || total > ((size_t)1 << 40)) {
        W2S_FAIL("pipeline slots too large: %zu slots of B=%zu, T=%zu, K=%zu", cfg->slots, cfg->max_b, cfg->max_t,
                 cfg->max_k);
        return NULL;
    }
    pipeline *p = calloc(1, sizeof *p);
    if (!p || !(p->slots = calloc(cfg->slots, sizeof *p->slots))) {
        free(p);
        W2S_FAIL("out of memory creating a pipeline of %zu slots", cfg->slots);
        return NULL;
    }
    p->cfg = *cfg;
    int rc;
    if (cfg->topo) {
        rc = bind_alloc(&p->mem, cfg->topo, total, &cfg->node, 1);
    } else {
        rc = posix_memalign(&p->mem.ptr, PIPELINE_ALIGN, total) == 0 ? 0 : -1;
        if (rc < 0) W2S_FAIL("out of memory allocating %zu bytes of pipeline slots", total);
        else memset(p->mem.ptr, 0, total);
        p->mem.bytes = total;
        p->mem.note = "no topology given";
    }
    if (rc < 0) {
        free(p->slots);
        free(p);
        return NULL;
    }
    char *base = p->mem.ptr;
    for (size_t i = 0; i < cfg->slots; i++) {
        pipeline_slot *s = &p->slots[i];
        char *q = base + i * per_slot;
        s->tokens = (int32_t *)q;
        q += align_up(tok);
        s->lengths = (int32_t *)q;
        q += align_up(cfg->max_b * sizeof(int32_t));
        s->labels = (float *)q;
        q += align_up(lab);
        s->indices = (int64_t *)q;
        // NaN labels until a producer writes them: a consumer reading a row it was not given
        // sees NaN in its loss instead of a plausible stale label.
        for (size_t j = 0; j < cfg->max_b * cfg->max_k; j++) s->labels[j] = NAN;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    clock_gettime(CLOCK_MONOTONIC, &p->created);
    p->first_commit_s = -1;
    return p;
}

void pipeline_destroy(pipeline *p) {
    if (!p) return;
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->not_empty);
    pthread_mutex_destroy(&p->mu);
    if (p->cfg.topo) bind_free(&p->mem);
    else free(p->mem.ptr);
    free(p->slots);
    free(p);
}

// ---- producer

// Both must be called with the mutex held.
static int fail_locked(pipeline *p) { return W2S_FAIL("pipeline failed: %s", p->message); }

int pipeline_acquire_write(pipeline *p, pipeline_slot **slot) {
    *slot = NULL;
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->writer_holds) {
        rc = W2S_FAIL("pipeline_acquire_write: the producer already holds a slot (commit it first)");
    } else {
        if (!p->failed && !p->closed && p->committed - p->released >= p->cfg.slots) {
            double t0 = now_s();
            while (!p->failed && !p->closed && p->committed - p->released >= p->cfg.slots)
                pthread_cond_wait(&p->not_full, &p->mu);
            p->producer_blocked_s += now_s() - t0;
        }
        if (p->failed) rc = fail_locked(p);
        else if (p->closed) rc = W2S_FAIL("pipeline_acquire_write: the pipeline is closed");
    }
    if (rc == 0) {
        p->writer_holds = true;
        *slot = &p->slots[p->committed % p->cfg.slots];
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int pipeline_commit_write(pipeline *p, pipeline_slot *slot) {
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->failed) {
        rc = fail_locked(p);
    } else if (!p->writer_holds || slot != &p->slots[p->committed % p->cfg.slots]) {
        rc = W2S_FAIL("pipeline_commit_write: slot %p is not the one the producer acquired", (void *)slot);
    } else if (slot->batch < 1 || slot->batch > p->cfg.max_b) {
        rc = W2S_FAIL("pipeline_commit_write: batch %zu outside 1..%zu", slot->batch, p->cfg.max_b);
    }
    if (rc == 0) {
        slot->seq = p->committed++;
        if (p->first_commit_s < 0) {
            struct timespec c = p->created;
            p->first_commit_s = now_s() - ((double)c.tv_sec + 1e-9 * (double)c.tv_nsec);
        }
        pthread_cond_signal(&p->not_empty);
    }
    p->writer_holds = false;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void pipeline_close(pipeline *p) {
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    p->writer_holds = false;
    pthread_cond_broadcast(&p->not_empty);
    pthread_cond_broadcast(&p->not_full);
    pthread_mutex_unlock(&p->mu);
}

// ---- consumer

int pipeline_acquire_read(pipeline *p, pipeline_slot **slot) {
    *slot = NULL;
    pthread_mutex_lock(&p->mu);
    int rc = 1;
    if (p->reader_holds) {
        rc = W2S_FAIL("pipeline_acquire_read: the consumer already holds a slot (release it first)");
    } else {
        if (!p->failed && !p->closed && p->released == p->committed) {
            double t0 = now_s();
            while (!p->failed && !p->closed && p->released == p->committed) pthread_cond_wait(&p->not_empty, &p->mu);
            p->consumer_blocked_s += now_s() - t0;
        }
        if (p->failed) rc = fail_locked(p);
        else if (p->released == p->committed) rc = 0; // closed and drained
    }
    if (rc == 1) {
        p->reader_holds = true;
        *slot = &p->slots[p->released % p->cfg.slots];
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int pipeline_release_read(pipeline *p, pipeline_slot *slot) {
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (!p->reader_holds || slot != &p->slots[p->released % p->cfg.slots]) {
        rc = W2S_FAIL("pipeline_release_read: slot %p is not the one the consumer acquired", (void *)slot);
    } else {
        p->reader_holds = false;
        p->released++;
        pthread_cond_signal(&p->not_full);
        if (p->failed) rc = fail_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

// ---- both sides

void pipeline_fail(pipeline *p, const char *message) {
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = true;
        snprintf(p->message, sizeof p->message, "%s", message && *message ? message : "unknown error");
    }
    pthread_cond_broadcast(&p->not_full);
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
}

pipeline_stats pipeline_get_stats(pipeline *p) {
    pthread_mutex_lock(&p->mu);
    pipeline_stats s = {
        .producer_blocked_s = p->producer_blocked_s,
        .consumer_blocked_s = p->consumer_blocked_s,
        .first_commit_s = p->first_commit_s,
        .committed = p->committed,
        .consumed = p->released,
        .memory_bound = p->mem.bound,
    };
    pthread_mutex_unlock(&p->mu);
    return s;
}

const char *pipeline_failure(pipeline *p) {
    pthread_mutex_lock(&p->mu);
    const char *m = p->failed ? p->message : NULL; // never rewritten once set: first failure wins
    pthread_mutex_unlock(&p->mu);
    return m;
}

bool pipeline_drained(pipeline *p) {
    pthread_mutex_lock(&p->mu);
    bool d = p->closed && !p->failed && p->released == p->committed && !p->reader_holds;
    pthread_mutex_unlock(&p->mu);
    return d;
}
