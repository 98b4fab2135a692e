// profiler_bench.cc — what the profiler costs: a GPT-2 training step (forward + backward) with
// the profiler off and on, in the same process, and the per-event cost of each hook.
// Steps are timed in process CPU time (robust to a shared machine); run with repetitions and
// random interleaving (docs/PERFORMANCE.md, Profiler) and compare the medians of off and on.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" {
#include "gpt2.h"
#include "hf_config.h"
#include "prof.h"
#include "profiler.h"
}

namespace {

// 2-layer gpt2 (full width and vocabulary), bf16, batch 4 x 64: ~50 GEMM calls and ~60
// regions per step, short enough that per-event costs would show if they mattered.
struct step_model {
    gpt2_model *m = nullptr;
    std::vector<int32_t> tokens, lengths;
    std::vector<float> dlogits;
    size_t B = 4, T = 64;
    step_model() {
        gpt2_config cfg;
        if (hf_config_named("gpt2", &cfg)) std::abort();
        cfg.n_layer = 2;
        cfg.n_classes = 2;
        gpt2_options opt = {};
        opt.max_batch = B;
        opt.max_seq = T;
        opt.precision = GPT2_BF16;
        m = gpt2_create(&cfg, &opt);
        if (!m) std::abort();
        gpt2_init_random(m, 1);
        tokens.resize(B * T);
        for (size_t i = 0; i < B * T; i++) tokens[i] = (int32_t)(i * 7919 % cfg.vocab_size);
        lengths.assign(B, (int32_t)T);
        dlogits.assign(B * 2, 0.1f);
    }
    int step() {
        gpt2_zero_grad(m);
        if (gpt2_forward(m, tokens.data(), lengths.data(), B, T, nullptr)) return -1;
        return gpt2_backward(m, dlogits.data(), 0.0f);
    }
};

step_model &model() {
    static step_model s;
    return s;
}

void bm_step(benchmark::State &st, bool on) {
    step_model &s = model();
    if (on && profiler_start()) {
        st.SkipWithError("profiler_start failed");
        return;
    }
    for (auto _ : st)
        if (s.step()) {
            st.SkipWithError("gpt2 step failed");
            break;
        }
    if (on) profiler_stop();
}

// One region begin/end pair + the gemm() observer check, with no profiler installed.
void bm_hooks_off(benchmark::State &st) {
    for (auto _ : st) {
        double t = prof_begin();
        benchmark::DoNotOptimize(t);
        prof_end(PROF_GELU, t);
        gemm_observer_fn f = gemm_observer;
        benchmark::DoNotOptimize(f);
    }
}

// One GEMM event into a table of 40 rows (a GPT-2 profile's size), with its two clock reads.
void bm_gemm_event_on(benchmark::State &st) {
    static float a[64], b[64];
    gemm_args g = {};
    g.K = g.N = 4;
    g.a_dtype = g.b_dtype = g.c_dtype = W2S_DTYPE_F32;
    g.a = {a, 4, 1};
    g.b = {b, 4, 1};
    g.ldc = 4;
    if (profiler_start()) {
        st.SkipWithError("profiler_start failed");
        return;
    }
    for (size_t r = 0; r < 40; r++) {
        g.M = 4 + r;
        profiler_record_gemm(GEMM_F32, W2S_ISA_SCALAR, &g, 0.0, 1.0);
    }
    for (auto _ : st) {
        double t0 = prof_now();
        profiler_record_gemm(GEMM_F32, W2S_ISA_SCALAR, &g, t0, prof_now());
    }
    profiler_stop();
}

void bm_region_on(benchmark::State &st) {
    if (profiler_start()) {
        st.SkipWithError("profiler_start failed");
        return;
    }
    for (auto _ : st) prof_end(PROF_GELU, prof_begin());
    profiler_stop();
}

}  // namespace

BENCHMARK_CAPTURE(bm_step, profiler_off, false)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_step, profiler_on, true)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_hooks_off);
BENCHMARK(bm_gemm_event_on);
BENCHMARK(bm_region_on);
BENCHMARK_MAIN();
