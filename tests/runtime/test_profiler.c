// test_profiler.c — the profiler's accounting on synthetic events (exact calls, seconds, FLOPs,
// bytes, totals, the JSON and HTML written from them), the observers on and off around real
// gemm() calls and regions, and the peak cache round trip and ceilings.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "gpt2.h"
#include "optim.h"
#include "peak.h"
#include "prof.h"
#include "profile_report.h"
#include "profiler.h"

// Synthetic times are sums of binary fractions (0.5, 0.25): exact in double.
#define TOL_EXACT 1e-12
// JSON reals are printed with 9 significant digits.
#define TOL_JSON 1e-8

static char tmpdir[256];

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/w2s_test_profiler_%d", (int)getpid());
    return w2s_mkdir_p(tmpdir);
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static float abuf[64 * 64], bbuf[64 * 64];

static gemm_args args_of(size_t M, size_t N, size_t K, bool a_transposed, bool accumulate) {
    gemm_args g = {.M = M, .N = N, .K = K, .a_dtype = W2S_DTYPE_F32,
                   .a = {abuf, a_transposed ? 1 : (ptrdiff_t)K, a_transposed ? (ptrdiff_t)M : 1},
                   .b_dtype = W2S_DTYPE_F32, .b = {bbuf, (ptrdiff_t)N, 1}, .c_dtype = W2S_DTYPE_F32,
                   .ldc = N, .ep = {.accumulate = accumulate}};
    return g;
}

// Two forward calls of one path, one backward call of the same shape, one transposed-A call;
// two LayerNorm regions and one backward attention region.
static void record_synthetic(void) {
    gemm_args fwd = args_of(4, 8, 16, false, false), atb = args_of(16, 8, 4, true, true);
    prof_set_phase(PROF_PHASE_FORWARD);
    profiler_record_gemm(GEMM_BF16, W2S_ISA_SCALAR, &fwd, 1.0, 1.5);
    profiler_record_gemm(GEMM_BF16, W2S_ISA_SCALAR, &fwd, 2.0, 2.25);
    prof_set_phase(PROF_PHASE_BACKWARD);
    profiler_record_gemm(GEMM_BF16, W2S_ISA_SCALAR, &fwd, 3.0, 3.5);
    profiler_record_gemm(GEMM_BF16, W2S_ISA_SCALAR, &atb, 4.0, 4.25);
    prof_set_phase(PROF_PHASE_FORWARD);
    profiler_record_region(PROF_LAYERNORM, PROF_PHASE_FORWARD, 0.0, 0.25);
    profiler_record_region(PROF_LAYERNORM, PROF_PHASE_FORWARD, 1.0, 1.25);
    profiler_record_region(PROF_ATTENTION, PROF_PHASE_BACKWARD, 5.0, 5.5);
}

// A profile of record_synthetic()'s events, taken through the real profiler.
static void profile_synthetic(profile_data *d) {
    assert_int_equal(profiler_start(), 0);
    record_synthetic();
    profiler_stop();
    assert_int_equal(profiler_snapshot(d), 0);
}

static const profile_gemm_row *find_row(const profile_data *d, prof_phase ph, profile_op op) {
    for (size_t i = 0; i < d->n_gemm; i++)
        if (d->gemm[i].phase == ph && d->gemm[i].op == op) return &d->gemm[i];
    return NULL;
}

static void test_synthetic_accounting(void **state) {
    (void)state;
    profile_data d;
    profile_synthetic(&d);
    assert_int_equal(d.n_gemm, 3);
    const profile_gemm_row *f = find_row(&d, PROF_PHASE_FORWARD, PROF_OP_AB);
    const profile_gemm_row *b = find_row(&d, PROF_PHASE_BACKWARD, PROF_OP_AB);
    const profile_gemm_row *t = find_row(&d, PROF_PHASE_BACKWARD, PROF_OP_ATB);
    assert_non_null(f);
    assert_non_null(b);
    assert_non_null(t);
    assert_int_equal(f->calls, 2);
    assert_true(fabs(f->seconds - 0.75) < TOL_EXACT);
    assert_true(fabs(f->flops - 2 * 2.0 * 4 * 8 * 16) < TOL_EXACT);
    // bytes per call: A 4x16 f32 + B 16x8 f32 + C 4x8 f32 written once
    double bytes = 4 * 16 * 4 + 16 * 8 * 4 + 4 * 8 * 4;
    assert_true(fabs(f->bytes - 2 * bytes) < TOL_EXACT);
    assert_true(fabs(profile_row_intensity(f) - 2.0 * 4 * 8 * 16 / bytes) < TOL_EXACT);
    assert_true(fabs(profile_row_gflops(f) - 2 * 2.0 * 4 * 8 * 16 / 0.75 * 1e-9) < TOL_EXACT);
    assert_int_equal(b->calls, 1);
    assert_true(fabs(b->seconds - 0.5) < TOL_EXACT);
    // accumulate reads C as well as writing it
    assert_true(fabs(t->bytes - (16 * 4 * 4 + 4 * 8 * 4 + 2.0 * 16 * 8 * 4)) < TOL_EXACT);
    assert_true(t->accumulate);
    assert_int_equal(d.region[PROF_PHASE_FORWARD][PROF_LAYERNORM].calls, 2);
    assert_true(fabs(d.region[PROF_PHASE_FORWARD][PROF_LAYERNORM].seconds - 0.5) < TOL_EXACT);
    assert_int_equal(d.region[PROF_PHASE_BACKWARD][PROF_ATTENTION].calls, 1);
    assert_true(fabs(d.gemm_seconds - 1.5) < TOL_EXACT);
    assert_true(fabs(d.region_seconds - 1.0) < TOL_EXACT);
    char label[96];
    profile_row_label(t, label, sizeof label);
    assert_string_equal(label, "bf16 scalar bwd 16x8x4 A^T*B");
    profile_data_free(&d);
    // reset clears everything
    profiler_reset();
    assert_int_equal(profiler_snapshot(&d), 0);
    assert_int_equal(d.n_gemm, 0);
    assert_true(d.region_seconds == 0.0);
    profile_data_free(&d);
}

static peak_info synthetic_peak(void) {
    peak_info p = {.cpu = "test cpu", .isa = "scalar", .threads = omp_get_max_threads(), .triad_gbs = 10.0,
                   .copy_gbs = 12.0};
    for (int f = 0; f < PEAK_FAMILY_COUNT; f++) {
        p.core[f] = 50.0 * (f + 1);
        p.all[f] = 50.0 * (f + 1) * p.threads;
        snprintf(p.loop[f], sizeof p.loop[f], "loop %d", f);
    }
    return p;
}

static void test_reports(void **state) {
    (void)state;
    profile_data d;
    profile_synthetic(&d);
    peak_info pk = synthetic_peak();
    profile_meta meta = {.title = "synthetic", .wall_seconds = 2.5, .threads = pk.threads};

    // table: one line per row with calls, then the totals against the wall clock
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    assert_non_null(mf);
    profile_print_table(mf, &d, &pk, &meta);
    fclose(mf);
    assert_non_null(strstr(text, "bf16 scalar bwd 16x8x4 A^T*B"));
    assert_non_null(strstr(text, "layernorm"));
    assert_non_null(strstr(text, "profiled total 2500.00 ms"));
    assert_non_null(strstr(text, "profiled / wall = 1.000"));
    free(text);

    char path[512];
    snprintf(path, sizeof path, "%s/profile.json", tmpdir);
    assert_int_equal(profile_write_json(path, &d, &pk, &meta), 0);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *totals = json_object_get(root, "totals");
    assert_true(fabs(json_real_value(json_object_get(totals, "profiled_seconds")) - 2.5) < TOL_JSON);
    assert_true(fabs(json_real_value(json_object_get(totals, "profiled_over_wall")) - 1.0) < TOL_JSON);
    json_t *rows = json_object_get(root, "gemm");
    assert_int_equal(json_array_size(rows), 3);
    bool found = false;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(r, "phase")), "forward")) continue;
        found = true;
        assert_int_equal(json_integer_value(json_object_get(r, "calls")), 2);
        double gf = 2 * 2.0 * 4 * 8 * 16 / 0.75 * 1e-9;
        assert_true(fabs(json_real_value(json_object_get(r, "gflops")) - gf) < TOL_JSON * gf);
        // bf16 ceiling of the synthetic peak with all threads: 100 GFLOP/s per thread
        double pct = 100.0 * gf / (100.0 * pk.threads);
        assert_true(fabs(json_real_value(json_object_get(r, "pct_peak")) - pct) < TOL_JSON * pct);
    }
    assert_true(found);
    assert_int_equal(json_array_size(json_object_get(root, "regions")), 2);
    json_decref(root);

    snprintf(path, sizeof path, "%s/profile.html", tmpdir);
    assert_int_equal(profile_write_html(path, &d, &pk, &meta), 0);
    size_t hsize = 0;
    char *html = w2s_read_file(path, 1 << 22, &hsize);
    assert_non_null(html);
    assert_int_equal(profile_html_points(&d), 3);
    assert_non_null(strstr(html, "data-npoints=\"3\""));
    size_t npts = 0;
    for (const char *p = html; (p = strstr(p, "class=\"pt\"")); p++) npts++;
    assert_int_equal(npts, 3);
    assert_null(strstr(html, "src=\"http"));  // nothing fetched from the network
    free(html);
    profile_data_free(&d);
}

static void test_observers_on_off(void **state) {
    (void)state;
    for (size_t i = 0; i < 64 * 64; i++) abuf[i] = bbuf[i] = 0.5f;
    float c[64 * 64];
    gemm_args g = args_of(8, 8, 8, false, false);
    g.c = c;
    assert_null(gemm_observer);
    assert_null(prof_region_observer);
    profiler_reset();
    // off: nothing is recorded
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);
    double t = prof_begin();
    assert_true(t == 0.0);
    prof_end(PROF_GELU, t);
    profile_data d;
    assert_int_equal(profiler_snapshot(&d), 0);
    assert_int_equal(d.n_gemm, 0);
    assert_int_equal(d.region[PROF_PHASE_FORWARD][PROF_GELU].calls, 0);
    profile_data_free(&d);
    // on: one GEMM path with two calls, one region
    assert_int_equal(profiler_start(), 0);
    assert_int_equal(profiler_start(), -1);  // one profiler per process
    prof_set_phase(PROF_PHASE_FORWARD);
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);
    g.M = 0;  // empty products are not events
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);
    g.M = 8;
    t = prof_begin();
    assert_true(t > 0.0);
    prof_end(PROF_GELU, t);
    profiler_stop();
    assert_null(gemm_observer);
    assert_int_equal(gemm(GEMM_F32, W2S_ISA_SCALAR, &g), 0);  // after stop: not counted
    assert_int_equal(profiler_snapshot(&d), 0);
    assert_int_equal(d.n_gemm, 1);
    assert_int_equal(d.gemm[0].calls, 2);
    assert_true(d.gemm[0].seconds > 0.0);
    assert_true(fabs(d.gemm[0].flops - 2 * 2.0 * 8 * 8 * 8) < TOL_EXACT);
    assert_int_equal(d.region[PROF_PHASE_FORWARD][PROF_GELU].calls, 1);
    profile_data_free(&d);
}

// The parameter update is its own phase: an Adam step and the zeroing of a model's gradients
// are optimizer regions of phase "update", whatever phase ran before them. Data and file I/O
// have no phase: one row whatever pass the thread was in.
static void test_phases(void **state) {
    (void)state;
    float params[100], grads[100];
    for (int i = 0; i < 100; i++) params[i] = grads[i] = 0.01f * (float)i;
    optim_adam_config ac = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    optim_adam *o = optim_adam_create(&ac, 100);
    assert_non_null(o);
    const optim_segment seg = {.offset = 0, .count = 100};
    gpt2_config cfg = {.n_layer = 1, .n_head = 1, .n_embd = 8, .vocab_size = 16, .n_positions = 4, .ln_eps = 1e-5f};
    gpt2_options opt = {.max_batch = 1, .max_seq = 4};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    assert_non_null(m);
    assert_int_equal(profiler_start(), 0);
    prof_set_phase(PROF_PHASE_BACKWARD);
    optim_adam_step(o, params, grads, &seg, 1, 1e-3f);
    prof_set_phase(PROF_PHASE_FORWARD);
    gpt2_zero_grad(m);
    double t = prof_begin();
    prof_end(PROF_DATA, t);  // in the update phase
    prof_set_phase(PROF_PHASE_BACKWARD);
    t = prof_begin();
    prof_end(PROF_DATA, t);
    profiler_stop();
    profile_data d;
    assert_int_equal(profiler_snapshot(&d), 0);
    assert_int_equal(d.region[PROF_PHASE_UPDATE][PROF_OPTIMIZER].calls, 2);
    assert_int_equal(d.region[PROF_PHASE_BACKWARD][PROF_OPTIMIZER].calls, 0);
    assert_int_equal(d.region[PROF_PHASE_FORWARD][PROF_OPTIMIZER].calls, 0);
    assert_int_equal(d.region[PROF_PHASE_FORWARD][PROF_DATA].calls, 2);
    assert_true(fabs(d.region_seconds - d.region[PROF_PHASE_UPDATE][PROF_OPTIMIZER].seconds -
                     d.region[PROF_PHASE_FORWARD][PROF_DATA].seconds) < TOL_EXACT);
    char path[300];
    snprintf(path, sizeof path, "%s/phases.json", tmpdir);
    assert_int_equal(profile_write_json(path, &d, NULL, NULL), 0);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    size_t i, seen = 0;
    json_t *row;
    json_array_foreach(json_object_get(root, "regions"), i, row) {
        const char *kind = json_string_value(json_object_get(row, "kind"));
        const char *phase = json_string_value(json_object_get(row, "phase"));
        if (!strcmp(kind, "data")) assert_string_equal(phase, "-"), seen++;
        if (!strcmp(kind, "optimizer")) assert_string_equal(phase, "update"), seen++;
    }
    assert_int_equal(seen, 2);
    json_decref(root);
    assert_string_equal(prof_phase_name(PROF_PHASE_UPDATE), "update");
    assert_string_equal(prof_phase_name(PROF_PHASE_COUNT), "?");
    profile_data_free(&d);
    gpt2_destroy(m);
    optim_adam_destroy(o);
    prof_set_phase(PROF_PHASE_FORWARD);
}

// GEMMs called inside an OpenMP region (the int8 graph's per-head attention) are thread time
// inside their caller's region: counted in nested rows, never in the profiled total.
static void test_nested_gemm(void **state) {
    (void)state;
    for (size_t i = 0; i < 64 * 64; i++) abuf[i] = bbuf[i] = 0.25f;
    assert_int_equal(profiler_start(), 0);
    for (int team = 1; team <= 2; team++) {  // an inactive (1-thread) region is nested too
        int failed = 0;
#pragma omp parallel num_threads(team) reduction(+ : failed)
        {
            float c[64];
            gemm_args g = args_of(8, 8, 8, false, false);
            g.c = c;
            failed += gemm(GEMM_F32, W2S_ISA_SCALAR, &g) != 0;
        }
        assert_int_equal(failed, 0);
    }
    profiler_stop();
    profile_data d;
    assert_int_equal(profiler_snapshot(&d), 0);
    assert_int_equal(d.n_gemm, 1);
    assert_true(d.gemm[0].nested);
    assert_int_equal(d.gemm[0].threads, 1);
    assert_int_equal(d.gemm[0].calls, 3);  // num_threads(2) overrides OMP_NUM_THREADS=1 of the test
    assert_true(d.gemm_seconds == 0.0);
    assert_true(d.nested_gemm_seconds > 0.0);
    char label[96];
    profile_row_label(&d.gemm[0], label, sizeof label);
    assert_string_equal(label, "f32 scalar fwd 8x8x8 A*B nested");
    profile_data_free(&d);
}

static void test_peak_cache_and_ceilings(void **state) {
    (void)state;
    char cache[300];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    setenv("XDG_CACHE_HOME", cache, 1);
    peak_info p = synthetic_peak(), q;
    snprintf(p.cpu, sizeof p.cpu, "%s", w2s_cpu()->brand[0] ? w2s_cpu()->brand : "unknown");
    snprintf(p.isa, sizeof p.isa, "%s", w2s_isa_name(W2S_ISA_SCALAR));
    p.threads = 3;
    assert_int_equal(peak_cache_load(&q, W2S_ISA_SCALAR, 3), 1);  // absent
    assert_int_equal(peak_cache_save(&p), 0);
    assert_int_equal(peak_cache_load(&q, W2S_ISA_SCALAR, 3), 0);
    assert_int_equal(peak_cache_load(&q, W2S_ISA_SCALAR, 2), 1);  // other thread count: other key
    assert_int_equal(peak_cache_load(&q, W2S_ISA_SCALAR, 3), 0);
    for (int f = 0; f < PEAK_FAMILY_COUNT; f++) {
        assert_true(fabs(q.core[f] - p.core[f]) < TOL_JSON * p.core[f]);
        assert_true(fabs(q.all[f] - p.all[f]) < TOL_JSON * p.all[f]);
        assert_string_equal(q.loop[f], p.loop[f]);
    }
    assert_true(fabs(q.triad_gbs - 10.0) < TOL_JSON);
    // ceilings: all-thread figure at or above p.threads, one-core figure × threads below
    assert_true(fabs(peak_gemm_gflops(&p, GEMM_F32, 3) - p.all[PEAK_F32_FMA]) < TOL_EXACT);
    assert_true(fabs(peak_gemm_gflops(&p, GEMM_BF16, 2) - 2 * p.core[PEAK_BF16_DOT]) < TOL_EXACT);
    assert_true(fabs(peak_gemm_gflops(&p, GEMM_U8S8, 8) - p.all[PEAK_S8_DOT]) < TOL_EXACT);
    // a corrupt cache is an error, not silently zero peaks
    char file[W2S_PATH_MAX];
    assert_int_equal(peak_cache_path(file, sizeof file), 0);
    assert_int_equal(w2s_write_file_atomic(file, "{nope", 5), 0);
    assert_int_equal(peak_cache_load(&q, W2S_ISA_SCALAR, 3), -1);
    unsetenv("XDG_CACHE_HOME");
}

static void test_peak_loops(void **state) {
    (void)state;
    // Every loop reachable on this CPU reports the ops it promises: 12 chains (8 scalar) per
    // iteration times the ops of one instruction.
    for (int isa = 0; isa < W2S_ISA_COUNT; isa++) {
        if (!w2s_isa_supported((w2s_isa)isa)) continue;
        for (int f = 0; f < PEAK_FAMILY_COUNT; f++) {
            float sink = 0.0f;
            double ops = peak_loop_run((peak_family)f, (w2s_isa)isa, 1000, &sink);
            const char *name = peak_loop_name((peak_family)f, (w2s_isa)isa);
            double per = ops / 1000.0;
            bool ok = per == 16 || per == 12 * 16 || per == 12 * 32 || per == 12 * 64 || per == 12 * 128;
            if (!ok) fail_msg("isa %s family %d (%s): %g ops per iteration", w2s_isa_name((w2s_isa)isa), f, name, per);
            assert_true(isfinite(sink));
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic_accounting),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_observers_on_off),
        cmocka_unit_test(test_nested_gemm),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_peak_cache_and_ceilings),
        cmocka_unit_test(test_peak_loops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
