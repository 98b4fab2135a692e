// profiler.c — accounting behind profiler.h: a small table of GEMM paths and one of regions,
// guarded by a mutex, fed by the simd/prof.h observers.
// Not a sampler: it counts exactly the calls that pass the hooks, nothing else.
#include "profiler.h"

#include "error.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t prof_mu = PTHREAD_MUTEX_INITIALIZER;
static profile_gemm_row *rows;     // (n_rows), capacity cap_rows
static size_t n_rows, cap_rows;
static profile_region_row regions[PROF_PHASE_COUNT][PROF_KIND_COUNT];
static double t_started;
static bool running;

// ---- events

static profile_op op_of(const gemm_args *g) {
    bool at = g->a.cs != 1 && g->K > 1;
    bool bt = !g->b_packed && g->b.cs != 1 && g->N > 1;
    return at ? (bt ? PROF_OP_ATBT : PROF_OP_ATB) : (bt ? PROF_OP_ABT : PROF_OP_AB);
}

void profiler_record_gemm(gemm_type type, w2s_isa isa, const gemm_args *g, double t0, double t1) {
    bool nested = omp_get_level() > 0;
    profile_gemm_row key = {
        .type = type, .isa = isa, .op = op_of(g),
        .M = g->M, .N = g->N, .K = g->K, .b_packed = g->b_packed != NULL,
        .accumulate = g->ep.accumulate, .nested = nested,
        // worker threads of a team never set a phase: use the one their master set last
        .phase = nested ? __atomic_load_n(&prof_last_phase, __ATOMIC_RELAXED) : prof_current_phase,
    };
    key.threads = key.nested ? 1 : omp_get_max_threads();
    double m = (double)g->M, n = (double)g->N, k = (double)g->K;
    size_t b_esz = g->b_packed ? (type == GEMM_F32 ? 4 : type == GEMM_BF16 ? 2 : 1) : w2s_dtype_size(g->b_dtype);
    double bytes = m * k * (double)w2s_dtype_size(g->a_dtype) + k * n * (double)b_esz +
                   m * n * 4.0 * (g->ep.accumulate ? 2.0 : 1.0);
    pthread_mutex_lock(&prof_mu);
    profile_gemm_row *r = NULL;
    for (size_t i = 0; i < n_rows && !r; i++) {
        profile_gemm_row *x = &rows[i];
        if (x->type == key.type && x->isa == key.isa && x->phase == key.phase && x->op == key.op &&
            x->M == key.M && x->N == key.N && x->K == key.K && x->b_packed == key.b_packed &&
            x->accumulate == key.accumulate && x->nested == key.nested && x->threads == key.threads)
            r = x;
    }
    if (!r) {
        if (n_rows == cap_rows) {
            size_t cap = cap_rows ? 2 * cap_rows : 64;
            profile_gemm_row *p = realloc(rows, cap * sizeof *p);
            if (!p) {  // drop the event rather than fail the caller's GEMM
                pthread_mutex_unlock(&prof_mu);
                return;
            }
            rows = p;
            cap_rows = cap;
        }
        r = &rows[n_rows++];
        *r = key;
    }
    r->calls++;
    r->seconds += t1 - t0;
    r->flops += 2.0 * m * n * k;
    r->bytes += bytes;
    pthread_mutex_unlock(&prof_mu);
}

void profiler_record_region(prof_kind kind, prof_phase phase, double t0, double t1) {
    if ((unsigned)kind >= PROF_KIND_COUNT || (unsigned)phase >= PROF_PHASE_COUNT) return;
    pthread_mutex_lock(&prof_mu);
    regions[phase][kind].calls++;
    regions[phase][kind].seconds += t1 - t0;
    pthread_mutex_unlock(&prof_mu);
}

// ---- control

void profiler_reset(void) {
    pthread_mutex_lock(&prof_mu);
    n_rows = 0;
    memset(regions, 0, sizeof regions);
    t_started = prof_now();
    pthread_mutex_unlock(&prof_mu);
}

int profiler_start(void) {
    if (running) return W2S_FAIL("profiler_start: the profiler is already running");
    profiler_reset();
    running = true;
    gemm_observer = profiler_record_gemm;
    prof_region_observer = profiler_record_region;
    return 0;
}

void profiler_stop(void) {
    if (!running) return;
    gemm_observer = NULL;
    prof_region_observer = NULL;
    running = false;
}

bool profiler_running(void) { return running; }

int profiler_snapshot(profile_data *d) {
    memset(d, 0, sizeof *d);
    pthread_mutex_lock(&prof_mu);
    d->gemm = malloc((n_rows ? n_rows : 1) * sizeof *d->gemm);
    if (!d->gemm) {
        pthread_mutex_unlock(&prof_mu);
        return W2S_FAIL("profiler_snapshot: out of memory for %zu rows", n_rows);
    }
    if (n_rows) memcpy(d->gemm, rows, n_rows * sizeof *rows);
    d->n_gemm = n_rows;
    memcpy(d->region, regions, sizeof regions);
    d->t_start = t_started;
    pthread_mutex_unlock(&prof_mu);
    d->t_stop = prof_now();
    for (size_t i = 0; i < d->n_gemm; i++) *(d->gemm[i].nested ? &d->nested_gemm_seconds : &d->gemm_seconds) += d->gemm[i].seconds;
    for (int p = 0; p < PROF_PHASE_COUNT; p++)
        for (int k = 0; k < PROF_KIND_COUNT; k++) d->region_seconds += d->region[p][k].seconds;
    return 0;
}

void profile_data_free(profile_data *d) {
    free(d->gemm);
    memset(d, 0, sizeof *d);
}

// ---- row helpers

double profile_row_intensity(const profile_gemm_row *r) { return r->bytes > 0 ? r->flops / r->bytes : 0.0; }

double profile_row_gflops(const profile_gemm_row *r) { return r->seconds > 0 ? r->flops / r->seconds * 1e-9 : 0.0; }

const char *profile_op_name(profile_op op) {
    static const char *const names[PROF_OP_COUNT] = {"A*B", "A*B^T", "A^T*B", "A^T*B^T"};
    return (unsigned)op < PROF_OP_COUNT ? names[op] : "?";
}

static const char *type_name(gemm_type t) {
    return t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : t == GEMM_U8S8 ? "u8s8" : "?";
}

void profile_row_label(const profile_gemm_row *r, char *buf, size_t n) {
    snprintf(buf, n, "%s %s %s %zux%zux%zu %s%s", type_name(r->type), w2s_isa_name(r->isa),
             r->phase == PROF_PHASE_BACKWARD ? "bwd" : "fwd", r->M, r->N, r->K, profile_op_name(r->op),
             r->nested ? " nested" : "");
}
