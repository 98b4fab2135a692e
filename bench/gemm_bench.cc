// gemm_bench.cc — w2s gemm() against oneDNN's matmul on GPT-2 shapes, in one process.
// BM_gemm_<impl>_<dtype>/M/N/K, impl ∈ {w2s, onednn}, dtype ∈ {f32, bf16, s8}. Weights are
// packed (w2s) / reordered to format_tag::any (oneDNN) once, outside the timed loop; both use
// the same OpenMP thread count (OMP_NUM_THREADS, or --threads=N). Counter `flops` = 2·M·N·K/s.
// --process-cpu makes cpu_time the CPU time of all threads (spin-waits included), which on a
// loaded machine is a steadier measure of a parallel kernel than wall time.
// BM_gemm_<impl>_bf16wg/M/N/K: the weight-gradient product of bf16 training, C += Aᵀ·B with
// A stored transposed (K, M) and B (K, N) row-major, both bf16 and neither packed in advance
// (they are activations and output gradients, new every step), C f32 accumulated.
// Both libraries run under the OpenMP wait policy the w2s command uses (runtime/sched/team.h:
// a brief spin, then sleep, unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set); GOMP_SPINCOUNT=300000 gives
// libgomp's own default (spin, then sleep). The policy is printed in the context lines.
// bench/compare_gemm.py runs this interleaved and prints the comparison table.
// w2s runs the GEMM configuration stored by `w2s tune` for this CPU (else the built-in one);
// when a stored one differs from the built-in, BM_gemm_w2sbuiltin_<dtype> also times the
// built-in one in the same run (before/after tuning). The context lines name both.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

extern "C" {
#include "cpu.h"
#include "dtype.h"
#include "error.h"
#include "gemm.h"
#include "gemm_config.h"
#include "team.h"
#include "tune_wisdom.h"
}

namespace {

gemm_config_set g_tuned, g_builtin;  // what w2s and w2sbuiltin run
std::string g_tuned_source;

enum class dt { f32, bf16, s8 };
const char *dt_name(dt d) { return d == dt::f32 ? "f32" : d == dt::bf16 ? "bf16" : "s8"; }

struct shape {
    int64_t M, N, K;
};

uint64_t rng_state = 42;
float rnd() {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) * 0x1p-24) * 2.0f - 1.0f;
}

void set_flops(benchmark::State &st, const shape &s) {
    st.counters["flops"] = benchmark::Counter(2.0 * (double)s.M * (double)s.N * (double)s.K *
                                                  (double)st.iterations(),
                                              benchmark::Counter::kIsRate);
}

// The timed loop of every w2s case: one gemm() call per iteration, C kept live.
void time_gemm(benchmark::State &st, gemm_type type, w2s_isa isa, const gemm_args &g) {
    for (auto _ : st) {
        if (gemm(type, isa, &g)) {
            st.SkipWithError("gemm failed");
            break;
        }
        benchmark::DoNotOptimize(g.c);
        benchmark::ClobberMemory();
    }
}

// The timed loop of every oneDNN case: one primitive execution per iteration, waited for.
void time_onednn(benchmark::State &st, const dnnl::matmul &prim, dnnl::stream &strm,
                 const std::unordered_map<int, dnnl::memory> &args) {
    for (auto _ : st) {
        prim.execute(strm, args);
        strm.wait();
    }
}

// Operands shared by both implementations: A (M, K) and B (K, N), row-major.
struct operands {
    std::vector<float> a, b, bias, row_scale, col_scale;
    std::vector<uint16_t> a16, b16;
    std::vector<uint8_t> a8;
    std::vector<int8_t> b8;
    std::vector<int32_t> row_zero;
    operands(const shape &s, dt d) {
        size_t mk = (size_t)(s.M * s.K), kn = (size_t)(s.K * s.N);
        if (d == dt::s8) {
            a8.resize(mk);
            b8.resize(kn);
            for (auto &x : a8) x = (uint8_t)((rnd() + 1.0f) * 127.0f);
            for (auto &x : b8) x = (int8_t)(rnd() * 127.0f);
            row_scale.assign((size_t)s.M, 0.01f);
            row_zero.assign((size_t)s.M, 128);
            col_scale.resize((size_t)s.N);
            for (auto &x : col_scale) x = 0.001f * (2.0f + rnd());
        } else {
            a.resize(mk);
            b.resize(kn);
            for (auto &x : a) x = rnd();
            for (auto &x : b) x = rnd();
            if (d == dt::bf16) {
                a16.resize(mk);
                b16.resize(kn);
                for (size_t i = 0; i < mk; i++) a16[i] = w2s_f32_to_bf16(a[i]);
                for (size_t i = 0; i < kn; i++) b16[i] = w2s_f32_to_bf16(b[i]);
            }
        }
        bias.resize((size_t)s.N);
        for (auto &x : bias) x = rnd();
    }
};

// Benchmarks run interleaved: each installs its configuration before packing its weights.
void install(const gemm_config_set *cfg) {
    if (gemm_config_install(cfg, cfg == &g_tuned ? g_tuned_source.c_str() : "built-in")) {
        fprintf(stderr, "gemm_bench: %s\n", w2s_error_message());
        exit(1);
    }
}

void bm_w2s(benchmark::State &st, dt d, shape s, const gemm_config_set *cfg) {
    install(cfg);
    operands op(s, d);
    std::vector<float> c((size_t)(s.M * s.N));
    gemm_type type = d == dt::f32 ? GEMM_F32 : d == dt::bf16 ? GEMM_BF16 : GEMM_U8S8;
    w2s_isa isa = w2s_isa_active();
    gemm_packed_b pb;
    gemm_view bv = {d == dt::f32 ? (const void *)op.b.data() : d == dt::bf16 ? (const void *)op.b16.data()
                                                                              : (const void *)op.b8.data(),
                    s.N, 1};
    w2s_dtype bdt = d == dt::f32 ? W2S_DTYPE_F32 : d == dt::bf16 ? W2S_DTYPE_BF16 : W2S_DTYPE_S8;
    if (gemm_pack_b(&pb, type, isa, (size_t)s.K, (size_t)s.N, bdt, bv)) {
        st.SkipWithError("gemm_pack_b failed");
        return;
    }
    gemm_args g = {};
    g.M = (size_t)s.M;
    g.N = (size_t)s.N;
    g.K = (size_t)s.K;
    g.a_dtype = d == dt::f32 ? W2S_DTYPE_F32 : d == dt::bf16 ? W2S_DTYPE_BF16 : W2S_DTYPE_U8;
    g.a = {d == dt::f32 ? (const void *)op.a.data() : d == dt::bf16 ? (const void *)op.a16.data()
                                                                    : (const void *)op.a8.data(),
           s.K, 1};
    g.b_packed = &pb;
    g.c_dtype = W2S_DTYPE_F32;
    g.c = c.data();
    g.ldc = (size_t)s.N;
    if (d == dt::s8) {
        g.ep.row_scale = op.row_scale.data();
        g.ep.row_zero = op.row_zero.data();
        g.ep.col_scale = op.col_scale.data();
    }
    time_gemm(st, type, isa, g);
    gemm_packed_b_free(&pb);
    set_flops(st, s);
}

void bm_onednn(benchmark::State &st, dt d, shape s) {
    using namespace dnnl;
    using tag = memory::format_tag;
    using mdt = memory::data_type;
    operands op(s, d);
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    mdt src_t = d == dt::f32 ? mdt::f32 : d == dt::bf16 ? mdt::bf16 : mdt::u8;
    mdt wei_t = d == dt::f32 ? mdt::f32 : d == dt::bf16 ? mdt::bf16 : mdt::s8;
    memory::desc a_md({s.M, s.K}, src_t, tag::ab);
    memory::desc b_any({s.K, s.N}, wei_t, tag::any);
    memory::desc b_md({s.K, s.N}, wei_t, tag::ab);
    memory::desc c_md({s.M, s.N}, mdt::f32, tag::ab);
    primitive_attr attr;
    if (d == dt::s8) attr.set_output_scales(1 << 1, op.col_scale);
    matmul::primitive_desc pd(matmul::desc(a_md, b_any, c_md), attr, eng);
    void *a_ptr = d == dt::f32 ? (void *)op.a.data() : d == dt::bf16 ? (void *)op.a16.data() : (void *)op.a8.data();
    void *b_ptr = d == dt::f32 ? (void *)op.b.data() : d == dt::bf16 ? (void *)op.b16.data() : (void *)op.b8.data();
    memory a_mem(a_md, eng, a_ptr), b_user(b_md, eng, b_ptr), c_mem(c_md, eng);
    memory b_mem(pd.weights_desc(), eng);
    reorder(b_user, b_mem).execute(strm, b_user, b_mem);
    strm.wait();
    matmul prim(pd);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
    time_onednn(st, prim, strm, args);
    set_flops(st, s);
}

// C[M,N] += Aᵀ·B: A given as its (K, M) row-major storage, B (K, N) row-major, bf16, unpacked.
void bm_w2s_wgrad(benchmark::State &st, shape s) {
    install(&g_tuned);
    operands op(s, dt::bf16);  // a: M·K elements, read here as Aᵀ (K, M) row-major; b: (K, N)
    std::vector<float> c((size_t)(s.M * s.N), 0.0f);
    gemm_args g = {};
    g.M = (size_t)s.M;
    g.N = (size_t)s.N;
    g.K = (size_t)s.K;
    g.a_dtype = W2S_DTYPE_BF16;
    g.a = {op.a16.data(), 1, s.M};
    g.b_dtype = W2S_DTYPE_BF16;
    g.b = {op.b16.data(), s.N, 1};
    g.c_dtype = W2S_DTYPE_F32;
    g.c = c.data();
    g.ldc = (size_t)s.N;
    g.ep.accumulate = true;
    w2s_isa isa = w2s_isa_active();
    time_gemm(st, GEMM_BF16, isa, g);
    set_flops(st, s);
}

// The same with oneDNN: src (M, K) in format ba (its transpose is row-major), plain weights,
// a sum post-op for the accumulation.
void bm_onednn_wgrad(benchmark::State &st, shape s) {
    using namespace dnnl;
    using tag = memory::format_tag;
    using mdt = memory::data_type;
    operands op(s, dt::bf16);
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    memory::desc a_md({s.M, s.K}, mdt::bf16, tag::ba);
    memory::desc b_md({s.K, s.N}, mdt::bf16, tag::ab);
    memory::desc c_md({s.M, s.N}, mdt::f32, tag::ab);
    post_ops po;
    po.append_sum(1.0f);
    primitive_attr attr;
    attr.set_post_ops(po);
    matmul::primitive_desc pd(matmul::desc(a_md, b_md, c_md), attr, eng);
    memory a_mem(a_md, eng, op.a16.data()), b_mem(b_md, eng, op.b16.data()), c_mem(c_md, eng);
    std::memset(c_mem.get_data_handle(), 0, (size_t)(s.M * s.N) * sizeof(float));
    matmul prim(pd);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
    time_onednn(st, prim, strm, args);
    set_flops(st, s);
}

}  // namespace

int main(int argc, char **argv) {
    team_wait_policy_apply(argv);  // before any OpenMP region: may re-execute this program
    tune_wisdom_apply(stderr);
    const char *src;
    gemm_config_active(&g_tuned, &src);
    g_tuned_source = src;
    gemm_config_builtin(&g_builtin, gemm_core(nullptr));
    bool tuned = memcmp(&g_tuned, &g_builtin, sizeof g_tuned) != 0;
    bool process_cpu = false;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--threads=", 10)) omp_set_num_threads(atoi(argv[i] + 10));
        if (!strcmp(argv[i], "--process-cpu")) process_cpu = true;
    }
    const int64_t Ms[] = {1, 32, 64, 128, 512, 2048};
    const std::pair<int64_t, int64_t> KNs[] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
    static const char *const impls[] = {"w2s_", "onednn_", "w2sbuiltin_"};
    for (dt d : {dt::f32, dt::bf16, dt::s8})
        for (int impl = 0; impl < (tuned ? 3 : 2); impl++)
            for (int64_t M : Ms)
                for (auto kn : KNs) {
                    shape s = {M, kn.second, kn.first};
                    std::string name = std::string("BM_gemm_") + impls[impl] + dt_name(d) + "/" +
                                       std::to_string(M) + "/" + std::to_string(s.N) + "/" + std::to_string(s.K);
                    auto *b = impl == 1 ? benchmark::RegisterBenchmark(name.c_str(), bm_onednn, d, s)
                                        : benchmark::RegisterBenchmark(name.c_str(), bm_w2s, d, s,
                                                                       impl ? &g_builtin : &g_tuned);
                    b->UseRealTime()->Unit(benchmark::kMicrosecond);
                    if (process_cpu) b->MeasureProcessCPUTime();
                }
    // Weight gradients of GPT-2 small at B·T = 1024: dW (C_in, C_out) += Xᵀ (C_in, BT) · dY (BT, C_out).
    const shape wg[] = {{768, 3072, 1024}, {3072, 768, 1024}, {768, 2304, 1024}, {768, 768, 1024}};
    for (int impl = 0; impl < 2; impl++)
        for (const shape &s : wg) {
            std::string name = std::string("BM_gemm_") + (impl ? "onednn" : "w2s") + "_bf16wg/" +
                               std::to_string(s.M) + "/" + std::to_string(s.N) + "/" + std::to_string(s.K);
            auto *b = impl ? benchmark::RegisterBenchmark(name.c_str(), bm_onednn_wgrad, s)
                           : benchmark::RegisterBenchmark(name.c_str(), bm_w2s_wgrad, s);
            b->UseRealTime()->Unit(benchmark::kMicrosecond);
            if (process_cpu) b->MeasureProcessCPUTime();
        }
    benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
    benchmark::AddCustomContext("omp_wait_policy", team_wait_policy());
    for (int t = 0; t < GEMM_TYPE_COUNT; t++) {
        char buf[128];
        std::string key = std::string("gemm_") + (t == GEMM_F32 ? "f32" : t == GEMM_BF16 ? "bf16" : "s8");
        benchmark::AddCustomContext(key, gemm_config_format(&g_tuned.type[t], buf, sizeof buf));
        if (tuned) benchmark::AddCustomContext(key + "_builtin", gemm_config_format(&g_builtin.type[t], buf, sizeof buf));
    }
    benchmark::AddCustomContext("gemm_config_source", g_tuned_source);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
