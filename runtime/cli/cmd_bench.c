// cmd_bench.c — `w2s bench train`: throughput of full GPT-2 training steps on random weights.
// Not a correctness check (tests/models/ do that) and needs no files: the architecture comes
// from hf_config_named(), the head has 2 classes, tokens and labels are random. One JSON line
// per run, the same fields bench/torch_train.py prints, so the two compare as ratios.
#include "cli.h"
#include "cli_stats.h"
#include "cmd_bench_pipeline.h"
#include "cmd_label.h"

#include "error.h"
#include "gpt2.h"
#include "hf_config.h"
#include "optim.h"
#include "peak.h"
#include "progress.h"
#include "trainer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The nominal peak the issues' targets are stated against (2 Zen 5 cores at ~4.0 GHz):
// fp32 = 2 cores × 2 FMA pipes × 16 lanes × 2 FLOP × ~4 GHz ≈ 515 GFLOP/s; bf16 (vdpbf16ps:
// 32 products per instruction) ≈ 2× ≈ 1.0 TFLOP/s. Per core they are half these, so the
// fraction is computed against the threads actually used (capped at 2). The JSON also gives
// the MFU against the peak `w2s info --peak` measures on this machine (runtime/peak.h).
#define PEAK_F32_GFLOPS_2C 515.0
#define PEAK_BF16_GFLOPS_2C 1030.0

static void usage(FILE *out) {
    fprintf(out,
            "usage: w2s bench train [--arch NAME] [--batch B] [--seq T] [--precision bf16|fp32]\n"
            "                       [--threads N] [--steps S] [--warmup W]\n"
            "  Times full training steps (forward, backward, Adam) of a randomly initialized\n"
            "  GPT-2 (--arch gpt2|gpt2-medium|gpt2-large|gpt2-xl, default gpt2) with a 2-class\n"
            "  head on random tokens; prints one JSON line: tokens/s, ms/step (median), the\n"
            "  forward/backward/optimizer split, CPU time per step (all threads; on a shared\n"
            "  machine cpu_ms/threads estimates the unshared step), and model FLOP utilization\n"
            "  (6·params·tokens per step over the bf16 or fp32 peak). Defaults: batch 8, seq 128, bf16, threads =\n"
            "  OpenMP max, 5 timed steps after 1 warm-up step.\n");
}

static int bench_train(int argc, char **argv) {
    const char *arch = "gpt2", *precision = "bf16";
    long batch = 8, seq = 128, threads = omp_get_max_threads(), steps = 5, warmup = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "w2s bench train: '%s' needs a value (or is unknown)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        long n = strtol(v, &end, 10);
        bool num_ok = end && *end == '\0' && n >= 0;
        if (!strcmp(a, "--arch")) arch = v;
        else if (!strcmp(a, "--precision")) precision = v;
        else if (!strcmp(a, "--batch") && num_ok && n > 0) batch = n;
        else if (!strcmp(a, "--seq") && num_ok && n > 0) seq = n;
        else if (!strcmp(a, "--threads") && num_ok && n > 0) threads = n;
        else if (!strcmp(a, "--steps") && num_ok && n > 0) steps = n;
        else if (!strcmp(a, "--warmup") && num_ok) warmup = n;
        else {
            fprintf(stderr, "w2s bench train: bad option or value '%s %s'\n", a, v);
            usage(stderr);
            return 2;
        }
    }
    bool bf16 = !strcmp(precision, "bf16");
    if (!bf16 && strcmp(precision, "fp32")) {
        fprintf(stderr, "w2s bench train: --precision must be bf16 or fp32, not '%s'\n", precision);
        return 2;
    }
    gpt2_config cfg;
    if (hf_config_named(arch, &cfg)) return cli_fail("bench train", NULL);
    cfg.n_classes = 2;
    if ((size_t)seq > cfg.n_positions) {
        fprintf(stderr, "w2s bench train: --seq %ld exceeds %s's %zu positions\n", seq, arch, cfg.n_positions);
        return 2;
    }
    omp_set_num_threads((int)threads);
    size_t B = (size_t)batch, T = (size_t)seq;
    gpt2_options opt = {.max_batch = B, .max_seq = T, .lm_mode = GPT2_LM_NONE,
                        .precision = bf16 ? GPT2_BF16 : GPT2_FP32};
    gpt2_model *m = gpt2_create(&cfg, &opt);
    if (!m) return cli_fail("bench train", "a smaller --arch, --batch or --seq");
    gpt2_init_random(m, 1);
    optim_adam_config oc = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    optim_adam *o = optim_adam_create(&oc, m->num_params);
    int32_t *tokens = malloc(B * T * sizeof(int32_t)), *lengths = malloc(B * sizeof(int32_t));
    float *dlogits = malloc(B * 2 * sizeof(float));
    if (!o || !tokens || !lengths || !dlogits) {
        gpt2_destroy(m);
        optim_adam_destroy(o);
        free(tokens); free(lengths); free(dlogits);
        return cli_fail("bench train", NULL);
    }
    uint64_t s = 12345;
    for (size_t i = 0; i < B * T; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tokens[i] = (int32_t)((s >> 33) % cfg.vocab_size);
    }
    for (size_t b = 0; b < B; b++) lengths[b] = (int32_t)T;
    trainer_segments segs;  // the trainer's optimizer step, bf16 weight repacking included
    trainer_segments_init(&segs, m, false);
    gpt2_pack_cache(m, true);

    int total = (int)(warmup + steps), rc = 0;
    double *t_step = malloc((size_t)steps * sizeof(double)), *t_fwd = malloc((size_t)steps * sizeof(double));
    double *t_bwd = malloc((size_t)steps * sizeof(double)), *t_opt = malloc((size_t)steps * sizeof(double));
    double *t_cpu = malloc((size_t)steps * sizeof(double));
    for (int it = 0; it < total && !rc; it++) {
        double t0 = progress_now(), c0 = progress_cpu_now();
        gpt2_zero_grad(m);
        rc = gpt2_forward(m, tokens, lengths, B, T, NULL);
        double t1 = progress_now();
        // cross-entropy gradient against label b % 2: softmax(z) - onehot, averaged over B
        for (size_t b = 0; b < B && !rc; b++) {
            float z0 = m->acts.cls_logits[2 * b], z1 = m->acts.cls_logits[2 * b + 1];
            float p1 = 1.0f / (1.0f + expf(z0 - z1));
            dlogits[2 * b] = ((1.0f - p1) - (b % 2 == 0)) / (float)B;
            dlogits[2 * b + 1] = (p1 - (b % 2 == 1)) / (float)B;
        }
        if (!rc) rc = gpt2_backward(m, dlogits, 0.0f);
        double t2 = progress_now();
        if (!rc) trainer_adam_step(m, o, &segs, 1e-5f);
        double t3 = progress_now();
        if (it >= warmup) {
            int k = it - (int)warmup;
            t_cpu[k] = progress_cpu_now() - c0;
            t_step[k] = t3 - t0;
            t_fwd[k] = t1 - t0;
            t_bwd[k] = t2 - t1;
            t_opt[k] = t3 - t2;
        }
    }
    if (!rc) {
        int n = (int)steps;
        double step = cli_median(t_step, n), fwd = cli_median(t_fwd, n), bwd = cli_median(t_bwd, n);
        double opt_t = cli_median(t_opt, n);
        double cpu = cli_median(t_cpu, n);
        double tokens_step = (double)(B * T);
        double flops = gpt2_train_flops_per_token(m) * tokens_step;
        double cores = threads < 2 ? (double)threads : 2.0;
        double peak = (bf16 ? PEAK_BF16_GFLOPS_2C : PEAK_F32_GFLOPS_2C) * cores / 2.0;
        peak_info measured;
        char measured_json[96] = "\"measured_peak_gflops\": null, \"mfu_measured_peak\": null";
        if (peak_get(&measured, m->isa, (int)threads, NULL) == 0) {
            double pm = peak_gemm_gflops(&measured, bf16 ? GEMM_BF16 : GEMM_F32, (int)threads);
            snprintf(measured_json, sizeof measured_json, "\"measured_peak_gflops\": %.0f, \"mfu_measured_peak\": %.4f",
                     pm, flops / step * 1e-9 / pm);
        }
        printf("{\"bench\": \"train\", \"impl\": \"w2s\", \"arch\": \"%s\", \"batch\": %zu, \"seq\": %zu, "
               "\"precision\": \"%s\", \"threads\": %ld, \"steps\": %ld, \"params\": %zu, "
               "\"tokens_per_s\": %.1f, \"ms_per_step\": %.1f, \"fwd_ms\": %.1f, \"bwd_ms\": %.1f, "
               "\"opt_ms\": %.1f, \"cpu_ms_per_step\": %.1f, \"gflops\": %.1f, \"peak_gflops\": %.0f, "
               "\"mfu\": %.4f, %s, \"isa\": \"%s\"}\n",
               arch, B, T, precision, threads, steps, m->num_params, tokens_step / step, 1e3 * step,
               1e3 * fwd, 1e3 * bwd, 1e3 * opt_t, 1e3 * cpu, flops / step * 1e-9, peak,
               flops / step * 1e-9 / peak, measured_json,
               w2s_isa_name(m->isa));
    }
    free(t_step); free(t_fwd); free(t_bwd); free(t_opt); free(t_cpu);
    free(tokens); free(lengths); free(dlogits);
    optim_adam_destroy(o);
    gpt2_destroy(m);
    return rc ? cli_fail("bench train", NULL) : 0;
}

int cmd_bench(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "train")) return bench_train(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "label")) return bench_label(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "pipeline")) return bench_pipeline(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "w2s bench: unknown or missing benchmark%s%s\n", argc >= 2 ? " " : "", argc >= 2 ? argv[1] : "");
    usage(stderr);
    return 2;
}
