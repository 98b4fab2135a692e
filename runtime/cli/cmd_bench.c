// cmd_bench.c — `w2s bench train`: throughput of full GPT-2 training steps on random weights.
// Not a correctness check (tests/models/ do that) and needs no files: the architecture comes
// from hf_config_named(), the head has 2 classes, tokens and labels are random. One JSON line
// per run, the same fields bench/torch_train.py prints, so the two compare as ratios. Under
// mpirun/srun the batch is the global one, split over the ranks as the trainer splits it, and
// the step adds the gradient allreduce, timed apart (docs/SCALING.md).
#include "cli.h"
#include "cli_opts.h"
#include "cli_usage.h"
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
#include "world.h"

#include <limits.h>
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
// the MFU against the peak `w2s info --peak` measures on this machine (runtime/profile/peak.h).
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
            "  OpenMP max, 5 timed steps after 1 warm-up step.\n"
            "  Under mpirun/srun: data-parallel steps, --batch is the global batch (each rank forwards\n"
            "  its share, gradients summed in rank order); the JSON adds ranks, allreduce (blocking: after\n"
            "  the backward, or overlap: buckets summed during it; env W2S_ALLREDUCE), comm_ms (time\n"
            "  inside the collectives, the backward's bucket hooks included),\n"
            "  compute_ms, allreduce_bytes and efficiency = compute_ms / ms_per_step (tokens/s over ranks\n"
            "  times one rank's tokens/s at the same per-rank batch, when the allreduce is the only cost).\n");
}

static int bench_train(int argc, char **argv) {
    static const char *const precisions[] = {"bf16", "fp32", NULL};
    const char *arch = "gpt2";
    size_t batch = 8, seq = 128, threads = (size_t)omp_get_max_threads(), steps = 5, warmup = 1;
    int fp32 = 0;
    cli_opt opts[] = {
        CLI_OPT("arch", CLI_STR, &arch),
        CLI_OPT("precision", CLI_CHOICE, &fp32, .choices = precisions),
        CLI_OPT("batch", CLI_SIZE, &batch, .lo = 1),
        CLI_OPT("seq", CLI_SIZE, &seq, .lo = 1),
        CLI_OPT("threads", CLI_SIZE, &threads, .lo = 1, .hi = 4096),
        CLI_OPT("steps", CLI_SIZE, &steps, .lo = 1, .hi = INT_MAX / 2),
        CLI_OPT("warmup", CLI_SIZE, &warmup, .hi = INT_MAX / 2),
    };
    int status = cli_opts_parse("bench train", argc, argv, opts, CLI_N(opts), usage);
    if (status >= 0) return status;
    bool bf16 = !fp32;
    const char *precision = precisions[fp32];
    gpt2_config cfg;
    if (hf_config_named(arch, &cfg)) return cli_fail("bench train", NULL);
    cfg.n_classes = 2;
    if (seq > cfg.n_positions)
        return cli_usage_error("bench train", "--seq %zu exceeds %s's %zu positions", seq, arch, cfg.n_positions);
    omp_set_num_threads((int)threads);
    const int ranks = dist_size();
    if (batch < (size_t)ranks)
        return cli_usage_error("bench train", "--batch %zu is smaller than the %d ranks: every rank needs an example",
                               batch, ranks);
    size_t lo, hi;
    dist_shard(batch, dist_rank(), ranks, &lo, &hi);
    const size_t B = hi - lo, T = seq;  // this rank's share of the global batch
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
    trainer_grad_sync gsync;
    if (trainer_grad_sync_init(&gsync, m, &segs) != 0) {
        gpt2_destroy(m);
        optim_adam_destroy(o);
        free(tokens); free(lengths); free(dlogits);
        return cli_fail("bench train", NULL);
    }

    int total = (int)(warmup + steps), rc = 0;
    double *t_step = malloc(steps * sizeof(double)), *t_fwd = malloc(steps * sizeof(double));
    double *t_bwd = malloc(steps * sizeof(double)), *t_opt = malloc(steps * sizeof(double));
    double *t_cpu = malloc(steps * sizeof(double)), *t_comm = malloc(steps * sizeof(double));
    for (int it = 0; it < total && !rc; it++) {
        double t0 = progress_now(), c0 = progress_cpu_now(), comm0 = dist_comm_seconds();
        gpt2_zero_grad(m);
        rc = gpt2_forward(m, tokens, lengths, B, T, NULL);
        double t1 = progress_now();
        // cross-entropy gradient against label b % 2: softmax(z) - onehot, averaged over B
        for (size_t b = 0; b < B && !rc; b++) {
            float z0 = m->acts.cls_logits[2 * b], z1 = m->acts.cls_logits[2 * b + 1];
            float p1 = 1.0f / (1.0f + expf(z0 - z1));
            dlogits[2 * b] = ((1.0f - p1) - (b % 2 == 0)) / (float)batch;
            dlogits[2 * b + 1] = (p1 - (b % 2 == 1)) / (float)batch;
        }
        trainer_grad_sync_arm(&gsync);
        if (!rc) rc = gpt2_backward(m, dlogits, 0.0f);
        double tc = progress_now();
        int rs = trainer_grad_sync_finish(&gsync);  // the sum's wait left after the backward
        rc = dist_agree(rc ? rc : rs);
        double t2 = progress_now();
        if (!rc) trainer_adam_step(m, o, &segs, 1e-5f);
        double t3 = progress_now();
        if (it >= (int)warmup) {
            int k = it - (int)warmup;
            t_cpu[k] = progress_cpu_now() - c0;
            t_step[k] = t3 - t0;
            t_fwd[k] = t1 - t0;
            t_bwd[k] = tc - t1;
            // Time inside the collectives: after the backward when blocking, also inside it
            // (the hooks that start and advance buckets) when overlapped.
            t_comm[k] = dist_comm_seconds() - comm0;
            t_opt[k] = t3 - t2;
        }
    }
    // Every rank's step times to rank 0: a step lasts as long as its slowest rank.
    for (size_t k = 0; k < steps && !rc && ranks > 1; k++) {
        double mine[2] = {t_step[k], t_comm[k]}, *all = malloc((size_t)ranks * sizeof mine);
        size_t *counts = malloc((size_t)ranks * sizeof *counts);
        rc = all && counts ? 0 : W2S_FAIL("out of memory");
        for (int r = 0; r < ranks && !rc; r++) counts[r] = sizeof mine;
        if (!rc) rc = dist_gather_bytes(mine, all, counts);
        for (int r = 1; r < ranks && !rc && dist_is_root(); r++)
            if (all[2 * r] > t_step[k]) t_step[k] = all[2 * r], t_comm[k] = all[2 * r + 1];
        free(all);
        free(counts);
    }
    if (!rc && dist_is_root()) {
        size_t n = steps;
        double step = cli_median(t_step, n), fwd = cli_median(t_fwd, n), bwd = cli_median(t_bwd, n);
        double opt_t = cli_median(t_opt, n), comm = cli_median(t_comm, n);
        double cpu = cli_median(t_cpu, n);
        double tokens_step = (double)(batch * T);
        double flops = gpt2_train_flops_per_token(m) * tokens_step;
        const double all_threads = (double)threads * ranks;
        double cores = all_threads < 2 ? all_threads : 2.0;
        double peak = (bf16 ? PEAK_BF16_GFLOPS_2C : PEAK_F32_GFLOPS_2C) * cores / 2.0;
        peak_info measured;
        char measured_json[96] = "\"measured_peak_gflops\": null, \"mfu_measured_peak\": null";
        // One process measures the peak of its own threads: with several ranks it would not
        // be the peak of the whole job, so it is left out (null).
        if (ranks == 1 && peak_get(&measured, m->isa, (int)threads, NULL) == 0) {
            double pm = peak_gemm_gflops(&measured, bf16 ? GEMM_BF16 : GEMM_F32, (int)threads);
            snprintf(measured_json, sizeof measured_json, "\"measured_peak_gflops\": %.0f, \"mfu_measured_peak\": %.4f",
                     pm, flops / step * 1e-9 / pm);
        }
        printf("{\"bench\": \"train\", \"impl\": \"w2s\", \"arch\": \"%s\", \"batch\": %zu, \"seq\": %zu, "
               "\"precision\": \"%s\", \"threads\": %zu, \"steps\": %zu, \"params\": %zu, "
               "\"tokens_per_s\": %.1f, \"ms_per_step\": %.1f, \"fwd_ms\": %.1f, \"bwd_ms\": %.1f, "
               "\"opt_ms\": %.1f, \"cpu_ms_per_step\": %.1f, \"gflops\": %.1f, \"peak_gflops\": %.0f, "
               "\"mfu\": %.4f, %s, \"isa\": \"%s\", \"ranks\": %d, \"comm_ms\": %.2f, \"compute_ms\": %.1f, "
               "\"allreduce\": \"%s\", \"allreduce_bytes\": %zu, \"efficiency\": %.4f}\n",
               arch, batch, T, precision, threads, steps, m->num_params, tokens_step / step, 1e3 * step,
               1e3 * fwd, 1e3 * bwd, 1e3 * opt_t, 1e3 * cpu, flops / step * 1e-9, peak,
               flops / step * 1e-9 / peak, measured_json,
               w2s_isa_name(m->isa), ranks, 1e3 * comm, 1e3 * (step - comm),
               ranks == 1 ? "none" : gsync.red ? "overlap" : "blocking", ranks > 1 ? m->num_params * sizeof(float) : 0,
               (step - comm) / step);
    }
    trainer_grad_sync_free(&gsync);
    free(t_step); free(t_fwd); free(t_bwd); free(t_opt); free(t_cpu); free(t_comm);
    free(tokens); free(lengths); free(dlogits);
    optim_adam_destroy(o);
    gpt2_destroy(m);
    return rc ? cli_fail("bench train", NULL) : 0;
}

int cmd_bench(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "train")) return bench_train(argc - 1, argv + 1);
    if (dist_size() > 1)
        return cli_usage_error("bench", "only bench train runs under mpirun/srun (bench label and pipeline time one process)");
    if (argc >= 2 && !strcmp(argv[1], "label")) return bench_label(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "pipeline")) return bench_pipeline(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: w2s bench train|label|pipeline [options]   (w2s bench <name> --help for its options)\n"
               "  train     full training steps of a random GPT-2: tokens/s, step split, MFU\n"
               "  label     latency and throughput of the classification forward (int8, bf16, fp32)\n"
               "  pipeline  weak labeling streamed into student training, against the sequential run\n");
        return 0;
    }
    return cli_usage_error("bench", "unknown or missing benchmark%s%s (train, label or pipeline)", argc >= 2 ? " " : "",
                           argc >= 2 ? argv[1] : "");
}
