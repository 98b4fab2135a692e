// peak.c — measuring and caching this machine's peaks (peak.h). Each figure is the best of
// many ~2 ms runs timed by thread CPU time: on a shared machine the best run is the
// one least disturbed by others.
// Not a STREAM replacement: one triad and one copy over buffers 6× the L3 of a typical part.
#include "peak.h"

#include "error.h"
#include "fileio.h"
#include "prof.h"

#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEAK_RUNS 40                // best of many short runs (see loop_rate)
#define PEAK_RUN_SECONDS 0.002      // below a time slice; timer cost is still < 0.1%
#define BW_FLOATS ((size_t)1 << 24) // 64 MiB per array, 192 MiB in all: far beyond any L3 here
#define BW_RUNS 8

const char *peak_family_name(peak_family fam) {
    return fam == PEAK_F32_FMA ? "fp32" : fam == PEAK_BF16_DOT ? "bf16" : fam == PEAK_S8_DOT ? "int8" : "?";
}

// ---- compute
// Rates are ops over each thread's own CPU time (CLOCK_THREAD_CPUTIME_ID), summed over the
// threads: on a shared machine a preempted run then still measures the core while it ran,
// where wall-clock time would measure the neighbours. Runs are short (a few ms, below a
// scheduler time slice) and many, and the best is kept.

static double thread_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Best rate (ops/s) of the loop on `threads` threads running together.
static double loop_rate(peak_family fam, w2s_isa isa, int threads) {
    float sink = 0.0f;
    double t0 = thread_cpu_now();
    (void)peak_loop_run(fam, isa, 100000, &sink);  // calibration: iterations per run
    double dt = thread_cpu_now() - t0;
    size_t iters = (size_t)(100000.0 * PEAK_RUN_SECONDS / (dt > 1e-6 ? dt : 1e-6));
    if (iters < 1000) iters = 1000;
    double best = 0.0;
    for (int r = 0; r < PEAK_RUNS; r++) {
        double rate = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : rate)
        {
            float s = sink;
#pragma omp barrier
            double c0 = thread_cpu_now();
            double ops = peak_loop_run(fam, isa, iters, &s);
            rate += ops / (thread_cpu_now() - c0);
        }
        if (rate > best) best = rate;
    }
    return best;
}

// ---- memory
// Each thread streams its own contiguous share; its bytes over its CPU time, summed. Memory is
// shared with the neighbours too, so this is the best case the machine offers, not a promise.

static double bw_rate(float *a, const float *b, const float *c, size_t n, bool triad, int threads) {
    double rate = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : rate)
    {
        size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        size_t i0 = n * t / T, i1 = n * (t + 1) / T;
        double c0 = thread_cpu_now();
        if (triad)
            peak_triad(a + i0, b + i0, c + i0, i1 - i0);
        else
            peak_copy(a + i0, b + i0, i1 - i0);
        double dt = thread_cpu_now() - c0;
        // STREAM's convention: bytes the kernel names (no write-allocate traffic).
        rate += (double)((i1 - i0) * sizeof(float)) * (triad ? 3.0 : 2.0) / (dt > 1e-9 ? dt : 1e-9);
    }
    return rate;
}

static int measure_bandwidth(peak_info *p, int threads) {
    size_t n = BW_FLOATS;
    float *a = aligned_alloc(64, n * sizeof(float)), *b = aligned_alloc(64, n * sizeof(float));
    float *c = aligned_alloc(64, n * sizeof(float));
    if (!a || !b || !c) {
        free(a); free(b); free(c);
        return W2S_FAIL("peak: out of memory for the %zu MiB bandwidth buffers", 3 * n * sizeof(float) >> 20);
    }
    // First touch by the same split as the runs, so pages sit near their threads.
#pragma omp parallel num_threads(threads)
    {
        size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        for (size_t i = n * t / T; i < n * (t + 1) / T; i++) {
            a[i] = 0.0f;
            b[i] = 1.0f;
            c[i] = 2.0f;
        }
    }
    double best_triad = 0.0, best_copy = 0.0;
    for (int r = 0; r < BW_RUNS; r++) {
        double x = bw_rate(a, b, c, n, true, threads);
        if (x > best_triad) best_triad = x;
        x = bw_rate(a, b, c, n, false, threads);
        if (x > best_copy) best_copy = x;
    }
    p->triad_gbs = best_triad * 1e-9;
    p->copy_gbs = best_copy * 1e-9;
    free(a); free(b); free(c);
    return 0;
}

int peak_measure(peak_info *p, w2s_isa isa, int threads) {
    memset(p, 0, sizeof *p);
    double t0 = prof_now();
    const w2s_cpu_features *f = w2s_cpu();
    snprintf(p->cpu, sizeof p->cpu, "%s", f->brand[0] ? f->brand : "unknown");
    snprintf(p->isa, sizeof p->isa, "%s", w2s_isa_name(isa));
    p->threads = threads < 1 ? 1 : threads;
    for (int fam = 0; fam < PEAK_FAMILY_COUNT; fam++) {
        snprintf(p->loop[fam], sizeof p->loop[fam], "%s", peak_loop_name((peak_family)fam, isa));
        p->core[fam] = loop_rate((peak_family)fam, isa, 1) * 1e-9;
        p->all[fam] = p->threads == 1 ? p->core[fam] : loop_rate((peak_family)fam, isa, p->threads) * 1e-9;
    }
    if (measure_bandwidth(p, p->threads)) return -1;
    p->seconds = prof_now() - t0;
    return 0;
}

// ---- cache

int peak_cache_path(char *buf, size_t n) {
    char dir[W2S_PATH_MAX];
    if (w2s_cache_dir(dir, sizeof dir)) return -1;
    return w2s_path_format(buf, n, "%s/peak.json", dir);
}

static void cache_key(char *buf, size_t n, const char *cpu, const char *isa, int threads) {
    snprintf(buf, n, "%s|%s|%d", cpu, isa, threads);
}

static json_t *cache_read(const char *path) {
    if (!w2s_file_exists(path)) return json_object();
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        W2S_FAIL("peak cache %s: line %d: %s (delete the file to re-measure)", path, je.line, je.text);
        return NULL;
    }
    return root;
}

int peak_cache_load(peak_info *p, w2s_isa isa, int threads) {
    char path[W2S_PATH_MAX], key[160];
    if (peak_cache_path(path, sizeof path)) return -1;
    json_t *root = cache_read(path);
    if (!root) return -1;
    const w2s_cpu_features *f = w2s_cpu();
    cache_key(key, sizeof key, f->brand[0] ? f->brand : "unknown", w2s_isa_name(isa), threads < 1 ? 1 : threads);
    json_t *e = json_object_get(root, key);
    int rc = 1;
    if (json_is_object(e)) {
        memset(p, 0, sizeof *p);
        snprintf(p->cpu, sizeof p->cpu, "%s", f->brand[0] ? f->brand : "unknown");
        snprintf(p->isa, sizeof p->isa, "%s", w2s_isa_name(isa));
        p->threads = threads < 1 ? 1 : threads;
        rc = 0;
        for (int fam = 0; fam < PEAK_FAMILY_COUNT; fam++) {
            json_t *fe = json_object_get(e, peak_family_name((peak_family)fam));
            double core = json_number_value(json_object_get(fe, "core_gflops"));
            double all = json_number_value(json_object_get(fe, "all_gflops"));
            const char *loop = json_string_value(json_object_get(fe, "loop"));
            if (!(core > 0.0) || !(all > 0.0)) rc = 1;  // incomplete entry: re-measure
            p->core[fam] = core;
            p->all[fam] = all;
            snprintf(p->loop[fam], sizeof p->loop[fam], "%s", loop ? loop : "?");
        }
        p->triad_gbs = json_number_value(json_object_get(e, "triad_gbs"));
        p->copy_gbs = json_number_value(json_object_get(e, "copy_gbs"));
        p->seconds = json_number_value(json_object_get(e, "seconds"));
        if (!(p->triad_gbs > 0.0)) rc = 1;
    }
    json_decref(root);
    return rc;
}

int peak_cache_save(const peak_info *p) {
    char path[W2S_PATH_MAX], key[160];
    if (peak_cache_path(path, sizeof path)) return -1;
    json_t *root = cache_read(path);
    if (!root) root = json_object();  // unreadable cache: replace it
    json_t *e = json_object();
    for (int fam = 0; fam < PEAK_FAMILY_COUNT; fam++)
        json_object_set_new(e, peak_family_name((peak_family)fam),
                            json_pack("{s:f, s:f, s:s}", "core_gflops", p->core[fam], "all_gflops",
                                      p->all[fam], "loop", p->loop[fam]));
    json_object_set_new(e, "triad_gbs", json_real(p->triad_gbs));
    json_object_set_new(e, "copy_gbs", json_real(p->copy_gbs));
    json_object_set_new(e, "seconds", json_real(p->seconds));
    cache_key(key, sizeof key, p->cpu, p->isa, p->threads);
    json_object_set_new(root, key, e);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    if (!text) return W2S_FAIL("peak cache: out of memory serializing %s", path);
    char dir[W2S_PATH_MAX];
    memcpy(dir, path, sizeof dir);  // path came from peak_cache_path: NUL-terminated in W2S_PATH_MAX
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int rc = w2s_mkdir_p(dir) || w2s_write_file_atomic(path, text, strlen(text)) ? -1 : 0;
    free(text);
    return rc;
}

int peak_get(peak_info *p, w2s_isa isa, int threads, bool *measured) {
    if (measured) *measured = false;
    if (peak_cache_load(p, isa, threads) == 0) return 0;
    if (peak_measure(p, isa, threads)) return -1;
    if (measured) *measured = true;
    (void)peak_cache_save(p);
    return 0;
}

// ---- ceilings

double peak_gemm_gflops(const peak_info *p, gemm_type type, int threads) {
    peak_family fam = type == GEMM_BF16 ? PEAK_BF16_DOT : type == GEMM_U8S8 ? PEAK_S8_DOT : PEAK_F32_FMA;
    if (threads >= p->threads) return p->all[fam];
    return p->core[fam] * (double)(threads < 1 ? 1 : threads);
}
