// reducer.c — bucketed, overlapped gradient sums (reducer.h). A bucket is cut into pieces of
// at most REDUCER_PIECE floats; each piece is packed into a staging buffer, reduce-scattered
// by MPI_Ialltoallv on one communicator, summed in rank order by its chunk's owner, and
// all-gathered by MPI_Iallgatherv on a second one. Pieces move through a ring of REDUCER_SLOTS
// in the order they were started, and each phase is posted in that order on every rank — MPI
// requires the same order of collectives on a communicator, which a phase 2 posted when a
// phase 1 happened to complete would break; two communicators keep each phase in order.
#include "reducer.h"

#include "dist_internal.h"
#include "error.h"
#include "world.h"

#include <stdlib.h>
#include <string.h>

// Floats per piece (16 MiB: scratch stays bounded, and counts fit int) and pieces in flight.
#define REDUCER_PIECE ((size_t)1 << 22)
#define REDUCER_SLOTS 8

typedef struct {
    size_t offset, count;
} span;

typedef struct {
    span *spans;
    size_t n_spans, cap, floats;
} bucket;

enum { SLOT_FREE, SLOT_SCATTER, SLOT_GATHER };

typedef struct {
    int state;
    size_t bucket, lo, n;  // the piece: floats [lo, lo + n) of the bucket's spans laid end to end
    float *stage;          // (n) the piece, then its sum
    float *scratch;        // (p, n / p + 1): every rank's copy of this rank's chunk
    int *cnt;              // (4p) chunk counts and offsets, then what this rank receives
    MPI_Request req;
} slot;

struct dist_reducer {
    float *buf;
    bucket *b;
    size_t nb, started;         // buckets started this step (in order)
    slot s[REDUCER_SLOTS];
    size_t head, inflight;      // the ring: slots head, head + 1, … in the order started
    MPI_Comm scatter, gather;   // one communicator per phase (see the top)
    int p, rank, err;
};

int dist_allreduce_mode(bool *overlap) {
    const char *v = getenv("W2S_ALLREDUCE");
    *overlap = v && !strcmp(v, "overlap");
    if (*overlap || !v || !*v || !strcmp(v, "blocking")) return 0;
    return W2S_FAIL("W2S_ALLREDUCE=%s: expected blocking (the default) or overlap", v);
}

dist_reducer *dist_reducer_create(float *buf, size_t n_buckets) {
    dist_reducer *r = calloc(1, sizeof *r);
    if (r) r->b = calloc(n_buckets ? n_buckets : 1, sizeof *r->b);
    if (!r || !r->b) {
        if (r) free(r);
        W2S_FAIL("dist: out of memory for a gradient reducer");
        return NULL;
    }
    r->buf = buf;
    r->nb = n_buckets;
    r->p = dist_size();
    r->rank = dist_rank();
    r->scatter = r->gather = MPI_COMM_NULL;
    if (r->p > 1) {
        int e = MPI_Comm_dup(dist_comm_current(), &r->scatter);
        if (e == MPI_SUCCESS) e = MPI_Comm_dup(dist_comm_current(), &r->gather);
        if (e != MPI_SUCCESS) {
            dist_mpi_fail(e, "communicator duplicate (gradient reducer)");
            dist_reducer_destroy(r);
            return NULL;
        }
    }
    return r;
}

void dist_reducer_destroy(dist_reducer *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nb; i++) free(r->b[i].spans);
    for (size_t i = 0; i < REDUCER_SLOTS; i++) {
        free(r->s[i].stage);
        free(r->s[i].scratch);
        free(r->s[i].cnt);
    }
    if (r->scatter != MPI_COMM_NULL) MPI_Comm_free(&r->scatter);
    if (r->gather != MPI_COMM_NULL) MPI_Comm_free(&r->gather);
    free(r->b);
    free(r);
}

int dist_reducer_add(dist_reducer *r, size_t b, size_t offset, size_t count) {
    if (b >= r->nb) return W2S_FAIL("dist: bucket %zu of a reducer of %zu", b, r->nb);
    bucket *k = &r->b[b];
    if (k->n_spans == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        span *s = realloc(k->spans, cap * sizeof *s);
        if (!s) return W2S_FAIL("dist: out of memory for a gradient reducer");
        k->spans = s;
        k->cap = cap;
    }
    k->spans[k->n_spans++] = (span){offset, count};
    k->floats += count;
    return 0;
}

// Copies floats [lo, lo + n) of bucket k's spans laid end to end between buf and stage.
static void piece_copy(const bucket *k, float *buf, float *stage, size_t lo, size_t n, bool pack) {
    size_t at = 0;  // bucket position of span i's first float
    for (size_t i = 0; i < k->n_spans && n; i++) {
        const span *s = &k->spans[i];
        if (lo >= at + s->count) {
            at += s->count;
            continue;
        }
        size_t from = lo - at, take = s->count - from < n ? s->count - from : n;
        float *g = buf + s->offset + from;
        if (pack) memcpy(stage, g, take * sizeof(float));
        else memcpy(g, stage, take * sizeof(float));
        stage += take;
        lo += take;
        n -= take;
        at += s->count;
    }
}

static int slot_alloc(dist_reducer *r, slot *s) {
    if (s->stage) return 0;
    const size_t P = (size_t)r->p;
    s->stage = malloc(REDUCER_PIECE * sizeof(float));
    s->scratch = malloc((REDUCER_PIECE / P + 1) * P * sizeof(float));
    s->cnt = malloc(4 * P * sizeof(int));
    return s->stage && s->scratch && s->cnt ? 0 : W2S_FAIL("dist: out of memory for a gradient reducer");
}

// Phase 1 of a packed piece: rank q's chunk of it (dist_shard) to rank q, from every rank.
static int post_scatter(dist_reducer *r, slot *s) {
    const int p = r->p;
    int *cnt = s->cnt, *dsp = cnt + p, *rcnt = cnt + 2 * p, *rdsp = cnt + 3 * p;
    for (int q = 0; q < p; q++) {
        size_t a, b;
        dist_shard(s->n, q, p, &a, &b);
        cnt[q] = (int)(b - a);
        dsp[q] = (int)a;
    }
    const int mine = cnt[r->rank];
    for (int q = 0; q < p; q++) {
        rcnt[q] = mine;
        rdsp[q] = q * mine;
    }
    int e = MPI_Ialltoallv(s->stage, cnt, dsp, MPI_FLOAT, s->scratch, rcnt, rdsp, MPI_FLOAT, r->scatter, &s->req);
    s->state = SLOT_SCATTER;
    return e == MPI_SUCCESS ? 0 : dist_mpi_fail(e, "all-to-all (gradient bucket)");
}

// Phase 2: this rank's chunk summed in rank order (as dist_allreduce_sum_f32 does), then
// every rank's summed chunk to every rank, in place.
static int post_gather(dist_reducer *r, slot *s) {
    const int p = r->p;
    int *cnt = s->cnt, *dsp = cnt + p;
    const size_t mine = (size_t)cnt[r->rank];
    float *out = s->stage + dsp[r->rank];
    for (size_t i = 0; i < mine; i++) {
        float v = s->scratch[i];
        for (int q = 1; q < p; q++) v += s->scratch[(size_t)q * mine + i];
        out[i] = v;
    }
    int e = MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s->stage, cnt, dsp, MPI_FLOAT, r->gather, &s->req);
    s->state = SLOT_GATHER;
    return e == MPI_SUCCESS ? 0 : dist_mpi_fail(e, "all-gather (gradient bucket)");
}

// Moves the ring on: phase 2 is posted for pieces whose phase 1 is done, in ring order (it
// stops at the first that is not), and finished pieces are written back and leave from the
// head. With `wait`, the head piece is waited for until it has left.
static int advance(dist_reducer *r, bool wait) {
    for (size_t i = 0; i < r->inflight; i++) {
        slot *s = &r->s[(r->head + i) % REDUCER_SLOTS];
        if (s->state != SLOT_SCATTER) continue;
        int done = 0, e = wait && i == 0 ? MPI_Wait(&s->req, MPI_STATUS_IGNORE) : MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
        if (e != MPI_SUCCESS) return dist_mpi_fail(e, "all-to-all (gradient bucket)");
        if (!done && !(wait && i == 0)) break;
        if (post_gather(r, s)) return -1;
    }
    while (r->inflight && r->s[r->head].state == SLOT_GATHER) {
        slot *s = &r->s[r->head];
        int done = 0, e = wait ? MPI_Wait(&s->req, MPI_STATUS_IGNORE) : MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
        if (e != MPI_SUCCESS) return dist_mpi_fail(e, "all-gather (gradient bucket)");
        if (!wait && !done) break;
        piece_copy(&r->b[s->bucket], r->buf, s->stage, s->lo, s->n, false);
        s->state = SLOT_FREE;
        r->head = (r->head + 1) % REDUCER_SLOTS;
        r->inflight--;
        if (wait) break;
    }
    return 0;
}

static int start_one(dist_reducer *r, size_t b) {
    const bucket *k = &r->b[b];
    for (size_t lo = 0; lo < k->floats; lo += REDUCER_PIECE) {
        if (r->inflight == REDUCER_SLOTS && advance(r, true)) return -1;
        slot *s = &r->s[(r->head + r->inflight) % REDUCER_SLOTS];
        if (slot_alloc(r, s)) return -1;
        s->bucket = b;
        s->lo = lo;
        s->n = k->floats - lo < REDUCER_PIECE ? k->floats - lo : REDUCER_PIECE;
        piece_copy(k, r->buf, s->stage, s->lo, s->n, true);
        r->inflight++;
        if (post_scatter(r, s)) return -1;
    }
    return 0;
}

int dist_reducer_start(dist_reducer *r, size_t b) {
    if (r->p == 1) return 0;
    if (r->err) return -1;
    double t0 = dist_now();
    int rc = b < r->nb ? 0 : W2S_FAIL("dist: bucket %zu of a reducer of %zu", b, r->nb);
    while (!rc && r->started <= b) rc = start_one(r, r->started++);
    if (!rc) rc = advance(r, false);
    r->err = rc;
    dist_comm_seconds_add(dist_now() - t0);
    return rc;
}

int dist_reducer_poll(dist_reducer *r) {
    if (r->p == 1) return 0;
    if (r->err) return -1;
    double t0 = dist_now();
    r->err = advance(r, false);
    dist_comm_seconds_add(dist_now() - t0);
    return r->err;
}

int dist_reducer_finish(dist_reducer *r) {
    if (r->p == 1) return 0;
    int rc = r->err;
    double t0 = dist_now();
    while (!rc && r->started < r->nb) rc = start_one(r, r->started++);
    while (!rc && r->inflight) rc = advance(r, true);
    r->started = 0;
    r->err = rc;
    dist_comm_seconds_add(dist_now() - t0);
    return rc;
}
