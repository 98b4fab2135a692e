// cmd_bench_pipeline.c — `w2s bench pipeline`: the label→student transfer of `w2s run`, pipelined
// (labeler and student on their own cores, protocol_pipeline.h) and sequential (label all, then
// train, on every core), timed in the same process on random weights and random tokens.
// Not an accuracy check: the models are untrained. One JSON line: both walls, each stage's busy
// time, the overlap, the time until the student's first step, and the three targets.
#include "cli.h"
#include "cmd_bench_pipeline.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "cli_stats.h"

#include "error.h"
#include "gpt2.h"
#include "gpt2_int8.h"
#include "hf_config.h"
#include "image_tokens.h"
#include "progress.h"
#include "protocol_pipeline.h"
#include "trainer.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The demo's pair (docs/DEMO.md "Models"; demo.c's recipes): image tokens, 50 positions.
static int demo_config_named(const char *name, gpt2_config *c) {
    bool weak = !strcmp(name, "demo-weak");
    if (!weak && strcmp(name, "demo-strong")) return -1;
    *c = (gpt2_config){.n_layer = weak ? 1 : 4, .n_head = weak ? 2 : 4, .n_embd = weak ? 32 : 128,
                       .vocab_size = IMAGE_TOKEN_VOCAB_IN, .n_positions = 50, .ln_eps = 1e-5f};
    return 0;
}

static int config_named(const char *name, gpt2_config *c) {
    if (demo_config_named(name, c) == 0 || hf_config_named(name, c) == 0) return 0;
    return W2S_FAIL("unknown architecture '%s' (gpt2, gpt2-medium, gpt2-large, gpt2-xl, demo-weak, demo-strong)", name);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s bench pipeline [--weak-arch A] [--strong-arch B] [--examples N] [--seq T]\n"
            "                          [--batch B] [--epochs E] [--threads N] [--label-cores N]\n"
            "                          [--train-cores N] [--plan auto|split|interleaved] [--repeats R]\n"
            "  Times the label->student transfer of w2s run on random weights and random tokens: the\n"
            "  int8 weak labeler (--weak-arch, default gpt2) and a bf16 student (--strong-arch,\n"
            "  default gpt2-medium; demo-weak/demo-strong are the demo's models) on N examples of T\n"
            "  tokens, pipelined and sequential (label all, then train, on --threads cores),\n"
            "  alternating, R times (medians). The pipeline's plan: auto (what w2s run uses: cores split\n"
            "  by cost when that idles no core, else interleaved), split (by cost, or by --label-cores\n"
            "  / --train-cores), interleaved (both stages on every core, taking turns per step).\n"
            "  Prints one JSON line: walls, busy times, overlap, team start-up, time from the\n"
            "  labeler's start to the first student step. Defaults: 64 examples, seq 128, batch 32,\n"
            "  1 epoch, threads = OpenMP max (the pipeline gets the same cores), plan auto, 1 repeat.\n");
}

// N examples of T random tokens, random labels: the fields labeler and trainer read.
static int fake_dataset(dataset *ds, size_t n, size_t T, size_t V) {
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->n_classes = 2;
    ds->tokens = malloc(n * T * sizeof(int32_t));
    ds->tok_off = malloc((n + 1) * sizeof(size_t));
    ds->hard_label = malloc(n * sizeof(int32_t));
    ds->line = malloc(n * sizeof(size_t));
    ds->path = "bench";
    if (!ds->tokens || !ds->tok_off || !ds->hard_label || !ds->line) return W2S_FAIL("bench pipeline: out of memory");
    uint64_t s = 12345;
    for (size_t i = 0; i < n * T; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ds->tokens[i] = (int32_t)((s >> 33) % V);
    }
    for (size_t i = 0; i <= n; i++) ds->tok_off[i] = i * T;
    for (size_t i = 0; i < n; i++) {
        ds->hard_label[i] = (int32_t)(i % 2);
        ds->line[i] = i + 1;
    }
    return 0;
}

static void fake_dataset_free(dataset *ds) {
    free(ds->tokens);
    free(ds->tok_off);
    free(ds->hard_label);
    free(ds->line);
}

typedef struct {
    gpt2_model *m;
    const float *init;     // (num_params) the student's starting weights, restored per run
    trainer_config tc;
    trainer_data d;
} bench_student;

static int student_train(void *arg, transfer_ready_fn ready, void *feed) {
    bench_student *s = arg;
    memcpy(s->m->params_memory, s->init, s->m->num_params * sizeof(float));
    s->tc.targets_ready = ready;
    s->tc.targets_ready_arg = feed;
    return trainer_train(s->m, &s->tc, &s->d, NULL);
}

// Median of each field over R runs.
static transfer_stats median_stats(const transfer_stats *runs, int R) {
    double v[8][64];
    for (int r = 0; r < R; r++) {
        const transfer_stats *s = &runs[r];
        double f[8] = {s->wall_s,    s->label_busy_s, s->train_busy_s, s->train_wait_s, s->first_step_s,
                       s->overlap_s, s->startup_s,    s->first_label_batch_s};
        for (int k = 0; k < 8; k++) v[k][r] = f[k];
    }
    transfer_stats m = runs[0];
    m.wall_s = cli_median(v[0], (size_t)R);
    m.label_busy_s = cli_median(v[1], (size_t)R);
    m.train_busy_s = cli_median(v[2], (size_t)R);
    m.train_wait_s = cli_median(v[3], (size_t)R);
    m.first_step_s = cli_median(v[4], (size_t)R);
    m.overlap_s = cli_median(v[5], (size_t)R);
    m.startup_s = cli_median(v[6], (size_t)R);
    m.first_label_batch_s = cli_median(v[7], (size_t)R);
    return m;
}

static void print_stats(const char *name, const transfer_stats *s, double cpu_s) {
    printf("\"%s\": {\"wall_s\": %.3f, \"label_busy_s\": %.3f, \"train_busy_s\": %.3f, \"train_wait_s\": %.3f, "
           "\"overlap_s\": %.3f, \"startup_s\": %.4f, \"first_step_s\": %.4f, \"first_label_batch_s\": %.4f, "
           "\"label_threads\": %d, \"train_threads\": %d, \"cpu_s\": %.3f}",
           name, s->wall_s, s->label_busy_s, s->train_busy_s, s->train_wait_s, s->overlap_s, s->startup_s,
           s->first_step_s, s->first_label_batch_s, s->label_threads, s->train_threads, cpu_s);
}

int bench_pipeline(int argc, char **argv) {
    static const char *const plans[] = {"auto", "split", "interleaved", NULL};
    const char *weak_arch = "gpt2", *strong_arch = "gpt2-medium";
    size_t n = 64, seq = 128, batch = 32, epochs = 1, threads = (size_t)omp_get_max_threads(), label_cores = 0,
           train_cores = 0, repeats = 1;
    int plan_i = 0;
    const size_t most = (size_t)1 << 20;
    cli_opt opts[] = {
        CLI_OPT("weak-arch", CLI_STR, &weak_arch),
        CLI_OPT("strong-arch", CLI_STR, &strong_arch),
        CLI_OPT("plan", CLI_CHOICE, &plan_i, .choices = plans),
        CLI_OPT("examples", CLI_SIZE, &n, .lo = 1, .hi = most),
        CLI_OPT("seq", CLI_SIZE, &seq, .lo = 1, .hi = most),
        CLI_OPT("batch", CLI_SIZE, &batch, .lo = 1, .hi = most),
        CLI_OPT("epochs", CLI_SIZE, &epochs, .lo = 1, .hi = most),
        CLI_OPT("threads", CLI_SIZE, &threads, .lo = 1, .hi = most),
        CLI_OPT("label-cores", CLI_SIZE, &label_cores, .lo = 1, .hi = most),
        CLI_OPT("train-cores", CLI_SIZE, &train_cores, .lo = 1, .hi = most),
        CLI_OPT("repeats", CLI_SIZE, &repeats, .lo = 1, .hi = 64),
    };
    int status = cli_opts_parse("bench pipeline", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    const char *plan_kind = plans[plan_i];
    gpt2_config cw, cs;
    if (config_named(weak_arch, &cw) || config_named(strong_arch, &cs)) return cli_fail("bench pipeline", NULL);
    size_t T = seq, N = n, B = batch < N ? batch : N;
    if (cw.vocab_size != cs.vocab_size || T > cw.n_positions || T > cs.n_positions)
        return cli_usage_error("bench pipeline", "%s and %s need one vocabulary and --seq %zu within both's positions",
                               weak_arch, strong_arch, T);
    cw.n_classes = cs.n_classes = 2;

    // The pipeline gets the first `threads` cores of this process's CPUs, the sequential run
    // `threads` OpenMP threads: the same cores either way.
    topology *topo = topology_load_this_system();
    if (!topo) return cli_fail("bench pipeline", NULL);
    if ((int)threads < topo->n_cores) {
        char list[4096] = "";
        size_t len = 0;
        for (int c = 0; c < (int)threads; c++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%u", c ? "," : "", topo->pus[topo->cores[c].pu_first]);
        if (topology_restrict(topo, list) != 0) {
            topology_destroy(topo);
            return cli_fail("bench pipeline", NULL);
        }
    }
    placement plan;
    placement_request req = transfer_placement_request(gpt2_num_params(&cw, GPT2_LM_NONE, 0), gpt2_num_params(&cs, GPT2_LM_NONE, 0),
                                                       (int)label_cores, (int)train_cores);
    double gain = 0; // the cost split's estimated gain, whichever plan runs
    int planned = transfer_plan(topo, &req, &plan, &gain);
    if (planned == 0 && strcmp(plan_kind, "auto")) {
        placement_free(&plan);
        req.interleaved = !strcmp(plan_kind, "interleaved");
        planned = placement_plan(topo, &req, &plan);
    }
    if (planned != 0) {
        topology_destroy(topo);
        return cli_fail("bench pipeline",
                        "--label-cores + --train-cores within --threads, and none with --plan interleaved");
    }
    if (plan.sequential) {
        fprintf(stderr, "w2s bench pipeline: %s: a pipeline needs at least 2 cores\n", plan.rule);
        placement_free(&plan);
        topology_destroy(topo);
        return 2;
    }
    omp_set_num_threads((int)threads);

    dataset ds;
    size_t *idx = malloc(N * sizeof(size_t));
    float *soft = malloc(N * 2 * sizeof(float)), *soft_seq = malloc(N * 2 * sizeof(float)), *init = NULL;
    int32_t *hard = malloc(N * sizeof(int32_t));
    gpt2_options wo = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_NONE, .precision = GPT2_FP32};
    gpt2_options so = {.max_batch = trainer_auto_minibatch(&cs, GPT2_BF16, T, B, TRAINER_ACT_BUDGET), .max_seq = T,
                       .lm_mode = GPT2_LM_NONE, .precision = GPT2_BF16};
    gpt2_model *weak = NULL, *strong = NULL;
    gpt2_int8 *q = NULL;
    int rc = fake_dataset(&ds, N, T, cw.vocab_size);
    if (!rc && (!idx || !soft || !soft_seq || !hard)) rc = W2S_FAIL("bench pipeline: out of memory");
    if (!rc) rc = (weak = gpt2_create(&cw, &wo)) ? 0 : -1;
    if (!rc) {
        gpt2_init_random(weak, 1);
        rc = (q = gpt2_int8_create(weak, B, T, B * T)) ? 0 : -1;
    }
    gpt2_destroy(weak);
    if (!rc) rc = (strong = gpt2_create(&cs, &so)) ? 0 : -1;
    if (!rc) {
        gpt2_init_random(strong, 2);
        rc = (init = malloc(strong->num_params * sizeof(float))) ? 0 : W2S_FAIL("bench pipeline: out of memory");
    }
    float *final_pipe = NULL;
    if (!rc) {
        memcpy(init, strong->params_memory, strong->num_params * sizeof(float));
        rc = (final_pipe = malloc(strong->num_params * sizeof(float))) ? 0 : W2S_FAIL("bench pipeline: out of memory");
    }
    for (size_t i = 0; i < N; i++) idx[i] = i;
    labeler_model lm = {.q = q};
    bench_student st = {.m = strong, .init = init, .d = {.ds = &ds, .idx = idx, .n = N}};
    trainer_config_default(&st.tc);
    st.tc.epochs = epochs;
    st.tc.batch = B;
    st.tc.quiet = true;
    transfer_config tc = {.lm = &lm, .ds = &ds, .idx = idx, .n = N, .batch = B, .hard = hard, .train = student_train,
                          .train_arg = &st, .topo = topo, .plan = &plan, .bind = topo->this_system};
    transfer_stats pipe[64], seqs[64];
    double pipe_cpu[64], seq_cpu[64]; // process CPU seconds per run: the work, whatever the load
    bool identical = true;
    for (int r = 0; r < (int)repeats && !rc; r++)
        for (int k = 0; k < 2 && !rc; k++) {
            bool piped = (k == 0) == (r % 2 == 0);  // alternate which goes first
            tc.soft = piped ? soft : soft_seq;
            st.d.targets = tc.soft;
            double c0 = progress_cpu_now();
            rc = piped ? transfer_run_pipelined(&tc, &pipe[r]) : transfer_run_sequential(&tc, &seqs[r]);
            (piped ? pipe_cpu : seq_cpu)[r] = progress_cpu_now() - c0;
            if (!rc && piped) memcpy(final_pipe, strong->params_memory, strong->num_params * sizeof(float));
            if (!rc && !piped) seqs[r].label_threads = seqs[r].train_threads = (int)threads;
            if (!rc && k == 1)
                identical = identical && !memcmp(soft, soft_seq, N * 2 * sizeof(float)) &&
                            !memcmp(final_pipe, strong->params_memory, strong->num_params * sizeof(float));
        }
    if (!rc) {
        transfer_stats p = median_stats(pipe, (int)repeats), s = median_stats(seqs, (int)repeats);
        double slower = p.label_busy_s > p.train_busy_s ? p.label_busy_s : p.train_busy_s;
        double label_batch_s = pipe[0].label_batches ? p.label_busy_s / (double)pipe[0].label_batches : 0;
        // "Within two label batches": the first batch as it ran (cold: page faults, waking
        // threads) plus one more at the mean rate.
        printf("{\"bench\": \"pipeline\", \"weak_arch\": \"%s\", \"strong_arch\": \"%s\", \"examples\": %zu, "
               "\"seq\": %zu, \"batch\": %zu, \"epochs\": %zu, \"threads\": %zu, \"repeats\": %zu, "
               "\"plan\": \"%s\", \"split_gain\": %.3f, \"label_batches\": %zu, ",
               weak_arch, strong_arch, N, T, B, epochs, threads, repeats, plan.rule, gain, pipe[0].label_batches);
        print_stats("pipelined", &p, cli_median(pipe_cpu, repeats));
        printf(", ");
        print_stats("sequential", &s, cli_median(seq_cpu, repeats));
        printf(", \"speedup\": %.3f, \"wall_over_slower_busy\": %.3f, \"label_batch_s\": %.3f, "
               "\"first_step_over_label_batch\": %.2f, \"targets\": {\"wall_le_1.1x_slower_stage\": %s, "
               "\"wall_le_sequential\": %s, \"first_step_within_2_label_batches\": %s}, "
               "\"identical_to_sequential\": %s}\n",
               s.wall_s / p.wall_s, p.wall_s / slower, label_batch_s,
               label_batch_s > 0 ? p.first_step_s / label_batch_s : 0, p.wall_s <= 1.1 * slower ? "true" : "false",
               p.wall_s <= s.wall_s ? "true" : "false",
               p.first_step_s <= p.first_label_batch_s + label_batch_s ? "true" : "false",
               p.train_threads == (int)threads ? (identical ? "true" : "false") : "\"n/a (thread counts differ)\"");
    }
    free(final_pipe);
    free(init);
    gpt2_destroy(strong);
    gpt2_int8_destroy(q);
    free(idx); free(soft); free(soft_seq); free(hard);
    fake_dataset_free(&ds);
    placement_free(&plan);
    topology_destroy(topo);
    return rc ? cli_fail("bench pipeline", NULL) : 0;
}
