// cmd_profile.c — `w2s profile`: where a training or labeling step of a random-weight GPT-2
// spends its time, per matmul path and per operation kind, against this machine's measured
// peaks; writes profile.json and profile.html (roofline + time breakdown) into --out.
// Not a benchmark of throughput over many steps (w2s bench train) and needs no files.
// The one thing to know: the profiled total is printed next to the wall clock of the same
// steps, so time that no hook covers shows up as a gap instead of silently vanishing.
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
#include "cli_stats.h"

#include "error.h"
#include "fileio.h"
#include "gpt2.h"
#include "gpt2_int8.h"
#include "hf_config.h"
#include "optim.h"
#include "peak.h"
#include "progress.h"
#include "prof.h"
#include "profile_onednn.h"
#include "profile_report.h"
#include "profiler.h"
#include "trainer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s profile [--arch NAME] [--mode train|label] [--precision fp32|bf16|int8]\n"
            "                   [--batch B] [--seq T] [--steps S] [--warmup W] [--threads N]\n"
            "                   [--layers L] [--out DIR] [--compare-onednn]\n"
            "  Runs S steps (after W warm-up steps) of a randomly initialized GPT-2 (--arch gpt2|\n"
            "  gpt2-medium|gpt2-large|gpt2-xl; --layers overrides the depth) with a 2-class head on\n"
            "  random tokens: `train` = forward + backward + Adam, `label` = forward only. Prints a\n"
            "  table per matmul path (dtype x ISA x shape x layout x forward/backward) and per\n"
            "  operation kind: calls, time, GFLOP/s, %% of this CPU's peak for that dtype, and the\n"
            "  profiled total next to the wall clock of the steps. Writes DIR/profile.json and\n"
            "  DIR/profile.html (roofline and time breakdown, viewable offline). Peaks come from\n"
            "  `w2s info --peak`'s cache, measured now if absent. --compare-onednn also times\n"
            "  oneDNN's matmul on every GEMM shape used (same threads, interleaved, medians).\n"
            "  Defaults: gpt2, train, bf16, batch 8, seq 128, 3 steps, 1 warm-up, OpenMP max\n"
            "  threads, --out . ; --precision int8 runs the int8 label graph (--mode label only).\n");
}

typedef struct {
    const char *arch, *mode, *precision, *out;
    size_t batch, seq, steps, warmup, threads, layers;
    bool compare;
} profile_args;

// Returns -1 to go on, else the exit status (0 after --help).
static int parse(int argc, char **argv, profile_args *a) {
    static const char *const modes[] = {"train", "label", NULL}, *const precisions[] = {"fp32", "bf16", "int8", NULL};
    *a = (profile_args){.arch = "gpt2", .out = ".", .batch = 8, .seq = 128, .steps = 3, .warmup = 1,
                        .threads = (size_t)omp_get_max_threads()};
    int mode = 0, precision = 1;
    cli_opt opts[] = {
        CLI_OPT("arch", CLI_STR, &a->arch),
        CLI_OPT("mode", CLI_CHOICE, &mode, .choices = modes),
        CLI_OPT("precision", CLI_CHOICE, &precision, .choices = precisions),
        CLI_OPT("out", CLI_STR, &a->out),
        CLI_OPT("batch", CLI_SIZE, &a->batch, .lo = 1),
        CLI_OPT("seq", CLI_SIZE, &a->seq, .lo = 1),
        CLI_OPT("steps", CLI_SIZE, &a->steps, .lo = 1),
        CLI_OPT("warmup", CLI_SIZE, &a->warmup),
        CLI_OPT("threads", CLI_SIZE, &a->threads, .lo = 1, .hi = 4096),
        CLI_OPT("layers", CLI_SIZE, &a->layers, .lo = 1),
        CLI_OPT("compare-onednn", CLI_FLAG, &a->compare),
    };
    int status = cli_opts_parse("profile", argc, argv, opts, CLI_N(opts), usage);
    a->mode = modes[mode];
    a->precision = precisions[precision];
    if (status < 0 && !strcmp(a->precision, "int8") && strcmp(a->mode, "label"))
        return cli_usage_error("profile", "--precision int8 is an inference graph: use it with --mode label");
    return status;
}

// One step: label = forward (the int8 graph's when q is given); train = zero_grad, forward,
// loss gradient, backward, Adam.
static int run_step(gpt2_model *m, gpt2_int8 *q, optim_adam *o, const int32_t *tokens, const int32_t *lengths,
                    float *dlogits, size_t B, size_t T, bool train) {
    double t;
    if (q) {
        const int32_t **seqs = malloc(B * sizeof *seqs);
        size_t *lens = malloc(B * sizeof *lens);
        int rc = seqs && lens ? 0 : W2S_FAIL("w2s profile: out of memory for %zu sequence pointers", B);
        for (size_t b = 0; b < B && !rc; b++) {
            seqs[b] = tokens + b * T;
            lens[b] = (size_t)lengths[b];
        }
        if (!rc) rc = gpt2_int8_forward(q, seqs, lens, B, dlogits);
        free(seqs);
        free(lens);
        return rc;
    }
    if (train) gpt2_zero_grad(m);  // its own optimizer region, as is the update below
    if (gpt2_forward(m, tokens, lengths, B, T, NULL)) return -1;
    if (!train) return 0;
    prof_set_phase(PROF_PHASE_BACKWARD);
    t = prof_begin();
    // cross-entropy gradient against label b % 2 (as w2s bench train): softmax(z) - onehot, / B
    for (size_t b = 0; b < B; b++) {
        float z0 = m->acts.cls_logits[2 * b], z1 = m->acts.cls_logits[2 * b + 1];
        float p1 = 1.0f / (1.0f + expf(z0 - z1));
        dlogits[2 * b] = ((1.0f - p1) - (b % 2 == 0)) / (float)B;
        dlogits[2 * b + 1] = (p1 - (b % 2 == 1)) / (float)B;
    }
    prof_end(PROF_LOSS, t);
    if (gpt2_backward(m, dlogits, 0.0f)) return -1;
    trainer_segments segs;
    trainer_segments_init(&segs, m, false);
    trainer_adam_step(m, o, &segs, 1e-5f);  // as the trainer: repacks the bf16 weights too
    return 0;
}

int cmd_profile(int argc, char **argv) {
    profile_args a;
    int status = parse(argc, argv, &a);
    if (status >= 0) return status;
    gpt2_config cfg;
    if (hf_config_named(a.arch, &cfg)) return cli_fail("profile", NULL);
    cfg.n_classes = 2;
    if (a.layers) cfg.n_layer = a.layers;
    if (a.seq > cfg.n_positions)
        return cli_usage_error("profile", "--seq %zu exceeds %s's %zu positions", a.seq, a.arch, cfg.n_positions);
    if (w2s_is_stdout(a.out)) return cli_usage_error("profile", "--out - (standard output) cannot hold profile.json and profile.html: name a folder");
    if (w2s_mkdir_p(a.out)) return cli_fail("profile", "pass a writable --out directory");
    omp_set_num_threads((int)a.threads);
    bool train = !strcmp(a.mode, "train"), bf16 = !strcmp(a.precision, "bf16");
    bool int8 = !strcmp(a.precision, "int8");

    peak_info pk;
    bool measured = false;
    if (peak_get(&pk, w2s_isa_active(), (int)a.threads, &measured)) return cli_fail("profile", NULL);
    if (measured) fprintf(stderr, "w2s profile: measured this machine's peaks in %.1f s (cached)\n", pk.seconds);

    size_t B = a.batch, T = a.seq;
    gpt2_options opt = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_NONE,
                        .precision = bf16 ? GPT2_BF16 : GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return cli_fail("profile", "a smaller --arch, --batch or --seq");
    gpt2_init_random(m, 1);
    gpt2_int8 *q = int8 ? gpt2_int8_create(m, B, T, B * T) : NULL;
    if (int8 && !q) {
        gpt2_destroy(m);
        return cli_fail("profile", NULL);
    }
    optim_adam_config oc = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    optim_adam *o = train ? optim_adam_create(&oc, m->num_params) : NULL;
    gpt2_pack_cache(m, true);  // as the trainer and the labeling model: weights packed once per step / load
    int32_t *tokens = malloc(B * T * sizeof(int32_t)), *lengths = malloc(B * sizeof(int32_t));
    float *dlogits = malloc(B * 2 * sizeof(float));
    double *t_step = malloc(a.steps * sizeof(double));
    int rc = 0;
    if ((train && !o) || !tokens || !lengths || !dlogits || !t_step) {
        rc = W2S_FAIL("w2s profile: out of memory for the batch");
        goto done;
    }
    uint64_t s = 12345;
    for (size_t i = 0; i < B * T; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tokens[i] = (int32_t)((s >> 33) % cfg.vocab_size);
    }
    for (size_t b = 0; b < B; b++) lengths[b] = (int32_t)T;

    for (size_t w = 0; w < a.warmup && !rc; w++) rc = run_step(m, q, o, tokens, lengths, dlogits, B, T, train);
    // `w2s --profile profile` / W2S_PROFILE=1: this command writes its own, step-scoped report.
    if (profiler_running()) profiler_stop();
    if (rc || (rc = profiler_start())) goto done;
    double wall = 0.0, cpu0 = progress_cpu_now();
    for (size_t i = 0; i < a.steps && !rc; i++) {
        double t0 = prof_now();
        rc = run_step(m, q, o, tokens, lengths, dlogits, B, T, train);
        t_step[i] = prof_now() - t0;
        wall += t_step[i];
    }
    profiler_stop();
    double cpu = progress_cpu_now() - cpu0;
    if (rc) goto done;

    profile_data d;
    if ((rc = profiler_snapshot(&d))) goto done;
    char title[256];
    snprintf(title, sizeof title, "%s%s %s %s, batch %zu x seq %zu, %zu steps, %zu threads, isa %s", a.arch,
             a.layers ? " (layers overridden)" : "", a.mode, a.precision, B, T, a.steps, a.threads,
             w2s_isa_name(m->isa));
    cli_sort(t_step, a.steps);
    profile_meta meta = {.title = title, .arch = a.arch, .mode = a.mode, .precision = a.precision, .batch = B,
                         .seq = T, .steps = a.steps, .threads = (int)a.threads, .wall_seconds = wall,
                         .step_seconds_median = t_step[a.steps / 2], .cpu_seconds = cpu,
                         .compared_onednn = a.compare};
    if (a.compare && (rc = profile_compare_onednn(&d)) == 0)
        fprintf(stderr, "w2s profile: timed oneDNN matmul on %zu shapes\n", d.n_gemm);
    char path[W2S_PATH_MAX];
    if (!rc) {
        profile_print_table(stdout, &d, &pk, &meta);
        printf("median step %.2f ms over %zu steps\n", 1e3 * meta.step_seconds_median, a.steps);
        rc = w2s_path_format(path, sizeof path, "%s/profile.json", a.out) || profile_write_json(path, &d, &pk, &meta);
    }
    if (!rc) {
        rc = w2s_path_format(path, sizeof path, "%s/profile.html", a.out) || profile_write_html(path, &d, &pk, &meta);
        if (!rc) printf("wrote %s/profile.json and %s/profile.html\n", a.out, a.out);
    }
    profile_data_free(&d);
done:
    free(tokens); free(lengths); free(dlogits); free(t_step);
    optim_adam_destroy(o);
    gpt2_int8_destroy(q);
    gpt2_destroy(m);
    return rc ? cli_fail("profile", NULL) : 0;
}
