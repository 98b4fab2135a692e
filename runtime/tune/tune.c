// tune.c — `w2s tune`'s timing loop (tune.h). For each GEMM type: for each shape, operands
// filled once; for each repetition, each candidate is installed, B packed for its tile (not
// timed), one product run to warm caches and the team, then products run until ~2 ms of wall
// time pass and scored by the process CPU time they took.
#include "tune.h"

#include "error.h"
#include "gemm.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t tune_gpt2_shapes(size_t C, size_t m_small, size_t m_large, tune_shape *out, size_t cap) {
    const size_t nk[4][2] = {{3 * C, C}, {C, C}, {4 * C, C}, {C, 4 * C}};
    const size_t ms[2] = {m_small, m_large};
    size_t n = 0;
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < 4 && n < cap; i++) out[n++] = (tune_shape){ms[m], nk[i][0], nk[i][1]};
    return n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Operands of one shape for one type: A row-major in the type's packed element type (the
// direct-A path the models take), B f32 / s8, C f32, with the epilogue the models use.
typedef struct {
    void *a, *b;
    float *c, *row_scale, *col_scale;
    int32_t *row_zero;
} operands;

static void operands_free(operands *o) {
    free(o->a);
    free(o->b);
    free(o->c);
    free(o->row_scale);
    free(o->col_scale);
    free(o->row_zero);
}

static int operands_init(operands *o, gemm_type type, const tune_shape *s) {
    memset(o, 0, sizeof *o);
    size_t esz = type == GEMM_F32 ? 4 : type == GEMM_BF16 ? 2 : 1;
    o->a = malloc(s->M * s->K * esz + 64);
    o->b = malloc(s->K * s->N * (type == GEMM_U8S8 ? 1 : 4) + 64);
    o->c = malloc(s->M * s->N * sizeof(float) + 64);
    o->row_scale = malloc(s->M * sizeof(float));
    o->row_zero = malloc(s->M * sizeof(int32_t));
    o->col_scale = malloc(s->N * sizeof(float));
    if (!o->a || !o->b || !o->c || !o->row_scale || !o->row_zero || !o->col_scale) {
        operands_free(o);
        return W2S_FAIL("tune: out of memory for the operands of %zux%zux%zu", s->M, s->N, s->K);
    }
    uint32_t x = 12345;  // any values: only the time is kept
    for (size_t i = 0; i < s->M * s->K; i++) {
        x = x * 1664525u + 1013904223u;
        if (type == GEMM_F32) ((float *)o->a)[i] = (float)(x >> 8) * 0x1p-24f - 0.5f;
        else if (type == GEMM_BF16) ((uint16_t *)o->a)[i] = (uint16_t)(0x3c00 | (x >> 25));
        else ((uint8_t *)o->a)[i] = (uint8_t)(x >> 24);
    }
    for (size_t i = 0; i < s->K * s->N; i++) {
        x = x * 1664525u + 1013904223u;
        if (type == GEMM_U8S8) ((int8_t *)o->b)[i] = (int8_t)((int)(x >> 24) % 127);
        else ((float *)o->b)[i] = (float)(x >> 8) * 0x1p-24f - 0.5f;
    }
    for (size_t i = 0; i < s->M; i++) {
        o->row_scale[i] = 0.01f;
        o->row_zero[i] = 128;
    }
    for (size_t j = 0; j < s->N; j++) o->col_scale[j] = 0.01f;
    return 0;
}

// CPU seconds of all the process's threads. The tuner scores by it rather than wall time: on
// a shared machine a descheduled thread stretches the wall time of a parallel product by
// whole time slices, at random, while the CPU time the product's own work took barely moves
// (the team spins only ~25 us before sleeping, team.h). Measured here under a load average of 18 on 2 cores, wall-time
// medians still picked configurations 1-10% "faster" that CPU time showed 1-3% slower.
static double process_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// One measurement: CPU seconds per product of config c on shape s (B packed here).
static int time_one(gemm_type type, const gemm_config_set *c, const tune_shape *s, operands *o, double *sec) {
    if (gemm_config_install(c, "tuning candidate")) return -1;
    w2s_isa isa = w2s_isa_active();
    w2s_dtype b_dt = type == GEMM_U8S8 ? W2S_DTYPE_S8 : W2S_DTYPE_F32;
    gemm_packed_b pb;
    if (gemm_pack_b(&pb, type, isa, s->K, s->N, b_dt, (gemm_view){o->b, (ptrdiff_t)s->N, 1})) return -1;
    w2s_dtype a_dt = type == GEMM_F32 ? W2S_DTYPE_F32 : type == GEMM_BF16 ? W2S_DTYPE_BF16 : W2S_DTYPE_U8;
    gemm_args g = {.M = s->M, .N = s->N, .K = s->K, .a_dtype = a_dt, .a = {o->a, (ptrdiff_t)s->K, 1},
                   .b_packed = &pb, .c_dtype = W2S_DTYPE_F32, .c = o->c, .ldc = s->N};
    if (type == GEMM_U8S8) {
        g.ep.row_scale = o->row_scale;
        g.ep.row_zero = o->row_zero;
        g.ep.col_scale = o->col_scale;
    }
    int rc = gemm(type, isa, &g);  // warm-up: caches, the team, the per-thread buffers
    int calls = 0;
    double t0 = omp_get_wtime(), t = t0, c0 = process_cpu_seconds();
    while (rc == 0 && (calls < 2 || t - t0 < 2e-3)) {
        rc = gemm(type, isa, &g);
        calls++;
        t = omp_get_wtime();
    }
    double cpu = process_cpu_seconds() - c0;
    gemm_packed_b_free(&pb);
    *sec = calls ? cpu / calls : 0.0;
    return rc;
}

size_t tune_choose(const double *seconds, const double *worst, size_t n, const tune_options *opt) {
    size_t best = 0;
    for (size_t c = 1; c < n; c++)
        if (worst[c] >= 1.0 - opt->max_shape_loss && seconds[c] < seconds[best]) best = c;
    return n && seconds[0] > seconds[best] * (1.0 + opt->min_gain) ? best : 0;
}

static int tune_type(gemm_type type, const tune_shape *shapes, size_t n_shapes, const tune_options *opt,
                     const gemm_config_set *base, tune_type_result *tr) {
    memset(tr, 0, sizeof *tr);
    tr->n = gemm_config_candidates(type, tr->cand, TUNE_MAX_CANDIDATES);
    int reps = opt->reps < 1 ? 1 : opt->reps > 64 ? 64 : opt->reps;
    double times[TUNE_MAX_CANDIDATES][64];
    for (size_t s = 0; s < n_shapes; s++) {
        operands o;
        if (operands_init(&o, type, &shapes[s])) return -1;
        for (int r = 0; r < reps; r++)
            for (size_t c = 0; c < tr->n; c++) {
                gemm_config_set cs = *base;
                cs.type[type] = tr->cand[c];
                if (time_one(type, &cs, &shapes[s], &o, &times[c][r])) {
                    operands_free(&o);
                    return -1;
                }
            }
        // candidates[0] is the built-in configuration (gemm_config_candidates puts it first).
        double med[TUNE_MAX_CANDIDATES];
        for (size_t c = 0; c < tr->n; c++) {
            med[c] = median(times[c], reps);
            tr->seconds[c] += med[c];
            double ratio = med[c] > 0 ? med[0] / med[c] : 1.0;
            if (s == 0 || ratio < tr->worst[c]) tr->worst[c] = ratio;
        }
        operands_free(&o);
    }
    tr->builtin = 0;
    tr->chosen = tune_choose(tr->seconds, tr->worst, tr->n, opt);
    return 0;
}

int tune_run(const tune_shape *shapes, size_t n_shapes, const tune_options *opt, tune_result *r) {
    memset(r, 0, sizeof *r);
    gemm_config_set before;
    const char *src;
    gemm_config_active(&before, &src);
    char before_src[4352];
    snprintf(before_src, sizeof before_src, "%s", src);
    gemm_config_set base;
    gemm_config_builtin(&base, gemm_core(NULL));
    double t0 = omp_get_wtime();
    int rc = 0;
    for (int t = 0; t < GEMM_TYPE_COUNT && rc == 0; t++) {
        rc = tune_type((gemm_type)t, shapes, n_shapes, opt, &base, &r->type[t]);
        if (rc) break;
        const tune_type_result *tr = &r->type[t];
        r->chosen.type[t] = tr->cand[tr->chosen];
        if (opt->progress) {
            char buf[128];
            fprintf(opt->progress, "  %-5s %-52s %.2fx the built-in (%zu candidates, %.1f s so far)\n",
                    t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : "u8s8",
                    gemm_config_format(&tr->cand[tr->chosen], buf, sizeof buf),
                    tr->seconds[tr->builtin] / tr->seconds[tr->chosen], tr->n, omp_get_wtime() - t0);
            fflush(opt->progress);
        }
    }
    r->seconds = omp_get_wtime() - t0;
    gemm_config_install(&before, before_src);
    return rc;
}
